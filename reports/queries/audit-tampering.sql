-- Audit-configuration tampering: statements that change or switch off pgAudit (mirrors the audit-tampering
-- rule of tasks/core/alerts/default-rules.yaml; kept equal by a test).
-- The `events` of the period come from period-events.sql (prepended when the query is loaded).
SELECT "time", cluster, "user", database, command, remotehost, source, commandtext
FROM events
WHERE regexp_like(commandtext, '(?i)^\s*(alter\s+(role|user|database)\b[\s\S]*\b(re)?set\s+(pgaudit\.|all\b)|alter\s+system\b|drop\s+extension\s+(if\s+exists\s+)?"?pgaudit\b|(re)?set\s+(session\s+|local\s+)?pgaudit\.)')
ORDER BY "time", id
