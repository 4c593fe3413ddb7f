-- V1 event_store: the append-only log of domain events (the write side of CQRS).
-- Every projection in later migrations is derived from this table and can be rebuilt from it.
-- Requires PostgreSQL 13+ (gen_random_uuid, xid8, pg_current_xact_id); no extension.

CREATE SCHEMA event_store;
COMMENT ON SCHEMA event_store IS
    'Write side: the append-only log of domain events. Projections are derived from it and can be rebuilt from it at any time.';

CREATE TABLE event_store.events (
    global_position      bigint      GENERATED ALWAYS AS IDENTITY,
    event_id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    stream_id            uuid        NOT NULL,
    stream_type          text        NOT NULL,
    stream_version       bigint      NOT NULL,
    event_type           text        NOT NULL,
    event_schema_version smallint    NOT NULL DEFAULT 1,
    data                 jsonb       NOT NULL DEFAULT '{}'::jsonb,
    metadata             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    correlation_id       uuid,
    causation_id         uuid,
    occurred_at          timestamptz NOT NULL,
    recorded_at          timestamptz NOT NULL DEFAULT now(),
    transaction_id       xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_pkey PRIMARY KEY (global_position),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_id_stream_version_key UNIQUE (stream_id, stream_version),
    CONSTRAINT events_stream_version_check CHECK (stream_version >= 1),
    CONSTRAINT events_stream_type_check CHECK (char_length(stream_type) <= 100 AND stream_type ~ '^[A-Za-z][A-Za-z0-9_.:-]*$'),
    CONSTRAINT events_event_type_check CHECK (char_length(event_type) <= 200 AND event_type ~ '^[A-Za-z][A-Za-z0-9_.:-]*$'),
    CONSTRAINT events_event_schema_version_check CHECK (event_schema_version >= 1),
    CONSTRAINT events_data_check CHECK (jsonb_typeof(data) = 'object'),
    CONSTRAINT events_metadata_check CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE event_store.events IS
    'Append-only log of domain events. UPDATE, DELETE and TRUNCATE are rejected by a trigger (SQLSTATE 55000); corrections are new, compensating events.';
COMMENT ON COLUMN event_store.events.global_position IS
    'Position of the event in the whole store, assigned by the database. Projections checkpoint on it (projections.projection_versions.last_position). Gaps are normal (rolled-back appends).';
COMMENT ON COLUMN event_store.events.event_id IS
    'Unique id of the event; lets writers retry an append idempotently (INSERT ... ON CONFLICT (event_id) DO NOTHING).';
COMMENT ON COLUMN event_store.events.stream_id IS
    'Aggregate the event belongs to (a patient, an exercise session, a work item...). Soft reference: no foreign key.';
COMMENT ON COLUMN event_store.events.stream_type IS
    'Kind of aggregate, e.g. patient, exercise_session, work_item.';
COMMENT ON COLUMN event_store.events.stream_version IS
    'Version of the stream after this event, starting at 1. UNIQUE (stream_id, stream_version) gives optimistic concurrency: two writers cannot append the same version.';
COMMENT ON COLUMN event_store.events.event_type IS
    'Name of the domain event, e.g. ExerciseSessionCompleted.';
COMMENT ON COLUMN event_store.events.event_schema_version IS
    'Version of the payload shape of this event type, for upcasting old events.';
COMMENT ON COLUMN event_store.events.data IS
    'Event payload (JSON object). Must not be edited once written.';
COMMENT ON COLUMN event_store.events.metadata IS
    'Technical context (JSON object): actor user id, client, request id, source system.';
COMMENT ON COLUMN event_store.events.correlation_id IS
    'Id shared by all events caused by one user request or process.';
COMMENT ON COLUMN event_store.events.causation_id IS
    'event_id (or command id) that directly caused this event.';
COMMENT ON COLUMN event_store.events.occurred_at IS
    'When the fact happened in the domain (may be earlier than recorded_at, e.g. offline devices).';
COMMENT ON COLUMN event_store.events.recorded_at IS
    'When the event was appended (transaction start time).';
COMMENT ON COLUMN event_store.events.transaction_id IS
    'Writing transaction (pg_current_xact_id()). Positions are assigned before commit, so a reader that only reads events with transaction_id < pg_snapshot_xmin(pg_current_snapshot()) never skips an event committed late with a lower position.';

-- Projectors subscribe by event type or stream type and read in position order.
CREATE INDEX events_event_type_global_position_idx ON event_store.events (event_type, global_position);
CREATE INDEX events_stream_type_global_position_idx ON event_store.events (stream_type, global_position);
CREATE INDEX events_correlation_id_idx ON event_store.events (correlation_id) WHERE correlation_id IS NOT NULL;
-- Content queries: data @> '{"patient_id": "..."}', metadata @> '{"actor_id": "..."}'.
CREATE INDEX events_data_gin_idx ON event_store.events USING gin (data jsonb_path_ops);
CREATE INDEX events_metadata_gin_idx ON event_store.events USING gin (metadata jsonb_path_ops);
-- Time-range scans; recorded_at grows with the physical order of an append-only table, so BRIN is tiny.
CREATE INDEX events_recorded_at_brin_idx ON event_store.events USING brin (recorded_at);

CREATE FUNCTION event_store.reject_mutation() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state',
        MESSAGE = format('%s on %I.%I is not allowed: the event store is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
        DETAIL  = 'Recorded domain events are immutable; projections are rebuilt from them.',
        HINT    = 'Append a compensating event instead of changing or removing recorded events.',
        SCHEMA  = TG_TABLE_SCHEMA,
        TABLE   = TG_TABLE_NAME;
END;
$$;
COMMENT ON FUNCTION event_store.reject_mutation() IS
    'Trigger function: rejects UPDATE, DELETE and TRUNCATE with SQLSTATE 55000 (object_not_in_prerequisite_state).';

-- Statement level: a statement is refused even when it would touch no row.
CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON event_store.events
    FOR EACH STATEMENT EXECUTE FUNCTION event_store.reject_mutation();
COMMENT ON TRIGGER events_append_only ON event_store.events IS
    'Rejects every UPDATE, DELETE and TRUNCATE: the event store is append-only.';
