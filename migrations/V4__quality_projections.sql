-- V4 quality_projections: read models of exercise form and movement quality (pose analysis results).
-- Derived from events; patient_id, therapist_id, session_id and *_by columns are soft references
-- (no foreign key out of the schema); inside the schema, real keys. Scores are 0-100.
-- last_event_position on every table: global_position of the last event folded into the row.

CREATE SCHEMA quality;
COMMENT ON SCHEMA quality IS
    'Quality projections: form scores per session and per repetition, trends and clinical alerts.';

CREATE TYPE quality.trend_direction AS ENUM ('insufficient_data', 'declining', 'stable', 'improving');
COMMENT ON TYPE quality.trend_direction IS
    'Direction of the form score compared with the previous period; insufficient_data below the minimum number of analysed sessions.';

CREATE TYPE quality.snapshot_period AS ENUM ('week', 'month');
COMMENT ON TYPE quality.snapshot_period IS 'Length of a trend snapshot: ISO week (starts Monday) or calendar month (starts on day 1).';

CREATE TYPE quality.alert_severity AS ENUM ('low', 'medium', 'high', 'critical');
COMMENT ON TYPE quality.alert_severity IS 'Ordered: low < medium < high < critical, so ORDER BY severity DESC lists the worst first.';

CREATE TYPE quality.alert_status AS ENUM ('open', 'acknowledged', 'resolved', 'dismissed');
COMMENT ON TYPE quality.alert_status IS
    'open: new; acknowledged: a therapist has seen it; resolved: acted upon; dismissed: closed as not relevant.';

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE quality.patient_summaries (
    patient_id            uuid                    NOT NULL,
    therapist_id          uuid,
    sessions_analyzed     integer                 NOT NULL DEFAULT 0,
    reps_analyzed         integer                 NOT NULL DEFAULT 0,
    reps_valid            integer                 NOT NULL DEFAULT 0,
    avg_form_score        numeric(5,2),
    best_form_score       numeric(5,2),
    latest_form_score     numeric(5,2),
    avg_rom_pct           numeric(5,2),
    form_trend            quality.trend_direction NOT NULL DEFAULT 'insufficient_data',
    open_alerts           integer                 NOT NULL DEFAULT 0,
    last_analyzed_at      timestamptz,
    last_event_position   bigint                  NOT NULL DEFAULT 0,
    created_at            timestamptz             NOT NULL DEFAULT now(),
    updated_at            timestamptz             NOT NULL DEFAULT now(),
    CONSTRAINT patient_summaries_pkey PRIMARY KEY (patient_id),
    CONSTRAINT patient_summaries_counts_check CHECK (
        sessions_analyzed >= 0 AND reps_analyzed >= 0 AND reps_valid BETWEEN 0 AND reps_analyzed),
    CONSTRAINT patient_summaries_avg_form_score_check CHECK (avg_form_score BETWEEN 0 AND 100),
    CONSTRAINT patient_summaries_best_form_score_check CHECK (best_form_score BETWEEN 0 AND 100),
    CONSTRAINT patient_summaries_latest_form_score_check CHECK (latest_form_score BETWEEN 0 AND 100),
    CONSTRAINT patient_summaries_avg_rom_pct_check CHECK (avg_rom_pct BETWEEN 0 AND 100),
    CONSTRAINT patient_summaries_open_alerts_check CHECK (open_alerts >= 0),
    CONSTRAINT patient_summaries_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE quality.patient_summaries IS
    'One row per patient with analysed sessions: running quality totals. Parent of the other quality tables.';
COMMENT ON COLUMN quality.patient_summaries.patient_id IS 'Patient (soft reference to auth.users.id, no foreign key).';
COMMENT ON COLUMN quality.patient_summaries.therapist_id IS 'Treating therapist (soft reference to auth.users.id).';
COMMENT ON COLUMN quality.patient_summaries.reps_analyzed IS 'Repetitions scored by pose analysis, all sessions.';
COMMENT ON COLUMN quality.patient_summaries.reps_valid IS 'Repetitions counted as valid (performed within the form tolerance).';
COMMENT ON COLUMN quality.patient_summaries.avg_form_score IS 'Mean form score (0-100) over all analysed repetitions; NULL before the first analysis.';
COMMENT ON COLUMN quality.patient_summaries.avg_rom_pct IS 'Mean range of motion reached, as a percentage of the prescribed target (capped at 100).';
COMMENT ON COLUMN quality.patient_summaries.form_trend IS 'Trend of the latest weekly snapshot.';
COMMENT ON COLUMN quality.patient_summaries.open_alerts IS 'Alerts of this patient in status open or acknowledged.';
COMMENT ON COLUMN quality.patient_summaries.last_event_position IS 'global_position of the last event folded into this row.';

CREATE INDEX patient_summaries_therapist_id_idx ON quality.patient_summaries (therapist_id, avg_form_score);

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE quality.session_analyses (
    id                    uuid         NOT NULL DEFAULT gen_random_uuid(),
    patient_id            uuid         NOT NULL,
    session_id            uuid         NOT NULL,
    therapist_id          uuid,
    exercise_code         text         NOT NULL,
    analyzed_at           timestamptz  NOT NULL,
    model_version         text         NOT NULL,
    reps_prescribed       smallint,
    reps_analyzed         integer      NOT NULL DEFAULT 0,
    reps_valid            integer      NOT NULL DEFAULT 0,
    avg_form_score        numeric(5,2),
    min_form_score        numeric(5,2),
    max_form_score        numeric(5,2),
    avg_rom_degrees       numeric(5,2),
    target_rom_degrees    numeric(5,2),
    avg_rep_duration_ms   integer,
    symmetry_score        numeric(5,2),
    fault_counts          jsonb        NOT NULL DEFAULT '{}'::jsonb,
    last_event_position   bigint       NOT NULL DEFAULT 0,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT session_analyses_pkey PRIMARY KEY (id),
    CONSTRAINT session_analyses_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES quality.patient_summaries (patient_id) ON DELETE CASCADE,
    CONSTRAINT session_analyses_session_id_exercise_code_key UNIQUE (session_id, exercise_code),
    CONSTRAINT session_analyses_exercise_code_check CHECK (char_length(exercise_code) <= 64 AND exercise_code ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT session_analyses_model_version_check CHECK (char_length(model_version) BETWEEN 1 AND 64),
    CONSTRAINT session_analyses_reps_check CHECK (
        (reps_prescribed IS NULL OR reps_prescribed BETWEEN 1 AND 1000)
        AND reps_analyzed >= 0 AND reps_valid BETWEEN 0 AND reps_analyzed),
    CONSTRAINT session_analyses_form_scores_check CHECK (
        avg_form_score BETWEEN 0 AND 100 AND min_form_score BETWEEN 0 AND 100 AND max_form_score BETWEEN 0 AND 100
        AND min_form_score <= avg_form_score AND avg_form_score <= max_form_score),
    CONSTRAINT session_analyses_avg_rom_degrees_check CHECK (avg_rom_degrees BETWEEN 0 AND 360),
    CONSTRAINT session_analyses_target_rom_degrees_check CHECK (target_rom_degrees > 0 AND target_rom_degrees <= 360),
    CONSTRAINT session_analyses_avg_rep_duration_ms_check CHECK (avg_rep_duration_ms BETWEEN 1 AND 600000),
    CONSTRAINT session_analyses_symmetry_score_check CHECK (symmetry_score BETWEEN 0 AND 100),
    CONSTRAINT session_analyses_fault_counts_check CHECK (jsonb_typeof(fault_counts) = 'object'),
    CONSTRAINT session_analyses_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE quality.session_analyses IS
    'Pose-analysis result of one exercise performed in one session (ExerciseSetAnalyzed events).';
COMMENT ON COLUMN quality.session_analyses.patient_id IS 'Patient (foreign key to quality.patient_summaries).';
COMMENT ON COLUMN quality.session_analyses.session_id IS 'Exercise session (soft reference to adherence.session_logs.id: another domain).';
COMMENT ON COLUMN quality.session_analyses.exercise_code IS 'Exercise from the catalogue, e.g. sit_to_stand, straight_leg_raise.';
COMMENT ON COLUMN quality.session_analyses.model_version IS 'Version of the pose-estimation model that scored the repetitions.';
COMMENT ON COLUMN quality.session_analyses.avg_form_score IS 'Mean form score (0-100) of the analysed repetitions; NULL when none could be scored.';
COMMENT ON COLUMN quality.session_analyses.symmetry_score IS 'Left/right symmetry (0-100) for bilateral exercises; NULL otherwise.';
COMMENT ON COLUMN quality.session_analyses.fault_counts IS
    'Form faults detected and their number of repetitions, e.g. {"knee_valgus": 3, "trunk_lean": 1}. GIN-indexed: fault_counts ? ''knee_valgus''.';

CREATE INDEX session_analyses_patient_id_analyzed_at_idx ON quality.session_analyses (patient_id, analyzed_at DESC);
CREATE INDEX session_analyses_fault_counts_gin_idx ON quality.session_analyses USING gin (fault_counts);

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE quality.rep_analyses (
    id                    uuid          NOT NULL DEFAULT gen_random_uuid(),
    session_analysis_id   uuid          NOT NULL,
    rep_number            integer       NOT NULL,
    performed_at          timestamptz   NOT NULL,
    form_score            numeric(5,2)  NOT NULL,
    rom_degrees           numeric(5,2),
    duration_ms           integer       NOT NULL,
    is_valid              boolean       NOT NULL,
    faults                text[]        NOT NULL DEFAULT '{}'::text[],
    pose_confidence       numeric(4,3),
    last_event_position   bigint        NOT NULL DEFAULT 0,
    created_at            timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT rep_analyses_pkey PRIMARY KEY (id),
    CONSTRAINT rep_analyses_session_analysis_id_fkey FOREIGN KEY (session_analysis_id)
        REFERENCES quality.session_analyses (id) ON DELETE CASCADE,
    CONSTRAINT rep_analyses_session_analysis_id_rep_number_key UNIQUE (session_analysis_id, rep_number),
    CONSTRAINT rep_analyses_rep_number_check CHECK (rep_number BETWEEN 1 AND 1000),
    CONSTRAINT rep_analyses_form_score_check CHECK (form_score BETWEEN 0 AND 100),
    CONSTRAINT rep_analyses_rom_degrees_check CHECK (rom_degrees BETWEEN 0 AND 360),
    CONSTRAINT rep_analyses_duration_ms_check CHECK (duration_ms BETWEEN 1 AND 600000),
    CONSTRAINT rep_analyses_pose_confidence_check CHECK (pose_confidence BETWEEN 0 AND 1),
    CONSTRAINT rep_analyses_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE quality.rep_analyses IS
    'Score of one repetition within an analysed exercise set. The largest quality table: keep it narrow.';
COMMENT ON COLUMN quality.rep_analyses.session_analysis_id IS 'The analysed exercise set (foreign key to quality.session_analyses).';
COMMENT ON COLUMN quality.rep_analyses.rep_number IS 'Position of the repetition in the set, from 1.';
COMMENT ON COLUMN quality.rep_analyses.form_score IS 'Form score of the repetition, 0-100.';
COMMENT ON COLUMN quality.rep_analyses.rom_degrees IS 'Range of motion of the tracked joint, degrees.';
COMMENT ON COLUMN quality.rep_analyses.is_valid IS 'Counted as a valid repetition (within tolerance).';
COMMENT ON COLUMN quality.rep_analyses.faults IS 'Fault codes detected in this repetition (keys of session_analyses.fault_counts).';
COMMENT ON COLUMN quality.rep_analyses.pose_confidence IS 'Mean keypoint confidence of the pose model, 0-1.';

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE quality.trend_snapshots (
    id                    uuid                    NOT NULL DEFAULT gen_random_uuid(),
    patient_id            uuid                    NOT NULL,
    period                quality.snapshot_period NOT NULL,
    period_start          date                    NOT NULL,
    sessions_analyzed     integer                 NOT NULL DEFAULT 0,
    reps_analyzed         integer                 NOT NULL DEFAULT 0,
    avg_form_score        numeric(5,2),
    avg_rom_pct           numeric(5,2),
    form_score_change     numeric(5,2),
    direction             quality.trend_direction NOT NULL DEFAULT 'insufficient_data',
    last_event_position   bigint                  NOT NULL DEFAULT 0,
    created_at            timestamptz             NOT NULL DEFAULT now(),
    updated_at            timestamptz             NOT NULL DEFAULT now(),
    CONSTRAINT trend_snapshots_pkey PRIMARY KEY (id),
    CONSTRAINT trend_snapshots_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES quality.patient_summaries (patient_id) ON DELETE CASCADE,
    CONSTRAINT trend_snapshots_patient_id_period_period_start_key UNIQUE (patient_id, period, period_start),
    CONSTRAINT trend_snapshots_period_start_check CHECK (
        (period = 'week' AND EXTRACT(ISODOW FROM period_start) = 1)
        OR (period = 'month' AND EXTRACT(DAY FROM period_start) = 1)),
    CONSTRAINT trend_snapshots_counts_check CHECK (sessions_analyzed >= 0 AND reps_analyzed >= 0),
    CONSTRAINT trend_snapshots_avg_form_score_check CHECK (avg_form_score BETWEEN 0 AND 100),
    CONSTRAINT trend_snapshots_avg_rom_pct_check CHECK (avg_rom_pct BETWEEN 0 AND 100),
    CONSTRAINT trend_snapshots_form_score_change_check CHECK (form_score_change BETWEEN -100 AND 100),
    CONSTRAINT trend_snapshots_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE quality.trend_snapshots IS
    'Quality of one patient over one week or month, compared with the previous period.';
COMMENT ON COLUMN quality.trend_snapshots.patient_id IS 'Patient (foreign key to quality.patient_summaries).';
COMMENT ON COLUMN quality.trend_snapshots.period_start IS 'First day of the period: a Monday for week, day 1 for month.';
COMMENT ON COLUMN quality.trend_snapshots.form_score_change IS 'avg_form_score minus that of the previous period of the same length; NULL for the first one.';
COMMENT ON COLUMN quality.trend_snapshots.direction IS 'improving / stable / declining from form_score_change and its noise threshold.';

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE quality.alerts (
    id                    uuid                   NOT NULL DEFAULT gen_random_uuid(),
    patient_id            uuid                   NOT NULL,
    session_analysis_id   uuid,
    therapist_id          uuid,
    alert_type            text                   NOT NULL,
    severity              quality.alert_severity NOT NULL,
    status                quality.alert_status   NOT NULL DEFAULT 'open',
    title                 text                   NOT NULL,
    evidence              jsonb                  NOT NULL DEFAULT '{}'::jsonb,
    triggered_at          timestamptz            NOT NULL,
    acknowledged_at       timestamptz,
    acknowledged_by       uuid,
    resolved_at           timestamptz,
    resolved_by           uuid,
    resolution_note       text,
    last_event_position   bigint                 NOT NULL DEFAULT 0,
    created_at            timestamptz            NOT NULL DEFAULT now(),
    updated_at            timestamptz            NOT NULL DEFAULT now(),
    CONSTRAINT alerts_pkey PRIMARY KEY (id),
    CONSTRAINT alerts_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES quality.patient_summaries (patient_id) ON DELETE CASCADE,
    CONSTRAINT alerts_session_analysis_id_fkey FOREIGN KEY (session_analysis_id)
        REFERENCES quality.session_analyses (id) ON DELETE SET NULL,
    CONSTRAINT alerts_alert_type_check CHECK (char_length(alert_type) <= 64 AND alert_type ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT alerts_title_check CHECK (char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT alerts_evidence_check CHECK (jsonb_typeof(evidence) = 'object'),
    CONSTRAINT alerts_acknowledged_check CHECK (
        (acknowledged_at IS NULL OR acknowledged_at >= triggered_at)
        AND (status <> 'acknowledged' OR acknowledged_at IS NOT NULL)),
    CONSTRAINT alerts_closed_check CHECK (
        (status IN ('resolved', 'dismissed')) = (resolved_at IS NOT NULL)
        AND (resolved_at IS NULL OR resolved_at >= triggered_at)),
    CONSTRAINT alerts_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE quality.alerts IS
    'Clinical quality alerts raised from analysis results (form degradation, ROM regression, pain spikes...) and their handling.';
COMMENT ON COLUMN quality.alerts.patient_id IS 'Patient (foreign key to quality.patient_summaries).';
COMMENT ON COLUMN quality.alerts.session_analysis_id IS 'Analysis that triggered the alert, if a single one did.';
COMMENT ON COLUMN quality.alerts.therapist_id IS 'Therapist to notify (soft reference to auth.users.id).';
COMMENT ON COLUMN quality.alerts.alert_type IS 'Rule that fired, e.g. form_degradation, rom_regression, pain_increase, fall_risk.';
COMMENT ON COLUMN quality.alerts.severity IS 'low, medium, high or critical.';
COMMENT ON COLUMN quality.alerts.status IS 'open, acknowledged, resolved or dismissed; resolved_at is set exactly when resolved or dismissed.';
COMMENT ON COLUMN quality.alerts.evidence IS
    'Values that made the rule fire, e.g. {"metric": "avg_form_score", "baseline": 82.5, "current": 61.0}. GIN-indexed for @> queries.';
COMMENT ON COLUMN quality.alerts.acknowledged_by IS 'Therapist who acknowledged (soft reference to auth.users.id).';
COMMENT ON COLUMN quality.alerts.resolved_by IS 'Therapist who resolved or dismissed (soft reference to auth.users.id).';

CREATE INDEX alerts_status_created_at_idx ON quality.alerts (status, created_at);
CREATE INDEX alerts_patient_id_triggered_at_idx ON quality.alerts (patient_id, triggered_at DESC);
CREATE INDEX alerts_session_analysis_id_idx ON quality.alerts (session_analysis_id);
CREATE INDEX alerts_therapist_open_idx ON quality.alerts (therapist_id, severity DESC, triggered_at)
    WHERE status IN ('open', 'acknowledged');
CREATE INDEX alerts_evidence_gin_idx ON quality.alerts USING gin (evidence jsonb_path_ops);
