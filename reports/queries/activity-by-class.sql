-- Activity by class and source: how much of each kind of statement each audit source reported.
-- The `events` of the period come from period-events.sql (prepended when the query is loaded).
SELECT class, source, count(*) AS events
FROM events
GROUP BY class, source
ORDER BY events DESC, class, source
