//! The clinic simulation. A generator decides what happens to every patient day by day (its own seeded
//! RNG per patient, so the result is independent of any ordering outside the patient); each day's events
//! are ordered by time, given their positions, encoded for COPY and folded by the projector (`project.rs`)
//! into the read models, exactly as a live projector would. Projections are therefore what the events imply.

use std::io;

use super::clock::{self, US_PER_HOUR, US_PER_MIN, US_PER_SEC};
use super::profile::{Profile, Reference};
use super::project::Projector;
use super::rng::{self, Rng};
use super::sink::Sink;

/// Tags that keep derived ids of different kinds apart.
pub mod tag {
    pub const USER: u64 = 1;
    pub const PROGRAM: u64 = 2;
    pub const SESSION: u64 = 3;
    pub const EVENT: u64 = 4;
    pub const ALERT: u64 = 5;
    pub const ITEM: u64 = 6;
    pub const TEMPLATE: u64 = 7;
    pub const ANALYSIS: u64 = 8;
    pub const REP: u64 = 9;
    pub const MISSED: u64 = 10;
    pub const WEEK: u64 = 11;
    pub const TREND: u64 = 12;
    pub const METRIC: u64 = 13;
    pub const PATIENT_RNG: u64 = 14;
    pub const AUTH_RNG: u64 = 15;
    pub const CONSENT: u64 = 16;
    pub const LOGIN: u64 = 17;
    pub const AUDIT: u64 = 18;
    pub const BREAK_GLASS: u64 = 19;
}

pub const MODEL_VERSION: &str = "posenet-rehab-3.2.1";
pub const MISS_REASONS: [&str; 7] =
    ["not_started", "patient_cancelled", "pain", "illness", "technical_issue", "schedule_conflict", "other"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Completed,
    Partial,
    Abandoned,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Partial => "partial",
            Status::Abandoned => "abandoned",
        }
    }
}

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
    rng: Rng,
    p_complete: f64,
    skill: f64,
    consecutive_missed: u32,
    pending: Vec<Ev>,
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
    pub alert_type: &'static str,
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

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    TemplateDefined { template: u32 },
    PatientEnrolled,
    ConsentGranted { scope: &'static str },
    ProgramPrescribed,
    SessionDue { slot: i64 },
    SessionStarted { s: u32 },
    RepScored { s: u32, ex: u8, rep: u16, form: i32, rom: i32, dur: i32, valid: bool, faults: u8, conf: i16 },
    SessionEnded { s: u32 },
    SessionMissed { slot: i64, reason: u8, abandoned: Option<u32> },
    AlertRaised { a: u32 },
    AlertAcknowledged { a: u32 },
    AlertResolved { a: u32 },
    ItemCreated { i: u32 },
    ItemAssigned { i: u32 },
    ItemStarted { i: u32 },
    ItemCompleted { i: u32 },
}

/// An event before it has a position: time, generation order (tie-break), stream, patient, payload.
#[derive(Debug, Clone, Copy)]
pub struct Ev {
    pub at: i64,
    pub seq: u64,
    pub stream: u32,
    pub patient: u32,
    pub kind: Kind,
}

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
        let first_day = ref_day - 7 * profile.weeks as i32;
        let therapists = (0..u64::from(profile.therapists))
            .map(|i| Therapist { id: rng::uuid(seed, &[tag::USER, 2, i]) })
            .collect::<Vec<_>>();
        let template_ids =
            (0..reference.templates.len() as u64).map(|i| rng::uuid(seed, &[tag::TEMPLATE, i])).collect();
        let mut w = Self {
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
        for i in 0..profile.patients {
            let p = w.new_patient(i);
            w.streams.push(Stream { id: p.id, kind: "patient", version: 0, last_event: None });
            w.patients.push(p);
        }
        w
    }

    fn new_patient(&self, i: u32) -> Patient {
        let p = self.profile;
        let mut rng = Rng::new(self.seed, &[tag::PATIENT_RNG, u64::from(i)]);
        let start_day = self.first_day + rng.range(0, 6) as i32;
        let per_week = rng.range(i64::from(p.sessions_per_week[0]), i64::from(p.sessions_per_week[1])) as u32;
        let mut days_mask = 0u8;
        while days_mask.count_ones() < per_week.min(6) {
            days_mask |= 1 << rng.range(0, 5);
        }
        let n_ex = rng.range(i64::from(p.exercises_per_program[0]), i64::from(p.exercises_per_program[1])) as usize;
        let mut exercises: Vec<ProgramExercise> = Vec::new();
        while exercises.len() < n_ex.min(self.reference.exercises.len()) {
            let e = rng.range(0, self.reference.exercises.len() as i64 - 1) as usize;
            if !exercises.iter().any(|x| x.exercise == e) {
                let reps = rng.range(i64::from(p.reps_per_exercise[0]), i64::from(p.reps_per_exercise[1])) as u16;
                exercises.push(ProgramExercise { exercise: e, reps });
            }
        }
        let mut consents = vec!["treatment", "remote_monitoring"];
        if rng.chance(0.9) {
            consents.push("video_recording");
        }
        if rng.chance(0.3) {
            consents.push("research");
        }
        Patient {
            id: rng::uuid(self.seed, &[tag::USER, 3, u64::from(i)]),
            therapist: i as usize % self.therapists.len(),
            program_id: rng::uuid(self.seed, &[tag::PROGRAM, u64::from(i)]),
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

    fn ev(&mut self, at: i64, stream: u32, patient: u32, kind: Kind) -> Ev {
        self.seq += 1;
        Ev { at, seq: self.seq, stream, patient, kind }
    }

    fn new_stream(&mut self, id: [u8; 16], kind: &'static str) -> u32 {
        self.streams.push(Stream { id, kind, version: 0, last_event: None });
        self.streams.len() as u32 - 1
    }

    /// Runs the whole history: events stream to `sink` as they are positioned; projections follow.
    pub fn run(&mut self, sink: &mut Sink, xid: u64) -> io::Result<Projector> {
        let mut proj = Projector::new(self);
        let mut batch: Vec<Ev> = Vec::new();
        let mut position: i64 = 0;
        // Reference data first: the work-queue templates, defined before the window starts.
        for t in 0..self.reference.templates.len() as u32 {
            let id = self.template_ids[t as usize];
            let s = self.new_stream(id, "work_item_template");
            let at = clock::at(self.first_day - 30) + i64::from(t) * US_PER_SEC;
            batch.push(self.ev(at, s, u32::MAX, Kind::TemplateDefined { template: t }));
        }
        for day in (self.first_day - 1)..self.ref_day {
            for p in 0..self.patients.len() as u32 {
                self.patient_day(p, day, &mut batch);
            }
            batch.sort_by_key(|e| (e.at, e.seq));
            for ev in batch.drain(..) {
                position += 1;
                let stream = &mut self.streams[ev.stream as usize];
                stream.version += 1;
                let event_id = rng::uuid(self.seed, &[tag::EVENT, position as u64]);
                let causation = stream.last_event.replace(event_id);
                super::encode::event(self, sink, &ev, position, event_id, causation, xid)?;
                proj.apply(self, sink, &ev, position)?;
            }
            proj.end_of_day(self, sink, day)?;
        }
        sink.close_events()?;
        proj.finish(self, sink, position)?;
        Ok(proj)
    }

    fn patient_day(&mut self, p: u32, day: i32, batch: &mut Vec<Ev>) {
        let pi = p as usize;
        // Follow-ups planned earlier (alert reviews, work items) that fall on this day.
        let due: Vec<Ev> = {
            let pending = &mut self.patients[pi].pending;
            let (now, later): (Vec<Ev>, Vec<Ev>) = pending.drain(..).partition(|e| clock::day_of(e.at) <= day);
            *pending = later;
            now
        };
        batch.extend(due);
        if day == self.patients[pi].enrolled_day {
            self.enroll(p, day, batch);
        }
        if day < self.patients[pi].start_day {
            return;
        }
        let wd = clock::weekday(day);
        if self.patients[pi].days_mask & (1 << wd) != 0 {
            self.slot(p, day, batch);
        } else if self.patients[pi].rng.chance(self.profile.extra_session_rate) {
            let at = clock::at(day) + self.patients[pi].hour * US_PER_HOUR + 30 * US_PER_MIN;
            self.session(p, None, at, Status::Completed, batch);
        }
        if wd == 0 && day > self.patients[pi].start_day {
            let at = clock::at(day) + 8 * US_PER_HOUR + i64::from(p % 3600) * US_PER_SEC;
            let t = self.reference.template("weekly_progress_review");
            self.work_item(p, t, at, None, batch);
        }
    }

    fn enroll(&mut self, p: u32, day: i32, batch: &mut Vec<Ev>) {
        let at = clock::at(day) + 10 * US_PER_HOUR + i64::from(p % 3600) * US_PER_SEC;
        batch.push(self.ev(at, p, p, Kind::PatientEnrolled));
        let consents = self.patients[p as usize].consents.clone();
        for (k, scope) in consents.into_iter().enumerate() {
            batch.push(self.ev(at + (k as i64 + 1) * US_PER_MIN, p, p, Kind::ConsentGranted { scope }));
        }
        batch.push(self.ev(at + 10 * US_PER_MIN, p, p, Kind::ProgramPrescribed));
    }

    fn slot(&mut self, p: u32, day: i32, batch: &mut Vec<Ev>) {
        let pi = p as usize;
        let slot = clock::at(day) + self.patients[pi].hour * US_PER_HOUR;
        batch.push(self.ev(slot, p, p, Kind::SessionDue { slot }));
        let pat = &mut self.patients[pi];
        let r = pat.rng.f64();
        let pc = pat.p_complete;
        let outcome = if r < pc {
            Some(Status::Completed)
        } else if r < pc + 0.08 {
            Some(Status::Partial)
        } else if r < pc + 0.12 {
            Some(Status::Abandoned)
        } else {
            None
        };
        let miss_at = clock::at(day) + 23 * US_PER_HOUR + i64::from(p % 1800) * US_PER_SEC;
        match outcome {
            Some(status) => {
                let start = slot + pat.rng.range(-20, 90) * US_PER_MIN;
                let s = self.session(p, Some(slot), start, status, batch);
                if status == Status::Abandoned {
                    let reason = *[2u8, 4, 6].get(self.patients[pi].rng.range(0, 2) as usize).unwrap_or(&6);
                    batch.push(self.ev(miss_at, p, p, Kind::SessionMissed { slot, reason, abandoned: Some(s) }));
                    self.missed(p, miss_at, batch);
                } else {
                    self.patients[pi].consecutive_missed = 0;
                }
            }
            None => {
                let reason = if pat.rng.chance(0.6) { 0 } else { pat.rng.range(1, 6) as u8 };
                batch.push(self.ev(miss_at, p, p, Kind::SessionMissed { slot, reason, abandoned: None }));
                self.missed(p, miss_at, batch);
            }
        }
    }

    fn missed(&mut self, p: u32, at: i64, batch: &mut Vec<Ev>) {
        let pat = &mut self.patients[p as usize];
        pat.consecutive_missed += 1;
        if pat.consecutive_missed == 2 {
            let t = self.reference.template("missed_sessions_outreach");
            self.work_item(p, t, at + 5 * US_PER_MIN, None, batch);
        }
    }

    /// A started session: its start, the scored repetitions and its end. Returns the session index.
    fn session(&mut self, p: u32, scheduled_for: Option<i64>, start: i64, status: Status, batch: &mut Vec<Ev>) -> u32 {
        let pi = p as usize;
        let s = self.sessions.len() as u32;
        let id = rng::uuid(self.seed, &[tag::SESSION, u64::from(s)]);
        let stream = self.new_stream(id, "exercise_session");
        batch.push(self.ev(start, stream, p, Kind::SessionStarted { s }));
        let n_ex = self.patients[pi].exercises.len();
        let done_ex = match status {
            Status::Completed => n_ex,
            Status::Partial => self.patients[pi].rng.range(1, n_ex as i64 - 1).max(1) as usize,
            Status::Abandoned => 0,
        };
        let progress = f64::from(clock::day_of(start) - self.first_day) / (7.0 * f64::from(self.profile.weeks));
        let mut t = start + 2 * US_PER_MIN;
        let mut reps_done = 0i32;
        let mut worst = 100.0f64;
        let mut worst_ex = 0usize;
        for k in 0..n_ex.min(done_ex + 1) {
            let pe = self.patients[pi].exercises[k].clone();
            let ex = &self.reference.exercises[pe.exercise];
            let n_reps = if k < done_ex { pe.reps } else { self.patients[pi].rng.range(0, 2) as u16 };
            let (target, rep_ms, n_faults) = (ex.target_rom_degrees, ex.rep_ms, ex.faults.len().min(8));
            let mut ex_sum = 0.0;
            for rep in 1..=n_reps {
                let pat = &mut self.patients[pi];
                let fatigue = f64::from(rep) * 0.4;
                let form = pat.rng.normal(pat.skill + progress * 8.0 - fatigue, 7.0).clamp(5.0, 100.0);
                let rom = (f64::from(target) * pat.rng.normal(0.78 + form / 500.0, 0.06)).clamp(1.0, 359.0);
                let dur = (f64::from(rep_ms) * pat.rng.normal(1.0, 0.12)).clamp(400.0, 20_000.0) as i32;
                let mut faults = 0u8;
                if form < 75.0 {
                    faults |= 1 << pat.rng.range(0, n_faults as i64 - 1);
                }
                if form < 55.0 && n_faults > 1 {
                    faults |= 1 << pat.rng.range(0, n_faults as i64 - 1);
                }
                let conf = pat.rng.range(720, 995) as i16;
                let valid = form >= 50.0 && conf >= 750;
                t += i64::from(dur) * 1000;
                ex_sum += form;
                let kind = Kind::RepScored {
                    s,
                    ex: k as u8,
                    rep,
                    form: (form * 100.0).round() as i32,
                    rom: (rom * 100.0).round() as i32,
                    dur,
                    valid,
                    faults,
                    conf,
                };
                batch.push(self.ev(t, stream, p, kind));
                reps_done += 1;
            }
            if n_reps > 0 && ex_sum / f64::from(n_reps) < worst {
                worst = ex_sum / f64::from(n_reps);
                worst_ex = k;
            }
            t += 30 * US_PER_SEC;
        }
        let pat = &mut self.patients[pi];
        let pain_before = pat.rng.range(0, 6) as i16;
        let pain_after = (pain_before + pat.rng.range(-2, 3) as i16).clamp(0, 10)
            + i16::from(status != Status::Completed && pat.rng.chance(0.3)) * 3;
        let pain_after = pain_after.min(10);
        let exertion = pat.rng.range(2, 8) as i16;
        let end = t + US_PER_MIN;
        batch.push(self.ev(end, stream, p, Kind::SessionEnded { s }));
        self.sessions.push(Session {
            id,
            scheduled_for,
            started_at: start,
            ended_at: end,
            status,
            exercises_completed: done_ex as i16,
            reps_completed: reps_done,
            pain_before,
            pain_after,
            exertion,
        });
        // Alerts the quality service raises after the session, and the work items they open.
        if reps_done > 0 && worst < 58.0 {
            let severity = if worst < 45.0 { "high" } else { "medium" };
            self.alert(
                p,
                s,
                worst_ex,
                "form_decline",
                severity,
                "Exercise form below threshold",
                (worst * 100.0) as i64,
                end,
            );
        }
        if pain_after >= 7 {
            self.alert(
                p,
                s,
                0,
                "pain_increase",
                "high",
                "Pain of 7 or more after a session",
                i64::from(pain_after),
                end,
            );
            let t = self.reference.template("pain_follow_up");
            self.work_item(p, t, end + 2 * US_PER_MIN, None, batch);
        }
        let new_alerts: Vec<u32> =
            (0..self.alerts.len() as u32).rev().take_while(|&a| self.alerts[a as usize].session == s).collect();
        for a in new_alerts.into_iter().rev() {
            let alert = &self.alerts[a as usize];
            let (at, sev, id) = (alert.triggered_at, alert.severity, alert.id);
            let stream = self.new_stream(id, "quality_alert");
            batch.push(self.ev(at, stream, p, Kind::AlertRaised { a }));
            let pat = &mut self.patients[pi];
            let ack = at + pat.rng.range(2, 48) * US_PER_HOUR;
            let resolve = ack + pat.rng.range(1, 72) * US_PER_HOUR;
            let ack_ev = Ev { at: ack, seq: 0, stream, patient: p, kind: Kind::AlertAcknowledged { a } };
            let res_ev = Ev { at: resolve, seq: 0, stream, patient: p, kind: Kind::AlertResolved { a } };
            self.plan(p, ack_ev);
            self.plan(p, res_ev);
            if sev == "high" {
                let t = self.reference.template("form_alert_review");
                self.work_item(p, t, at + US_PER_MIN, Some(("quality.alert", id)), batch);
            }
        }
        s
    }

    #[allow(clippy::too_many_arguments)]
    fn alert(
        &mut self,
        p: u32,
        s: u32,
        ex: usize,
        alert_type: &'static str,
        severity: &'static str,
        title: &'static str,
        value: i64,
        end: i64,
    ) {
        let a = self.alerts.len() as u64;
        let dismissed = self.patients[p as usize].rng.chance(0.15);
        self.alerts.push(Alert {
            id: rng::uuid(self.seed, &[tag::ALERT, a]),
            patient: p,
            session: s,
            exercise: ex,
            alert_type,
            severity,
            title,
            value,
            triggered_at: end + US_PER_SEC * (1 + a as i64 % 7),
            dismissed,
        });
    }

    /// Schedules a future event (dropped if it would happen after the reference date).
    fn plan(&mut self, p: u32, mut ev: Ev) {
        if ev.at < clock::at(self.ref_day) {
            self.seq += 1;
            ev.seq = self.seq;
            self.patients[p as usize].pending.push(ev);
        }
    }

    fn work_item(&mut self, p: u32, t: usize, at: i64, source: Option<(&'static str, [u8; 16])>, batch: &mut Vec<Ev>) {
        let i = self.items.len() as u32;
        let id = rng::uuid(self.seed, &[tag::ITEM, u64::from(i)]);
        let tpl = &self.reference.templates[t];
        let priority: &'static str = match tpl.default_priority.as_str() {
            "urgent" => "urgent",
            "high" => "high",
            "low" => "low",
            _ => "normal",
        };
        let due_at = at + i64::from(tpl.due_within_hours) * US_PER_HOUR;
        let pat = &mut self.patients[p as usize];
        let score = match priority {
            "urgent" => pat.rng.range(8500, 10000),
            "high" => pat.rng.range(6500, 8500),
            "low" => pat.rng.range(500, 3000),
            _ => pat.rng.range(3000, 6500),
        };
        let assign = at + pat.rng.range(1, 120) * US_PER_SEC;
        let start = assign + pat.rng.range(10, 60 * 20) * US_PER_MIN;
        let complete = start + pat.rng.range(5, 90) * US_PER_MIN;
        let therapist = pat.therapist;
        self.items.push(Item {
            id,
            template: t,
            patient: p,
            therapist,
            priority,
            priority_score: score,
            source_type: source.map(|s| s.0),
            source_id: source.map(|s| s.1),
            created_at: at,
            due_at,
        });
        let stream = self.new_stream(id, "work_item");
        batch.push(self.ev(at, stream, p, Kind::ItemCreated { i }));
        batch.push(self.ev(assign, stream, p, Kind::ItemAssigned { i }));
        self.plan(p, Ev { at: start, seq: 0, stream, patient: p, kind: Kind::ItemStarted { i } });
        self.plan(p, Ev { at: complete, seq: 0, stream, patient: p, kind: Kind::ItemCompleted { i } });
    }

    pub fn ref_us(&self) -> i64 {
        clock::at(self.ref_day)
    }

    pub fn days_in_window(&self) -> i64 {
        i64::from(self.ref_day - self.first_day)
    }
}
