//! The quality read model: repetition and exercise analyses, per-patient summaries, weekly and monthly
//! trend snapshots, and alerts.

use std::io::{self, Write};

use super::maths::{avg, direction, int};
use crate::seed::clinic::clock;
use crate::seed::clinic::events::{Event, EventKind, MODEL_VERSION, RepScore, Status};
use crate::seed::clinic::rng::{tag, uuid};
use crate::seed::clinic::world::World;
use crate::seed::load::copy::{json_decimal, json_str, json_uuid};
use crate::seed::load::registry::Table;
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
                self.session_ended(world, sink, patient, session, event, position)?
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

fn rep_row(
    world: &World,
    sink: &mut Sink,
    score: &RepScore,
    faults: &[String],
    at: i64,
    position: i64,
) -> io::Result<()> {
    let analysis = uuid(world.seed, &[tag::ANALYSIS, u64::from(score.session), u64::from(score.exercise)]);
    let row = sink.row(Table::RepAnalyses);
    row.uuid(&uuid(world.seed, &[tag::REP, position.unsigned_abs()]));
    row.uuid(&analysis);
    row.i32(i32::from(score.rep));
    row.ts(at);
    row.numeric(i64::from(score.form), 2);
    row.numeric(i64::from(score.rom), 2);
    row.i32(score.duration_ms);
    row.bool(score.valid);
    let names: Vec<&str> =
        (0..faults.len().min(8)).filter(|i| score.faults & (1 << i) != 0).map(|i| faults[i].as_str()).collect();
    row.text_array(&names);
    row.numeric(i64::from(score.confidence), 3);
    row.i64(position);
    row.ts(at);
    sink.done(Table::RepAnalyses)
}

fn analysis_row(
    world: &World,
    sink: &mut Sink,
    patient: usize,
    session: u32,
    exercise: usize,
    analysis: &Analysis,
) -> io::Result<()> {
    let owner = &world.patients[patient];
    let planned = &owner.exercises[exercise];
    let reference = &world.reference.exercises[planned.exercise];
    let row = sink.row(Table::SessionAnalyses);
    row.uuid(&uuid(world.seed, &[tag::ANALYSIS, u64::from(session), exercise as u64]));
    row.uuid(&owner.id);
    row.uuid(&world.sessions[session as usize].id);
    row.uuid(&world.therapists[owner.therapist].id);
    row.text(&reference.code);
    row.ts(analysis.last);
    row.text(MODEL_VERSION);
    row.i16(i16::try_from(planned.reps).unwrap_or(i16::MAX));
    row.i32(analysis.reps);
    row.i32(analysis.valid);
    let reps = i64::from(analysis.reps);
    row.numeric(avg(analysis.form_sum, reps), 2);
    row.numeric(analysis.min, 2);
    row.numeric(analysis.max, 2);
    row.numeric(avg(analysis.rom_sum, reps), 2);
    row.numeric(i64::from(reference.target_rom_degrees) * 100, 2);
    row.i32(int(avg(analysis.duration_sum, reps)));
    row.null();
    row.jsonb(|out| {
        out.push(b'{');
        let seen = reference.faults.iter().enumerate().take(8).filter(|(i, _)| analysis.faults[*i] > 0);
        for (k, (i, fault)) in seen.enumerate() {
            if k > 0 {
                out.push(b',');
            }
            json_str(out, fault);
            let _ = write!(out, ":{}", analysis.faults[i]);
        }
        out.push(b'}');
    });
    row.i64(analysis.position);
    row.ts(analysis.first);
    row.ts(analysis.last);
    sink.done(Table::SessionAnalyses)
}

fn summary_row(world: &World, sink: &mut Sink, index: usize, state: &PatientQuality) -> io::Result<()> {
    let patient = &world.patients[index];
    let weeks_with_data: Vec<&Trend> = state.trend_weeks.iter().filter(|t| t.reps > 0).collect();
    let trend = match weeks_with_data.as_slice() {
        [.., a, b] => direction(Some(avg(b.form_sum, b.reps) - avg(a.form_sum, a.reps))),
        _ => "insufficient_data",
    };
    let row = sink.row(Table::QualitySummaries);
    row.uuid(&patient.id);
    row.uuid(&world.therapists[patient.therapist].id);
    row.i32(state.analyzed);
    row.i32(int(state.reps));
    row.i32(int(state.valid));
    row.opt_numeric(state.avg_form(), 2);
    row.opt_numeric(state.best, 2);
    row.opt_numeric(state.latest, 2);
    row.opt_numeric((state.reps > 0).then(|| avg(state.rom_sum, state.reps)), 2);
    row.text(trend);
    row.i32(state.open_alerts);
    row.opt_ts(state.last_analyzed);
    row.i64(state.position);
    row.ts(state.created);
    row.ts(if state.updated > 0 { state.updated } else { state.created });
    sink.done(Table::QualitySummaries)
}

fn trend_row(
    world: &World,
    sink: &mut Sink,
    index: usize,
    period: &str,
    trend: &Trend,
    change: Option<i64>,
) -> io::Result<()> {
    let row = sink.row(Table::TrendSnapshots);
    let start = u64::try_from(trend.start).expect("periods after 1970");
    row.uuid(&uuid(world.seed, &[tag::TREND, index as u64, u64::from(period == "month"), start]));
    row.uuid(&world.patients[index].id);
    row.text(period);
    row.date(trend.start);
    row.i32(trend.sessions);
    row.i32(int(trend.reps));
    row.numeric(avg(trend.form_sum, trend.reps), 2);
    row.numeric(avg(trend.rom_sum, trend.reps), 2);
    row.opt_numeric(change, 2);
    row.text(direction(change));
    row.i64(trend.position);
    row.ts(trend.created);
    row.ts(trend.updated);
    sink.done(Table::TrendSnapshots)
}

fn alert_row(world: &World, sink: &mut Sink, alert: usize, state: &AlertState) -> io::Result<()> {
    let raised = &world.alerts[alert];
    let patient = &world.patients[raised.patient as usize];
    let therapist = world.therapists[patient.therapist].id;
    let row = sink.row(Table::Alerts);
    row.uuid(&raised.id);
    row.uuid(&patient.id);
    row.opt_uuid(state.analysis.as_ref());
    row.uuid(&therapist);
    row.text(raised.alert_type);
    row.text(raised.severity);
    row.text(state.status);
    row.text(raised.title);
    row.jsonb(|out| {
        out.extend_from_slice(b"{\"session_id\":");
        json_uuid(out, &world.sessions[raised.session as usize].id);
        if raised.alert_type == "pain_increase" {
            let _ = write!(out, ",\"pain_after\":{}", raised.value);
        } else {
            out.extend_from_slice(b",\"avg_form_score\":");
            json_decimal(out, raised.value, 2);
            out.extend_from_slice(b",\"threshold\":58");
        }
        out.push(b'}');
    });
    row.ts(raised.triggered_at);
    row.opt_ts(state.acknowledged);
    row.opt_uuid(state.acknowledged.map(|_| &therapist));
    row.opt_ts(state.resolved);
    row.opt_uuid(state.resolved.map(|_| &therapist));
    let note = if raised.dismissed { "Not clinically relevant" } else { "Cues adjusted with the patient" };
    row.opt_text(state.resolved.map(|_| note));
    row.i64(state.position);
    row.ts(state.created);
    row.ts(state.updated);
    sink.done(Table::Alerts)
}
