-- Schema changes (class DDL): which objects were created, altered or dropped, by whom, when.
-- Parameters, in order: 1 first day partition, 2 last day partition (YYYY-MM-DD, UTC), 3 first day again and
-- 4 the hour partition of the period start (00-23, UTC), 5 last day again and 6 the hour partition of the
-- period's last instant, 7 and 8 cluster resource id, or '*' for all clusters, 9 period start, 10 period end
-- (ISO-8601 UTC, end exclusive).
WITH events AS (
  -- The period's events, each once: at-least-once delivery may store an event twice (same id).
  SELECT *
  FROM (
    SELECT
      e.*,
      from_iso8601_timestamp(e."time") AS event_ts,
      row_number() OVER (PARTITION BY e.id ORDER BY e."time") AS copy_number
    FROM aurora_audit.audit_events e
    WHERE e.day BETWEEN ? AND ?
      -- Only the period's UTC hours: from its start's hour on its first day, to its last instant's hour on
      -- its last day (a local day in any time zone reads its own 24 hours, not two whole UTC days).
      AND (e.day > ? OR e.hour >= ?)
      AND (e.day < ? OR e.hour <= ?)
      AND (? = '*' OR e.cluster = ?)
      AND from_iso8601_timestamp(e."time") >= from_iso8601_timestamp(?)
      AND from_iso8601_timestamp(e."time") < from_iso8601_timestamp(?)
  ) stored
  WHERE copy_number = 1
),
-- The period's statements, each once. The activity stream and pgAudit each report a statement; their two
-- entries are paired by the statement identity of tasks/core/statement.ts, strongest match first: (1) the
-- statement key and the ids (cluster, pid, statement and sub-statement id) agree; (2) the statement key
-- alone, nearest in time; (3) the ids, user, database and command alone. A pair lies within 10 seconds.
-- Lines stored before the statementkey column existed get a key from the raw columns (both sources alike).
keyed AS (
  SELECT
    k.*,
    coalesce(k.statementkey, 'v0|' || coalesce(k.clusterid, '') || '|' || lower(coalesce(k."user", '')) || '|' || coalesce(k."database", '') || '|' || upper(k.command) || '|' || coalesce(k.commandtext, '')) AS skey,
    CASE upper(k.command) WHEN 'GRANT ROLE' THEN 'GRANT' WHEN 'REVOKE ROLE' THEN 'REVOKE' ELSE upper(k.command) END AS command_tag,
    lower(k."user") AS user_key
  FROM events k
),
-- One row per statement and source: pgAudit writes an entry per relation (and SESSION and OBJECT entries)
-- for one statement; entries of one source with the same key, pid, statement and sub-statement id within
-- 2 seconds are one.
source_statements AS (
  SELECT *
  FROM (
    SELECT
      c.*,
      lag(c.event_ts) OVER (PARTITION BY c.source, c.skey, c.pid, c.statementid, c.substatementid ORDER BY c.event_ts, c.id) AS entry_before
    FROM keyed c
  ) collapsed
  WHERE statementid IS NULL OR entry_before IS NULL OR event_ts > entry_before + INTERVAL '2' SECOND
),
-- (1) Key and ids agree: exactly one entry of each source.
both_keys AS (
  SELECT
    b.*,
    count(*) OVER (PARTITION BY b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_entries,
    min(b.source) OVER (PARTITION BY b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_first_source,
    max(b.source) OVER (PARTITION BY b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_last_source,
    min(b.event_ts) OVER (PARTITION BY b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_first_ts,
    max(b.event_ts) OVER (PARTITION BY b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_last_ts
  FROM source_statements b
),
both_pairs AS (
  SELECT
    x.*,
    coalesce(
      x.statementid IS NOT NULL AND x.pid IS NOT NULL AND x.substatementid IS NOT NULL
      AND x.both_entries = 2 AND x.both_first_source = 'das' AND x.both_last_source = 'pgaudit'
      AND x.both_last_ts <= x.both_first_ts + INTERVAL '10' SECOND,
      false
    ) AS id_and_text_paired
  FROM both_keys x
),
-- (2) The key alone: in time order within a key, an entry and its nearest neighbour of the other source are
-- one statement when each is the other's nearest (ties: the earlier).
text_neighbours AS (
  SELECT
    t.*,
    lag(t.source) OVER (PARTITION BY t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS source_1,
    lag(t.event_ts) OVER (PARTITION BY t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS ts_1,
    lag(t.source, 2) OVER (PARTITION BY t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS source_2,
    lag(t.event_ts, 2) OVER (PARTITION BY t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS ts_2,
    lead(t.source) OVER (PARTITION BY t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS source_3,
    lead(t.event_ts) OVER (PARTITION BY t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS ts_3,
    lead(t.source, 2) OVER (PARTITION BY t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS source_4,
    lead(t.event_ts, 2) OVER (PARTITION BY t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS ts_4
  FROM both_pairs t
),
text_pairs AS (
  SELECT
    n.*,
    CASE
      WHEN id_and_text_paired THEN true
      WHEN source_1 <> source AND event_ts <= ts_1 + INTERVAL '10' SECOND
        AND (source_3 IS NULL OR source_3 = source OR ts_3 > event_ts + INTERVAL '10' SECOND OR event_ts - ts_1 <= ts_3 - event_ts)
        AND (source_2 IS NULL OR source_2 = source_1 OR ts_1 > ts_2 + INTERVAL '10' SECOND OR event_ts - ts_1 < ts_1 - ts_2)
        THEN true
      WHEN source_3 <> source AND ts_3 <= event_ts + INTERVAL '10' SECOND
        AND (source_1 IS NULL OR source_1 = source OR event_ts > ts_1 + INTERVAL '10' SECOND OR ts_3 - event_ts < event_ts - ts_1)
        AND (source_4 IS NULL OR source_4 = source_3 OR ts_4 > ts_3 + INTERVAL '10' SECOND OR ts_3 - event_ts <= ts_4 - ts_3)
        THEN true
      ELSE false
    END AS text_paired
  FROM text_neighbours n
),
-- (3) What is left (texts that differ, e.g. pgAudit's statement cut after PASSWORD <REDACTED>): the ids,
-- user, database and command, exactly one entry of each source.
id_groups AS (
  SELECT
    g.*,
    count(*) OVER (PARTITION BY g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_entries,
    min(g.source) OVER (PARTITION BY g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_first_source,
    max(g.source) OVER (PARTITION BY g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_last_source,
    min(g.event_ts) OVER (PARTITION BY g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_first_ts,
    max(g.event_ts) OVER (PARTITION BY g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_last_ts
  FROM text_pairs g
),
-- A paired statement is shown once, as the activity stream reported it (microseconds, session, client).
statements AS (
  SELECT decided.*, CASE WHEN decided.paired THEN 'das,pgaudit' ELSE decided.source END AS sources
  FROM (
    SELECT
      p.*,
      coalesce(p.text_paired OR (
        p.statementid IS NOT NULL AND p.pid IS NOT NULL AND p.substatementid IS NOT NULL
        AND p.id_entries = 2 AND p.id_first_source = 'das' AND p.id_last_source = 'pgaudit'
        AND p.id_last_ts <= p.id_first_ts + INTERVAL '10' SECOND
      ), false) AS paired
    FROM id_groups p
  ) decided
  WHERE source = 'das' OR paired = false
)
SELECT "time", cluster, "user", "database", command, objecttype, objectname, remotehost, sources, commandtext
FROM statements
WHERE "class" = 'DDL'
-- Run order: the second (pgAudit's precision), then the session's statement and substatement ids, then the
-- instant; the stored id only breaks ties between statements at the same instant.
ORDER BY date_trunc('second', event_ts), cluster, pid, statementid, substatementid, event_ts, source, id
