-- Users and client hosts seen in the period for the first time: not seen in the previous period of equal
-- length (the summary holds both periods' groups).
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
WITH sightings AS (
  SELECT 'user' AS kind, "user" AS value, in_period, first_time, first_ts, statements
  FROM aurora_audit.report_period_summary
  WHERE "user" IS NOT NULL
  UNION ALL
  SELECT 'host' AS kind, remotehost AS value, in_period, first_time, first_ts, statements
  FROM aurora_audit.report_period_summary
  WHERE remotehost IS NOT NULL
)
SELECT kind, value, min_by(first_time, first_ts) AS first_seen, CAST(sum(statements) AS bigint) AS statements
FROM sightings
GROUP BY kind, value
HAVING bool_and(in_period)
ORDER BY kind, value
