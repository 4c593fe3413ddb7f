-- Undo V2 projection_versions. Leaves event_store (V1) alone.

DROP VIEW IF EXISTS projections.projection_lag;
DROP TABLE IF EXISTS projections.projection_versions;
DROP TYPE IF EXISTS projections.rebuild_state;
DROP SCHEMA IF EXISTS projections;
