-- Activity per day and source, by the local date in the report's time zone.
-- Parameters, in order: 1 first day partition, 2 last day partition (YYYY-MM-DD, UTC), 3 and 4 cluster
-- resource id, or '*' for all clusters, 5 period start, 6 period end (ISO-8601 UTC, end exclusive),
-- 7 the report's IANA time zone (e.g. 'Europe/Berlin').
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
SELECT local_date, source, count(*) AS events
FROM (
  SELECT CAST(at_timezone(event_ts, ?) AS date) AS local_date, source
  FROM events
) local_events
GROUP BY local_date, source
ORDER BY local_date, source
