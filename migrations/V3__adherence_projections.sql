-- V3 adherence_projections: read models of how faithfully patients do their prescribed exercise sessions.
-- Every row is derived from events (event_store.events) and can be rebuilt. patient_id, therapist_id and
-- program_id are soft references (no foreign key into auth or other domains); inside the schema, real keys.
-- last_event_position on every table: global_position of the last event folded into the row, so a
-- projector can skip events it has already applied (idempotent replays).

CREATE SCHEMA adherence;
COMMENT ON SCHEMA adherence IS
    'Adherence projections: prescribed vs. completed exercise sessions, streaks, weekly snapshots, missed sessions.';

CREATE TYPE adherence.session_status AS ENUM ('in_progress', 'completed', 'partial', 'abandoned');
COMMENT ON TYPE adherence.session_status IS
    'in_progress: started, not ended; completed: every prescribed exercise done; partial: ended with some exercises done; abandoned: ended with none done.';

CREATE TYPE adherence.miss_reason AS ENUM (
    'not_started', 'patient_cancelled', 'pain', 'illness', 'technical_issue', 'schedule_conflict', 'other'
);
COMMENT ON TYPE adherence.miss_reason IS
    'Why a scheduled session was missed: not_started when the grace period ran out without any report from the patient.';

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE adherence.patient_summaries (
    patient_id            uuid         NOT NULL,
    therapist_id          uuid,
    program_id            uuid,
    program_started_on    date,
    sessions_prescribed   integer      NOT NULL DEFAULT 0,
    sessions_completed    integer      NOT NULL DEFAULT 0,
    sessions_partial      integer      NOT NULL DEFAULT 0,
    sessions_missed       integer      NOT NULL DEFAULT 0,
    adherence_pct         numeric(5,2),
    adherence_pct_28d     numeric(5,2),
    current_streak_days   integer      NOT NULL DEFAULT 0,
    longest_streak_days   integer      NOT NULL DEFAULT 0,
    total_active_minutes  integer      NOT NULL DEFAULT 0,
    first_session_at      timestamptz,
    last_session_at       timestamptz,
    next_session_due_at   timestamptz,
    last_event_position   bigint       NOT NULL DEFAULT 0,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT patient_summaries_pkey PRIMARY KEY (patient_id),
    CONSTRAINT patient_summaries_counts_check CHECK (
        sessions_prescribed >= 0 AND sessions_completed >= 0 AND sessions_partial >= 0 AND sessions_missed >= 0
        AND sessions_completed + sessions_partial + sessions_missed <= sessions_prescribed),
    CONSTRAINT patient_summaries_adherence_pct_check CHECK (adherence_pct BETWEEN 0 AND 100),
    CONSTRAINT patient_summaries_adherence_pct_28d_check CHECK (adherence_pct_28d BETWEEN 0 AND 100),
    CONSTRAINT patient_summaries_streaks_check CHECK (
        current_streak_days >= 0 AND longest_streak_days >= current_streak_days),
    CONSTRAINT patient_summaries_total_active_minutes_check CHECK (total_active_minutes >= 0),
    CONSTRAINT patient_summaries_sessions_period_check CHECK (
        last_session_at IS NULL OR first_session_at IS NULL OR last_session_at >= first_session_at),
    CONSTRAINT patient_summaries_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE adherence.patient_summaries IS
    'One row per patient in an exercise program: running adherence totals. Parent of the other adherence tables.';
COMMENT ON COLUMN adherence.patient_summaries.patient_id IS 'Patient (soft reference to auth.users.id, no foreign key).';
COMMENT ON COLUMN adherence.patient_summaries.therapist_id IS 'Treating therapist (soft reference to auth.users.id).';
COMMENT ON COLUMN adherence.patient_summaries.program_id IS 'Active exercise program (stream id of the program in the event store).';
COMMENT ON COLUMN adherence.patient_summaries.sessions_prescribed IS
    'Scheduled sessions whose due time has passed. Each ends up completed, partial or missed (or is still pending), so completed + partial + missed <= prescribed. Extra, unscheduled sessions are logged but not counted here.';
COMMENT ON COLUMN adherence.patient_summaries.adherence_pct IS
    '100 * (completed + 0.5 * partial) / prescribed over the whole program; NULL until a session is due.';
COMMENT ON COLUMN adherence.patient_summaries.adherence_pct_28d IS 'Same ratio over the last 28 days; NULL when nothing was due.';
COMMENT ON COLUMN adherence.patient_summaries.current_streak_days IS 'Consecutive days, up to the last due day, on which every due session was completed.';
COMMENT ON COLUMN adherence.patient_summaries.longest_streak_days IS 'Longest such streak ever.';
COMMENT ON COLUMN adherence.patient_summaries.last_session_at IS 'Start of the most recent session (any status but abandoned).';
COMMENT ON COLUMN adherence.patient_summaries.next_session_due_at IS 'Next scheduled session not yet done.';
COMMENT ON COLUMN adherence.patient_summaries.last_event_position IS 'global_position of the last event folded into this row.';
COMMENT ON COLUMN adherence.patient_summaries.created_at IS 'occurred_at of the event that created the row (defaults to now()).';

CREATE INDEX patient_summaries_therapist_id_idx ON adherence.patient_summaries (therapist_id, adherence_pct);
CREATE INDEX patient_summaries_last_session_at_idx ON adherence.patient_summaries (last_session_at);

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE adherence.weekly_snapshots (
    id                    uuid         NOT NULL DEFAULT gen_random_uuid(),
    patient_id            uuid         NOT NULL,
    week_start            date         NOT NULL,
    sessions_prescribed   integer      NOT NULL DEFAULT 0,
    sessions_completed    integer      NOT NULL DEFAULT 0,
    sessions_partial      integer      NOT NULL DEFAULT 0,
    sessions_missed       integer      NOT NULL DEFAULT 0,
    adherence_pct         numeric(5,2),
    active_minutes        integer      NOT NULL DEFAULT 0,
    avg_pain_level        numeric(4,2),
    last_event_position   bigint       NOT NULL DEFAULT 0,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT weekly_snapshots_pkey PRIMARY KEY (id),
    CONSTRAINT weekly_snapshots_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES adherence.patient_summaries (patient_id) ON DELETE CASCADE,
    CONSTRAINT weekly_snapshots_patient_id_week_start_key UNIQUE (patient_id, week_start),
    CONSTRAINT weekly_snapshots_week_start_check CHECK (EXTRACT(ISODOW FROM week_start) = 1),
    CONSTRAINT weekly_snapshots_counts_check CHECK (
        sessions_prescribed >= 0 AND sessions_completed >= 0 AND sessions_partial >= 0 AND sessions_missed >= 0
        AND sessions_completed + sessions_partial + sessions_missed <= sessions_prescribed),
    CONSTRAINT weekly_snapshots_adherence_pct_check CHECK (adherence_pct BETWEEN 0 AND 100),
    CONSTRAINT weekly_snapshots_active_minutes_check CHECK (active_minutes BETWEEN 0 AND 10080),
    CONSTRAINT weekly_snapshots_avg_pain_level_check CHECK (avg_pain_level BETWEEN 0 AND 10),
    CONSTRAINT weekly_snapshots_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE adherence.weekly_snapshots IS
    'Adherence of one patient over one ISO week (Monday to Sunday), for trend charts and cohort reports.';
COMMENT ON COLUMN adherence.weekly_snapshots.patient_id IS 'Patient (foreign key to adherence.patient_summaries).';
COMMENT ON COLUMN adherence.weekly_snapshots.week_start IS 'Monday of the ISO week, in the patient''s time zone.';
COMMENT ON COLUMN adherence.weekly_snapshots.adherence_pct IS 'Same formula as patient_summaries.adherence_pct, over the week; NULL when nothing was due.';
COMMENT ON COLUMN adherence.weekly_snapshots.avg_pain_level IS 'Mean of the pain_after ratings (0-10) reported in the week.';

CREATE INDEX weekly_snapshots_week_start_idx ON adherence.weekly_snapshots (week_start);

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE adherence.session_logs (
    id                    uuid                     NOT NULL DEFAULT gen_random_uuid(),
    patient_id            uuid                     NOT NULL,
    therapist_id          uuid,
    program_id            uuid,
    status                adherence.session_status NOT NULL DEFAULT 'in_progress',
    scheduled_for         timestamptz,
    started_at            timestamptz              NOT NULL,
    ended_at              timestamptz,
    duration_seconds      integer,
    exercises_prescribed  smallint                 NOT NULL,
    exercises_completed   smallint                 NOT NULL DEFAULT 0,
    reps_completed        integer                  NOT NULL DEFAULT 0,
    completion_pct        numeric(5,2)             NOT NULL DEFAULT 0,
    pain_before           smallint,
    pain_after            smallint,
    perceived_exertion    smallint,
    last_event_position   bigint                   NOT NULL DEFAULT 0,
    created_at            timestamptz              NOT NULL DEFAULT now(),
    updated_at            timestamptz              NOT NULL DEFAULT now(),
    CONSTRAINT session_logs_pkey PRIMARY KEY (id),
    CONSTRAINT session_logs_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES adherence.patient_summaries (patient_id) ON DELETE CASCADE,
    CONSTRAINT session_logs_ended_check CHECK ((status = 'in_progress') = (ended_at IS NULL)),
    CONSTRAINT session_logs_period_check CHECK (ended_at IS NULL OR ended_at >= started_at),
    CONSTRAINT session_logs_duration_seconds_check CHECK (duration_seconds BETWEEN 0 AND 86400),
    CONSTRAINT session_logs_exercises_check CHECK (
        exercises_prescribed BETWEEN 1 AND 100 AND exercises_completed BETWEEN 0 AND exercises_prescribed),
    CONSTRAINT session_logs_reps_completed_check CHECK (reps_completed >= 0),
    CONSTRAINT session_logs_completion_pct_check CHECK (completion_pct BETWEEN 0 AND 100),
    CONSTRAINT session_logs_pain_before_check CHECK (pain_before BETWEEN 0 AND 10),
    CONSTRAINT session_logs_pain_after_check CHECK (pain_after BETWEEN 0 AND 10),
    CONSTRAINT session_logs_perceived_exertion_check CHECK (perceived_exertion BETWEEN 0 AND 10),
    CONSTRAINT session_logs_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE adherence.session_logs IS
    'One row per exercise session a patient started (ExerciseSessionStarted ... Completed/Abandoned events).';
COMMENT ON COLUMN adherence.session_logs.id IS 'Session id: the stream id of the exercise session in the event store.';
COMMENT ON COLUMN adherence.session_logs.patient_id IS 'Patient (foreign key to adherence.patient_summaries).';
COMMENT ON COLUMN adherence.session_logs.therapist_id IS 'Therapist who prescribed the program (soft reference).';
COMMENT ON COLUMN adherence.session_logs.status IS 'in_progress until ended_at is set, then completed, partial or abandoned.';
COMMENT ON COLUMN adherence.session_logs.scheduled_for IS 'Scheduled slot this session fulfils; NULL for an extra, unscheduled session.';
COMMENT ON COLUMN adherence.session_logs.completion_pct IS '100 * exercises_completed / exercises_prescribed.';
COMMENT ON COLUMN adherence.session_logs.pain_before IS 'Pain reported before the session, numeric rating scale 0-10.';
COMMENT ON COLUMN adherence.session_logs.pain_after IS 'Pain reported after the session, numeric rating scale 0-10.';
COMMENT ON COLUMN adherence.session_logs.perceived_exertion IS 'Rating of perceived exertion, Borg CR10 scale 0-10.';

CREATE INDEX session_logs_patient_id_started_at_idx ON adherence.session_logs (patient_id, started_at DESC);
CREATE INDEX session_logs_status_created_at_idx ON adherence.session_logs (status, created_at);

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE adherence.missed_sessions (
    id                     uuid                  NOT NULL DEFAULT gen_random_uuid(),
    patient_id             uuid                  NOT NULL,
    therapist_id           uuid,
    program_id             uuid,
    scheduled_for          timestamptz           NOT NULL,
    detected_at            timestamptz           NOT NULL,
    reason                 adherence.miss_reason NOT NULL DEFAULT 'not_started',
    reason_detail          text,
    abandoned_session_id   uuid,
    made_up_by_session_id  uuid,
    therapist_notified_at  timestamptz,
    last_event_position    bigint                NOT NULL DEFAULT 0,
    created_at             timestamptz           NOT NULL DEFAULT now(),
    updated_at             timestamptz           NOT NULL DEFAULT now(),
    CONSTRAINT missed_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT missed_sessions_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES adherence.patient_summaries (patient_id) ON DELETE CASCADE,
    CONSTRAINT missed_sessions_abandoned_session_id_fkey FOREIGN KEY (abandoned_session_id)
        REFERENCES adherence.session_logs (id) ON DELETE SET NULL,
    CONSTRAINT missed_sessions_made_up_by_session_id_fkey FOREIGN KEY (made_up_by_session_id)
        REFERENCES adherence.session_logs (id) ON DELETE SET NULL,
    CONSTRAINT missed_sessions_patient_id_scheduled_for_key UNIQUE (patient_id, scheduled_for),
    CONSTRAINT missed_sessions_detected_at_check CHECK (detected_at >= scheduled_for),
    CONSTRAINT missed_sessions_reason_detail_check CHECK (char_length(reason_detail) <= 1000),
    CONSTRAINT missed_sessions_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE adherence.missed_sessions IS
    'One row per scheduled session that was not completed in its window (SessionMissed events).';
COMMENT ON COLUMN adherence.missed_sessions.patient_id IS 'Patient (foreign key to adherence.patient_summaries).';
COMMENT ON COLUMN adherence.missed_sessions.scheduled_for IS 'The scheduled slot that was missed.';
COMMENT ON COLUMN adherence.missed_sessions.detected_at IS 'When the miss was recorded (end of the grace period, or the patient''s cancellation).';
COMMENT ON COLUMN adherence.missed_sessions.reason IS 'Reason given by the patient, or not_started.';
COMMENT ON COLUMN adherence.missed_sessions.abandoned_session_id IS 'The session that was started for this slot and abandoned, if any.';
COMMENT ON COLUMN adherence.missed_sessions.made_up_by_session_id IS 'A later session done to make up for this one, if any.';
COMMENT ON COLUMN adherence.missed_sessions.therapist_notified_at IS 'When the therapist was notified; NULL = still to notify.';

CREATE INDEX missed_sessions_abandoned_session_id_idx ON adherence.missed_sessions (abandoned_session_id);
CREATE INDEX missed_sessions_made_up_by_session_id_idx ON adherence.missed_sessions (made_up_by_session_id);
CREATE INDEX missed_sessions_unnotified_idx ON adherence.missed_sessions (detected_at)
    WHERE therapist_notified_at IS NULL;
