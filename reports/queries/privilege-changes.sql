-- Privilege changes (class ROLE): who granted, revoked or changed roles, when, from where, and the
-- (redacted) statement.
-- The `events` of the period come from period-events.sql (prepended when the query is loaded).
SELECT "time", cluster, "user", database, command, objecttype, objectname, remotehost, source, commandtext
FROM events
WHERE class = 'ROLE'
ORDER BY "time", id
