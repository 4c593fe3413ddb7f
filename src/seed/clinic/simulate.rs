//! The simulation: walks the clinic day by day up to the reference date, deciding what happens to every
//! patient; each day's events are ordered by time, given their positions, written as event rows and
//! folded by the projectors into the read models, exactly as a live projector would. The order of the
//! random draws is part of the output (determinism).

use std::io;

use super::clock::{self, US_PER_HOUR, US_PER_MIN, US_PER_SEC};
use super::event_rows::{self, Positioned};
use super::events::{Event, EventKind, Status};
use super::project::Projector;
use super::rng::{self, tag};
use super::world::{Item, World};
use crate::seed::load::sink::Sink;

/// Reasons of a session abandoned part-way: pain, technical issue, other (indexes into `MISS_REASONS`).
const ABANDON_REASONS: [u8; 3] = [2, 4, 6];

/// A work item's source: (type, id).
type Source = Option<(&'static str, [u8; 16])>;

impl World<'_> {
    /// Runs the whole history: events stream to `sink` as they are positioned; projections follow.
    pub fn run(&mut self, sink: &mut Sink, xid: u64) -> io::Result<()> {
        let mut projector = Projector::new(self);
        let mut batch = self.template_events();
        let mut position: i64 = 0;
        for day in (self.first_day - 1)..self.ref_day {
            for patient in 0..self.patient_count() {
                self.patient_day(patient, day, &mut batch);
            }
            batch.sort_by_key(|e| (e.at, e.seq));
            for event in batch.drain(..) {
                position += 1;
                let stream = &mut self.streams[event.stream as usize];
                stream.version += 1;
                let id = rng::uuid(self.seed, &[tag::EVENT, position.unsigned_abs()]);
                let causation = stream.last_event.replace(id);
                event_rows::write(self, sink, &Positioned { event: &event, position, id, causation, xid })?;
                projector.apply(self, sink, &event, position)?;
            }
            projector.end_of_day(self, sink, day)?;
        }
        sink.close_events()?;
        projector.finish(self, sink, position)
    }

    /// Reference data first: the work-queue templates, defined before the window starts.
    fn template_events(&mut self) -> Vec<Event> {
        let mut batch = Vec::new();
        for (template, id) in (0u32..).zip(self.template_ids.clone()) {
            let stream = self.new_stream(id, "work_item_template");
            let at = clock::at(self.first_day - 30) + i64::from(template) * US_PER_SEC;
            batch.push(self.reference_event(at, stream, EventKind::TemplateDefined { template }));
        }
        batch
    }

    fn patient_day(&mut self, patient: u32, day: i32, batch: &mut Vec<Event>) {
        let index = patient as usize;
        // Follow-ups planned earlier (alert reviews, work items) that fall on this day.
        let pending = std::mem::take(&mut self.patients[index].pending);
        let (due, later): (Vec<Event>, Vec<Event>) = pending.into_iter().partition(|e| clock::day_of(e.at) <= day);
        self.patients[index].pending = later;
        batch.extend(due);
        if day == self.patients[index].enrolled_day {
            self.enroll(patient, day, batch);
        }
        if day < self.patients[index].start_day {
            return;
        }
        let weekday = clock::weekday(day);
        if self.patients[index].days_mask & (1 << weekday) != 0 {
            self.slot(patient, day, batch);
        } else if self.patients[index].rng.chance(self.profile.extra_session_rate) {
            let at = clock::at(day) + self.patients[index].hour * US_PER_HOUR + 30 * US_PER_MIN;
            self.session(patient, None, at, Status::Completed, batch);
        }
        if weekday == 0 && day > self.patients[index].start_day {
            let at = clock::at(day) + 8 * US_PER_HOUR + i64::from(patient % 3600) * US_PER_SEC;
            let template = self.reference.template("weekly_progress_review");
            self.work_item(patient, template, at, None, batch);
        }
    }

    /// Enrolment: the patient's stream (its index is the patient's) opens with consents and the program.
    fn enroll(&mut self, patient: u32, day: i32, batch: &mut Vec<Event>) {
        let at = clock::at(day) + 10 * US_PER_HOUR + i64::from(patient % 3600) * US_PER_SEC;
        batch.push(self.event(at, patient, patient, EventKind::PatientEnrolled));
        let consents = self.patients[patient as usize].consents.clone();
        for (minute, scope) in (1..).zip(consents) {
            batch.push(self.event(at + minute * US_PER_MIN, patient, patient, EventKind::ConsentGranted { scope }));
        }
        batch.push(self.event(at + 10 * US_PER_MIN, patient, patient, EventKind::ProgramPrescribed));
    }

    /// A scheduled session falls due: done (completed, partial, abandoned) or missed.
    fn slot(&mut self, patient: u32, day: i32, batch: &mut Vec<Event>) {
        let index = patient as usize;
        let slot = clock::at(day) + self.patients[index].hour * US_PER_HOUR;
        batch.push(self.event(slot, patient, patient, EventKind::SessionDue { slot }));
        let draw = self.patients[index].rng.f64();
        let complete = self.patients[index].p_complete;
        let outcome = if draw < complete {
            Some(Status::Completed)
        } else if draw < complete + 0.08 {
            Some(Status::Partial)
        } else if draw < complete + 0.12 {
            Some(Status::Abandoned)
        } else {
            None
        };
        let missed_at = clock::at(day) + 23 * US_PER_HOUR + i64::from(patient % 1800) * US_PER_SEC;
        let Some(status) = outcome else {
            let rng = &mut self.patients[index].rng;
            let reason = if rng.chance(0.6) { 0 } else { u8::try_from(rng.range(1, 6)).expect("1 to 6") };
            let kind = EventKind::SessionMissed { slot, reason, abandoned: None };
            batch.push(self.event(missed_at, patient, patient, kind));
            self.missed(patient, missed_at, batch);
            return;
        };
        let start = slot + self.patients[index].rng.range(-20, 90) * US_PER_MIN;
        let session = self.session(patient, Some(slot), start, status, batch);
        if status == Status::Abandoned {
            let reason = ABANDON_REASONS[self.patients[index].rng.range_usize(0, 2)];
            let kind = EventKind::SessionMissed { slot, reason, abandoned: Some(session) };
            batch.push(self.event(missed_at, patient, patient, kind));
            self.missed(patient, missed_at, batch);
        } else {
            self.patients[index].consecutive_missed = 0;
        }
    }

    /// The second miss in a row opens an outreach work item.
    fn missed(&mut self, patient: u32, at: i64, batch: &mut Vec<Event>) {
        let state = &mut self.patients[patient as usize];
        state.consecutive_missed += 1;
        if state.consecutive_missed == 2 {
            let template = self.reference.template("missed_sessions_outreach");
            self.work_item(patient, template, at + 5 * US_PER_MIN, None, batch);
        }
    }

    /// A work item from `template` for the patient's therapist: created and assigned now, started and
    /// completed later (planned).
    pub(super) fn work_item(&mut self, patient: u32, template: usize, at: i64, source: Source, batch: &mut Vec<Event>) {
        let item = u32::try_from(self.items.len()).expect("fewer than 2^32 work items");
        let id = rng::uuid(self.seed, &[tag::ITEM, u64::from(item)]);
        let spec = &self.reference.templates[template];
        let priority: &'static str = match spec.default_priority.as_str() {
            "urgent" => "urgent",
            "high" => "high",
            "low" => "low",
            _ => "normal",
        };
        let due_at = at + i64::from(spec.due_within_hours) * US_PER_HOUR;
        let state = &mut self.patients[patient as usize];
        let (low, high) = match priority {
            "urgent" => (8500, 10000),
            "high" => (6500, 8500),
            "low" => (500, 3000),
            _ => (3000, 6500),
        };
        let priority_score = state.rng.range(low, high);
        let assigned = at + state.rng.range(1, 120) * US_PER_SEC;
        let started = assigned + state.rng.range(10, 60 * 20) * US_PER_MIN;
        let completed = started + state.rng.range(5, 90) * US_PER_MIN;
        let therapist = state.therapist;
        self.items.push(Item {
            id,
            template,
            patient,
            therapist,
            priority,
            priority_score,
            source_type: source.map(|s| s.0),
            source_id: source.map(|s| s.1),
            created_at: at,
            due_at,
        });
        let stream = self.new_stream(id, "work_item");
        batch.push(self.event(at, stream, patient, EventKind::ItemCreated { item }));
        batch.push(self.event(assigned, stream, patient, EventKind::ItemAssigned { item }));
        let later = |at, kind| Event { at, seq: 0, stream, patient: Some(patient), kind };
        self.plan(patient, later(started, EventKind::ItemStarted { item }));
        self.plan(patient, later(completed, EventKind::ItemCompleted { item }));
    }
}
