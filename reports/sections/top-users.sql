-- Top users: statements, distinct client hosts, first and last seen.
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
SELECT
  "user",
  CAST(sum(statements) AS bigint) AS statements,
  count(DISTINCT remotehost) AS hosts,
  min_by(first_time, first_ts) AS first_seen,
  max_by(last_time, last_ts) AS last_seen
FROM aurora_audit.report_period_summary
WHERE in_period AND "user" IS NOT NULL
GROUP BY "user"
ORDER BY statements DESC, "user"
LIMIT 50
