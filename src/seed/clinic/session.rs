//! One started session: its start, every scored repetition, its end, and the alerts (and work items) the
//! quality service raises after it. The order of the random draws is part of the output (determinism).

use super::clock::{self, US_PER_HOUR, US_PER_MIN, US_PER_SEC};
use super::events::{Event, EventKind, RepScore, Status};
use super::rng::{self, tag};
use super::world::{Alert, Patient, Session, World};

/// What the scored exercises of a session came to.
struct Scored {
    /// When the last exercise (and its rest) ended.
    until: i64,
    reps: i32,
    /// The lowest average form score of an exercise, and which exercise of the program it was.
    worst: f64,
    worst_exercise: usize,
}

/// An alert as the session raises it.
struct AlertDraft {
    patient: u32,
    session: u32,
    exercise: usize,
    kind: &'static str,
    severity: &'static str,
    title: &'static str,
    value: i64,
    ended: i64,
}

/// One exercise's parameters for scoring its repetitions.
struct Exercise {
    target_rom: u32,
    rep_ms: u32,
    /// How many of its faults the pose model tells apart (at most 8, one bit each).
    faults: i64,
}

/// Scores repetition `rep`: form, range of motion, duration, faults and the model's confidence.
#[expect(clippy::cast_possible_truncation, reason = "values are clamped to their column's range first")]
fn score_rep(patient: &mut Patient, exercise: &Exercise, rep: u16, progress: f64) -> (f64, RepScore) {
    let fatigue = f64::from(rep) * 0.4;
    let form = patient.rng.normal(patient.skill + progress * 8.0 - fatigue, 7.0).clamp(5.0, 100.0);
    let rom = (f64::from(exercise.target_rom) * patient.rng.normal(0.78 + form / 500.0, 0.06)).clamp(1.0, 359.0);
    let duration_ms = (f64::from(exercise.rep_ms) * patient.rng.normal(1.0, 0.12)).clamp(400.0, 20_000.0) as i32;
    let last_fault = exercise.faults - 1;
    let mut faults = 0u8;
    if form < 75.0 {
        faults |= 1 << patient.rng.range(0, last_fault);
    }
    if form < 55.0 && exercise.faults > 1 {
        faults |= 1 << patient.rng.range(0, last_fault);
    }
    let confidence = patient.rng.range_i16(720, 995);
    let score = RepScore {
        session: 0,
        exercise: 0,
        rep,
        form: (form * 100.0).round() as i32,
        rom: (rom * 100.0).round() as i32,
        duration_ms,
        valid: form >= 50.0 && confidence >= 750,
        faults,
        confidence,
    };
    (form, score)
}

impl World<'_> {
    /// A started session: its start, the scored repetitions and its end. Returns the session index.
    pub(super) fn session(
        &mut self,
        patient: u32,
        scheduled_for: Option<i64>,
        start: i64,
        status: Status,
        batch: &mut Vec<Event>,
    ) -> u32 {
        let index = patient as usize;
        let session = u32::try_from(self.sessions.len()).expect("fewer than 2^32 sessions");
        let id = rng::uuid(self.seed, &[tag::SESSION, u64::from(session)]);
        let stream = self.new_stream(id, "exercise_session");
        batch.push(self.event(start, stream, patient, EventKind::SessionStarted { session }));
        let program = self.patients[index].exercises.len();
        let done = match status {
            Status::Completed => program,
            Status::Partial => self.patients[index].rng.range_usize(1, program.saturating_sub(1)).max(1),
            Status::Abandoned => 0,
        };
        let scored = self.score_exercises(patient, session, stream, start, done, batch);
        let rng = &mut self.patients[index].rng;
        let pain_before = rng.range_i16(0, 6);
        let pain_after = (pain_before + rng.range_i16(-2, 3)).clamp(0, 10)
            + i16::from(status != Status::Completed && rng.chance(0.3)) * 3;
        let pain_after = pain_after.min(10);
        let exertion = rng.range_i16(2, 8);
        let end = scored.until + US_PER_MIN;
        batch.push(self.event(end, stream, patient, EventKind::SessionEnded { session }));
        self.sessions.push(Session {
            id,
            scheduled_for,
            started_at: start,
            ended_at: end,
            status,
            exercises_completed: i16::try_from(done).expect("a program has few exercises"),
            reps_completed: scored.reps,
            pain_before,
            pain_after,
            exertion,
        });
        self.raise_alerts(patient, session, &scored, pain_after, end, batch);
        session
    }

    /// The repetitions of the first `done` exercises of the program, and a few of the next one (where a
    /// partial or abandoned session stopped).
    fn score_exercises(
        &mut self,
        patient: u32,
        session: u32,
        stream: u32,
        start: i64,
        done: usize,
        batch: &mut Vec<Event>,
    ) -> Scored {
        let index = patient as usize;
        let progress = f64::from(clock::day_of(start) - self.first_day) / (7.0 * f64::from(self.profile.weeks));
        let mut scored = Scored { until: start + 2 * US_PER_MIN, reps: 0, worst: 100.0, worst_exercise: 0 };
        for k in 0..self.patients[index].exercises.len().min(done + 1) {
            let planned = self.patients[index].exercises[k].clone();
            let reference = &self.reference.exercises[planned.exercise];
            let exercise = Exercise {
                target_rom: reference.target_rom_degrees,
                rep_ms: reference.rep_ms,
                faults: i64::try_from(reference.faults.len().min(8)).expect("at most 8"),
            };
            let reps = if k < done { planned.reps } else { self.patients[index].rng.range_u16(0, 2) };
            let mut form_sum = 0.0;
            for rep in 1..=reps {
                let (form, mut score) = score_rep(&mut self.patients[index], &exercise, rep, progress);
                score.session = session;
                score.exercise = u8::try_from(k).expect("a program has few exercises");
                scored.until += i64::from(score.duration_ms) * 1000;
                form_sum += form;
                batch.push(self.event(scored.until, stream, patient, EventKind::RepScored(score)));
                scored.reps += 1;
            }
            if reps > 0 && form_sum / f64::from(reps) < scored.worst {
                scored.worst = form_sum / f64::from(reps);
                scored.worst_exercise = k;
            }
            scored.until += 30 * US_PER_SEC;
        }
        scored
    }

    /// Alerts the quality service raises after the session, their review, and the work items they open.
    #[expect(clippy::cast_possible_truncation, reason = "a form score is at most 100")]
    fn raise_alerts(
        &mut self,
        patient: u32,
        session: u32,
        scored: &Scored,
        pain_after: i16,
        ended: i64,
        batch: &mut Vec<Event>,
    ) {
        if scored.reps > 0 && scored.worst < 58.0 {
            self.alert(&AlertDraft {
                patient,
                session,
                exercise: scored.worst_exercise,
                kind: "form_decline",
                severity: if scored.worst < 45.0 { "high" } else { "medium" },
                title: "Exercise form below threshold",
                value: (scored.worst * 100.0) as i64,
                ended,
            });
        }
        if pain_after >= 7 {
            self.alert(&AlertDraft {
                patient,
                session,
                exercise: 0,
                kind: "pain_increase",
                severity: "high",
                title: "Pain of 7 or more after a session",
                value: i64::from(pain_after),
                ended,
            });
            let template = self.reference.template("pain_follow_up");
            self.work_item(patient, template, ended + 2 * US_PER_MIN, None, batch);
        }
        let first_new = self.alerts.iter().rposition(|a| a.session != session).map_or(0, |i| i + 1);
        for alert in first_new..self.alerts.len() {
            self.alert_events(patient, u32::try_from(alert).expect("fewer than 2^32 alerts"), batch);
        }
    }

    /// The alert's stream: raised now, acknowledged and resolved later (planned), and for a high severity
    /// a review work item.
    fn alert_events(&mut self, patient: u32, alert: u32, batch: &mut Vec<Event>) {
        let raised = &self.alerts[alert as usize];
        let (at, severity, id) = (raised.triggered_at, raised.severity, raised.id);
        let stream = self.new_stream(id, "quality_alert");
        batch.push(self.event(at, stream, patient, EventKind::AlertRaised { alert }));
        let rng = &mut self.patients[patient as usize].rng;
        let acknowledged = at + rng.range(2, 48) * US_PER_HOUR;
        let resolved = acknowledged + rng.range(1, 72) * US_PER_HOUR;
        let later = |at, kind| Event { at, seq: 0, stream, patient: Some(patient), kind };
        self.plan(patient, later(acknowledged, EventKind::AlertAcknowledged { alert }));
        self.plan(patient, later(resolved, EventKind::AlertResolved { alert }));
        if severity == "high" {
            let template = self.reference.template("form_alert_review");
            self.work_item(patient, template, at + US_PER_MIN, Some(("quality.alert", id)), batch);
        }
    }

    fn alert(&mut self, draft: &AlertDraft) {
        let number = self.alerts.len() as u64;
        let dismissed = self.patients[draft.patient as usize].rng.chance(0.15);
        self.alerts.push(Alert {
            id: rng::uuid(self.seed, &[tag::ALERT, number]),
            patient: draft.patient,
            session: draft.session,
            exercise: draft.exercise,
            kind: draft.kind,
            severity: draft.severity,
            title: draft.title,
            value: draft.value,
            triggered_at: draft.ended + US_PER_SEC * (1 + i64::try_from(number % 7).expect("below 7")),
            dismissed,
        });
    }
}
