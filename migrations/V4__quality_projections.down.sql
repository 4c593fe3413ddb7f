-- Undo V4 quality_projections (children before parents, then types, then the schema).

DROP TABLE IF EXISTS quality.alerts;
DROP TABLE IF EXISTS quality.trend_snapshots;
DROP TABLE IF EXISTS quality.rep_analyses;
DROP TABLE IF EXISTS quality.session_analyses;
DROP TABLE IF EXISTS quality.patient_summaries;
DROP TYPE IF EXISTS quality.alert_status;
DROP TYPE IF EXISTS quality.alert_severity;
DROP TYPE IF EXISTS quality.snapshot_period;
DROP TYPE IF EXISTS quality.trend_direction;
DROP SCHEMA IF EXISTS quality;
