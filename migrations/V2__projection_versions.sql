-- V2 projection_versions: one checkpoint row per projection, and the lag view.
-- Lives in its own schema `projections`, not in event_store: event_store holds only immutable facts,
-- while checkpoints are mutable read-side bookkeeping written by the projectors.

CREATE SCHEMA projections;
COMMENT ON SCHEMA projections IS
    'Read-side bookkeeping shared by all projectors: checkpoints, rebuild state and lag.';

CREATE TYPE projections.rebuild_state AS ENUM ('idle', 'rebuilding', 'failed');
COMMENT ON TYPE projections.rebuild_state IS
    'idle: the projector follows the event store live; rebuilding: tables are being replayed from position 0; failed: the projector stopped on an error (see last_error).';

CREATE TABLE projections.projection_versions (
    projection_name         text                      NOT NULL,
    projection_version      integer                   NOT NULL DEFAULT 1,
    last_position           bigint                    NOT NULL DEFAULT 0,
    last_event_at           timestamptz,
    events_processed        bigint                    NOT NULL DEFAULT 0,
    rebuild_state           projections.rebuild_state NOT NULL DEFAULT 'idle',
    rebuild_started_at      timestamptz,
    rebuild_completed_at    timestamptz,
    rebuild_target_position bigint,
    last_error              text,
    last_error_at           timestamptz,
    consecutive_failures    integer                   NOT NULL DEFAULT 0,
    created_at              timestamptz               NOT NULL DEFAULT now(),
    updated_at              timestamptz               NOT NULL DEFAULT now(),
    CONSTRAINT projection_versions_pkey PRIMARY KEY (projection_name),
    CONSTRAINT projection_versions_projection_name_check
        CHECK (projection_name ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$'),
    CONSTRAINT projection_versions_projection_version_check CHECK (projection_version >= 1),
    CONSTRAINT projection_versions_last_position_check CHECK (last_position >= 0),
    CONSTRAINT projection_versions_events_processed_check CHECK (events_processed >= 0),
    CONSTRAINT projection_versions_rebuild_target_position_check
        CHECK (rebuild_target_position IS NULL OR rebuild_target_position >= 0),
    CONSTRAINT projection_versions_consecutive_failures_check CHECK (consecutive_failures >= 0),
    CONSTRAINT projection_versions_rebuilding_check
        CHECK (rebuild_state <> 'rebuilding' OR rebuild_started_at IS NOT NULL),
    CONSTRAINT projection_versions_failed_check
        CHECK (rebuild_state <> 'failed' OR (last_error IS NOT NULL AND last_error_at IS NOT NULL)),
    CONSTRAINT projection_versions_rebuild_period_check
        CHECK (rebuild_completed_at IS NULL OR rebuild_started_at IS NULL OR rebuild_completed_at >= rebuild_started_at)
);

COMMENT ON TABLE projections.projection_versions IS
    'One row per projection: how far it has read the event store and whether it is being rebuilt. Lag = event store head - last_position (see projections.projection_lag).';
COMMENT ON COLUMN projections.projection_versions.projection_name IS
    'Name of the projection: a domain (adherence) or a schema-qualified table (adherence.patient_summaries).';
COMMENT ON COLUMN projections.projection_versions.projection_version IS
    'Version of the projector code that built the rows. A projector whose code version is higher must rebuild.';
COMMENT ON COLUMN projections.projection_versions.last_position IS
    'event_store.events.global_position of the last event applied (0 = nothing applied yet). Updated in the same transaction as the projection rows.';
COMMENT ON COLUMN projections.projection_versions.last_event_at IS
    'recorded_at of the last event applied, for time-based lag.';
COMMENT ON COLUMN projections.projection_versions.events_processed IS
    'Events applied since the last (re)build started.';
COMMENT ON COLUMN projections.projection_versions.rebuild_state IS
    'idle, rebuilding or failed.';
COMMENT ON COLUMN projections.projection_versions.rebuild_target_position IS
    'Event store head when the current rebuild started; progress = last_position / rebuild_target_position.';
COMMENT ON COLUMN projections.projection_versions.last_error IS
    'Message of the last failure; required when rebuild_state = failed.';
COMMENT ON COLUMN projections.projection_versions.consecutive_failures IS
    'Failures since the last successful batch; reset to 0 on success.';

CREATE VIEW projections.projection_lag AS
SELECT pv.projection_name,
       pv.projection_version,
       pv.rebuild_state,
       pv.last_position,
       head.head_position,
       GREATEST(head.head_position - pv.last_position, 0) AS lag_events,
       pv.last_event_at,
       pv.updated_at,
       pv.last_error
FROM projections.projection_versions AS pv
CROSS JOIN (SELECT COALESCE(max(e.global_position), 0) AS head_position
            FROM event_store.events AS e) AS head;

COMMENT ON VIEW projections.projection_lag IS
    'Lag of every projection in events: head of the event store minus last_position. An upper bound: positions of rolled-back appends leave gaps.';
COMMENT ON COLUMN projections.projection_lag.head_position IS
    'Highest committed global_position in event_store.events (0 when empty).';
COMMENT ON COLUMN projections.projection_lag.lag_events IS
    'head_position - last_position, never negative.';
