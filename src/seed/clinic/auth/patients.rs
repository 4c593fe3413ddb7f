//! A patient's auth side: profile, consents (the granted ones match the `ConsentGranted` events), and
//! the audit entries around them (consents, account creation, the therapist's weekly record views).

use std::io;

use super::Users;
use super::audit::{AuditTrail, Entry};
use crate::seed::clinic::clock::{self, US_PER_DAY, US_PER_HOUR, US_PER_MIN, US_PER_SEC};
use crate::seed::clinic::rng::{Rng, tag, uuid};
use crate::seed::clinic::world::World;
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

const CONDITIONS: [&str; 6] = [
    "acl_reconstruction",
    "total_knee_replacement",
    "rotator_cuff_repair",
    "low_back_pain",
    "ankle_sprain",
    "hip_replacement",
];

/// The consent number of a research consent asked for but not granted (after the granted ones).
const UNGRANTED: usize = 9;

/// One consent record of a patient.
struct Consent<'a> {
    patient: usize,
    number: usize,
    patient_id: &'a [u8; 16],
    scope: &'a str,
    status: &'a str,
    requested: i64,
    granted: Option<i64>,
    recorded_by: &'a [u8; 16],
}

/// Patient `index`: profile, consents and their audit entries.
pub fn patient(
    world: &World,
    sink: &mut Sink,
    rng: &mut Rng,
    audit: &mut AuditTrail,
    users: &Users,
    index: usize,
) -> io::Result<()> {
    let patient = &world.patients[index];
    let user = users.patient(index);
    let therapist = users.therapist(patient.therapist);
    profile_row(world, sink, rng, users, index)?;
    // Granted consents match the ConsentGranted events (10:01 on enrolment day, one a minute).
    let number = u32::try_from(index).expect("fewer than 2^32 patients");
    let enrolled = clock::at(patient.enrolled_day) + 10 * US_PER_HOUR + i64::from(number % 3600) * US_PER_SEC;
    granted_consents(world, sink, rng, audit, users, index, enrolled)?;
    if !patient.consents.contains(&"research") && rng.chance(0.3) {
        let status = if rng.chance(0.5) { "denied" } else { "pending" };
        let consent = Consent {
            patient: index,
            number: UNGRANTED,
            patient_id: &user.id,
            scope: "research",
            status,
            requested: enrolled,
            granted: None,
            recorded_by: &therapist.id,
        };
        consent_row(world, sink, rng, &consent)?;
    }
    let created = Entry {
        at: user.created,
        actor: &users.all[0],
        action: "user_create",
        resource: "auth.users",
        resource_id: Some(&user.id),
        patient: None,
        emergency_access: None,
    };
    audit.record(sink, &created)?;
    // The therapist opens the patient's record once a week.
    for day in (patient.start_day..world.ref_day).step_by(7) {
        let view = Entry {
            at: clock::at(day) + 14 * US_PER_HOUR + rng.range(0, 3600) * US_PER_SEC,
            actor: therapist,
            action: "phi_view",
            resource: "auth.patient_profiles",
            resource_id: Some(&user.id),
            patient: Some(&user.id),
            emergency_access: None,
        };
        audit.record(sink, &view)?;
    }
    Ok(())
}

/// The consents granted at enrolment (at `enrolled` plus one minute each), each with its audit entry.
fn granted_consents(
    world: &World,
    sink: &mut Sink,
    rng: &mut Rng,
    audit: &mut AuditTrail,
    users: &Users,
    index: usize,
    enrolled: i64,
) -> io::Result<()> {
    let patient = &world.patients[index];
    let user = users.patient(index);
    let therapist = users.therapist(patient.therapist);
    for (number, (minute, scope)) in (1..).zip(&patient.consents).enumerate() {
        let granted = enrolled + minute * US_PER_MIN;
        let consent = Consent {
            patient: index,
            number,
            patient_id: &user.id,
            scope,
            status: "granted",
            requested: granted - US_PER_HOUR,
            granted: Some(granted),
            recorded_by: &therapist.id,
        };
        consent_row(world, sink, rng, &consent)?;
        let id = uuid(world.seed, &[tag::CONSENT, index as u64, number as u64]);
        audit.record(
            sink,
            &Entry {
                at: granted,
                actor: therapist,
                action: "consent_grant",
                resource: "auth.phi_consents",
                resource_id: Some(&id),
                patient: Some(&user.id),
                emergency_access: None,
            },
        )?;
    }
    Ok(())
}

fn profile_row(world: &World, sink: &mut Sink, rng: &mut Rng, users: &Users, index: usize) -> io::Result<()> {
    let patient = &world.patients[index];
    let user = users.patient(index);
    let row = sink.row(Table::PatientProfiles);
    row.uuid(&user.id);
    row.text(&format!("MRN-{:08}", 10_000_000 + index));
    let (given, family) = user.name.split_once(' ').unwrap_or((&user.name, "Doe"));
    row.text(given);
    row.text(family);
    let earliest = clock::days(chrono::NaiveDate::from_ymd_opt(1940, 1, 1).expect("valid date"));
    row.date(earliest + i32::try_from(rng.range(0, 23_000)).expect("below 23,000"));
    row.text(&format!("+1555{index:07}"));
    row.uuid(&users.therapist(patient.therapist).id);
    let condition = CONDITIONS[index % CONDITIONS.len()];
    let side = if index.is_multiple_of(2) { "left" } else { "right" };
    row.jsonb_str(&format!("{{\"condition\":\"{condition}\",\"side\":\"{side}\"}}"));
    row.date(patient.start_day);
    row.null();
    row.text("UTC");
    row.ts(user.created);
    row.ts(user.created);
    sink.done(Table::PatientProfiles)
}

fn consent_row(world: &World, sink: &mut Sink, rng: &mut Rng, consent: &Consent) -> io::Result<()> {
    let row = sink.row(Table::PhiConsents);
    row.uuid(&uuid(world.seed, &[tag::CONSENT, consent.patient as u64, consent.number as u64]));
    row.uuid(consent.patient_id);
    row.null();
    row.text(consent.scope);
    row.text(consent.status);
    row.text(match consent.scope {
        "treatment" => "Physical therapy treatment and care coordination",
        "remote_monitoring" => "Remote monitoring of home exercise sessions",
        "video_recording" => "Camera-based pose analysis of exercise form",
        _ => "Use of de-identified exercise data in research",
    });
    row.jsonb_str("{\"retention_years\":7,\"withdrawal\":\"any time\"}");
    row.text("2025-09");
    row.bytea(&rng.bytes32());
    row.text("electronic_signature");
    row.uuid(consent.recorded_by);
    row.ts(consent.requested);
    row.opt_ts(consent.granted);
    row.opt_ts(consent.granted.map(|g| g + 365 * US_PER_DAY));
    row.null();
    row.null();
    row.ts(consent.requested);
    row.ts(consent.granted.unwrap_or(consent.requested));
    sink.done(Table::PhiConsents)
}
