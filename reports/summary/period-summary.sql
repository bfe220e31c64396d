-- The period summary: the one query of a report run that reads the stored events. It reads the period and the
-- previous period of equal length (for the first-seen comparison) ONCE, deduplicates the events, drops the
-- canary's statements, pairs the two sources into statements once, and writes a compact summary that every
-- report section reads instead of the events: each notable statement in detail (privilege and schema
-- changes, failures, audit-configuration tampering, coverage gaps, sessions that changed pgaudit.log), and
-- every other statement counted into groups (cluster, user, host, database, class, sources, local day). The
-- report workflow runs it as CREATE TABLE … AS (Athena CTAS, Parquet) per run, docs/reports.md.
-- Every CTE below is referenced exactly once (Trino inlines a CTE at each reference: a CTE read twice would
-- scan the events twice); the cluster-wide and session-wide facts are window functions, not joins.
-- Parameters, in order: 1 period start (ISO-8601 UTC; the previous period ends there), 2 first day partition
-- of the previous period, 3 last day partition of the period (YYYY-MM-DD, UTC), 4 the previous period's first
-- day again and 5 the hour partition of its start (00-23, UTC), 6 the last day again and 7 the hour partition
-- of the period's last instant, 8 and 9 the cluster resource ids, comma-separated, or '*' for all clusters, 10 previous period
-- start, 11 period end (end exclusive), 12 the clusters' canary users as 'cluster-…:user' pairs,
-- comma-separated, users lower case ('' for none), 13 the report's IANA time zone, 14 the reconciled
-- classes, upper case and comma-separated ('ROLE,DDL'; '' when the coverage check is off).
WITH events AS (
  -- The two periods' events, each once: at-least-once delivery may store an event twice (same id); each
  -- marked as of the period, or of the previous period (read for the first-seen comparison only).
  SELECT stored.*, stored.event_ts >= from_iso8601_timestamp(?) AS in_period
  FROM (
    SELECT
      e.*,
      from_iso8601_timestamp(e."time") AS event_ts,
      row_number() OVER (PARTITION BY e.id ORDER BY e."time") AS copy_number
    FROM aurora_audit.audit_events e
    WHERE e.day BETWEEN ? AND ?
      -- Only the periods' UTC hours: from the previous period's start hour on its first day, to the period's
      -- last instant's hour on its last day.
      AND (e.day > ? OR e.hour >= ?)
      AND (e.day < ? OR e.hour <= ?)
      AND (? = '*' OR contains(split(?, ','), e.cluster))
      AND from_iso8601_timestamp(e."time") >= from_iso8601_timestamp(?)
      AND from_iso8601_timestamp(e."time") < from_iso8601_timestamp(?)
  ) stored
  WHERE copy_number = 1
    -- The canary's statements (tasks/core/canary.ts) are proof that auditing works, not activity: left out
    -- when the statement is exactly a canary text with its nonce, of its class, without an error, by the
    -- cluster's canary user. The same marker in anyone else's statement is reported as usual.
    AND coalesce(
      contains(split(?, ','), clusterid || ':' || lower("user"))
      AND errormessage IS NULL
      AND (
        (upper("class") = 'ROLE' AND regexp_like(commandtext, '(?i)^\s*GRANT SELECT ON aurora[_]audit_canary TO CURRENT_USER /\* aurora-audit canary [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} \*/\s*;?\s*$'))
        OR (upper("class") = 'DDL' AND regexp_like(commandtext, '(?i)^\s*COMMENT ON TABLE aurora[_]audit_canary IS ''aurora-audit canary [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}''\s*;?\s*$'))
      ),
      false
    ) = false
),
-- The period's statements, each once. The activity stream and pgAudit each report a statement; their two
-- entries are paired by the statement identity of tasks/core/statement.ts, strongest match first: (1) the
-- statement key and the ids (cluster, pid, statement and sub-statement id) agree; (2) the statement key
-- alone, nearest in time; (3) the ids, user, database and command alone. A pair lies within 10 seconds.
-- Lines stored before the statementkey column existed get a key from the raw columns (both sources alike).
keyed AS (
  SELECT
    k.*,
    -- Whether both sources recorded something on the cluster in the period (coverage gaps are told only there).
    min(k.source) OVER (PARTITION BY k.in_period, k.clusterid) AS cluster_first_source,
    max(k.source) OVER (PARTITION BY k.in_period, k.clusterid) AS cluster_last_source,
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
      lag(c.event_ts) OVER (PARTITION BY c.in_period, c.source, c.skey, c.pid, c.statementid, c.substatementid ORDER BY c.event_ts, c.id) AS entry_before
    FROM keyed c
  ) collapsed
  WHERE statementid IS NULL OR entry_before IS NULL OR event_ts > entry_before + INTERVAL '2' SECOND
),
-- (1) Key and ids agree: exactly one entry of each source.
both_keys AS (
  SELECT
    b.*,
    count(*) OVER (PARTITION BY b.in_period, b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_entries,
    min(b.source) OVER (PARTITION BY b.in_period, b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_first_source,
    max(b.source) OVER (PARTITION BY b.in_period, b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_last_source,
    min(b.event_ts) OVER (PARTITION BY b.in_period, b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_first_ts,
    max(b.event_ts) OVER (PARTITION BY b.in_period, b.skey, b.clusterid, b.pid, b.statementid, b.substatementid) AS both_last_ts
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
    lag(t.source) OVER (PARTITION BY t.in_period, t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS source_1,
    lag(t.event_ts) OVER (PARTITION BY t.in_period, t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS ts_1,
    lag(t.source, 2) OVER (PARTITION BY t.in_period, t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS source_2,
    lag(t.event_ts, 2) OVER (PARTITION BY t.in_period, t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS ts_2,
    lead(t.source) OVER (PARTITION BY t.in_period, t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS source_3,
    lead(t.event_ts) OVER (PARTITION BY t.in_period, t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS ts_3,
    lead(t.source, 2) OVER (PARTITION BY t.in_period, t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS source_4,
    lead(t.event_ts, 2) OVER (PARTITION BY t.in_period, t.id_and_text_paired, t.skey ORDER BY t.event_ts, t.source, t.id) AS ts_4
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
    count(*) OVER (PARTITION BY g.in_period, g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_entries,
    min(g.source) OVER (PARTITION BY g.in_period, g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_first_source,
    max(g.source) OVER (PARTITION BY g.in_period, g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_last_source,
    min(g.event_ts) OVER (PARTITION BY g.in_period, g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_first_ts,
    max(g.event_ts) OVER (PARTITION BY g.in_period, g.text_paired, g.clusterid, g.pid, g.statementid, g.substatementid, g.user_key, g.command_tag, g."database") AS id_last_ts
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
),
-- What the sections need of each statement, decided once.
flagged AS (
  SELECT
    f.*,
    CAST(at_timezone(f.event_ts, ?) AS date) AS local_date,
    coalesce(
      f."class" IN ('ROLE', 'DDL')
      OR (f."class" = 'CONNECT' AND f.command = 'AUTH FAILURE')
      OR f.errormessage IS NOT NULL
      OR f.exitcode NOT IN ('0', '00000')
      OR regexp_like(coalesce(f.commandtext, f.command), '(?i)^\s*(alter\s+(role|user|database)\b[\s\S]*\b(re)?set\s+(pgaudit\.|all\b)|alter\s+system\b|drop\s+extension\s+(if\s+exists\s+)?"?pgaudit\b|(re)?set\s+(session\s+|local\s+)?pgaudit\.)')
      OR f.coverage_gap,
      false
    ) AS notable
  FROM (
    SELECT
      s.*,
      coalesce(
        contains(split(?, ','), s."class") AND s.sources <> 'das,pgaudit'
        AND s.cluster_first_source = 'das' AND s.cluster_last_source = 'pgaudit',
        false
      ) AS coverage_gap,
      -- When the session (cluster and backend pid) first switched pgAudit's logging off or changed it.
      min(CASE
        WHEN s.pid IS NOT NULL AND regexp_like(coalesce(s.commandtext, ''), '(?i)^\s*set\s+(session\s+|local\s+)?pgaudit\.log\b')
          THEN s.event_ts
      END) OVER (PARTITION BY s.in_period, s.clusterid, s.pid) AS silenced_ts
    FROM statements s
  ) f
),
-- The summary's rows: the statement's own columns only when it is notable.
shaped AS (
  SELECT
    in_period, notable AS detail, cluster, clusterid, "user", remotehost, "database", "class", sources, local_date,
    CASE WHEN notable THEN "time" END AS detail_time,
    CASE WHEN notable THEN event_ts END AS detail_ts,
    CASE WHEN notable THEN command END AS detail_command,
    CASE WHEN notable THEN objecttype END AS detail_objecttype,
    CASE WHEN notable THEN objectname END AS detail_objectname,
    CASE WHEN notable THEN clientapplication END AS detail_clientapplication,
    CASE WHEN notable THEN exitcode END AS detail_exitcode,
    CASE WHEN notable THEN errormessage END AS detail_errormessage,
    CASE WHEN notable THEN commandtext END AS detail_commandtext,
    CASE WHEN notable THEN pid END AS detail_pid,
    CASE WHEN notable THEN statementid END AS detail_statementid,
    CASE WHEN notable THEN substatementid END AS detail_substatementid,
    CASE WHEN notable THEN source END AS detail_source,
    CASE WHEN notable THEN id END AS detail_id,
    notable AND coverage_gap AS detail_coverage_gap,
    CASE
      WHEN notable = false OR coverage_gap = false THEN NULL
      WHEN sources = 'pgaudit'
        THEN 'The activity stream did not report it: stopped or starting at the time, or its records were not delivered (decrypt Lambda failures, quarantine).'
      WHEN silenced_ts IS NOT NULL AND silenced_ts <= event_ts
        THEN 'pgAudit was switched off in this session (SET pgaudit.log earlier in the same backend).'
      ELSE 'pgAudit did not log it: pgaudit.log does not cover the class for this user, database or session (ALTER ROLE/DATABASE ... SET pgaudit.log), or the log line was not delivered.'
    END AS detail_likely_cause,
    "time" AS at_time,
    event_ts AS at_ts
  FROM flagged
)
-- Instants are stored as timestamps in UTC without a zone: a CTAS table (Hive, Parquet) cannot hold a
-- timestamp with time zone (Athena fails the CTAS with NOT_SUPPORTED: Unsupported Hive type).
-- One row per notable statement (detail true, its columns filled, statements 1), and one row per group of the
-- other statements (detail false, the statement's own columns NULL), with the group's count and first and
-- last sighting.
SELECT
  in_period, detail, cluster, clusterid, "user", remotehost, "database", "class", sources, local_date,
  detail_time AS "time",
  CAST(at_timezone(detail_ts, 'UTC') AS timestamp) AS event_ts,
  detail_command AS command,
  detail_objecttype AS objecttype,
  detail_objectname AS objectname,
  detail_clientapplication AS clientapplication,
  detail_exitcode AS exitcode,
  detail_errormessage AS errormessage,
  detail_commandtext AS commandtext,
  detail_pid AS pid,
  detail_statementid AS statementid,
  detail_substatementid AS substatementid,
  detail_source AS source,
  detail_id AS id,
  detail_coverage_gap AS coverage_gap,
  detail_likely_cause AS likely_cause,
  count(*) AS statements,
  CAST(at_timezone(min(at_ts), 'UTC') AS timestamp) AS first_ts,
  CAST(at_timezone(max(at_ts), 'UTC') AS timestamp) AS last_ts,
  min_by(at_time, at_ts) AS first_time,
  max_by(at_time, at_ts) AS last_time
FROM shaped
GROUP BY
  in_period, detail, cluster, clusterid, "user", remotehost, "database", "class", sources, local_date,
  detail_time, detail_ts, detail_command, detail_objecttype, detail_objectname, detail_clientapplication,
  detail_exitcode, detail_errormessage, detail_commandtext, detail_pid, detail_statementid,
  detail_substatementid, detail_source, detail_id, detail_coverage_gap, detail_likely_cause
