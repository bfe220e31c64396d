-- The events of the report period, prepended to every period query (reports/queries/index.ts).
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
