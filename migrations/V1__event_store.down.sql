-- Undo V1 event_store. Destroys every recorded event: only for development databases.
-- DROP TABLE is not blocked by the append-only triggers (they only guard UPDATE, DELETE and TRUNCATE).

DROP TABLE IF EXISTS event_store.events;
DROP FUNCTION IF EXISTS event_store.reject_mutation();
DROP SCHEMA IF EXISTS event_store;
