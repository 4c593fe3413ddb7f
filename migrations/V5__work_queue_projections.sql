-- V5 work_queue_projections: read models of the therapists' work queue (what to do next, for whom).
-- Derived from events; patient_id, therapist ids and source ids are soft references (no foreign key
-- out of the schema); inside the schema, real keys. Templates are soft-deleted (deleted_at) because
-- items keep pointing at them.

CREATE SCHEMA work_queue;
COMMENT ON SCHEMA work_queue IS
    'Work queue projections: items to handle, their templates, therapist capacity, patient priority and daily metrics.';

CREATE TYPE work_queue.item_status AS ENUM (
    'pending', 'assigned', 'in_progress', 'snoozed', 'completed', 'cancelled'
);
COMMENT ON TYPE work_queue.item_status IS
    'pending: waiting for an owner; assigned: has an owner; in_progress: being worked on; snoozed: hidden until snoozed_until; completed and cancelled: closed.';

CREATE TYPE work_queue.item_priority AS ENUM ('low', 'normal', 'high', 'urgent');
COMMENT ON TYPE work_queue.item_priority IS 'Ordered: low < normal < high < urgent, so ORDER BY priority DESC lists the most urgent first.';

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE work_queue.templates (
    id                    uuid                     NOT NULL DEFAULT gen_random_uuid(),
    code                  text                     NOT NULL,
    name                  text                     NOT NULL,
    description           text,
    kind                  text                     NOT NULL,
    default_priority      work_queue.item_priority NOT NULL DEFAULT 'normal',
    due_within_hours      integer,
    estimated_minutes     smallint                 NOT NULL DEFAULT 15,
    trigger_rules         jsonb                    NOT NULL DEFAULT '{}'::jsonb,
    checklist             text[]                   NOT NULL DEFAULT '{}'::text[],
    is_active             boolean                  NOT NULL DEFAULT true,
    version               integer                  NOT NULL DEFAULT 1,
    last_event_position   bigint                   NOT NULL DEFAULT 0,
    created_at            timestamptz              NOT NULL DEFAULT now(),
    updated_at            timestamptz              NOT NULL DEFAULT now(),
    deleted_at            timestamptz,
    CONSTRAINT templates_pkey PRIMARY KEY (id),
    CONSTRAINT templates_code_check CHECK (char_length(code) <= 64 AND code ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT templates_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT templates_kind_check CHECK (char_length(kind) <= 64 AND kind ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT templates_due_within_hours_check CHECK (due_within_hours BETWEEN 1 AND 8760),
    CONSTRAINT templates_estimated_minutes_check CHECK (estimated_minutes BETWEEN 1 AND 480),
    CONSTRAINT templates_trigger_rules_check CHECK (jsonb_typeof(trigger_rules) = 'object'),
    CONSTRAINT templates_version_check CHECK (version >= 1),
    CONSTRAINT templates_deleted_check CHECK (deleted_at IS NULL OR (NOT is_active AND deleted_at >= created_at)),
    CONSTRAINT templates_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE work_queue.templates IS
    'Kinds of work item and the rules that create them (e.g. review a high-severity quality alert within 24 h). Soft-deleted: deleted_at.';
COMMENT ON COLUMN work_queue.templates.code IS 'Stable key, unique among templates not deleted, e.g. alert_review.';
COMMENT ON COLUMN work_queue.templates.kind IS 'Kind copied to the items created from the template, e.g. alert_review, missed_session_follow_up.';
COMMENT ON COLUMN work_queue.templates.due_within_hours IS 'Items are due this many hours after creation; NULL = no due date.';
COMMENT ON COLUMN work_queue.templates.trigger_rules IS
    'Events that create an item, e.g. {"event_type": "QualityAlertRaised", "severity": ["high", "critical"]}. GIN-indexed: trigger_rules @> ''{"event_type": "..."}''.';
COMMENT ON COLUMN work_queue.templates.checklist IS 'Steps shown to the therapist, in order.';
COMMENT ON COLUMN work_queue.templates.deleted_at IS 'Soft delete: set instead of deleting, since items keep referring to the template.';

CREATE UNIQUE INDEX templates_code_key ON work_queue.templates (code) WHERE deleted_at IS NULL;
CREATE INDEX templates_trigger_rules_gin_idx ON work_queue.templates USING gin (trigger_rules jsonb_path_ops);

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE work_queue.items (
    id                     uuid                     NOT NULL DEFAULT gen_random_uuid(),
    template_id            uuid,
    patient_id             uuid                     NOT NULL,
    assigned_therapist_id  uuid,
    kind                   text                     NOT NULL,
    title                  text                     NOT NULL,
    status                 work_queue.item_status   NOT NULL DEFAULT 'pending',
    priority               work_queue.item_priority NOT NULL DEFAULT 'normal',
    priority_score         numeric(5,2)             NOT NULL DEFAULT 50,
    source_type            text,
    source_id              uuid,
    source_event_id        uuid,
    context                jsonb                    NOT NULL DEFAULT '{}'::jsonb,
    due_at                 timestamptz,
    snoozed_until          timestamptz,
    assigned_at            timestamptz,
    started_at             timestamptz,
    completed_at           timestamptz,
    cancelled_at           timestamptz,
    outcome_note           text,
    last_event_position    bigint                   NOT NULL DEFAULT 0,
    created_at             timestamptz              NOT NULL DEFAULT now(),
    updated_at             timestamptz              NOT NULL DEFAULT now(),
    CONSTRAINT items_pkey PRIMARY KEY (id),
    CONSTRAINT items_template_id_fkey FOREIGN KEY (template_id)
        REFERENCES work_queue.templates (id) ON DELETE SET NULL,
    CONSTRAINT items_kind_check CHECK (char_length(kind) <= 64 AND kind ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT items_title_check CHECK (char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT items_priority_score_check CHECK (priority_score BETWEEN 0 AND 100),
    CONSTRAINT items_source_check CHECK (
        (source_type IS NULL) = (source_id IS NULL)
        AND (source_type IS NULL OR (char_length(source_type) <= 64 AND source_type ~ '^[a-z][a-z0-9_.]*$'))),
    CONSTRAINT items_context_check CHECK (jsonb_typeof(context) = 'object'),
    CONSTRAINT items_owner_check CHECK (
        status NOT IN ('assigned', 'in_progress') OR (assigned_therapist_id IS NOT NULL AND assigned_at IS NOT NULL)),
    CONSTRAINT items_snoozed_check CHECK (status <> 'snoozed' OR snoozed_until IS NOT NULL),
    CONSTRAINT items_in_progress_check CHECK (status <> 'in_progress' OR started_at IS NOT NULL),
    CONSTRAINT items_completed_check CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CONSTRAINT items_cancelled_check CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CONSTRAINT items_timeline_check CHECK (
        (assigned_at IS NULL OR assigned_at >= created_at)
        AND (completed_at IS NULL OR completed_at >= created_at)
        AND (cancelled_at IS NULL OR cancelled_at >= created_at)),
    CONSTRAINT items_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE work_queue.items IS
    'One actionable task for a therapist about a patient (review an alert, follow up missed sessions, progress review...).';
COMMENT ON COLUMN work_queue.items.template_id IS 'Template the item was created from; NULL for an ad-hoc item.';
COMMENT ON COLUMN work_queue.items.patient_id IS 'Patient concerned (soft reference to auth.users.id, no foreign key).';
COMMENT ON COLUMN work_queue.items.assigned_therapist_id IS 'Owner (soft reference to auth.users.id); required in status assigned and in_progress.';
COMMENT ON COLUMN work_queue.items.status IS 'pending, assigned, in_progress, snoozed, completed or cancelled.';
COMMENT ON COLUMN work_queue.items.priority IS 'Priority tier; priority_score orders items within a tier.';
COMMENT ON COLUMN work_queue.items.priority_score IS '0-100, from the patient priority and the age of the item.';
COMMENT ON COLUMN work_queue.items.source_type IS 'What the item is about, e.g. quality.alert or adherence.missed_session.';
COMMENT ON COLUMN work_queue.items.source_id IS 'Id of that source row (soft reference: another domain).';
COMMENT ON COLUMN work_queue.items.source_event_id IS 'event_store.events.event_id that created the item (soft reference).';
COMMENT ON COLUMN work_queue.items.context IS
    'Facts shown with the item, e.g. {"alert_type": "form_degradation", "severity": "high"}. GIN-indexed for @> queries.';

CREATE INDEX items_status_created_at_idx ON work_queue.items (status, created_at);
CREATE INDEX items_template_id_idx ON work_queue.items (template_id);
CREATE INDEX items_therapist_queue_idx ON work_queue.items (assigned_therapist_id, status, priority DESC, due_at);
CREATE INDEX items_unassigned_idx ON work_queue.items (priority DESC, priority_score DESC, created_at)
    WHERE status = 'pending';
CREATE INDEX items_patient_id_created_at_idx ON work_queue.items (patient_id, created_at DESC);
CREATE INDEX items_source_idx ON work_queue.items (source_type, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX items_context_gin_idx ON work_queue.items USING gin (context jsonb_path_ops);

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE work_queue.therapist_capacity (
    therapist_id              uuid         NOT NULL,
    max_active_items          integer      NOT NULL DEFAULT 25,
    active_items              integer      NOT NULL DEFAULT 0,
    max_caseload              integer      NOT NULL DEFAULT 40,
    caseload                  integer      NOT NULL DEFAULT 0,
    weekly_available_minutes  integer      NOT NULL DEFAULT 2400,
    assigned_minutes          integer      NOT NULL DEFAULT 0,
    accepting_new_work        boolean      NOT NULL DEFAULT true,
    unavailable_until         timestamptz,
    last_event_position       bigint       NOT NULL DEFAULT 0,
    created_at                timestamptz  NOT NULL DEFAULT now(),
    updated_at                timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT therapist_capacity_pkey PRIMARY KEY (therapist_id),
    CONSTRAINT therapist_capacity_items_check CHECK (max_active_items BETWEEN 1 AND 1000 AND active_items >= 0),
    CONSTRAINT therapist_capacity_caseload_check CHECK (max_caseload BETWEEN 1 AND 500 AND caseload >= 0),
    CONSTRAINT therapist_capacity_minutes_check CHECK (
        weekly_available_minutes BETWEEN 0 AND 10080 AND assigned_minutes >= 0),
    CONSTRAINT therapist_capacity_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE work_queue.therapist_capacity IS
    'One row per therapist: how much work they can take and how much they hold, for assignment and load balancing.';
COMMENT ON COLUMN work_queue.therapist_capacity.therapist_id IS 'Therapist (soft reference to auth.users.id, no foreign key).';
COMMENT ON COLUMN work_queue.therapist_capacity.active_items IS 'Items assigned to the therapist in status assigned, in_progress or snoozed. May exceed max_active_items after a manual assignment.';
COMMENT ON COLUMN work_queue.therapist_capacity.caseload IS 'Patients whose treating therapist this is.';
COMMENT ON COLUMN work_queue.therapist_capacity.assigned_minutes IS 'Sum of estimated minutes of the active items.';
COMMENT ON COLUMN work_queue.therapist_capacity.unavailable_until IS 'Leave or absence: no automatic assignment before this time.';

CREATE INDEX therapist_capacity_available_idx ON work_queue.therapist_capacity (active_items)
    WHERE accepting_new_work;

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE work_queue.patient_priorities (
    patient_id                uuid                     NOT NULL,
    therapist_id              uuid,
    priority                  work_queue.item_priority NOT NULL DEFAULT 'normal',
    priority_score            numeric(5,2)             NOT NULL DEFAULT 0,
    factors                   jsonb                    NOT NULL DEFAULT '{}'::jsonb,
    adherence_pct             numeric(5,2),
    avg_form_score            numeric(5,2),
    open_alerts               integer                  NOT NULL DEFAULT 0,
    open_items                integer                  NOT NULL DEFAULT 0,
    days_since_last_session   integer,
    last_contact_at           timestamptz,
    computed_at               timestamptz              NOT NULL DEFAULT now(),
    last_event_position       bigint                   NOT NULL DEFAULT 0,
    created_at                timestamptz              NOT NULL DEFAULT now(),
    updated_at                timestamptz              NOT NULL DEFAULT now(),
    CONSTRAINT patient_priorities_pkey PRIMARY KEY (patient_id),
    CONSTRAINT patient_priorities_priority_score_check CHECK (priority_score BETWEEN 0 AND 100),
    CONSTRAINT patient_priorities_factors_check CHECK (jsonb_typeof(factors) = 'object'),
    CONSTRAINT patient_priorities_adherence_pct_check CHECK (adherence_pct BETWEEN 0 AND 100),
    CONSTRAINT patient_priorities_avg_form_score_check CHECK (avg_form_score BETWEEN 0 AND 100),
    CONSTRAINT patient_priorities_counts_check CHECK (
        open_alerts >= 0 AND open_items >= 0 AND days_since_last_session >= 0),
    CONSTRAINT patient_priorities_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE work_queue.patient_priorities IS
    'One row per patient: how urgently they need attention, combining adherence, quality alerts and time since last contact.';
COMMENT ON COLUMN work_queue.patient_priorities.patient_id IS 'Patient (soft reference to auth.users.id, no foreign key).';
COMMENT ON COLUMN work_queue.patient_priorities.therapist_id IS 'Treating therapist (soft reference to auth.users.id).';
COMMENT ON COLUMN work_queue.patient_priorities.priority_score IS '0-100, higher is more urgent; priority is its tier.';
COMMENT ON COLUMN work_queue.patient_priorities.factors IS
    'Contribution of each factor to the score, e.g. {"low_adherence": 30, "critical_alert": 40}. GIN-indexed for @> queries.';
COMMENT ON COLUMN work_queue.patient_priorities.adherence_pct IS 'Copy of adherence.patient_summaries.adherence_pct when computed.';
COMMENT ON COLUMN work_queue.patient_priorities.avg_form_score IS 'Copy of quality.patient_summaries.avg_form_score when computed.';

CREATE INDEX patient_priorities_therapist_id_idx ON work_queue.patient_priorities (therapist_id, priority_score DESC);
CREATE INDEX patient_priorities_factors_gin_idx ON work_queue.patient_priorities USING gin (factors jsonb_path_ops);

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE work_queue.daily_metrics (
    id                        uuid          NOT NULL DEFAULT gen_random_uuid(),
    therapist_id              uuid          NOT NULL,
    metric_date               date          NOT NULL,
    items_created             integer       NOT NULL DEFAULT 0,
    items_assigned            integer       NOT NULL DEFAULT 0,
    items_completed           integer       NOT NULL DEFAULT 0,
    items_cancelled           integer       NOT NULL DEFAULT 0,
    items_overdue             integer       NOT NULL DEFAULT 0,
    backlog_end_of_day        integer       NOT NULL DEFAULT 0,
    avg_completion_minutes    numeric(8,2),
    on_time_pct               numeric(5,2),
    minutes_worked            integer       NOT NULL DEFAULT 0,
    last_event_position       bigint        NOT NULL DEFAULT 0,
    created_at                timestamptz   NOT NULL DEFAULT now(),
    updated_at                timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT daily_metrics_pkey PRIMARY KEY (id),
    CONSTRAINT daily_metrics_therapist_id_metric_date_key UNIQUE (therapist_id, metric_date),
    CONSTRAINT daily_metrics_counts_check CHECK (
        items_created >= 0 AND items_assigned >= 0 AND items_completed >= 0 AND items_cancelled >= 0
        AND items_overdue >= 0 AND backlog_end_of_day >= 0),
    CONSTRAINT daily_metrics_avg_completion_minutes_check CHECK (avg_completion_minutes >= 0),
    CONSTRAINT daily_metrics_on_time_pct_check CHECK (on_time_pct BETWEEN 0 AND 100),
    CONSTRAINT daily_metrics_minutes_worked_check CHECK (minutes_worked BETWEEN 0 AND 1440),
    CONSTRAINT daily_metrics_last_event_position_check CHECK (last_event_position >= 0)
);
COMMENT ON TABLE work_queue.daily_metrics IS
    'Work queue throughput of one therapist on one day; clinic totals are sums over therapists.';
COMMENT ON COLUMN work_queue.daily_metrics.therapist_id IS 'Therapist (soft reference to auth.users.id, no foreign key).';
COMMENT ON COLUMN work_queue.daily_metrics.metric_date IS 'Day, in the clinic''s time zone.';
COMMENT ON COLUMN work_queue.daily_metrics.items_overdue IS 'Open items past due_at at the end of the day.';
COMMENT ON COLUMN work_queue.daily_metrics.backlog_end_of_day IS 'Open items (not completed nor cancelled) at the end of the day.';
COMMENT ON COLUMN work_queue.daily_metrics.avg_completion_minutes IS 'Mean minutes from creation to completion of the items completed that day.';
COMMENT ON COLUMN work_queue.daily_metrics.on_time_pct IS 'Share of the items completed that day before their due_at, 0-100; NULL when none completed.';

CREATE INDEX daily_metrics_metric_date_idx ON work_queue.daily_metrics (metric_date);
