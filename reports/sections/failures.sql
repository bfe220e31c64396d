-- Failed statements (an error message or a non-zero exit code) and failed logins, in the order they ran.
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
SELECT
  CASE WHEN "class" = 'CONNECT' AND command = 'AUTH FAILURE' THEN 'login' ELSE 'statement' END AS failure,
  "time", cluster, "user", "database", "class", command, exitcode, errormessage, remotehost, sources, commandtext
FROM aurora_audit.report_period_summary
WHERE in_period AND detail
  AND (("class" = 'CONNECT' AND command = 'AUTH FAILURE')
    OR errormessage IS NOT NULL
    OR exitcode NOT IN ('0', '00000'))
ORDER BY date_trunc('second', event_ts), cluster, pid, statementid, substatementid, event_ts, source, id
