-- Failed statements (a non-zero exit code or an error message) and failed logins.
-- The `events` of the period come from period-events.sql (prepended when the query is loaded).
SELECT "time", cluster, "user", database, class, command, exitcode, errormessage, remotehost, source, commandtext
FROM events
WHERE (class = 'CONNECT' AND command = 'AUTH FAILURE')
   OR errormessage IS NOT NULL
   OR (exitcode IS NOT NULL AND exitcode <> '0')
ORDER BY "time", id
