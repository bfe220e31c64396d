-- Users and client hosts seen in the period but not in the previous period of equal length.
-- Parameters: 1 first day partition of the previous period, 2 last day partition of the period,
-- 3 and 4 cluster resource id or '*', 5 previous period start, 6 period start, 7 period end
-- (ISO-8601 UTC, end exclusive).
WITH events AS (
  SELECT "user", remotehost, from_iso8601_timestamp("time") AS ts
  FROM aurora_audit.audit_events
  WHERE day BETWEEN ? AND ?
    AND (? = '*' OR cluster = ?)
),
bounds AS (
  SELECT from_iso8601_timestamp(?) AS previous_start, from_iso8601_timestamp(?) AS period_start, from_iso8601_timestamp(?) AS period_end
),
current_users AS (
  SELECT DISTINCT e."user" AS value FROM events e, bounds b WHERE e.ts >= b.period_start AND e.ts < b.period_end AND e."user" IS NOT NULL
),
previous_users AS (
  SELECT DISTINCT e."user" AS value FROM events e, bounds b WHERE e.ts >= b.previous_start AND e.ts < b.period_start AND e."user" IS NOT NULL
),
current_hosts AS (
  SELECT DISTINCT e.remotehost AS value FROM events e, bounds b WHERE e.ts >= b.period_start AND e.ts < b.period_end AND e.remotehost IS NOT NULL
),
previous_hosts AS (
  SELECT DISTINCT e.remotehost AS value FROM events e, bounds b WHERE e.ts >= b.previous_start AND e.ts < b.period_start AND e.remotehost IS NOT NULL
)
SELECT 'user' AS kind, c.value FROM current_users c WHERE c.value NOT IN (SELECT p.value FROM previous_users p)
UNION ALL
SELECT 'host' AS kind, c.value FROM current_hosts c WHERE c.value NOT IN (SELECT p.value FROM previous_hosts p)
ORDER BY kind, value
