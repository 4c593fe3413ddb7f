//! The simulated clinic's state: patients (each with its own seeded RNG, so what happens to one never
//! depends on ordering outside it), therapists, the event streams, and the sessions, alerts and work items
//! generated so far, which the event rows and the projectors read.

use super::clock;
use super::events::{Event, EventKind, Status};
use super::rng::{self, Rng, tag};
use crate::seed::profile::{Profile, Reference};

/// One exercise of a patient's program.
#[derive(Debug, Clone)]
pub struct ProgramExercise {
    pub exercise: usize,
    pub reps: u16,
}

pub struct Patient {
    pub id: [u8; 16],
    pub therapist: usize,
    pub program_id: [u8; 16],
    pub enrolled_day: i32,
    pub start_day: i32,
    /// Bit d set = a session is scheduled on weekday d (0 = Monday).
    pub days_mask: u8,
    pub hour: i64,
    pub exercises: Vec<ProgramExercise>,
    pub consents: Vec<&'static str>,
    pub(super) rng: Rng,
    pub(super) p_complete: f64,
    pub(super) skill: f64,
    pub(super) consecutive_missed: u32,
    pub(super) pending: Vec<Event>,
}

pub struct Therapist {
    pub id: [u8; 16],
}

/// A session as generated (the plan); the projector reads it when folding the session's events.
pub struct Session {
    pub id: [u8; 16],
    pub scheduled_for: Option<i64>,
    pub started_at: i64,
    pub ended_at: i64,
    pub status: Status,
    pub exercises_completed: i16,
    pub reps_completed: i32,
    pub pain_before: i16,
    pub pain_after: i16,
    pub exertion: i16,
}

pub struct Alert {
    pub id: [u8; 16],
    pub patient: u32,
    pub session: u32,
    pub exercise: usize,
    pub kind: &'static str,
    pub severity: &'static str,
    pub title: &'static str,
    pub value: i64,
    pub triggered_at: i64,
    pub dismissed: bool,
}

pub struct Item {
    pub id: [u8; 16],
    pub template: usize,
    pub patient: u32,
    pub therapist: usize,
    pub priority: &'static str,
    pub priority_score: i64,
    pub source_type: Option<&'static str>,
    pub source_id: Option<[u8; 16]>,
    pub created_at: i64,
    pub due_at: i64,
}

/// An event stream: its id, type, and the version and id of its last event so far.
pub struct Stream {
    pub id: [u8; 16],
    pub kind: &'static str,
    pub version: u32,
    pub last_event: Option<[u8; 16]>,
}

/// Everything generated so far; the projector and the event encoder read it.
pub struct World<'a> {
    pub seed: u64,
    pub profile: &'a Profile,
    pub reference: &'a Reference,
    pub ref_day: i32,
    pub first_day: i32,
    pub patients: Vec<Patient>,
    pub therapists: Vec<Therapist>,
    pub streams: Vec<Stream>,
    pub sessions: Vec<Session>,
    pub alerts: Vec<Alert>,
    pub items: Vec<Item>,
    pub template_ids: Vec<[u8; 16]>,
    seq: u64,
}

impl<'a> World<'a> {
    pub fn new(seed: u64, profile: &'a Profile, reference: &'a Reference) -> Self {
        let ref_day = clock::reference_day();
        let first_day = ref_day - 7 * i32::try_from(profile.weeks).expect("a profile spans fewer than 2^31 weeks");
        let therapists = (0..u64::from(profile.therapists))
            .map(|i| Therapist { id: rng::uuid(seed, &[tag::USER, 2, i]) })
            .collect::<Vec<_>>();
        let template_ids =
            (0u64..).zip(&reference.templates).map(|(i, _)| rng::uuid(seed, &[tag::TEMPLATE, i])).collect();
        let mut world = Self {
            seed,
            profile,
            reference,
            ref_day,
            first_day,
            patients: Vec::new(),
            therapists,
            streams: Vec::new(),
            sessions: Vec::new(),
            alerts: Vec::new(),
            items: Vec::new(),
            template_ids,
            seq: 0,
        };
        for number in 0..profile.patients {
            let patient = world.new_patient(number);
            world.streams.push(Stream { id: patient.id, kind: "patient", version: 0, last_event: None });
            world.patients.push(patient);
        }
        world
    }

    /// Patient `number`: schedule, program and consents drawn from its own RNG.
    fn new_patient(&self, number: u32) -> Patient {
        let profile = self.profile;
        let mut rng = Rng::new(self.seed, &[tag::PATIENT_RNG, u64::from(number)]);
        let start_day = self.first_day + i32::from(rng.range_i16(0, 6));
        let [low, high] = profile.sessions_per_week;
        let per_week = u32::try_from(rng.range(low.into(), high.into())).expect("a count of sessions");
        let mut days_mask = 0u8;
        while days_mask.count_ones() < per_week.min(6) {
            days_mask |= 1 << rng.range(0, 5);
        }
        let exercises = self.program(&mut rng);
        let mut consents = vec!["treatment", "remote_monitoring"];
        if rng.chance(0.9) {
            consents.push("video_recording");
        }
        if rng.chance(0.3) {
            consents.push("research");
        }
        Patient {
            id: rng::uuid(self.seed, &[tag::USER, 3, u64::from(number)]),
            therapist: number as usize % self.therapists.len(),
            program_id: rng::uuid(self.seed, &[tag::PROGRAM, u64::from(number)]),
            enrolled_day: start_day - 1,
            start_day,
            days_mask,
            hour: rng.range(7, 19),
            exercises,
            consents,
            p_complete: rng.f64().mul_add(0.55, 0.42),
            skill: rng.normal(72.0, 9.0).clamp(45.0, 92.0),
            rng,
            consecutive_missed: 0,
            pending: Vec::new(),
        }
    }

    /// A program: distinct exercises from the catalog, each with its repetitions.
    fn program(&self, rng: &mut Rng) -> Vec<ProgramExercise> {
        let profile = self.profile;
        let catalog = self.reference.exercises.len();
        let [low, high] = profile.exercises_per_program;
        let count = usize::try_from(rng.range(low.into(), high.into())).expect("a count of exercises");
        let mut exercises: Vec<ProgramExercise> = Vec::new();
        while exercises.len() < count.min(catalog) {
            let exercise = rng.range_usize(0, catalog.saturating_sub(1));
            if !exercises.iter().any(|x| x.exercise == exercise) {
                let [low, high] = profile.reps_per_exercise;
                let reps = u16::try_from(rng.range(low.into(), high.into())).expect("a count of repetitions");
                exercises.push(ProgramExercise { exercise, reps });
            }
        }
        exercises
    }

    pub fn patient_count(&self) -> u32 {
        u32::try_from(self.patients.len()).expect("a profile has fewer than 2^32 patients")
    }

    /// A new event of patient `patient`, numbered in generation order.
    pub(super) fn event(&mut self, at: i64, stream: u32, patient: u32, kind: EventKind) -> Event {
        self.seq += 1;
        Event { at, seq: self.seq, stream, patient: Some(patient), kind }
    }

    /// A new event of reference data (no patient).
    pub(super) fn reference_event(&mut self, at: i64, stream: u32, kind: EventKind) -> Event {
        self.seq += 1;
        Event { at, seq: self.seq, stream, patient: None, kind }
    }

    /// Opens a stream; returns its index.
    pub(super) fn new_stream(&mut self, id: [u8; 16], kind: &'static str) -> u32 {
        self.streams.push(Stream { id, kind, version: 0, last_event: None });
        u32::try_from(self.streams.len() - 1).expect("fewer than 2^32 streams")
    }

    /// Schedules a future event of `patient` (dropped if it would happen after the reference date).
    pub(super) fn plan(&mut self, patient: u32, mut event: Event) {
        if event.at < clock::at(self.ref_day) {
            self.seq += 1;
            event.seq = self.seq;
            self.patients[patient as usize].pending.push(event);
        }
    }

    pub fn ref_us(&self) -> i64 {
        clock::at(self.ref_day)
    }

    pub fn days_in_window(&self) -> i64 {
        i64::from(self.ref_day - self.first_day)
    }
}
