//! The work-queue read model: templates, items, daily metrics per therapist, therapist capacity and
//! patient priorities (which weigh adherence and quality, so they are written last).

use std::io::{self, Write};

use super::adherence::Adherence;
use super::maths::{avg, int};
use super::quality::Quality;
use crate::seed::clinic::clock::{self, US_PER_SEC};
use crate::seed::clinic::events::{Event, EventKind};
use crate::seed::clinic::rng::{tag, uuid};
use crate::seed::clinic::world::World;
use crate::seed::load::copy::{json_decimal, json_str};
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

#[derive(Default, Clone)]
struct ItemState {
    /// Empty until the item is created.
    status: &'static str,
    assigned: Option<i64>,
    started: Option<i64>,
    completed: Option<i64>,
    position: i64,
    updated: i64,
}

impl ItemState {
    fn touch(&mut self, status: &'static str, position: i64, at: i64) {
        self.status = status;
        self.position = position;
        self.updated = at;
    }
}

/// One therapist's counters for the day being simulated.
#[derive(Default, Clone)]
struct TherapistDay {
    created: i32,
    assigned: i32,
    completed: i32,
    completion_minutes: i64,
    on_time: i32,
    minutes: i32,
}

#[derive(Default, Clone)]
struct PatientQueue {
    created: i64,
    open_items: i32,
    last_contact: Option<i64>,
    /// The last event of the patient, whatever it was.
    position: i64,
}

pub struct WorkQueue {
    patients: Vec<PatientQueue>,
    items: Vec<ItemState>,
    days: Vec<TherapistDay>,
    /// Each therapist's assigned items not yet completed.
    open: Vec<Vec<u32>>,
    therapist_position: Vec<i64>,
}

impl WorkQueue {
    pub fn new(world: &World) -> Self {
        Self {
            patients: vec![PatientQueue::default(); world.patients.len()],
            items: Vec::new(),
            days: vec![TherapistDay::default(); world.therapists.len()],
            open: vec![Vec::new(); world.therapists.len()],
            therapist_position: vec![0; world.therapists.len()],
        }
    }

    pub fn apply(&mut self, world: &World, sink: &mut Sink, event: &Event, position: i64) -> io::Result<()> {
        let Some(patient) = event.patient.map(|p| p as usize) else {
            if let EventKind::TemplateDefined { template } = event.kind {
                template_row(world, sink, template as usize, event.at, position)?;
            }
            return Ok(());
        };
        self.patients[patient].position = position;
        let item = match event.kind {
            EventKind::PatientEnrolled => {
                self.patients[patient].created = event.at;
                return Ok(());
            }
            EventKind::ItemCreated { item }
            | EventKind::ItemAssigned { item }
            | EventKind::ItemStarted { item }
            | EventKind::ItemCompleted { item } => item,
            _ => return Ok(()),
        };
        let therapist = world.items[item as usize].therapist;
        self.therapist_position[therapist] = position;
        match event.kind {
            EventKind::ItemCreated { .. } => {
                if self.items.len() <= item as usize {
                    self.items.resize_with(item as usize + 1, ItemState::default);
                }
                self.items[item as usize] = ItemState::default();
                self.items[item as usize].touch("pending", position, event.at);
                self.days[therapist].created += 1;
                self.patients[patient].open_items += 1;
            }
            EventKind::ItemAssigned { .. } => {
                let state = &mut self.items[item as usize];
                state.assigned = Some(event.at);
                state.touch("assigned", position, event.at);
                self.open[therapist].push(item);
                self.days[therapist].assigned += 1;
            }
            EventKind::ItemStarted { .. } => {
                let state = &mut self.items[item as usize];
                state.started = Some(event.at);
                state.touch("in_progress", position, event.at);
            }
            _ => self.completed(world, patient, item, event.at, position),
        }
        Ok(())
    }

    fn completed(&mut self, world: &World, patient: usize, item: u32, at: i64, position: i64) {
        let planned = &world.items[item as usize];
        let state = &mut self.items[item as usize];
        state.completed = Some(at);
        state.touch("completed", position, at);
        self.open[planned.therapist].retain(|&open| open != item);
        let day = &mut self.days[planned.therapist];
        day.completed += 1;
        day.completion_minutes += (at - planned.created_at) / clock::US_PER_MIN;
        day.on_time += i32::from(at <= planned.due_at);
        day.minutes += int(world.reference.templates[planned.template].estimated_minutes);
        let queue = &mut self.patients[patient];
        queue.open_items -= 1;
        queue.last_contact = Some(at);
    }

    /// Per-therapist daily metrics for `day`, then the counters restart.
    pub fn end_of_day(&mut self, world: &World, sink: &mut Sink, day: i32) -> io::Result<()> {
        let end = clock::at(day + 1) - US_PER_SEC;
        for (index, therapist) in world.therapists.iter().enumerate() {
            let counts = std::mem::take(&mut self.days[index]);
            let backlog = int(self.open[index].len());
            if counts.created == 0 && counts.assigned == 0 && counts.completed == 0 && backlog == 0 {
                continue;
            }
            let overdue = int(self.open[index].iter().filter(|&&i| world.items[i as usize].due_at < end).count());
            let row = sink.row(Table::DailyMetrics);
            let day_number = u64::try_from(day).expect("days after 1970");
            row.uuid(&uuid(world.seed, &[tag::METRIC, index as u64, day_number]));
            row.uuid(&therapist.id);
            row.date(day);
            row.i32(counts.created);
            row.i32(counts.assigned);
            row.i32(counts.completed);
            row.i32(0);
            row.i32(overdue);
            row.i32(backlog);
            let completed = i64::from(counts.completed);
            row.opt_numeric((completed > 0).then(|| avg(counts.completion_minutes * 100, completed)), 2);
            row.opt_numeric((completed > 0).then(|| avg(i64::from(counts.on_time) * 10_000, completed)), 2);
            row.i32(counts.minutes.min(1440));
            row.i64(self.therapist_position[index]);
            row.ts(end);
            row.ts(end);
            sink.done(Table::DailyMetrics)?;
        }
        Ok(())
    }

    /// Priorities, items and capacity, once every event is folded.
    pub fn finish(&self, world: &World, sink: &mut Sink, adherence: &Adherence, quality: &Quality) -> io::Result<()> {
        for index in 0..world.patients.len() {
            self.priority_row(world, sink, index, adherence, quality)?;
        }
        // Active items and their estimated minutes per therapist.
        let mut active = vec![(0i32, 0i32); world.therapists.len()];
        for (index, state) in self.items.iter().enumerate().filter(|(_, s)| !s.status.is_empty()) {
            let item = &world.items[index];
            if matches!(state.status, "assigned" | "in_progress") {
                active[item.therapist].0 += 1;
                active[item.therapist].1 += int(world.reference.templates[item.template].estimated_minutes);
            }
            item_row(world, sink, index, state)?;
        }
        for (index, (items, minutes)) in active.into_iter().enumerate() {
            self.capacity_row(world, sink, index, items, minutes)?;
        }
        Ok(())
    }

    fn priority_row(
        &self,
        world: &World,
        sink: &mut Sink,
        index: usize,
        adherence: &Adherence,
        quality: &Quality,
    ) -> io::Result<()> {
        let patient = &world.patients[index];
        let queue = &self.patients[index];
        let ref_us = world.ref_us();
        let overall = adherence.overall(index);
        let open_alerts = quality.open_alerts(index);
        let days_since = adherence.last_session(index).map(|l| (ref_us - l) / clock::US_PER_DAY);
        let score = ((10_000 - overall.unwrap_or(5_000)) * 6 / 10
            + i64::from(open_alerts) * 1_500
            + days_since.unwrap_or(14).min(14) * 250)
            .clamp(0, 10_000);
        let priority = match score {
            7_500.. => "urgent",
            5_000.. => "high",
            2_500.. => "normal",
            _ => "low",
        };
        let row = sink.row(Table::PatientPriorities);
        row.uuid(&patient.id);
        row.uuid(&world.therapists[patient.therapist].id);
        row.text(priority);
        row.numeric(score, 2);
        row.jsonb(|out| {
            out.extend_from_slice(b"{\"adherence_pct\":");
            match overall {
                Some(pct) => json_decimal(out, pct, 2),
                None => out.extend_from_slice(b"null"),
            }
            let _ = write!(out, ",\"open_alerts\":{open_alerts},\"days_since_last_session\":");
            match days_since {
                Some(days) => {
                    let _ = write!(out, "{days}");
                }
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        });
        row.opt_numeric(overall, 2);
        row.opt_numeric(quality.avg_form(index), 2);
        row.i32(open_alerts);
        row.i32(queue.open_items);
        row.opt_i32(days_since.map(int));
        row.opt_ts(queue.last_contact);
        row.ts(ref_us);
        row.i64(queue.position);
        row.ts(queue.created);
        row.ts(ref_us);
        sink.done(Table::PatientPriorities)
    }

    fn capacity_row(&self, world: &World, sink: &mut Sink, index: usize, items: i32, minutes: i32) -> io::Result<()> {
        let caseload = int(world.patients.iter().filter(|p| p.therapist == index).count());
        let row = sink.row(Table::TherapistCapacity);
        row.uuid(&world.therapists[index].id);
        row.i32(25);
        row.i32(items);
        row.i32(caseload.max(40));
        row.i32(caseload);
        row.i32(2400);
        row.i32(minutes);
        row.bool(items < 25);
        row.null();
        row.i64(self.therapist_position[index]);
        row.ts(clock::at(world.first_day - 30));
        row.ts(world.ref_us());
        sink.done(Table::TherapistCapacity)
    }
}

fn item_row(world: &World, sink: &mut Sink, index: usize, state: &ItemState) -> io::Result<()> {
    let item = &world.items[index];
    let template = &world.reference.templates[item.template];
    let row = sink.row(Table::Items);
    row.uuid(&item.id);
    row.uuid(&world.template_ids[item.template]);
    row.uuid(&world.patients[item.patient as usize].id);
    row.opt_uuid(state.assigned.map(|_| &world.therapists[item.therapist].id));
    row.text(&template.kind);
    row.text(&template.name);
    row.text(state.status);
    row.text(item.priority);
    row.numeric(item.priority_score, 2);
    row.opt_text(item.source_type);
    row.opt_uuid(item.source_id.as_ref());
    row.null();
    row.jsonb(|out| {
        out.extend_from_slice(b"{\"template\":");
        json_str(out, &template.code);
        out.push(b'}');
    });
    row.ts(item.due_at);
    row.null();
    row.opt_ts(state.assigned);
    row.opt_ts(state.started);
    row.opt_ts(state.completed);
    row.null();
    row.opt_text(state.completed.map(|_| "Done"));
    row.i64(state.position);
    row.ts(item.created_at);
    row.ts(state.updated);
    sink.done(Table::Items)
}

fn template_row(world: &World, sink: &mut Sink, template: usize, at: i64, position: i64) -> io::Result<()> {
    let spec = &world.reference.templates[template];
    let rules = serde_json::to_string(&spec.trigger_rules).unwrap_or_else(|_| "{}".into());
    let row = sink.row(Table::Templates);
    row.uuid(&world.template_ids[template]);
    row.text(&spec.code);
    row.text(&spec.name);
    row.text(&spec.description);
    row.text(&spec.kind);
    row.text(&spec.default_priority);
    row.i32(int(spec.due_within_hours));
    row.i16(i16::try_from(spec.estimated_minutes).unwrap_or(i16::MAX));
    row.jsonb_str(&rules);
    row.text_array(&spec.checklist);
    row.bool(true);
    row.i32(1);
    row.i64(position);
    row.ts(at);
    row.ts(at);
    row.null();
    sink.done(Table::Templates)
}
