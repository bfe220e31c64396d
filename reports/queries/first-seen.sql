-- Users and client hosts seen in the period for the first time: not seen in the previous period of
-- equal length. The events read are those of both periods.
-- Parameters, in order: 1 first day partition of the previous period, 2 last day partition of the period
-- (YYYY-MM-DD, UTC), 3 and 4 cluster resource id, or '*' for all clusters, 5 previous period start,
-- 6 period end, 7 period start (ISO-8601 UTC; the previous period ends where the period starts).
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
),
sightings AS (
  SELECT 'user' AS kind, "user" AS value, "time", event_ts FROM events WHERE "user" IS NOT NULL
  UNION ALL
  SELECT 'host' AS kind, remotehost AS value, "time", event_ts FROM events WHERE remotehost IS NOT NULL
)
SELECT kind, value, min_by("time", event_ts) AS first_seen, count(*) AS events
FROM sightings
GROUP BY kind, value
HAVING min(event_ts) >= from_iso8601_timestamp(?)
ORDER BY kind, value
