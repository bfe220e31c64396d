-- Audit coverage gaps: statements of the reconciled classes one source recorded and the other did not, on
-- clusters where both sources recorded something in the period, with the likely cause (decided in the
-- summary, which is built with the reconciled classes).
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
SELECT
  "time", cluster, "user", "database", "class", command, sources,
  CASE WHEN sources = 'das' THEN 'pgaudit' ELSE 'das' END AS missing_from,
  likely_cause,
  commandtext
FROM aurora_audit.report_period_summary
WHERE in_period AND coverage_gap
ORDER BY event_ts, cluster, pid, statementid, substatementid, id
