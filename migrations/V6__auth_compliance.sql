-- V6 auth_compliance: users, roles, profiles, PHI consent, sessions, break-glass access (schema auth)
-- and the append-only audit log (schema audit). This is the OLTP side, not a projection: rows are
-- written directly by the application. Projections refer to users by id without foreign keys.
-- Users are soft-deleted (deleted_at); consent, break-glass and audit records are never deleted by
-- the application (HIPAA retention), hence ON DELETE RESTRICT towards them and the guard triggers.

CREATE SCHEMA auth;
COMMENT ON SCHEMA auth IS
    'Authentication, authorisation and HIPAA compliance records: users, profiles, PHI consent, sessions, break-glass access.';

CREATE SCHEMA audit;
COMMENT ON SCHEMA audit IS
    'Append-only audit trail of security-relevant actions and PHI access (HIPAA 45 CFR 164.312(b)).';

CREATE TYPE auth.user_role AS ENUM ('patient', 'therapist', 'clinic_admin', 'compliance_officer', 'system');
COMMENT ON TYPE auth.user_role IS
    'patient; therapist; clinic_admin: manages users and templates; compliance_officer: reads audit logs and reviews break-glass access; system: service accounts.';

CREATE TYPE auth.user_status AS ENUM ('invited', 'active', 'locked', 'suspended', 'deactivated');
COMMENT ON TYPE auth.user_status IS
    'invited: account created, not yet activated; active; locked: too many failed logins (until locked_until); suspended: by an administrator; deactivated: closed (and soft-deleted when deleted_at is set).';

CREATE TYPE auth.consent_scope AS ENUM (
    'treatment', 'remote_monitoring', 'video_recording', 'data_sharing', 'research', 'marketing'
);
COMMENT ON TYPE auth.consent_scope IS
    'Purpose a PHI consent covers: treatment; remote_monitoring (exercise data from devices); video_recording (camera pose analysis); data_sharing (with a named third party); research; marketing.';

CREATE TYPE auth.consent_status AS ENUM ('pending', 'granted', 'denied', 'revoked', 'expired');
COMMENT ON TYPE auth.consent_status IS
    'pending: requested, not answered; granted; denied; revoked by the patient; expired: expires_at passed (set by a sweeper job).';

CREATE TYPE auth.session_status AS ENUM ('active', 'logged_out', 'expired', 'revoked');
COMMENT ON TYPE auth.session_status IS 'active; logged_out by the user; expired (absolute or idle timeout); revoked by an administrator or a password change.';

CREATE TYPE auth.emergency_reason AS ENUM (
    'medical_emergency', 'patient_unable_to_consent', 'continuity_of_care', 'legal_requirement'
);
COMMENT ON TYPE auth.emergency_reason IS 'Category of the justification for a break-glass access.';

CREATE TYPE auth.emergency_review_status AS ENUM ('pending', 'justified', 'unjustified');
COMMENT ON TYPE auth.emergency_review_status IS 'Outcome of the compliance review every break-glass access must receive.';

CREATE TYPE audit.audit_action AS ENUM (
    'login', 'logout', 'mfa_verify', 'password_change', 'session_revoke',
    'user_create', 'user_update', 'user_deactivate', 'role_change',
    'phi_view', 'phi_create', 'phi_update', 'phi_delete', 'phi_export',
    'consent_grant', 'consent_revoke', 'emergency_access_start', 'emergency_access_end',
    'data_retention_purge'
);
COMMENT ON TYPE audit.audit_action IS 'What was done. The outcome (success, failure, denied) is a separate column.';

CREATE TYPE audit.audit_outcome AS ENUM ('success', 'failure', 'denied');
COMMENT ON TYPE audit.audit_outcome IS 'success; failure: the action failed (e.g. wrong password); denied: refused by authorisation or consent.';

-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION auth.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION auth.set_updated_at() IS 'Trigger function: sets updated_at to the transaction time on every UPDATE.';

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE auth.users (
    id                     uuid             NOT NULL DEFAULT gen_random_uuid(),
    email                  text             NOT NULL,
    role                   auth.user_role   NOT NULL,
    status                 auth.user_status NOT NULL DEFAULT 'invited',
    display_name           text,
    password_hash          text,
    mfa_enabled            boolean          NOT NULL DEFAULT false,
    mfa_enrolled_at        timestamptz,
    email_verified_at      timestamptz,
    password_changed_at    timestamptz,
    last_login_at          timestamptz,
    failed_login_attempts  smallint         NOT NULL DEFAULT 0,
    locked_until           timestamptz,
    created_at             timestamptz      NOT NULL DEFAULT now(),
    updated_at             timestamptz      NOT NULL DEFAULT now(),
    deleted_at             timestamptz,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_check CHECK (
        email = lower(email) AND char_length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    CONSTRAINT users_display_name_check CHECK (char_length(display_name) BETWEEN 1 AND 200),
    CONSTRAINT users_password_hash_check CHECK (password_hash ~ '^\$(argon2id|argon2i|2[aby]|scrypt)\$'),
    CONSTRAINT users_mfa_check CHECK (NOT mfa_enabled OR mfa_enrolled_at IS NOT NULL),
    CONSTRAINT users_failed_login_attempts_check CHECK (failed_login_attempts BETWEEN 0 AND 1000),
    CONSTRAINT users_locked_check CHECK (status <> 'locked' OR locked_until IS NOT NULL),
    CONSTRAINT users_deleted_check CHECK (deleted_at IS NULL OR (status = 'deactivated' AND deleted_at >= created_at))
);
COMMENT ON TABLE auth.users IS
    'Every account: patients, therapists, staff and service accounts. Soft-deleted (deleted_at), never hard-deleted while consent, break-glass or audit records refer to it.';
COMMENT ON COLUMN auth.users.id IS 'User id; projections and the event store refer to it without foreign keys.';
COMMENT ON COLUMN auth.users.email IS 'Login, stored lower-case; unique among users not deleted.';
COMMENT ON COLUMN auth.users.role IS 'patient, therapist, clinic_admin, compliance_officer or system.';
COMMENT ON COLUMN auth.users.status IS 'invited, active, locked, suspended or deactivated.';
COMMENT ON COLUMN auth.users.display_name IS 'Name shown in the UI. For patients it is PHI: prefer auth.patient_profiles.';
COMMENT ON COLUMN auth.users.password_hash IS 'PHC string (argon2id preferred, bcrypt or scrypt accepted); NULL for SSO-only, invited and service accounts. Never a plain password.';
COMMENT ON COLUMN auth.users.locked_until IS 'End of an automatic lock after failed logins.';
COMMENT ON COLUMN auth.users.deleted_at IS 'Soft delete; requires status deactivated. The email becomes reusable.';

CREATE UNIQUE INDEX users_email_key ON auth.users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_status_created_at_idx ON auth.users (status, created_at);
CREATE INDEX users_role_idx ON auth.users (role) WHERE deleted_at IS NULL;

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON auth.users
    FOR EACH ROW EXECUTE FUNCTION auth.set_updated_at();

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE auth.therapist_profiles (
    user_id                 uuid         NOT NULL,
    display_name            text         NOT NULL,
    credentials             text,
    npi                     text,
    license_number          text,
    license_jurisdiction    text,
    license_expires_on      date,
    specialties             text[]       NOT NULL DEFAULT '{}'::text[],
    max_caseload            smallint     NOT NULL DEFAULT 40,
    accepting_new_patients  boolean      NOT NULL DEFAULT true,
    time_zone               text         NOT NULL DEFAULT 'UTC',
    created_at              timestamptz  NOT NULL DEFAULT now(),
    updated_at              timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT therapist_profiles_pkey PRIMARY KEY (user_id),
    CONSTRAINT therapist_profiles_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES auth.users (id) ON DELETE CASCADE,
    CONSTRAINT therapist_profiles_npi_key UNIQUE (npi),
    CONSTRAINT therapist_profiles_license_key UNIQUE (license_jurisdiction, license_number),
    CONSTRAINT therapist_profiles_display_name_check CHECK (char_length(display_name) BETWEEN 1 AND 200),
    CONSTRAINT therapist_profiles_npi_check CHECK (npi ~ '^[0-9]{10}$'),
    CONSTRAINT therapist_profiles_license_check CHECK ((license_number IS NULL) = (license_jurisdiction IS NULL)),
    CONSTRAINT therapist_profiles_max_caseload_check CHECK (max_caseload BETWEEN 1 AND 500),
    CONSTRAINT therapist_profiles_time_zone_check CHECK (char_length(time_zone) BETWEEN 1 AND 64)
);
COMMENT ON TABLE auth.therapist_profiles IS 'Professional data of users with role therapist (one row per therapist).';
COMMENT ON COLUMN auth.therapist_profiles.user_id IS 'The therapist''s user (foreign key to auth.users).';
COMMENT ON COLUMN auth.therapist_profiles.credentials IS 'Post-nominal credentials, e.g. PT, DPT, OCS.';
COMMENT ON COLUMN auth.therapist_profiles.npi IS 'US National Provider Identifier (10 digits), if any.';
COMMENT ON COLUMN auth.therapist_profiles.license_jurisdiction IS 'Issuer of the practice licence, e.g. US-CA.';
COMMENT ON COLUMN auth.therapist_profiles.max_caseload IS 'Patients the therapist may treat at once (copied to work_queue.therapist_capacity by events).';
COMMENT ON COLUMN auth.therapist_profiles.time_zone IS 'IANA time zone name, e.g. America/Chicago.';

CREATE TRIGGER therapist_profiles_set_updated_at BEFORE UPDATE ON auth.therapist_profiles
    FOR EACH ROW EXECUTE FUNCTION auth.set_updated_at();

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE auth.patient_profiles (
    user_id               uuid         NOT NULL,
    mrn                   text         NOT NULL,
    given_name            text         NOT NULL,
    family_name           text         NOT NULL,
    date_of_birth         date         NOT NULL,
    phone                 text,
    primary_therapist_id  uuid,
    clinical_context      jsonb        NOT NULL DEFAULT '{}'::jsonb,
    care_started_on       date,
    discharged_on         date,
    time_zone             text         NOT NULL DEFAULT 'UTC',
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT patient_profiles_pkey PRIMARY KEY (user_id),
    CONSTRAINT patient_profiles_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES auth.users (id) ON DELETE CASCADE,
    CONSTRAINT patient_profiles_primary_therapist_id_fkey FOREIGN KEY (primary_therapist_id)
        REFERENCES auth.therapist_profiles (user_id) ON DELETE SET NULL,
    CONSTRAINT patient_profiles_mrn_key UNIQUE (mrn),
    CONSTRAINT patient_profiles_mrn_check CHECK (mrn ~ '^[A-Za-z0-9-]{4,32}$'),
    CONSTRAINT patient_profiles_names_check CHECK (
        char_length(given_name) BETWEEN 1 AND 100 AND char_length(family_name) BETWEEN 1 AND 100),
    CONSTRAINT patient_profiles_date_of_birth_check CHECK (date_of_birth >= DATE '1900-01-01'),
    CONSTRAINT patient_profiles_phone_check CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    CONSTRAINT patient_profiles_clinical_context_check CHECK (jsonb_typeof(clinical_context) = 'object'),
    CONSTRAINT patient_profiles_care_period_check CHECK (
        discharged_on IS NULL OR (care_started_on IS NOT NULL AND discharged_on >= care_started_on)),
    CONSTRAINT patient_profiles_time_zone_check CHECK (char_length(time_zone) BETWEEN 1 AND 64)
);
COMMENT ON TABLE auth.patient_profiles IS
    'Identifying and clinical data of users with role patient (one row per patient). Every column but the ids and dates of care is PHI: read it only under a granted consent or break-glass access, and audit the read.';
COMMENT ON COLUMN auth.patient_profiles.user_id IS 'The patient''s user (foreign key to auth.users).';
COMMENT ON COLUMN auth.patient_profiles.mrn IS 'Medical record number (PHI).';
COMMENT ON COLUMN auth.patient_profiles.given_name IS 'PHI.';
COMMENT ON COLUMN auth.patient_profiles.family_name IS 'PHI.';
COMMENT ON COLUMN auth.patient_profiles.date_of_birth IS 'PHI.';
COMMENT ON COLUMN auth.patient_profiles.phone IS 'E.164 phone number (PHI).';
COMMENT ON COLUMN auth.patient_profiles.primary_therapist_id IS 'Treating therapist (foreign key to auth.therapist_profiles).';
COMMENT ON COLUMN auth.patient_profiles.clinical_context IS
    'Referral data (PHI), e.g. {"icd10": ["M17.11"], "procedure": "total_knee_arthroplasty", "side": "right", "surgery_date": "2025-01-14"}. GIN-indexed for @> queries.';

CREATE INDEX patient_profiles_primary_therapist_id_idx ON auth.patient_profiles (primary_therapist_id);
CREATE INDEX patient_profiles_clinical_context_gin_idx ON auth.patient_profiles USING gin (clinical_context jsonb_path_ops);

CREATE TRIGGER patient_profiles_set_updated_at BEFORE UPDATE ON auth.patient_profiles
    FOR EACH ROW EXECUTE FUNCTION auth.set_updated_at();

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE auth.phi_consents (
    id                   uuid                 NOT NULL DEFAULT gen_random_uuid(),
    patient_id           uuid                 NOT NULL,
    grantee_user_id      uuid,
    scope                auth.consent_scope   NOT NULL,
    status               auth.consent_status  NOT NULL DEFAULT 'pending',
    purpose              text                 NOT NULL,
    terms                jsonb                NOT NULL DEFAULT '{}'::jsonb,
    document_version     text                 NOT NULL,
    document_sha256      bytea,
    capture_method       text                 NOT NULL,
    recorded_by          uuid,
    requested_at         timestamptz          NOT NULL DEFAULT now(),
    granted_at           timestamptz,
    expires_at           timestamptz,
    revoked_at           timestamptz,
    revocation_reason    text,
    created_at           timestamptz          NOT NULL DEFAULT now(),
    updated_at           timestamptz          NOT NULL DEFAULT now(),
    CONSTRAINT phi_consents_pkey PRIMARY KEY (id),
    CONSTRAINT phi_consents_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES auth.patient_profiles (user_id) ON DELETE RESTRICT,
    CONSTRAINT phi_consents_grantee_user_id_fkey FOREIGN KEY (grantee_user_id)
        REFERENCES auth.users (id) ON DELETE RESTRICT,
    CONSTRAINT phi_consents_recorded_by_fkey FOREIGN KEY (recorded_by)
        REFERENCES auth.users (id) ON DELETE RESTRICT,
    CONSTRAINT phi_consents_purpose_check CHECK (char_length(purpose) BETWEEN 1 AND 1000),
    CONSTRAINT phi_consents_terms_check CHECK (jsonb_typeof(terms) = 'object'),
    CONSTRAINT phi_consents_document_version_check CHECK (char_length(document_version) BETWEEN 1 AND 64),
    CONSTRAINT phi_consents_document_sha256_check CHECK (octet_length(document_sha256) = 32),
    CONSTRAINT phi_consents_capture_method_check CHECK (
        capture_method IN ('electronic_signature', 'paper_signature', 'verbal_witnessed')),
    CONSTRAINT phi_consents_granted_check CHECK (
        status NOT IN ('granted', 'revoked', 'expired') OR granted_at IS NOT NULL),
    CONSTRAINT phi_consents_revoked_check CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CONSTRAINT phi_consents_expired_check CHECK (status <> 'expired' OR expires_at IS NOT NULL),
    CONSTRAINT phi_consents_timeline_check CHECK (
        (granted_at IS NULL OR granted_at >= requested_at)
        AND (expires_at IS NULL OR granted_at IS NULL OR expires_at > granted_at)
        AND (revoked_at IS NULL OR revoked_at >= granted_at))
);
COMMENT ON TABLE auth.phi_consents IS
    'Patient authorisations to use or disclose PHI, one row per scope and grantee. Never deleted: a withdrawal is status revoked; a renewal is a new row.';
COMMENT ON COLUMN auth.phi_consents.patient_id IS 'Patient who consents (foreign key to auth.patient_profiles).';
COMMENT ON COLUMN auth.phi_consents.grantee_user_id IS 'User the consent is given to (a therapist, a caregiver); NULL = the patient''s care team.';
COMMENT ON COLUMN auth.phi_consents.scope IS 'Purpose covered: treatment, remote_monitoring, video_recording, data_sharing, research or marketing.';
COMMENT ON COLUMN auth.phi_consents.status IS 'pending, granted, denied, revoked or expired. At most one pending or granted row per patient, scope and grantee.';
COMMENT ON COLUMN auth.phi_consents.terms IS
    'Limits of the consent, e.g. {"data_categories": ["exercise_video", "pose_keypoints"], "recipient": "Acme Research"}. GIN-indexed for @> queries.';
COMMENT ON COLUMN auth.phi_consents.document_version IS 'Version of the consent form the patient agreed to.';
COMMENT ON COLUMN auth.phi_consents.document_sha256 IS 'SHA-256 of the signed document, if stored.';
COMMENT ON COLUMN auth.phi_consents.capture_method IS 'electronic_signature, paper_signature or verbal_witnessed.';
COMMENT ON COLUMN auth.phi_consents.recorded_by IS 'User who recorded the consent (the patient when self-service).';
COMMENT ON COLUMN auth.phi_consents.expires_at IS 'End of validity; NULL = until revoked. A sweeper sets status expired after it.';

CREATE INDEX phi_consents_status_created_at_idx ON auth.phi_consents (status, created_at);
CREATE INDEX phi_consents_patient_id_scope_idx ON auth.phi_consents (patient_id, scope, status);
CREATE INDEX phi_consents_grantee_user_id_idx ON auth.phi_consents (grantee_user_id);
CREATE INDEX phi_consents_recorded_by_idx ON auth.phi_consents (recorded_by);
CREATE INDEX phi_consents_expiring_idx ON auth.phi_consents (expires_at) WHERE status = 'granted';
CREATE INDEX phi_consents_terms_gin_idx ON auth.phi_consents USING gin (terms jsonb_path_ops);
CREATE UNIQUE INDEX phi_consents_one_live_key ON auth.phi_consents
    (patient_id, scope, COALESCE(grantee_user_id, '00000000-0000-0000-0000-000000000000'::uuid))
    WHERE status IN ('pending', 'granted');

CREATE TRIGGER phi_consents_set_updated_at BEFORE UPDATE ON auth.phi_consents
    FOR EACH ROW EXECUTE FUNCTION auth.set_updated_at();

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE auth.user_sessions (
    id                uuid                 NOT NULL DEFAULT gen_random_uuid(),
    user_id           uuid                 NOT NULL,
    token_hash        bytea                NOT NULL,
    status            auth.session_status  NOT NULL DEFAULT 'active',
    ip_address        inet,
    user_agent        text,
    mfa_verified_at   timestamptz,
    created_at        timestamptz          NOT NULL DEFAULT now(),
    last_seen_at      timestamptz          NOT NULL DEFAULT now(),
    expires_at        timestamptz          NOT NULL,
    ended_at          timestamptz,
    CONSTRAINT user_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT user_sessions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES auth.users (id) ON DELETE CASCADE,
    CONSTRAINT user_sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT user_sessions_token_hash_check CHECK (octet_length(token_hash) = 32),
    CONSTRAINT user_sessions_user_agent_check CHECK (char_length(user_agent) <= 1024),
    CONSTRAINT user_sessions_ended_check CHECK ((status = 'active') = (ended_at IS NULL)),
    CONSTRAINT user_sessions_timeline_check CHECK (
        expires_at > created_at AND last_seen_at >= created_at
        AND (ended_at IS NULL OR ended_at >= created_at)
        AND (mfa_verified_at IS NULL OR mfa_verified_at >= created_at))
);
COMMENT ON TABLE auth.user_sessions IS
    'Login sessions. Only a SHA-256 of the bearer token is stored. Short retention: ended sessions may be purged (the audit log keeps their ids).';
COMMENT ON COLUMN auth.user_sessions.user_id IS 'Owner (foreign key to auth.users).';
COMMENT ON COLUMN auth.user_sessions.token_hash IS 'SHA-256 (32 bytes) of the session token; the token itself is never stored.';
COMMENT ON COLUMN auth.user_sessions.status IS 'active, logged_out, expired or revoked; ended_at is set exactly when not active.';
COMMENT ON COLUMN auth.user_sessions.last_seen_at IS 'Last request, for the idle timeout (HIPAA automatic logoff).';
COMMENT ON COLUMN auth.user_sessions.expires_at IS 'Absolute end of the session.';

CREATE INDEX user_sessions_status_created_at_idx ON auth.user_sessions (status, created_at);
CREATE INDEX user_sessions_user_id_status_idx ON auth.user_sessions (user_id, status);
CREATE INDEX user_sessions_active_expires_at_idx ON auth.user_sessions (expires_at) WHERE status = 'active';

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE auth.emergency_access_log (
    id               uuid                          NOT NULL DEFAULT gen_random_uuid(),
    user_id          uuid                          NOT NULL,
    patient_id       uuid                          NOT NULL,
    session_id       uuid,
    reason           auth.emergency_reason         NOT NULL,
    justification    text                          NOT NULL,
    started_at       timestamptz                   NOT NULL DEFAULT now(),
    expires_at       timestamptz                   NOT NULL,
    ended_at         timestamptz,
    review_status    auth.emergency_review_status  NOT NULL DEFAULT 'pending',
    reviewed_by      uuid,
    reviewed_at      timestamptz,
    review_notes     text,
    created_at       timestamptz                   NOT NULL DEFAULT now(),
    updated_at       timestamptz                   NOT NULL DEFAULT now(),
    CONSTRAINT emergency_access_log_pkey PRIMARY KEY (id),
    CONSTRAINT emergency_access_log_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES auth.users (id) ON DELETE RESTRICT,
    CONSTRAINT emergency_access_log_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES auth.patient_profiles (user_id) ON DELETE RESTRICT,
    CONSTRAINT emergency_access_log_reviewed_by_fkey FOREIGN KEY (reviewed_by)
        REFERENCES auth.users (id) ON DELETE RESTRICT,
    CONSTRAINT emergency_access_log_justification_check CHECK (char_length(btrim(justification)) BETWEEN 20 AND 4000),
    CONSTRAINT emergency_access_log_window_check CHECK (
        expires_at > started_at AND expires_at <= started_at + interval '24 hours'),
    CONSTRAINT emergency_access_log_ended_at_check CHECK (ended_at IS NULL OR ended_at >= started_at),
    CONSTRAINT emergency_access_log_review_check CHECK (
        (review_status = 'pending') = (reviewed_at IS NULL)
        AND (reviewed_at IS NULL) = (reviewed_by IS NULL)
        AND (reviewed_at IS NULL OR reviewed_at >= started_at)),
    CONSTRAINT emergency_access_log_no_self_review_check CHECK (reviewed_by <> user_id)
);
COMMENT ON TABLE auth.emergency_access_log IS
    'Break-glass accesses: a user opened a patient''s PHI without consent or assignment. Time-boxed (24 h max), reviewed afterwards by someone else, never deleted; only ended_at and the review columns can change, once.';
COMMENT ON COLUMN auth.emergency_access_log.user_id IS 'User who broke the glass (foreign key to auth.users).';
COMMENT ON COLUMN auth.emergency_access_log.patient_id IS 'Patient whose records were opened (foreign key to auth.patient_profiles).';
COMMENT ON COLUMN auth.emergency_access_log.session_id IS 'Session used (soft reference to auth.user_sessions.id: sessions are purged sooner than this log).';
COMMENT ON COLUMN auth.emergency_access_log.justification IS 'Free-text reason typed by the user, at least 20 characters.';
COMMENT ON COLUMN auth.emergency_access_log.expires_at IS 'End of the access window, at most 24 h after started_at.';
COMMENT ON COLUMN auth.emergency_access_log.ended_at IS 'When the user closed the access early or it lapsed.';
COMMENT ON COLUMN auth.emergency_access_log.review_status IS 'pending until a compliance officer (not the user) marks it justified or unjustified.';
COMMENT ON COLUMN auth.emergency_access_log.reviewed_by IS 'Reviewer (foreign key to auth.users); must differ from user_id.';

CREATE INDEX emergency_access_log_review_status_created_at_idx ON auth.emergency_access_log (review_status, created_at);
CREATE INDEX emergency_access_log_user_id_started_at_idx ON auth.emergency_access_log (user_id, started_at DESC);
CREATE INDEX emergency_access_log_patient_id_started_at_idx ON auth.emergency_access_log (patient_id, started_at DESC);
CREATE INDEX emergency_access_log_reviewed_by_idx ON auth.emergency_access_log (reviewed_by);

CREATE FUNCTION auth.guard_emergency_access_log() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('%s on %I.%I is not allowed: break-glass records are retained', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
            HINT    = 'End the access (ended_at) or review it; records are never removed.',
            SCHEMA  = TG_TABLE_SCHEMA,
            TABLE   = TG_TABLE_NAME;
    END IF;
    IF (NEW.id, NEW.user_id, NEW.patient_id, NEW.session_id, NEW.reason, NEW.justification,
        NEW.started_at, NEW.expires_at, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.user_id, OLD.patient_id, OLD.session_id, OLD.reason, OLD.justification,
        OLD.started_at, OLD.expires_at, OLD.created_at)
       OR (OLD.ended_at IS NOT NULL AND NEW.ended_at IS DISTINCT FROM OLD.ended_at)
       OR (OLD.review_status <> 'pending'
           AND (NEW.review_status, NEW.reviewed_by, NEW.reviewed_at, NEW.review_notes)
               IS DISTINCT FROM (OLD.review_status, OLD.reviewed_by, OLD.reviewed_at, OLD.review_notes))
    THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('break-glass record %s cannot be altered', OLD.id),
            DETAIL  = 'Only ended_at (once) and the review columns (once, while pending) may change.',
            HINT    = 'Start a new emergency access instead of editing an existing one.',
            SCHEMA  = TG_TABLE_SCHEMA,
            TABLE   = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION auth.guard_emergency_access_log() IS
    'Trigger function: refuses DELETE and TRUNCATE of break-glass records and any UPDATE except ending the access or recording its review, each once (SQLSTATE 55000).';

CREATE TRIGGER emergency_access_log_guard_update BEFORE UPDATE ON auth.emergency_access_log
    FOR EACH ROW EXECUTE FUNCTION auth.guard_emergency_access_log();
CREATE TRIGGER emergency_access_log_guard_delete BEFORE DELETE OR TRUNCATE ON auth.emergency_access_log
    FOR EACH STATEMENT EXECUTE FUNCTION auth.guard_emergency_access_log();
CREATE TRIGGER emergency_access_log_set_updated_at BEFORE UPDATE ON auth.emergency_access_log
    FOR EACH ROW EXECUTE FUNCTION auth.set_updated_at();
COMMENT ON TRIGGER emergency_access_log_guard_update ON auth.emergency_access_log IS 'Only ended_at and the review may change, once each.';
COMMENT ON TRIGGER emergency_access_log_guard_delete ON auth.emergency_access_log IS 'Break-glass records are never deleted.';

-- ---------------------------------------------------------------------------------------------------
CREATE TABLE audit.audit_log (
    id                    bigint              GENERATED ALWAYS AS IDENTITY,
    event_id              uuid                NOT NULL DEFAULT gen_random_uuid(),
    occurred_at           timestamptz         NOT NULL DEFAULT now(),
    actor_user_id         uuid,
    actor_role            text,
    action                audit.audit_action  NOT NULL,
    outcome               audit.audit_outcome NOT NULL DEFAULT 'success',
    resource_type         text                NOT NULL,
    resource_id           uuid,
    patient_id            uuid,
    session_id            uuid,
    emergency_access_id   uuid,
    request_id            uuid,
    ip_address            inet,
    user_agent            text,
    access_reason         text,
    details               jsonb               NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT audit_log_pkey PRIMARY KEY (id),
    CONSTRAINT audit_log_event_id_key UNIQUE (event_id),
    CONSTRAINT audit_log_actor_role_check CHECK (char_length(actor_role) <= 64 AND actor_role ~ '^[a-z][a-z_]*$'),
    CONSTRAINT audit_log_resource_type_check CHECK (char_length(resource_type) <= 64 AND resource_type ~ '^[a-z][a-z0-9_.]*$'),
    CONSTRAINT audit_log_user_agent_check CHECK (char_length(user_agent) <= 1024),
    CONSTRAINT audit_log_access_reason_check CHECK (char_length(access_reason) <= 1000),
    CONSTRAINT audit_log_details_check CHECK (jsonb_typeof(details) = 'object')
);
COMMENT ON TABLE audit.audit_log IS
    'Append-only audit trail: who did what to which resource, about which patient, from where, with what outcome. UPDATE, DELETE and TRUNCATE are rejected by a trigger (SQLSTATE 55000). No foreign keys: entries outlive the rows they mention.';
COMMENT ON COLUMN audit.audit_log.id IS 'Insertion order, assigned by the database.';
COMMENT ON COLUMN audit.audit_log.event_id IS 'Unique id of the entry, for idempotent retries and export to a SIEM.';
COMMENT ON COLUMN audit.audit_log.actor_user_id IS 'Acting user (soft reference to auth.users.id); NULL for anonymous attempts.';
COMMENT ON COLUMN audit.audit_log.actor_role IS 'Role of the actor at that time (text, so the trail survives role changes).';
COMMENT ON COLUMN audit.audit_log.action IS 'What was done (audit.audit_action).';
COMMENT ON COLUMN audit.audit_log.outcome IS 'success, failure or denied.';
COMMENT ON COLUMN audit.audit_log.resource_type IS 'Kind of object acted upon, e.g. auth.patient_profiles, quality.session_analyses, session.';
COMMENT ON COLUMN audit.audit_log.patient_id IS 'Patient whose PHI was involved, if any: answers the accounting of disclosures (soft reference).';
COMMENT ON COLUMN audit.audit_log.emergency_access_id IS 'Break-glass access under which the action happened (soft reference to auth.emergency_access_log.id).';
COMMENT ON COLUMN audit.audit_log.access_reason IS 'Purpose of use declared for PHI access, e.g. treatment.';
COMMENT ON COLUMN audit.audit_log.details IS
    'Extra context without PHI values, e.g. {"fields": ["phone"], "changed_by_admin": true}. GIN-indexed for @> queries.';

CREATE INDEX audit_log_occurred_at_brin_idx ON audit.audit_log USING brin (occurred_at);
CREATE INDEX audit_log_actor_user_id_occurred_at_idx ON audit.audit_log (actor_user_id, occurred_at DESC);
CREATE INDEX audit_log_patient_id_occurred_at_idx ON audit.audit_log (patient_id, occurred_at DESC)
    WHERE patient_id IS NOT NULL;
CREATE INDEX audit_log_action_occurred_at_idx ON audit.audit_log (action, occurred_at DESC);
CREATE INDEX audit_log_resource_idx ON audit.audit_log (resource_type, resource_id);
CREATE INDEX audit_log_emergency_access_id_idx ON audit.audit_log (emergency_access_id)
    WHERE emergency_access_id IS NOT NULL;
CREATE INDEX audit_log_details_gin_idx ON audit.audit_log USING gin (details jsonb_path_ops);

CREATE FUNCTION audit.reject_mutation() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state',
        MESSAGE = format('%s on %I.%I is not allowed: the audit log is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
        DETAIL  = 'Audit entries are retained unchanged for compliance.',
        HINT    = 'Insert a new audit entry instead of changing or removing an existing one.',
        SCHEMA  = TG_TABLE_SCHEMA,
        TABLE   = TG_TABLE_NAME;
END;
$$;
COMMENT ON FUNCTION audit.reject_mutation() IS
    'Trigger function: rejects UPDATE, DELETE and TRUNCATE with SQLSTATE 55000 (object_not_in_prerequisite_state).';

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_mutation();
COMMENT ON TRIGGER audit_log_append_only ON audit.audit_log IS
    'Rejects every UPDATE, DELETE and TRUNCATE: the audit log is append-only.';
