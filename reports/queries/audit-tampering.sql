-- Audit-configuration tampering: statements that change or switch off pgAudit: ALTER ROLE/USER/DATABASE
-- ... SET or RESET pgaudit.*, ALTER SYSTEM, DROP EXTENSION pgaudit, SET pgaudit.*; case-insensitive, on the
-- statement (or the command tag where the statement is unknown). The pattern is AUDIT_TAMPERING_REGEX of
-- reports/queries/index.ts, which mirrors the audit-tampering rule of tasks/core/alerts/default-rules.yaml.
-- Parameters, in order: 1 first day partition, 2 last day partition (YYYY-MM-DD, UTC), 3 and 4 cluster
-- resource id, or '*' for all clusters, 5 period start, 6 period end (ISO-8601 UTC, end exclusive).
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
      AND (? = '*' OR e.cluster = ?)
      AND from_iso8601_timestamp(e."time") >= from_iso8601_timestamp(?)
      AND from_iso8601_timestamp(e."time") < from_iso8601_timestamp(?)
  ) stored
  WHERE copy_number = 1
)
SELECT "time", cluster, "user", "database", command, remotehost, source, commandtext
FROM events
WHERE regexp_like(coalesce(commandtext, command), '(?i)^\s*(alter\s+(role|user|database)\b[\s\S]*\b(re)?set\s+(pgaudit\.|all\b)|alter\s+system\b|drop\s+extension\s+(if\s+exists\s+)?"?pgaudit\b|(re)?set\s+(session\s+|local\s+)?pgaudit\.)')
-- Run order: the second (pgAudit's precision), then the session's statement and substatement ids, then the
-- instant; the event id only separates the two sources' rows of one statement.
ORDER BY date_trunc('second', event_ts), cluster, pid, statementid, substatementid, event_ts, source, id
