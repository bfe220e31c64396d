-- Activity by class and source: statements (not entries) per class and the sources that saw them.
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
SELECT "class", sources, CAST(sum(statements) AS bigint) AS statements
FROM aurora_audit.report_period_summary
WHERE in_period
GROUP BY "class", sources
ORDER BY statements DESC, "class", sources
