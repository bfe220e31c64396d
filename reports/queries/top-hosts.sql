-- Top client hosts: where the activity came from, and how many users used each host.
-- The `events` of the period come from period-events.sql (prepended when the query is loaded).
SELECT remotehost, count(*) AS events, count(DISTINCT "user") AS users
FROM events
WHERE remotehost IS NOT NULL
GROUP BY remotehost
ORDER BY events DESC, remotehost
LIMIT 50
