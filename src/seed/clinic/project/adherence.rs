//! The adherence read model: per-patient summaries, session logs, missed sessions and weekly snapshots.

use std::io;

use super::maths::{adherence, avg, int, wide};
use crate::seed::clinic::clock::{self, US_PER_SEC};
use crate::seed::clinic::events::{Event, EventKind, MISS_REASONS, Status};
use crate::seed::clinic::rng::{tag, uuid};
use crate::seed::clinic::world::World;
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

#[derive(Default, Clone)]
struct Counts {
    prescribed: i32,
    completed: i32,
    partial: i32,
    missed: i32,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Completed => self.completed += 1,
            Status::Partial => self.partial += 1,
            Status::Abandoned => self.missed += 1,
        }
    }

    fn adherence(&self) -> Option<i64> {
        adherence(self.prescribed, self.completed, self.partial)
    }
}

#[derive(Default, Clone)]
struct Week {
    start: i32,
    counts: Counts,
    minutes: i32,
    pain_sum: i64,
    pain_n: i64,
    position: i64,
    created: i64,
    updated: i64,
}

impl Week {
    fn touch(&mut self, position: i64, at: i64) {
        self.position = position;
        self.updated = at;
    }
}

#[derive(Default, Clone)]
struct PatientAdherence {
    created: i64,
    updated: i64,
    position: i64,
    all: Counts,
    last28: Counts,
    streak: i32,
    longest: i32,
    minutes: i32,
    first_session: Option<i64>,
    last_session: Option<i64>,
    weeks: Vec<Week>,
}

impl PatientAdherence {
    fn touch(&mut self, position: i64, at: i64) {
        self.position = position;
        self.updated = at;
    }

    /// The snapshot of the week holding `day_in_week` (created at `at` if new), weeks kept in order.
    fn week(&mut self, day_in_week: i64, at: i64) -> &mut Week {
        let start = clock::week_start(clock::day_of(day_in_week));
        let index = if let Some(i) = self.weeks.iter().rposition(|w| w.start == start) {
            i
        } else {
            self.weeks.push(Week { start, created: at, ..Week::default() });
            self.weeks.sort_by_key(|w| w.start);
            self.weeks.iter().position(|w| w.start == start).expect("inserted")
        };
        &mut self.weeks[index]
    }
}

pub struct Adherence {
    patients: Vec<PatientAdherence>,
    cutoff_28d: i64,
}

impl Adherence {
    pub fn new(world: &World) -> Self {
        Self {
            patients: vec![PatientAdherence::default(); world.patients.len()],
            cutoff_28d: world.ref_us() - 28 * clock::US_PER_DAY,
        }
    }

    /// The patient's adherence over the whole program, in hundredths of a percent.
    pub fn overall(&self, patient: usize) -> Option<i64> {
        self.patients[patient].all.adherence()
    }

    pub fn last_session(&self, patient: usize) -> Option<i64> {
        self.patients[patient].last_session
    }

    pub fn apply(&mut self, world: &World, sink: &mut Sink, event: &Event, position: i64) -> io::Result<()> {
        let Some(patient) = event.patient.map(|p| p as usize) else { return Ok(()) };
        let state = &mut self.patients[patient];
        match event.kind {
            EventKind::PatientEnrolled => {
                state.created = event.at;
                state.touch(position, event.at);
            }
            EventKind::ProgramPrescribed => state.touch(position, event.at),
            EventKind::SessionDue { slot } => {
                state.all.prescribed += 1;
                if slot >= self.cutoff_28d {
                    state.last28.prescribed += 1;
                }
                state.touch(position, event.at);
                let week = state.week(slot, event.at);
                week.counts.prescribed += 1;
                week.touch(position, event.at);
            }
            EventKind::SessionEnded { session } => {
                self.session_ended(world, sink, patient, session, event, position)?;
            }
            EventKind::SessionMissed { slot, reason, abandoned } => {
                state.all.missed += 1;
                if slot >= self.cutoff_28d {
                    state.last28.missed += 1;
                }
                state.streak = 0;
                state.touch(position, event.at);
                let week = state.week(slot, event.at);
                week.counts.missed += 1;
                week.touch(position, event.at);
                missed_row(world, sink, patient, (slot, reason, abandoned), event.at, position)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn session_ended(
        &mut self,
        world: &World,
        sink: &mut Sink,
        patient: usize,
        session: u32,
        event: &Event,
        position: i64,
    ) -> io::Result<()> {
        let session = &world.sessions[session as usize];
        let duration = int((session.ended_at - session.started_at) / US_PER_SEC);
        let state = &mut self.patients[patient];
        state.minutes += if session.status == Status::Abandoned { 0 } else { duration / 60 };
        // An abandoned session counts as a miss (its SessionMissed event follows), not as a session.
        let done = (session.status != Status::Abandoned).then_some(session.status);
        if done.is_some() {
            state.first_session = Some(state.first_session.map_or(session.started_at, |f| f.min(session.started_at)));
            state.last_session = Some(state.last_session.map_or(session.started_at, |l| l.max(session.started_at)));
        }
        let scheduled = session.scheduled_for.zip(done);
        if let Some((slot, status)) = scheduled {
            state.all.add(status);
            if slot >= self.cutoff_28d {
                state.last28.add(status);
            }
            if status == Status::Completed {
                state.streak += 1;
                state.longest = state.longest.max(state.streak);
            } else {
                state.streak = 0;
            }
        }
        state.touch(position, event.at);
        if let Some((slot, status)) = scheduled {
            let week = state.week(slot, event.at);
            week.counts.add(status);
            week.touch(position, event.at);
        }
        let week = state.week(session.started_at, event.at);
        week.minutes += if session.status == Status::Abandoned { 0 } else { duration / 60 };
        week.pain_sum += i64::from(session.pain_after) * 100;
        week.pain_n += 1;
        week.touch(position, event.at);
        session_log_row(world, sink, patient, session, duration, position)
    }

    /// Summaries and weekly snapshots, once every event is folded.
    pub fn finish(&self, world: &World, sink: &mut Sink) -> io::Result<()> {
        for (index, state) in self.patients.iter().enumerate() {
            summary_row(world, sink, index, state)?;
            for week in &state.weeks {
                week_row(world, sink, index, week)?;
            }
        }
        Ok(())
    }
}

fn missed_row(
    world: &World,
    sink: &mut Sink,
    patient: usize,
    (slot, reason, abandoned): (i64, u8, Option<u32>),
    at: i64,
    position: i64,
) -> io::Result<()> {
    let patient = &world.patients[patient];
    let row = sink.row(Table::MissedSessions);
    row.uuid(&uuid(world.seed, &[tag::MISSED, position.unsigned_abs()]));
    row.uuid(&patient.id);
    row.uuid(&world.therapists[patient.therapist].id);
    row.uuid(&patient.program_id);
    row.ts(slot);
    row.ts(at);
    row.text(MISS_REASONS[reason as usize]);
    row.null();
    row.opt_uuid(abandoned.map(|s| &world.sessions[s as usize].id));
    row.null();
    row.null();
    row.i64(position);
    row.ts(at);
    row.ts(at);
    sink.done(Table::MissedSessions)
}

fn session_log_row(
    world: &World,
    sink: &mut Sink,
    patient: usize,
    session: &crate::seed::clinic::world::Session,
    duration: i32,
    position: i64,
) -> io::Result<()> {
    let patient = &world.patients[patient];
    let row = sink.row(Table::SessionLogs);
    row.uuid(&session.id);
    row.uuid(&patient.id);
    row.uuid(&world.therapists[patient.therapist].id);
    row.uuid(&patient.program_id);
    row.text(session.status.label());
    row.opt_ts(session.scheduled_for);
    row.ts(session.started_at);
    row.ts(session.ended_at);
    row.i32(duration);
    let prescribed = wide(patient.exercises.len());
    row.i16(i16::try_from(prescribed).expect("a program has few exercises"));
    row.i16(session.exercises_completed);
    row.i32(session.reps_completed);
    row.numeric(avg(10_000 * i64::from(session.exercises_completed), prescribed), 2);
    row.i16(session.pain_before);
    row.i16(session.pain_after);
    row.i16(session.exertion);
    row.i64(position);
    row.ts(session.started_at);
    row.ts(session.ended_at);
    sink.done(Table::SessionLogs)
}

fn summary_row(world: &World, sink: &mut Sink, index: usize, state: &PatientAdherence) -> io::Result<()> {
    let patient = &world.patients[index];
    let next_due = (0..7)
        .map(|k| world.ref_day + k)
        .find(|&d| patient.days_mask & (1 << clock::weekday(d)) != 0)
        .map(|d| clock::at(d) + patient.hour * clock::US_PER_HOUR);
    let row = sink.row(Table::AdherenceSummaries);
    row.uuid(&patient.id);
    row.uuid(&world.therapists[patient.therapist].id);
    row.uuid(&patient.program_id);
    row.date(patient.start_day);
    row.i32(state.all.prescribed);
    row.i32(state.all.completed);
    row.i32(state.all.partial);
    row.i32(state.all.missed);
    row.opt_numeric(state.all.adherence(), 2);
    row.opt_numeric(state.last28.adherence(), 2);
    row.i32(state.streak);
    row.i32(state.longest);
    row.i32(state.minutes);
    row.opt_ts(state.first_session);
    row.opt_ts(state.last_session);
    row.opt_ts(next_due);
    row.i64(state.position);
    row.ts(state.created);
    row.ts(state.updated);
    sink.done(Table::AdherenceSummaries)
}

fn week_row(world: &World, sink: &mut Sink, index: usize, week: &Week) -> io::Result<()> {
    let row = sink.row(Table::WeeklySnapshots);
    let start = u64::try_from(week.start).expect("weeks after 1970");
    row.uuid(&uuid(world.seed, &[tag::WEEK, index as u64, start]));
    row.uuid(&world.patients[index].id);
    row.date(week.start);
    row.i32(week.counts.prescribed);
    row.i32(week.counts.completed);
    row.i32(week.counts.partial);
    row.i32(week.counts.missed);
    row.opt_numeric(week.counts.adherence(), 2);
    row.i32(week.minutes.min(10_080));
    row.opt_numeric((week.pain_n > 0).then(|| avg(week.pain_sum, week.pain_n)), 2);
    row.i64(week.position);
    row.ts(week.created);
    row.ts(week.updated);
    sink.done(Table::WeeklySnapshots)
}
