-- Top users: who did the most, from how many client hosts, first and last seen in the period.
-- The `events` of the period come from period-events.sql (prepended when the query is loaded).
SELECT "user", count(*) AS events, count(DISTINCT remotehost) AS hosts, min("time") AS first_seen, max("time") AS last_seen
FROM events
WHERE "user" IS NOT NULL
GROUP BY "user"
ORDER BY events DESC, "user"
LIMIT 50
