-- Activity per local day of the report's time zone (decided in the summary) and per sources.
-- Reads the run's period summary (reports/summary/period-summary.sql), never the stored events.
SELECT local_date, sources, CAST(sum(statements) AS bigint) AS statements
FROM aurora_audit.report_period_summary
WHERE in_period
GROUP BY local_date, sources
ORDER BY local_date, sources
