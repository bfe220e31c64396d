-- Activity per day (UTC days of the event time) and source, for the report's chart.
-- The `events` of the period come from period-events.sql (prepended when the query is loaded).
SELECT substr("time", 1, 10) AS day_utc, source, count(*) AS events
FROM events
GROUP BY substr("time", 1, 10), source
ORDER BY day_utc, source
