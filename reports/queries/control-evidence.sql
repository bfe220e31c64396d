-- Control evidence: did the audit canary prove, run after run, that each audit path delivers? Per cluster and
-- source (das: the activity stream, pgaudit), the canary runs that ended in the period, how many the source
-- delivered both canary statements by the deadline (successes), how many it stayed silent until the deadline
-- (misses), how many failed before the source could be checked (untested: the statements were not written, or
-- the arrivals could not be read), and the arrival latency of the runs it delivered: the later of the two
-- statements, from being run to arriving, in seconds (p50, p95, max). A source the cluster does not check is
-- left out. The rows come from the canary's run records (canary-runs/, one per run, docs/workflows.md "Canary
-- evidence"); a run that never started (its schedule failed) has no record: the canary's alarms cover it.
-- Parameters, in order: 1 first day partition, 2 last day partition (YYYY-MM-DD, UTC, the day a run ended),
-- 3 and 4 cluster name (identifier), or '*' for all clusters, 5 period start, 6 period end (ISO-8601 UTC, end
-- exclusive).
WITH runs AS (
  SELECT r.*
  FROM aurora_audit.canary_runs r
  WHERE r.day BETWEEN ? AND ?
    AND (? = '*' OR r.cluster = ?)
    AND from_iso8601_timestamp(r.endedat) >= from_iso8601_timestamp(?)
    AND from_iso8601_timestamp(r.endedat) < from_iso8601_timestamp(?)
),
per_source AS (
  SELECT
    s.cluster,
    'das' AS source,
    s.activitystream.status AS status,
    greatest(s.activitystream.rolelatencyms, s.activitystream.ddllatencyms) AS latency_ms
  FROM runs s
  UNION ALL
  SELECT
    s.cluster,
    'pgaudit' AS source,
    s.pgaudit.status AS status,
    greatest(s.pgaudit.rolelatencyms, s.pgaudit.ddllatencyms) AS latency_ms
  FROM runs s
)
SELECT
  p.cluster,
  p.source,
  count(*) AS runs,
  count_if(p.status = 'arrived') AS successes,
  count_if(p.status = 'silent') AS misses,
  count_if(p.status = 'untested') AS untested,
  round(approx_percentile(CASE WHEN p.status = 'arrived' THEN p.latency_ms END, 0.5) / 1000.0, 1) AS latency_p50_s,
  round(approx_percentile(CASE WHEN p.status = 'arrived' THEN p.latency_ms END, 0.95) / 1000.0, 1) AS latency_p95_s,
  round(max(CASE WHEN p.status = 'arrived' THEN p.latency_ms END) / 1000.0, 1) AS latency_max_s
FROM per_source p
WHERE p.status <> 'unchecked'
GROUP BY p.cluster, p.source
ORDER BY p.cluster, p.source
