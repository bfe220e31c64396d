-- Audit-configuration tampering: the statements the default audit-tampering rule matches.
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
SELECT "time", cluster, "user", "database", command, remotehost, sources, commandtext
FROM aurora_audit.report_period_summary
WHERE in_period AND detail
  AND regexp_like(coalesce(commandtext, command), '(?i)^\s*(alter\s+(role|user|database)\b[\s\S]*\b(re)?set\s+(pgaudit\.|all\b)|alter\s+system\b|drop\s+extension\s+(if\s+exists\s+)?"?pgaudit\b|(re)?set\s+(session\s+|local\s+)?pgaudit\.)')
ORDER BY date_trunc('second', event_ts), cluster, pid, statementid, substatementid, event_ts, source, id
