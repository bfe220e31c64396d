-- Top client hosts: statements, distinct users, first and last seen.
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
SELECT
  remotehost,
  CAST(sum(statements) AS bigint) AS statements,
  count(DISTINCT "user") AS users,
  min_by(first_time, first_ts) AS first_seen,
  max_by(last_time, last_ts) AS last_seen
FROM aurora_audit.report_period_summary
WHERE in_period AND remotehost IS NOT NULL
GROUP BY remotehost
ORDER BY statements DESC, remotehost
LIMIT 50
