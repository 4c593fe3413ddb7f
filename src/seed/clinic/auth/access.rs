//! Access records: login sessions of every user, and break-glass (emergency) accesses with their review,
//! each with its audit entries.

use std::io;

use super::audit::{AuditTrail, Entry, agent};
use super::{User, Users};
use crate::seed::clinic::clock::{self, US_PER_DAY, US_PER_HOUR, US_PER_MIN};
use crate::seed::clinic::rng::{Rng, tag, uuid};
use crate::seed::clinic::world::World;
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

const BREAK_GLASS_REASONS: [&str; 3] = ["medical_emergency", "patient_unable_to_consent", "continuity_of_care"];

/// Two login sessions per user: an older one that expired and the latest, still active if recent.
pub fn logins(world: &World, sink: &mut Sink, rng: &mut Rng, audit: &mut AuditTrail, users: &Users) -> io::Result<()> {
    for (number, user) in (0u64..).zip(&users.all) {
        for k in 0..2u64 {
            let created = if k == 0 { user.last_login - 3 * US_PER_DAY } else { user.last_login };
            let expires = created + 12 * US_PER_HOUR;
            let active = k == 1 && expires > world.ref_us();
            let id = uuid(world.seed, &[tag::LOGIN, number, k]);
            let [.., high, low] = number.to_be_bytes();
            let row = sink.row(Table::UserSessions);
            row.uuid(&id);
            row.uuid(&user.id);
            row.bytea(&rng.bytes32());
            row.text(if active { "active" } else { "expired" });
            row.inet4([10, 30, high, low]);
            row.text(agent(number));
            row.opt_ts((user.role != "patient").then_some(created + US_PER_MIN));
            row.ts(created);
            row.ts(created + 40 * US_PER_MIN);
            row.ts(expires);
            row.opt_ts((!active).then_some(expires));
            sink.done(Table::UserSessions)?;
            let login = Entry {
                at: created,
                actor: user,
                action: "login",
                resource: "session",
                resource_id: Some(&id),
                patient: None,
                emergency_access: None,
            };
            audit.record(sink, &login)?;
        }
    }
    Ok(())
}

/// Break-glass accesses by another therapist than the patient's, reviewed by the compliance officer (or
/// the admin).
pub fn break_glass(
    world: &World,
    sink: &mut Sink,
    rng: &mut Rng,
    audit: &mut AuditTrail,
    users: &Users,
) -> io::Result<()> {
    let profile = world.profile;
    let per_1000 = u64::from(profile.break_glass_per_1000_patients);
    let count = (u64::from(profile.patients) * per_1000).div_ceil(1000);
    let reviewer = users.all.iter().find(|u| u.role == "compliance_officer").or_else(|| users.all.first());
    let reviewer = reviewer.map(|u| u.id);
    for k in 0..count {
        let index = rng.range_usize(0, world.patients.len().saturating_sub(1));
        let patient = users.patient(index);
        let user = users.therapist((world.patients[index].therapist + 1) % world.therapists.len());
        let id = uuid(world.seed, &[tag::BREAK_GLASS, k]);
        let day = world.first_day + i32::try_from(rng.range(0, world.days_in_window() - 3)).expect("within the window");
        let started = clock::at(day) + rng.range(0, 23) * US_PER_HOUR;
        let review_at = started + 2 * US_PER_DAY;
        let row = sink.row(Table::EmergencyAccessLog);
        row.uuid(&id);
        row.uuid(&user.id);
        row.uuid(&patient.id);
        row.null();
        row.text(BREAK_GLASS_REASONS[usize::try_from(k % 3).expect("below 3")]);
        row.text("Covering for the primary therapist during an urgent call from the patient.");
        row.ts(started);
        row.ts(started + 4 * US_PER_HOUR);
        row.ts(started + US_PER_HOUR);
        row.text("justified");
        row.opt_uuid(reviewer.as_ref());
        row.ts(review_at);
        row.text("Coverage confirmed with the care team.");
        row.ts(started);
        row.ts(review_at);
        sink.done(Table::EmergencyAccessLog)?;
        for (at, action) in [(started, "emergency_access_start"), (started + US_PER_HOUR, "emergency_access_end")] {
            audit.record(sink, &emergency_entry(user, patient, &id, at, action))?;
        }
    }
    Ok(())
}

fn emergency_entry<'a>(user: &'a User, patient: &'a User, id: &'a [u8; 16], at: i64, action: &'a str) -> Entry<'a> {
    Entry {
        at,
        actor: user,
        action,
        resource: "auth.patient_profiles",
        resource_id: Some(&patient.id),
        patient: Some(&patient.id),
        emergency_access: Some(id),
    }
}
