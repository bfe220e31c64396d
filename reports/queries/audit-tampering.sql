-- Audit-configuration tampering: statements that change or switch off pgAudit (mirrors the audit-tampering
-- rule of tasks/core/alerts/default-rules.yaml; kept equal by a test).
-- Parameters: 1 first day partition, 2 last day partition (YYYY-MM-DD, UTC), 3 and 4 cluster resource id
-- or '*' for all clusters, 5 period start, 6 period end (ISO-8601 UTC, end exclusive).
-- Each event is counted once even when it was stored twice (at-least-once delivery: same id).
WITH events AS (
  SELECT *
  FROM (
    SELECT e.*, row_number() OVER (PARTITION BY e.id ORDER BY e."time") AS copy
    FROM aurora_audit.audit_events e
    WHERE e.day BETWEEN ? AND ?
      AND (? = '*' OR e.cluster = ?)
  ) deduplicated
  WHERE copy = 1
    AND from_iso8601_timestamp("time") >= from_iso8601_timestamp(?)
    AND from_iso8601_timestamp("time") < from_iso8601_timestamp(?)
)
SELECT "time", cluster, "user", database, command, remotehost, source, commandtext
FROM events
WHERE regexp_like(commandtext, '(?i)^\s*(alter\s+(role|user|database)\b[\s\S]*\b(re)?set\s+(pgaudit\.|all\b)|alter\s+system\b|drop\s+extension\s+(if\s+exists\s+)?"?pgaudit\b|(re)?set\s+(session\s+|local\s+)?pgaudit\.)')
ORDER BY "time", id
