//! The directly-written side: users, profiles, consents, login sessions, break-glass records and the
//! audit trail. Consistent with the simulation (same ids, consents matching the `ConsentGranted` events,
//! logins around the patients' sessions).

use std::io;

use super::clock::{self, US_PER_DAY, US_PER_HOUR, US_PER_MIN};
use super::rng::{Rng, uuid};
use super::sim::{World, tag};
use super::sink::Sink;
use super::tables::{T, width};

const JURISDICTIONS: [&str; 6] = ["CA", "NY", "TX", "WA", "MA", "IL"];
const CONDITIONS: [&str; 6] = [
    "acl_reconstruction",
    "total_knee_replacement",
    "rotator_cuff_repair",
    "low_back_pain",
    "ankle_sprain",
    "hip_replacement",
];
const AGENTS: [&str; 3] =
    ["RehabApp/4.2 (iOS 18)", "RehabApp/4.2 (Android 15)", "Mozilla/5.0 (Macintosh) Clinic Portal"];

struct User {
    id: [u8; 16],
    email: String,
    role: &'static str,
    name: String,
    created: i64,
    last_login: i64,
}

/// Writes every auth and audit row.
pub fn generate(w: &World, sink: &mut Sink) -> io::Result<()> {
    let p = w.profile;
    let mut rng = Rng::new(w.seed, &[tag::AUTH_RNG]);
    let names = &w.reference.names;
    let ref_us = w.ref_us();
    let staff_created = clock::at(w.first_day - 60) + 9 * US_PER_HOUR;
    let mut users: Vec<User> = Vec::new();
    for i in 0..p.admins {
        users.push(User {
            id: uuid(w.seed, &[tag::USER, 0, u64::from(i)]),
            email: format!(
                "admin{}@{}",
                if p.admins == 1 { String::new() } else { (i + 1).to_string() },
                p.email_domain
            ),
            role: "clinic_admin",
            name: format!("Clinic Admin {}", i + 1),
            created: staff_created,
            last_login: ref_us - rng.range(1, 48) * US_PER_HOUR,
        });
    }
    for i in 0..p.compliance_officers {
        users.push(User {
            id: uuid(w.seed, &[tag::USER, 1, u64::from(i)]),
            email: format!("compliance{}@{}", i + 1, p.email_domain),
            role: "compliance_officer",
            name: format!("Compliance Officer {}", i + 1),
            created: staff_created,
            last_login: ref_us - rng.range(1, 48) * US_PER_HOUR,
        });
    }
    let first_therapist = users.len();
    for (i, t) in w.therapists.iter().enumerate() {
        users.push(User {
            id: t.id,
            email: format!("therapist{}@{}", i + 1, p.email_domain),
            role: "therapist",
            name: format!("{} {}", rng.pick(&names.given), rng.pick(&names.family)),
            created: staff_created + i as i64 * US_PER_MIN,
            last_login: ref_us - rng.range(1, 30) * US_PER_HOUR,
        });
    }
    let first_patient = users.len();
    for (i, pat) in w.patients.iter().enumerate() {
        users.push(User {
            id: pat.id,
            email: format!("patient{}@{}", i + 1, p.email_domain),
            role: "patient",
            name: format!("{} {}", rng.pick(&names.given), rng.pick(&names.family)),
            created: clock::at(pat.enrolled_day) + 9 * US_PER_HOUR,
            last_login: ref_us - rng.range(2, 96) * US_PER_HOUR,
        });
    }
    for u in &users {
        let staff = u.role != "patient";
        let r = sink.rows(T::Users);
        r.row(width(T::Users));
        r.uuid(&u.id);
        r.text(&u.email);
        r.text(u.role);
        r.text("active");
        r.text(&u.name);
        r.text(&p.password_hash);
        r.bool(staff);
        r.opt_ts(staff.then_some(u.created + US_PER_DAY));
        r.ts(u.created + US_PER_HOUR);
        r.ts(u.created);
        r.ts(u.last_login);
        r.i16(0);
        r.null();
        r.ts(u.created);
        r.ts(u.last_login);
        r.null();
        sink.done(T::Users)?;
    }
    for (i, u) in users[first_therapist..first_patient].iter().enumerate() {
        let r = sink.rows(T::TherapistProfiles);
        r.row(width(T::TherapistProfiles));
        r.uuid(&u.id);
        r.text(&format!("{}, PT, DPT", u.name));
        r.text("PT, DPT");
        r.text(&format!("{:010}", 1_000_000_000 + i as u64 * 37));
        r.text(&format!("PT{:07}", 100_000 + i));
        r.text(JURISDICTIONS[i % JURISDICTIONS.len()]);
        r.date(w.ref_day + 365 + (i as i32 % 700));
        let spec = ["orthopedics", "sports", "geriatrics", "neurology"];
        r.text_array(&[spec[i % 4], spec[(i + 1) % 4]]);
        r.i16(40);
        r.bool(true);
        r.text("UTC");
        r.ts(u.created);
        r.ts(u.created);
        sink.done(T::TherapistProfiles)?;
    }
    let reviewer = users.iter().find(|u| u.role == "compliance_officer").or_else(|| users.first()).map(|u| u.id);
    let mut audit_id: i64 = 0;
    let mut audit = |sink: &mut Sink,
                     at: i64,
                     actor: &User,
                     action: &str,
                     resource: &str,
                     res_id: Option<&[u8; 16]>,
                     patient: Option<&[u8; 16]>,
                     ea: Option<&[u8; 16]>|
     -> io::Result<()> {
        audit_id += 1;
        let r = sink.rows(T::AuditLog);
        r.row(width(T::AuditLog));
        r.i64(audit_id);
        r.uuid(&uuid(w.seed, &[tag::AUDIT, audit_id as u64]));
        r.ts(at);
        r.uuid(&actor.id);
        r.text(actor.role);
        r.text(action);
        r.text("success");
        r.text(resource);
        r.opt_uuid(res_id);
        r.opt_uuid(patient);
        r.null();
        r.opt_uuid(ea);
        r.uuid(&uuid(w.seed, &[tag::AUDIT, audit_id as u64, 1]));
        r.inet4([10, 20, (audit_id >> 8) as u8, audit_id as u8]);
        r.text(AGENTS[audit_id as usize % AGENTS.len()]);
        r.opt_text(patient.map(|_| "treatment"));
        r.jsonb_str(if patient.is_some() { "{\"fields\":[\"clinical_context\"]}" } else { "{}" });
        sink.done(T::AuditLog)
    };
    for (i, pat) in w.patients.iter().enumerate() {
        let u = &users[first_patient + i];
        let therapist = &users[first_therapist + pat.therapist];
        let r = sink.rows(T::PatientProfiles);
        r.row(width(T::PatientProfiles));
        r.uuid(&u.id);
        r.text(&format!("MRN-{:08}", 10_000_000 + i));
        let (given, family) = u.name.split_once(' ').unwrap_or((&u.name, "Doe"));
        r.text(given);
        r.text(family);
        r.date(clock::days(chrono::NaiveDate::from_ymd_opt(1940, 1, 1).expect("valid")) + rng.range(0, 23_000) as i32);
        r.text(&format!("+1555{i:07}"));
        r.uuid(&therapist.id);
        let condition = CONDITIONS[i % CONDITIONS.len()];
        r.jsonb_str(&format!(
            "{{\"condition\":\"{condition}\",\"side\":\"{}\"}}",
            if i % 2 == 0 { "left" } else { "right" }
        ));
        r.date(pat.start_day);
        r.null();
        r.text("UTC");
        r.ts(u.created);
        r.ts(u.created);
        sink.done(T::PatientProfiles)?;
        // Consents: granted ones match the ConsentGranted events (10:01 on enrollment day, one a minute).
        let enrolled = clock::at(pat.enrolled_day) + 10 * US_PER_HOUR + i64::from(i as u32 % 3600) * 1_000_000;
        for (k, scope) in pat.consents.iter().enumerate() {
            let granted = enrolled + (k as i64 + 1) * US_PER_MIN;
            consent(
                w,
                sink,
                &mut rng,
                i,
                k,
                &u.id,
                scope,
                "granted",
                granted - US_PER_HOUR,
                Some(granted),
                &therapist.id,
            )?;
            audit(
                sink,
                granted,
                therapist,
                "consent_grant",
                "auth.phi_consents",
                Some(&uuid(w.seed, &[tag::CONSENT, i as u64, k as u64])),
                Some(&u.id),
                None,
            )?;
        }
        if !pat.consents.contains(&"research") && rng.chance(0.3) {
            let status = if rng.chance(0.5) { "denied" } else { "pending" };
            consent(w, sink, &mut rng, i, 9, &u.id, "research", status, enrolled, None, &therapist.id)?;
        }
        audit(sink, u.created, &users[0], "user_create", "auth.users", Some(&u.id), None, None)?;
        // The therapist opens the patient's record once a week.
        let mut day = pat.start_day;
        while day < w.ref_day {
            let at = clock::at(day) + 14 * US_PER_HOUR + rng.range(0, 3600) * 1_000_000;
            audit(sink, at, therapist, "phi_view", "auth.patient_profiles", Some(&u.id), Some(&u.id), None)?;
            day += 7;
        }
    }
    // Two login sessions per user: an older one that expired and the latest, still active if recent.
    for (n, u) in users.iter().enumerate() {
        for k in 0..2u64 {
            let created = if k == 0 { u.last_login - 3 * US_PER_DAY } else { u.last_login };
            let expires = created + 12 * US_PER_HOUR;
            let active = k == 1 && expires > ref_us;
            let r = sink.rows(T::UserSessions);
            r.row(width(T::UserSessions));
            r.uuid(&uuid(w.seed, &[tag::LOGIN, n as u64, k]));
            r.uuid(&u.id);
            r.bytea(&rng.bytes32());
            r.text(if active { "active" } else { "expired" });
            r.inet4([10, 30, (n >> 8) as u8, n as u8]);
            r.text(AGENTS[n % AGENTS.len()]);
            r.opt_ts((u.role != "patient").then_some(created + US_PER_MIN));
            r.ts(created);
            r.ts(created + 40 * US_PER_MIN);
            r.ts(expires);
            r.opt_ts((!active).then_some(expires));
            sink.done(T::UserSessions)?;
            audit(sink, created, u, "login", "session", Some(&uuid(w.seed, &[tag::LOGIN, n as u64, k])), None, None)?;
        }
    }
    // Break-glass accesses, reviewed by the compliance officer (or the admin).
    let count = (u64::from(p.patients) * u64::from(p.break_glass_per_1000_patients)).div_ceil(1000);
    let count = if p.break_glass_per_1000_patients == 0 { 0 } else { count };
    for k in 0..count {
        let pi = rng.range(0, w.patients.len() as i64 - 1) as usize;
        let patient = &users[first_patient + pi];
        let ti = (w.patients[pi].therapist + 1) % w.therapists.len();
        let user = &users[first_therapist + ti];
        let id = uuid(w.seed, &[tag::BREAK_GLASS, k]);
        let started =
            clock::at(w.first_day + rng.range(0, w.days_in_window() - 3) as i32) + rng.range(0, 23) * US_PER_HOUR;
        let reviewed = started + 2 * US_PER_DAY;
        let r = sink.rows(T::EmergencyAccess);
        r.row(width(T::EmergencyAccess));
        r.uuid(&id);
        r.uuid(&user.id);
        r.uuid(&patient.id);
        r.null();
        r.text(["medical_emergency", "patient_unable_to_consent", "continuity_of_care"][k as usize % 3]);
        r.text("Covering for the primary therapist during an urgent call from the patient.");
        r.ts(started);
        r.ts(started + 4 * US_PER_HOUR);
        r.ts(started + US_PER_HOUR);
        r.text("justified");
        r.opt_uuid(reviewer.as_ref());
        r.ts(reviewed);
        r.text("Coverage confirmed with the care team.");
        r.ts(started);
        r.ts(reviewed);
        sink.done(T::EmergencyAccess)?;
        audit(
            sink,
            started,
            user,
            "emergency_access_start",
            "auth.patient_profiles",
            Some(&patient.id),
            Some(&patient.id),
            Some(&id),
        )?;
        audit(
            sink,
            started + US_PER_HOUR,
            user,
            "emergency_access_end",
            "auth.patient_profiles",
            Some(&patient.id),
            Some(&patient.id),
            Some(&id),
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn consent(
    w: &World,
    sink: &mut Sink,
    rng: &mut Rng,
    patient: usize,
    k: usize,
    patient_id: &[u8; 16],
    scope: &str,
    status: &str,
    requested: i64,
    granted: Option<i64>,
    recorded_by: &[u8; 16],
) -> io::Result<()> {
    let r = sink.rows(T::PhiConsents);
    r.row(width(T::PhiConsents));
    r.uuid(&uuid(w.seed, &[tag::CONSENT, patient as u64, k as u64]));
    r.uuid(patient_id);
    r.null();
    r.text(scope);
    r.text(status);
    r.text(match scope {
        "treatment" => "Physical therapy treatment and care coordination",
        "remote_monitoring" => "Remote monitoring of home exercise sessions",
        "video_recording" => "Camera-based pose analysis of exercise form",
        _ => "Use of de-identified exercise data in research",
    });
    r.jsonb_str("{\"retention_years\":7,\"withdrawal\":\"any time\"}");
    r.text("2025-09");
    r.bytea(&rng.bytes32());
    r.text("electronic_signature");
    r.uuid(recorded_by);
    r.ts(requested);
    r.opt_ts(granted);
    r.opt_ts(granted.map(|g| g + 365 * US_PER_DAY));
    r.null();
    r.null();
    r.ts(requested);
    r.ts(granted.unwrap_or(requested));
    sink.done(T::PhiConsents)
}
