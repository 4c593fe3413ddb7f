-- Undo V6 auth_compliance. Destroys users, consents and the audit trail: only for development databases.
-- DROP TABLE is not blocked by the append-only and guard triggers.

DROP TABLE IF EXISTS audit.audit_log;
DROP FUNCTION IF EXISTS audit.reject_mutation();
DROP TYPE IF EXISTS audit.audit_outcome;
DROP TYPE IF EXISTS audit.audit_action;
DROP SCHEMA IF EXISTS audit;

DROP TABLE IF EXISTS auth.emergency_access_log;
DROP TABLE IF EXISTS auth.user_sessions;
DROP TABLE IF EXISTS auth.phi_consents;
DROP TABLE IF EXISTS auth.patient_profiles;
DROP TABLE IF EXISTS auth.therapist_profiles;
DROP TABLE IF EXISTS auth.users;
DROP FUNCTION IF EXISTS auth.guard_emergency_access_log();
DROP FUNCTION IF EXISTS auth.set_updated_at();
DROP TYPE IF EXISTS auth.emergency_review_status;
DROP TYPE IF EXISTS auth.emergency_reason;
DROP TYPE IF EXISTS auth.session_status;
DROP TYPE IF EXISTS auth.consent_status;
DROP TYPE IF EXISTS auth.consent_scope;
DROP TYPE IF EXISTS auth.user_status;
DROP TYPE IF EXISTS auth.user_role;
DROP SCHEMA IF EXISTS auth;
