-- Privilege changes: every statement of class ROLE, in the order they ran.
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
SELECT "time", cluster, "user", "database", command, objecttype, objectname, remotehost, clientapplication, sources, commandtext
FROM aurora_audit.report_period_summary
WHERE in_period AND detail AND "class" = 'ROLE'
ORDER BY date_trunc('second', event_ts), cluster, pid, statementid, substatementid, event_ts, source, id
