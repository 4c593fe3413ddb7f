//! Event rows (`event_store.events`): the JSON payload of every event kind, written straight into the
//! COPY buffer.

use std::io::{self, Write};

use super::clock;
use super::events::{Event, EventKind, MISS_REASONS, MODEL_VERSION, RepScore, recorded_at};
use super::world::{Patient, World};
use crate::seed::load::copy::{json_decimal, json_str, json_ts, json_uuid};
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

/// An event with its place in the store.
pub struct Positioned<'a> {
    pub event: &'a Event,
    pub position: i64,
    pub id: [u8; 16],
    /// The previous event of the same stream.
    pub causation: Option<[u8; 16]>,
    /// The seeding transaction's id.
    pub xid: u64,
}

fn type_of(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::TemplateDefined { .. } => "WorkItemTemplateDefined",
        EventKind::PatientEnrolled => "PatientEnrolled",
        EventKind::ConsentGranted { .. } => "ConsentGranted",
        EventKind::ProgramPrescribed => "ExerciseProgramPrescribed",
        EventKind::SessionDue { .. } => "ExerciseSessionDue",
        EventKind::SessionStarted { .. } => "ExerciseSessionStarted",
        EventKind::RepScored(_) => "RepetitionScored",
        EventKind::SessionEnded { .. } => "ExerciseSessionEnded",
        EventKind::SessionMissed { .. } => "ExerciseSessionMissed",
        EventKind::AlertRaised { .. } => "QualityAlertRaised",
        EventKind::AlertAcknowledged { .. } => "QualityAlertAcknowledged",
        EventKind::AlertResolved { .. } => "QualityAlertResolved",
        EventKind::ItemCreated { .. } => "WorkItemCreated",
        EventKind::ItemAssigned { .. } => "WorkItemAssigned",
        EventKind::ItemStarted { .. } => "WorkItemStarted",
        EventKind::ItemCompleted { .. } => "WorkItemCompleted",
    }
}

/// A JSON object being written: keys after the first are comma-separated.
struct Object<'b> {
    out: &'b mut Vec<u8>,
    empty: bool,
}

impl<'b> Object<'b> {
    fn open(out: &'b mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, empty: true }
    }

    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn uuid(&mut self, key: &str, id: &[u8; 16]) {
        json_uuid(self.key(key), id);
    }

    fn str(&mut self, key: &str, value: &str) {
        json_str(self.key(key), value);
    }

    fn num(&mut self, key: &str, value: i64) {
        let _ = write!(self.key(key), "{value}");
    }

    fn decimal(&mut self, key: &str, value: i64, scale: u32) {
        json_decimal(self.key(key), value, scale);
    }

    fn ts(&mut self, key: &str, unix_micros: i64) {
        json_ts(self.key(key), unix_micros);
    }

    fn opt_ts(&mut self, key: &str, unix_micros: Option<i64>) {
        match unix_micros {
            Some(at) => self.ts(key, at),
            None => self.key(key).extend_from_slice(b"null"),
        }
    }

    /// A JSON array of whatever `items` writes, comma-separated.
    fn array<I>(&mut self, key: &str, items: I)
    where
        I: IntoIterator,
        I::Item: FnOnce(&mut Vec<u8>),
    {
        let out = self.key(key);
        out.push(b'[');
        for (k, write) in items.into_iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            write(out);
        }
        out.push(b']');
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

/// The payload of one event.
fn data(world: &World, event: &Event, out: &mut Vec<u8>) {
    let mut object = Object::open(out);
    let Some(patient) = event.patient else {
        if let EventKind::TemplateDefined { template } = event.kind {
            template_defined(world, template as usize, &mut object);
        }
        return object.close();
    };
    let patient = &world.patients[patient as usize];
    object.uuid("patient_id", &patient.id);
    match event.kind {
        EventKind::TemplateDefined { .. } => {}
        EventKind::PatientEnrolled => {
            object.uuid("therapist_id", &world.therapists[patient.therapist].id);
            object.uuid("program_id", &patient.program_id);
        }
        EventKind::ConsentGranted { scope } => {
            object.str("scope", scope);
            object.str("document_version", "2025-09");
        }
        EventKind::ProgramPrescribed => program_prescribed(world, patient, &mut object),
        EventKind::SessionDue { slot } => object.ts("scheduled_for", slot),
        EventKind::SessionStarted { session } => {
            let session = &world.sessions[session as usize];
            object.uuid("session_id", &session.id);
            object.opt_ts("scheduled_for", session.scheduled_for);
            object.uuid("program_id", &patient.program_id);
            object.num("exercises_prescribed", i64::try_from(patient.exercises.len()).expect("a short program"));
        }
        EventKind::RepScored(score) => rep_scored(world, patient, &score, &mut object),
        EventKind::SessionEnded { session } => session_ended(world, session as usize, &mut object),
        EventKind::SessionMissed { slot, reason, abandoned } => {
            object.ts("scheduled_for", slot);
            object.str("reason", MISS_REASONS[reason as usize]);
            if let Some(session) = abandoned {
                object.uuid("abandoned_session_id", &world.sessions[session as usize].id);
            }
        }
        EventKind::AlertRaised { alert }
        | EventKind::AlertAcknowledged { alert }
        | EventKind::AlertResolved { alert } => {
            alert_event(world, patient, &event.kind, alert as usize, &mut object);
        }
        EventKind::ItemCreated { item }
        | EventKind::ItemAssigned { item }
        | EventKind::ItemStarted { item }
        | EventKind::ItemCompleted { item } => item_event(world, &event.kind, item as usize, &mut object),
    }
    object.close();
}

fn template_defined(world: &World, template: usize, object: &mut Object) {
    let spec = &world.reference.templates[template];
    object.uuid("template_id", &world.template_ids[template]);
    object.str("code", &spec.code);
    object.str("kind", &spec.kind);
    object.str("default_priority", &spec.default_priority);
    object.num("due_within_hours", i64::from(spec.due_within_hours));
    object.num("estimated_minutes", i64::from(spec.estimated_minutes));
}

fn program_prescribed(world: &World, patient: &Patient, object: &mut Object) {
    object.uuid("program_id", &patient.program_id);
    object.uuid("therapist_id", &world.therapists[patient.therapist].id);
    let _ = write!(object.key("starts_on"), "\"{}\"", clock::date(patient.start_day));
    let weekdays = (0..7).filter(|d| patient.days_mask & (1 << d) != 0);
    object.array(
        "weekdays",
        weekdays.map(|d| {
            move |out: &mut Vec<u8>| {
                let _ = write!(out, "{}", d + 1);
            }
        }),
    );
    object.num("hour_utc", patient.hour);
    object.array(
        "exercises",
        patient.exercises.iter().map(|planned| {
            move |out: &mut Vec<u8>| {
                out.extend_from_slice(b"{\"code\":");
                json_str(out, &world.reference.exercises[planned.exercise].code);
                let _ = write!(out, ",\"reps\":{}}}", planned.reps);
            }
        }),
    );
}

fn rep_scored(world: &World, patient: &Patient, score: &RepScore, object: &mut Object) {
    let exercise = &world.reference.exercises[patient.exercises[usize::from(score.exercise)].exercise];
    object.uuid("session_id", &world.sessions[score.session as usize].id);
    object.str("exercise_code", &exercise.code);
    object.num("rep_number", i64::from(score.rep));
    object.decimal("form_score", i64::from(score.form), 2);
    object.decimal("rom_degrees", i64::from(score.rom), 2);
    object.num("duration_ms", i64::from(score.duration_ms));
    object.key("is_valid").extend_from_slice(if score.valid { b"true" } else { b"false" });
    let seen = exercise.faults.iter().take(8).enumerate().filter(|(i, _)| score.faults & (1 << i) != 0);
    object.array("faults", seen.map(|(_, fault)| move |out: &mut Vec<u8>| json_str(out, fault)));
    object.decimal("pose_confidence", i64::from(score.confidence), 3);
    object.str("model_version", MODEL_VERSION);
}

fn session_ended(world: &World, session: usize, object: &mut Object) {
    let session = &world.sessions[session];
    object.uuid("session_id", &session.id);
    object.str("status", session.status.label());
    object.opt_ts("scheduled_for", session.scheduled_for);
    object.num("duration_seconds", (session.ended_at - session.started_at) / 1_000_000);
    object.num("exercises_completed", i64::from(session.exercises_completed));
    object.num("reps_completed", i64::from(session.reps_completed));
    object.num("pain_before", i64::from(session.pain_before));
    object.num("pain_after", i64::from(session.pain_after));
    object.num("perceived_exertion", i64::from(session.exertion));
}

fn alert_event(world: &World, patient: &Patient, kind: &EventKind, alert: usize, object: &mut Object) {
    let alert = &world.alerts[alert];
    object.uuid("alert_id", &alert.id);
    match kind {
        EventKind::AlertRaised { .. } => {
            object.uuid("session_id", &world.sessions[alert.session as usize].id);
            object.str("alert_type", alert.kind);
            object.str("severity", alert.severity);
            object.str("title", alert.title);
        }
        EventKind::AlertAcknowledged { .. } => object.uuid("by", &world.therapists[patient.therapist].id),
        _ => {
            object.uuid("by", &world.therapists[patient.therapist].id);
            object.str("outcome", if alert.dismissed { "dismissed" } else { "resolved" });
        }
    }
}

fn item_event(world: &World, kind: &EventKind, item: usize, object: &mut Object) {
    let item = &world.items[item];
    object.uuid("item_id", &item.id);
    match kind {
        EventKind::ItemCreated { .. } => {
            object.uuid("template_id", &world.template_ids[item.template]);
            object.str("priority", item.priority);
            object.decimal("priority_score", item.priority_score, 2);
            object.ts("due_at", item.due_at);
        }
        EventKind::ItemAssigned { .. } => object.uuid("therapist_id", &world.therapists[item.therapist].id),
        _ => {}
    }
}

/// Who the event's metadata names as its actor: the patient for what the patient does, else the
/// patient's therapist; reference data has none.
fn actor(world: &World, event: &Event) -> Option<[u8; 16]> {
    let patient = &world.patients[event.patient? as usize];
    Some(match event.kind {
        EventKind::RepScored(_) | EventKind::SessionStarted { .. } | EventKind::SessionEnded { .. } => patient.id,
        _ => world.therapists[patient.therapist].id,
    })
}

/// Writes one event row.
pub fn write(world: &World, sink: &mut Sink, positioned: &Positioned) -> io::Result<()> {
    let event = positioned.event;
    let stream = &world.streams[event.stream as usize];
    let row = sink.row(Table::Events);
    row.i64(positioned.position);
    row.uuid(&positioned.id);
    row.uuid(&stream.id);
    row.text(stream.kind);
    row.i64(i64::from(stream.version));
    row.text(type_of(&event.kind));
    row.i16(1);
    row.jsonb(|out| data(world, event, out));
    row.jsonb(|out| {
        let mut metadata = Object::open(out);
        metadata.str("source", "rehab-seed");
        if let Some(actor) = actor(world, event) {
            metadata.uuid("actor_id", &actor);
        }
        metadata.close();
    });
    row.uuid(&stream.id);
    row.opt_uuid(positioned.causation.as_ref());
    row.ts(event.at);
    row.ts(recorded_at(event.at, positioned.position));
    row.xid8(positioned.xid);
    sink.done(Table::Events)
}
