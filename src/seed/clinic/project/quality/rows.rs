//! The quality model's rows, written from its folded state.

use std::io::{self, Write};

use super::{AlertState, Analysis, PatientQuality, Trend};
use crate::seed::clinic::events::{MODEL_VERSION, RepScore};
use crate::seed::clinic::project::maths::{avg, direction, int};
use crate::seed::clinic::rng::{tag, uuid};
use crate::seed::clinic::world::World;
use crate::seed::load::copy::{json_decimal, json_str, json_uuid};
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

pub(super) fn rep_row(
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

pub(super) fn analysis_row(
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

pub(super) fn summary_row(world: &World, sink: &mut Sink, index: usize, state: &PatientQuality) -> io::Result<()> {
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

pub(super) fn trend_row(
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

pub(super) fn alert_row(world: &World, sink: &mut Sink, alert: usize, state: &AlertState) -> io::Result<()> {
    let raised = &world.alerts[alert];
    let patient = &world.patients[raised.patient as usize];
    let therapist = world.therapists[patient.therapist].id;
    let row = sink.row(Table::Alerts);
    row.uuid(&raised.id);
    row.uuid(&patient.id);
    row.opt_uuid(state.analysis.as_ref());
    row.uuid(&therapist);
    row.text(raised.kind);
    row.text(raised.severity);
    row.text(state.status);
    row.text(raised.title);
    row.jsonb(|out| {
        out.extend_from_slice(b"{\"session_id\":");
        json_uuid(out, &world.sessions[raised.session as usize].id);
        if raised.kind == "pain_increase" {
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
