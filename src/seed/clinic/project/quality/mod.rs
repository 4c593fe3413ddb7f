//! The quality read model: repetition and exercise analyses, per-patient summaries, weekly and monthly
//! trend snapshots, and alerts.

mod rows;

use std::io;

use rows::{alert_row, analysis_row, rep_row, summary_row, trend_row};

use super::maths::avg;
use crate::seed::clinic::clock;
use crate::seed::clinic::events::{Event, EventKind, RepScore, Status};
use crate::seed::clinic::rng::{tag, uuid};
use crate::seed::clinic::world::World;
use crate::seed::load::sink::Sink;

/// One trend period (a week or a month) of a patient.
#[derive(Default, Clone)]
struct Trend {
    start: i32,
    sessions: i32,
    reps: i64,
    form_sum: i64,
    rom_sum: i64,
    position: i64,
    created: i64,
    updated: i64,
}

/// The trend period starting on `start`, opened at `at` if it is new (periods arrive in order).
fn trend_at(trends: &mut Vec<Trend>, start: i32, at: i64) -> &mut Trend {
    if trends.last().is_none_or(|t| t.start != start) {
        trends.push(Trend { start, created: at, ..Trend::default() });
    }
    trends.last_mut().expect("pushed above")
}

/// One exercise of the session being scored.
#[derive(Default, Clone)]
struct Analysis {
    reps: i32,
    valid: i32,
    form_sum: i64,
    min: i64,
    max: i64,
    rom_sum: i64,
    duration_sum: i64,
    faults: [u32; 8],
    first: i64,
    last: i64,
    position: i64,
}

#[derive(Default, Clone)]
struct PatientQuality {
    created: i64,
    updated: i64,
    position: i64,
    analyzed: i32,
    reps: i64,
    valid: i64,
    form_sum: i64,
    rom_sum: i64,
    best: Option<i64>,
    latest: Option<i64>,
    last_analyzed: Option<i64>,
    open_alerts: i32,
    trend_weeks: Vec<Trend>,
    trend_months: Vec<Trend>,
    /// The analyses of the session in progress, by exercise of the program.
    current: Vec<Option<Analysis>>,
}

impl PatientQuality {
    fn touch(&mut self, position: i64, at: i64) {
        self.position = position;
        self.updated = at;
    }

    fn avg_form(&self) -> Option<i64> {
        (self.reps > 0).then(|| avg(self.form_sum, self.reps))
    }
}

#[derive(Default, Clone)]
struct AlertState {
    /// Empty until the alert is raised.
    status: &'static str,
    acknowledged: Option<i64>,
    resolved: Option<i64>,
    analysis: Option<[u8; 16]>,
    position: i64,
    created: i64,
    updated: i64,
}

impl AlertState {
    fn touch(&mut self, status: &'static str, position: i64, at: i64) {
        self.status = status;
        self.position = position;
        self.updated = at;
    }
}

pub struct Quality {
    patients: Vec<PatientQuality>,
    alerts: Vec<AlertState>,
}

impl Quality {
    pub fn new(world: &World) -> Self {
        Self { patients: vec![PatientQuality::default(); world.patients.len()], alerts: Vec::new() }
    }

    pub fn open_alerts(&self, patient: usize) -> i32 {
        self.patients[patient].open_alerts
    }

    /// The patient's average form score over every repetition (hundredths).
    pub fn avg_form(&self, patient: usize) -> Option<i64> {
        self.patients[patient].avg_form()
    }

    pub fn apply(&mut self, world: &World, sink: &mut Sink, event: &Event, position: i64) -> io::Result<()> {
        let Some(patient) = event.patient.map(|p| p as usize) else { return Ok(()) };
        match event.kind {
            EventKind::PatientEnrolled => {
                let state = &mut self.patients[patient];
                state.created = event.at;
                state.touch(position, event.at);
                state.current = vec![None; world.patients[patient].exercises.len()];
            }
            EventKind::RepScored(score) => self.rep_scored(world, sink, patient, &score, event.at, position)?,
            EventKind::SessionEnded { session } => {
                self.session_ended(world, sink, patient, session, event, position)?;
            }
            EventKind::AlertRaised { alert } => {
                let raised = &world.alerts[alert as usize];
                let analysis = analysis_of(world, raised.session, raised.exercise);
                // Alerts are numbered in generation order; their events arrive in time order.
                let alert = alert as usize;
                if self.alerts.len() <= alert {
                    self.alerts.resize_with(alert + 1, AlertState::default);
                }
                self.alerts[alert] = AlertState { analysis, created: event.at, ..AlertState::default() };
                self.alerts[alert].touch("open", position, event.at);
                let state = &mut self.patients[patient];
                state.open_alerts += 1;
                state.touch(position, event.at);
            }
            EventKind::AlertAcknowledged { alert } => {
                let state = &mut self.alerts[alert as usize];
                state.acknowledged = Some(event.at);
                state.touch("acknowledged", position, event.at);
            }
            EventKind::AlertResolved { alert } => {
                let outcome = if world.alerts[alert as usize].dismissed { "dismissed" } else { "resolved" };
                let state = &mut self.alerts[alert as usize];
                state.resolved = Some(event.at);
                state.touch(outcome, position, event.at);
                let state = &mut self.patients[patient];
                state.open_alerts -= 1;
                state.touch(position, event.at);
            }
            _ => {}
        }
        Ok(())
    }

    fn rep_scored(
        &mut self,
        world: &World,
        sink: &mut Sink,
        patient: usize,
        score: &RepScore,
        at: i64,
        position: i64,
    ) -> io::Result<()> {
        let planned = &world.patients[patient].exercises[usize::from(score.exercise)];
        let exercise = &world.reference.exercises[planned.exercise];
        let rom_pct = (i64::from(score.rom) * 100 / i64::from(exercise.target_rom_degrees)).min(10_000);
        let state = &mut self.patients[patient];
        let analysis = state.current[usize::from(score.exercise)].get_or_insert_with(|| Analysis {
            min: i64::MAX,
            max: i64::MIN,
            first: at,
            ..Analysis::default()
        });
        let form = i64::from(score.form);
        analysis.reps += 1;
        analysis.valid += i32::from(score.valid);
        analysis.form_sum += form;
        analysis.min = analysis.min.min(form);
        analysis.max = analysis.max.max(form);
        analysis.rom_sum += i64::from(score.rom);
        analysis.duration_sum += i64::from(score.duration_ms);
        analysis.last = at;
        analysis.position = position;
        for (i, count) in analysis.faults.iter_mut().enumerate() {
            *count += u32::from(score.faults & (1 << i) != 0);
        }
        state.reps += 1;
        state.valid += i64::from(score.valid);
        state.form_sum += form;
        state.rom_sum += rom_pct;
        state.touch(position, at);
        let day = clock::day_of(at);
        for trend in [
            trend_at(&mut state.trend_weeks, clock::week_start(day), at),
            trend_at(&mut state.trend_months, clock::month_start(day), at),
        ] {
            trend.reps += 1;
            trend.form_sum += form;
            trend.rom_sum += rom_pct;
            trend.position = position;
            trend.updated = at;
        }
        rep_row(world, sink, score, &exercise.faults, at, position)
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
        let analyses: Vec<(usize, Analysis)> = self.patients[patient]
            .current
            .iter_mut()
            .enumerate()
            .filter_map(|(k, a)| a.take().map(|a| (k, a)))
            .collect();
        let mut form = (0i64, 0i64);
        for (exercise, analysis) in &analyses {
            form.0 += analysis.form_sum;
            form.1 += i64::from(analysis.reps);
            analysis_row(world, sink, patient, session, *exercise, analysis)?;
        }
        let state = &mut self.patients[patient];
        if form.1 > 0 {
            let session_avg = avg(form.0, form.1);
            state.analyzed += 1;
            state.best = Some(state.best.map_or(session_avg, |b| b.max(session_avg)));
            state.latest = Some(session_avg);
            state.last_analyzed = Some(event.at);
            state.position = state.position.max(position);
            state.updated = event.at;
            let day = clock::day_of(world.sessions[session as usize].started_at);
            trend_at(&mut state.trend_weeks, clock::week_start(day), event.at).sessions += 1;
            trend_at(&mut state.trend_months, clock::month_start(day), event.at).sessions += 1;
        }
        Ok(())
    }

    /// Summaries and trend snapshots per patient, then the alerts, once every event is folded.
    pub fn finish(&self, world: &World, sink: &mut Sink) -> io::Result<()> {
        for (index, state) in self.patients.iter().enumerate() {
            summary_row(world, sink, index, state)?;
            for (period, trends) in [("week", &state.trend_weeks), ("month", &state.trend_months)] {
                let mut previous: Option<i64> = None;
                for trend in trends.iter().filter(|t| t.reps > 0) {
                    let form = avg(trend.form_sum, trend.reps);
                    let change = previous.map(|p| (form - p).clamp(-10_000, 10_000));
                    previous = Some(form);
                    trend_row(world, sink, index, period, trend, change)?;
                }
            }
        }
        for (alert, state) in self.alerts.iter().enumerate().filter(|(_, s)| !s.status.is_empty()) {
            alert_row(world, sink, alert, state)?;
        }
        Ok(())
    }
}

/// Alerts are raised after the session ended, when its analyses are final: an exercise with scored
/// repetitions has an analysis row.
fn analysis_of(world: &World, session: u32, exercise: usize) -> Option<[u8; 16]> {
    let scored = &world.sessions[session as usize];
    let has_reps =
        scored.status == Status::Completed || exercise < usize::try_from(scored.exercises_completed).unwrap_or(0);
    has_reps.then(|| uuid(world.seed, &[tag::ANALYSIS, u64::from(session), exercise as u64]))
}
