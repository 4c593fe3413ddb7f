//! The directly-written side: users, profiles, consents, login sessions, break-glass records and the
//! audit trail. Consistent with the simulation (same ids, consents matching the `ConsentGranted` events,
//! logins around the patients' sessions). One RNG for all of it, so the order of the draws is part of the
//! output (determinism).

mod access;
mod audit;
mod patients;

use std::io;

use audit::AuditTrail;

use super::clock::{self, US_PER_DAY, US_PER_HOUR, US_PER_MIN};
use super::rng::{Rng, tag, uuid};
use super::world::World;
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

const JURISDICTIONS: [&str; 6] = ["CA", "NY", "TX", "WA", "MA", "IL"];
const SPECIALTIES: [&str; 4] = ["orthopedics", "sports", "geriatrics", "neurology"];

pub struct User {
    id: [u8; 16],
    email: String,
    role: &'static str,
    name: String,
    created: i64,
    last_login: i64,
}

/// Every user, staff first; the therapists and patients in the world's order from the given offsets.
struct Users {
    all: Vec<User>,
    first_therapist: usize,
    first_patient: usize,
}

impl Users {
    fn therapists(&self) -> &[User] {
        &self.all[self.first_therapist..self.first_patient]
    }

    fn therapist(&self, index: usize) -> &User {
        &self.all[self.first_therapist + index]
    }

    fn patient(&self, index: usize) -> &User {
        &self.all[self.first_patient + index]
    }
}

/// Writes every auth and audit row.
pub fn generate(world: &World, sink: &mut Sink) -> io::Result<()> {
    let mut rng = Rng::new(world.seed, &[tag::AUTH_RNG]);
    let users = users(world, &mut rng);
    for user in &users.all {
        user_row(sink, user, &world.profile.password_hash)?;
    }
    for (index, user) in users.therapists().iter().enumerate() {
        therapist_row(world, sink, index, user)?;
    }
    let mut audit = AuditTrail::new(world.seed);
    for index in 0..world.patients.len() {
        patients::patient(world, sink, &mut rng, &mut audit, &users, index)?;
    }
    access::logins(world, sink, &mut rng, &mut audit, &users)?;
    access::break_glass(world, sink, &mut rng, &mut audit, &users)
}

fn users(world: &World, rng: &mut Rng) -> Users {
    let profile = world.profile;
    let ref_us = world.ref_us();
    let staff_created = clock::at(world.first_day - 60) + 9 * US_PER_HOUR;
    let mut all: Vec<User> = Vec::new();
    for i in 0..profile.admins {
        let number = if profile.admins == 1 { String::new() } else { (i + 1).to_string() };
        all.push(User {
            id: uuid(world.seed, &[tag::USER, 0, u64::from(i)]),
            email: format!("admin{number}@{}", profile.email_domain),
            role: "clinic_admin",
            name: format!("Clinic Admin {}", i + 1),
            created: staff_created,
            last_login: ref_us - rng.range(1, 48) * US_PER_HOUR,
        });
    }
    for i in 0..profile.compliance_officers {
        all.push(User {
            id: uuid(world.seed, &[tag::USER, 1, u64::from(i)]),
            email: format!("compliance{}@{}", i + 1, profile.email_domain),
            role: "compliance_officer",
            name: format!("Compliance Officer {}", i + 1),
            created: staff_created,
            last_login: ref_us - rng.range(1, 48) * US_PER_HOUR,
        });
    }
    let names = &world.reference.names;
    let first_therapist = all.len();
    for (minute, (i, therapist)) in (0..).zip(world.therapists.iter().enumerate()) {
        all.push(User {
            id: therapist.id,
            email: format!("therapist{}@{}", i + 1, profile.email_domain),
            role: "therapist",
            name: format!("{} {}", rng.pick(&names.given), rng.pick(&names.family)),
            created: staff_created + minute * US_PER_MIN,
            last_login: ref_us - rng.range(1, 30) * US_PER_HOUR,
        });
    }
    let first_patient = all.len();
    for (i, patient) in world.patients.iter().enumerate() {
        all.push(User {
            id: patient.id,
            email: format!("patient{}@{}", i + 1, profile.email_domain),
            role: "patient",
            name: format!("{} {}", rng.pick(&names.given), rng.pick(&names.family)),
            created: clock::at(patient.enrolled_day) + 9 * US_PER_HOUR,
            last_login: ref_us - rng.range(2, 96) * US_PER_HOUR,
        });
    }
    Users { all, first_therapist, first_patient }
}

fn user_row(sink: &mut Sink, user: &User, password_hash: &str) -> io::Result<()> {
    let staff = user.role != "patient";
    let row = sink.row(Table::Users);
    row.uuid(&user.id);
    row.text(&user.email);
    row.text(user.role);
    row.text("active");
    row.text(&user.name);
    row.text(password_hash);
    row.bool(staff);
    row.opt_ts(staff.then_some(user.created + US_PER_DAY));
    row.ts(user.created + US_PER_HOUR);
    row.ts(user.created);
    row.ts(user.last_login);
    row.i16(0);
    row.null();
    row.ts(user.created);
    row.ts(user.last_login);
    row.null();
    sink.done(Table::Users)
}

fn therapist_row(world: &World, sink: &mut Sink, index: usize, user: &User) -> io::Result<()> {
    let row = sink.row(Table::TherapistProfiles);
    row.uuid(&user.id);
    row.text(&format!("{}, PT, DPT", user.name));
    row.text("PT, DPT");
    row.text(&format!("{:010}", 1_000_000_000 + index as u64 * 37));
    row.text(&format!("PT{:07}", 100_000 + index));
    row.text(JURISDICTIONS[index % JURISDICTIONS.len()]);
    row.date(world.ref_day + 365 + i32::try_from(index % 700).expect("below 700"));
    row.text_array(&[SPECIALTIES[index % 4], SPECIALTIES[(index + 1) % 4]]);
    row.i16(40);
    row.bool(true);
    row.text("UTC");
    row.ts(user.created);
    row.ts(user.created);
    sink.done(Table::TherapistProfiles)
}
