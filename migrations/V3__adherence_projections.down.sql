-- Undo V3 adherence_projections (children before parents, then types, then the schema).

DROP TABLE IF EXISTS adherence.missed_sessions;
DROP TABLE IF EXISTS adherence.session_logs;
DROP TABLE IF EXISTS adherence.weekly_snapshots;
DROP TABLE IF EXISTS adherence.patient_summaries;
DROP TYPE IF EXISTS adherence.miss_reason;
DROP TYPE IF EXISTS adherence.session_status;
DROP SCHEMA IF EXISTS adherence;
