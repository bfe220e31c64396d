-- Schema changes (class DDL): created, altered and dropped objects.
-- The `events` of the period come from period-events.sql (prepended when the query is loaded).
SELECT "time", cluster, "user", database, command, objecttype, objectname, source, commandtext
FROM events
WHERE class = 'DDL'
ORDER BY "time", id
