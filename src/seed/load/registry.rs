//! The table registry: every table a seed fills, declared once, in load order (parents before children),
//! with the columns each COPY sends (in that order) and how its rows reach the server. The loader, the
//! summary, the `--replace` emptying, the sink's field-count check and the tests all read this one list.

/// How a table's rows reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    /// Sent while they are generated, through a bounded channel (the one COPY that overlaps generation).
    Streamed,
    /// Buffered (spilling to a temporary file) and sent after the streamed table.
    Buffered,
}

/// One seeded table.
#[derive(Debug)]
pub struct TableSpec {
    /// Schema-qualified name.
    pub name: &'static str,
    /// COPY columns in the order every row encodes them.
    pub columns: &'static [&'static str],
    pub loading: Loading,
}

/// Declares the `Table` enum and its specs from one list, so a table cannot be added in one place only.
macro_rules! registry {
    ($($table:ident => $name:literal, $loading:ident, [$($column:literal),+ $(,)?];)+) => {
        /// A seeded table; [`Table::spec`] says what it holds.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Table {
            $($table),+
        }

        impl Table {
            /// Every seeded table, in load order.
            pub const ALL: &[Table] = &[$(Table::$table),+];
            /// Their names, in the same order.
            pub const NAMES: &[&str] = &[$($name),+];

            pub fn spec(self) -> &'static TableSpec {
                match self {
                    $(Table::$table => &TableSpec { name: $name, columns: &[$($column),+], loading: Loading::$loading }),+
                }
            }
        }
    };
}

registry! {
    Events => "event_store.events", Streamed, [
        "global_position", "event_id", "stream_id", "stream_type", "stream_version", "event_type",
        "event_schema_version", "data", "metadata", "correlation_id", "causation_id", "occurred_at", "recorded_at",
        "transaction_id",
    ];
    Users => "auth.users", Buffered, [
        "id", "email", "role", "status", "display_name", "password_hash", "mfa_enabled", "mfa_enrolled_at",
        "email_verified_at", "password_changed_at", "last_login_at", "failed_login_attempts", "locked_until",
        "created_at", "updated_at", "deleted_at",
    ];
    TherapistProfiles => "auth.therapist_profiles", Buffered, [
        "user_id", "display_name", "credentials", "npi", "license_number", "license_jurisdiction",
        "license_expires_on", "specialties", "max_caseload", "accepting_new_patients", "time_zone", "created_at",
        "updated_at",
    ];
    PatientProfiles => "auth.patient_profiles", Buffered, [
        "user_id", "mrn", "given_name", "family_name", "date_of_birth", "phone", "primary_therapist_id",
        "clinical_context", "care_started_on", "discharged_on", "time_zone", "created_at", "updated_at",
    ];
    PhiConsents => "auth.phi_consents", Buffered, [
        "id", "patient_id", "grantee_user_id", "scope", "status", "purpose", "terms", "document_version",
        "document_sha256", "capture_method", "recorded_by", "requested_at", "granted_at", "expires_at", "revoked_at",
        "revocation_reason", "created_at", "updated_at",
    ];
    UserSessions => "auth.user_sessions", Buffered, [
        "id", "user_id", "token_hash", "status", "ip_address", "user_agent", "mfa_verified_at", "created_at",
        "last_seen_at", "expires_at", "ended_at",
    ];
    EmergencyAccessLog => "auth.emergency_access_log", Buffered, [
        "id", "user_id", "patient_id", "session_id", "reason", "justification", "started_at", "expires_at",
        "ended_at", "review_status", "reviewed_by", "reviewed_at", "review_notes", "created_at", "updated_at",
    ];
    AuditLog => "audit.audit_log", Buffered, [
        "id", "event_id", "occurred_at", "actor_user_id", "actor_role", "action", "outcome", "resource_type",
        "resource_id", "patient_id", "session_id", "emergency_access_id", "request_id", "ip_address", "user_agent",
        "access_reason", "details",
    ];
    AdherenceSummaries => "adherence.patient_summaries", Buffered, [
        "patient_id", "therapist_id", "program_id", "program_started_on", "sessions_prescribed",
        "sessions_completed", "sessions_partial", "sessions_missed", "adherence_pct", "adherence_pct_28d",
        "current_streak_days", "longest_streak_days", "total_active_minutes", "first_session_at", "last_session_at",
        "next_session_due_at", "last_event_position", "created_at", "updated_at",
    ];
    SessionLogs => "adherence.session_logs", Buffered, [
        "id", "patient_id", "therapist_id", "program_id", "status", "scheduled_for", "started_at", "ended_at",
        "duration_seconds", "exercises_prescribed", "exercises_completed", "reps_completed", "completion_pct",
        "pain_before", "pain_after", "perceived_exertion", "last_event_position", "created_at", "updated_at",
    ];
    MissedSessions => "adherence.missed_sessions", Buffered, [
        "id", "patient_id", "therapist_id", "program_id", "scheduled_for", "detected_at", "reason", "reason_detail",
        "abandoned_session_id", "made_up_by_session_id", "therapist_notified_at", "last_event_position",
        "created_at", "updated_at",
    ];
    WeeklySnapshots => "adherence.weekly_snapshots", Buffered, [
        "id", "patient_id", "week_start", "sessions_prescribed", "sessions_completed", "sessions_partial",
        "sessions_missed", "adherence_pct", "active_minutes", "avg_pain_level", "last_event_position", "created_at",
        "updated_at",
    ];
    QualitySummaries => "quality.patient_summaries", Buffered, [
        "patient_id", "therapist_id", "sessions_analyzed", "reps_analyzed", "reps_valid", "avg_form_score",
        "best_form_score", "latest_form_score", "avg_rom_pct", "form_trend", "open_alerts", "last_analyzed_at",
        "last_event_position", "created_at", "updated_at",
    ];
    SessionAnalyses => "quality.session_analyses", Buffered, [
        "id", "patient_id", "session_id", "therapist_id", "exercise_code", "analyzed_at", "model_version",
        "reps_prescribed", "reps_analyzed", "reps_valid", "avg_form_score", "min_form_score", "max_form_score",
        "avg_rom_degrees", "target_rom_degrees", "avg_rep_duration_ms", "symmetry_score", "fault_counts",
        "last_event_position", "created_at", "updated_at",
    ];
    RepAnalyses => "quality.rep_analyses", Buffered, [
        "id", "session_analysis_id", "rep_number", "performed_at", "form_score", "rom_degrees", "duration_ms",
        "is_valid", "faults", "pose_confidence", "last_event_position", "created_at",
    ];
    TrendSnapshots => "quality.trend_snapshots", Buffered, [
        "id", "patient_id", "period", "period_start", "sessions_analyzed", "reps_analyzed", "avg_form_score",
        "avg_rom_pct", "form_score_change", "direction", "last_event_position", "created_at", "updated_at",
    ];
    Alerts => "quality.alerts", Buffered, [
        "id", "patient_id", "session_analysis_id", "therapist_id", "alert_type", "severity", "status", "title",
        "evidence", "triggered_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
        "resolution_note", "last_event_position", "created_at", "updated_at",
    ];
    Templates => "work_queue.templates", Buffered, [
        "id", "code", "name", "description", "kind", "default_priority", "due_within_hours", "estimated_minutes",
        "trigger_rules", "checklist", "is_active", "version", "last_event_position", "created_at", "updated_at",
        "deleted_at",
    ];
    Items => "work_queue.items", Buffered, [
        "id", "template_id", "patient_id", "assigned_therapist_id", "kind", "title", "status", "priority",
        "priority_score", "source_type", "source_id", "source_event_id", "context", "due_at", "snoozed_until",
        "assigned_at", "started_at", "completed_at", "cancelled_at", "outcome_note", "last_event_position",
        "created_at", "updated_at",
    ];
    TherapistCapacity => "work_queue.therapist_capacity", Buffered, [
        "therapist_id", "max_active_items", "active_items", "max_caseload", "caseload", "weekly_available_minutes",
        "assigned_minutes", "accepting_new_work", "unavailable_until", "last_event_position", "created_at",
        "updated_at",
    ];
    PatientPriorities => "work_queue.patient_priorities", Buffered, [
        "patient_id", "therapist_id", "priority", "priority_score", "factors", "adherence_pct", "avg_form_score",
        "open_alerts", "open_items", "days_since_last_session", "last_contact_at", "computed_at",
        "last_event_position", "created_at", "updated_at",
    ];
    DailyMetrics => "work_queue.daily_metrics", Buffered, [
        "id", "therapist_id", "metric_date", "items_created", "items_assigned", "items_completed", "items_cancelled",
        "items_overdue", "backlog_end_of_day", "avg_completion_minutes", "on_time_pct", "minutes_worked",
        "last_event_position", "created_at", "updated_at",
    ];
    ProjectionVersions => "projections.projection_versions", Buffered, [
        "projection_name", "projection_version", "last_position", "last_event_at", "events_processed",
        "rebuild_state", "rebuild_started_at", "rebuild_completed_at", "rebuild_target_position", "last_error",
        "last_error_at", "consecutive_failures", "created_at", "updated_at",
    ];
}

impl Table {
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Fields in every row of this table (binary COPY sends all of them).
    pub fn width(self) -> i16 {
        i16::try_from(self.spec().columns.len()).expect("a table has fewer than 32768 columns")
    }

    /// Position in [`Table::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// `COPY name (columns) FROM STDIN (FORMAT binary, FREEZE)`.
    pub fn copy_in_sql(self) -> String {
        let spec = self.spec();
        format!("COPY {} ({}) FROM STDIN (FORMAT binary, FREEZE)", spec.name, spec.columns.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::{Loading, Table};

    #[test]
    fn every_table_is_listed_once_in_order_and_only_the_events_stream() {
        let mut names = Table::NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Table::ALL.len());
        for (i, table) in Table::ALL.iter().enumerate() {
            assert_eq!(table.index(), i);
            assert_eq!(table.name(), Table::NAMES[i]);
            assert_eq!(table.spec().loading == Loading::Streamed, *table == Table::Events);
        }
    }
}
