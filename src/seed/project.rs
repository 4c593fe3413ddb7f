//! The projector: folds positioned events, in order, into the adherence, quality and work-queue read
//! models and writes their rows. Rows that can still change are written once their final state is known
//! (at the end of the run); every row's `last_event_position` is the last event folded into it.

use std::io;

use super::clock::{self, US_PER_SEC};
use super::rng::uuid;
use super::sim::{Ev, Kind, MISS_REASONS, MODEL_VERSION, Status, World, tag};
use super::sink::Sink;
use super::tables::{T, width};

/// Average of scaled integers, rounded half away from zero like `round(avg(x), s)` in SQL.
fn avg(sum: i64, n: i64) -> i64 {
    if sum >= 0 { (2 * sum + n) / (2 * n) } else { -((-2 * sum + n) / (2 * n)) }
}

/// Adherence in hundredths of a percent: 100 * (completed + 0.5 * partial) / prescribed.
fn adherence(prescribed: i32, completed: i32, partial: i32) -> Option<i64> {
    (prescribed > 0).then(|| avg(10_000 * i64::from(2 * completed + partial), 2 * i64::from(prescribed)))
}

fn direction(change: Option<i64>) -> &'static str {
    match change {
        None => "insufficient_data",
        Some(c) if c > 300 => "improving",
        Some(c) if c < -300 => "declining",
        Some(_) => "stable",
    }
}

#[derive(Default, Clone)]
struct Counts {
    prescribed: i32,
    completed: i32,
    partial: i32,
    missed: i32,
}

impl Counts {
    fn add(&mut self, status: Option<Status>) {
        match status {
            Some(Status::Completed) => self.completed += 1,
            Some(Status::Partial) => self.partial += 1,
            _ => self.missed += 1,
        }
    }
}

#[derive(Default, Clone)]
struct Week {
    start: i32,
    c: Counts,
    minutes: i32,
    pain_sum: i64,
    pain_n: i64,
    pos: i64,
    created: i64,
    updated: i64,
}

#[derive(Default, Clone)]
struct Trend {
    start: i32,
    sessions: i32,
    reps: i64,
    form_sum: i64,
    rom_sum: i64,
    pos: i64,
    created: i64,
    updated: i64,
}

#[derive(Default, Clone)]
struct Analysis {
    reps: i32,
    valid: i32,
    form_sum: i64,
    min: i64,
    max: i64,
    rom_sum: i64,
    dur_sum: i64,
    faults: [u32; 8],
    first: i64,
    last: i64,
    pos: i64,
}

#[derive(Default, Clone)]
struct PatientState {
    created: i64,
    updated: i64,
    pos: i64,
    all: Counts,
    last28: Counts,
    streak: i32,
    longest: i32,
    minutes: i32,
    first_session: Option<i64>,
    last_session: Option<i64>,
    weeks: Vec<Week>,
    // quality
    q_updated: i64,
    q_pos: i64,
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
    current: Vec<Option<Analysis>>,
    // work queue
    open_items: i32,
    last_contact: Option<i64>,
    any_pos: i64,
}

#[derive(Default, Clone)]
struct AlertState {
    status: &'static str,
    ack: Option<i64>,
    resolved: Option<i64>,
    analysis: Option<[u8; 16]>,
    pos: i64,
    created: i64,
    updated: i64,
}

#[derive(Default, Clone)]
struct ItemState {
    status: &'static str,
    assigned: Option<i64>,
    started: Option<i64>,
    completed: Option<i64>,
    pos: i64,
    updated: i64,
}

#[derive(Default, Clone)]
struct TherapistDay {
    created: i32,
    assigned: i32,
    completed: i32,
    completion_minutes: i64,
    on_time: i32,
    minutes: i32,
    pos: i64,
}

pub struct Projector {
    patients: Vec<PatientState>,
    alerts: Vec<AlertState>,
    items: Vec<ItemState>,
    days: Vec<TherapistDay>,
    open: Vec<Vec<u32>>,
    therapist_pos: Vec<i64>,
    cutoff_28d: i64,
    first_event_at: i64,
    last_recorded_at: i64,
}

fn push_trend(v: &mut Vec<Trend>, start: i32, at: i64) -> &mut Trend {
    if v.last().is_none_or(|t| t.start != start) {
        v.push(Trend { start, created: at, ..Trend::default() });
    }
    v.last_mut().expect("pushed above")
}

impl Projector {
    pub fn new(w: &World) -> Self {
        Self {
            patients: vec![PatientState::default(); w.patients.len()],
            alerts: Vec::new(),
            items: Vec::new(),
            days: vec![TherapistDay::default(); w.therapists.len()],
            open: vec![Vec::new(); w.therapists.len()],
            therapist_pos: vec![0; w.therapists.len()],
            cutoff_28d: w.ref_us() - 28 * clock::US_PER_DAY,
            first_event_at: 0,
            last_recorded_at: 0,
        }
    }

    fn week(&mut self, p: usize, slot_or_start: i64, at: i64) -> &mut Week {
        let start = clock::week_start(clock::day_of(slot_or_start));
        let weeks = &mut self.patients[p].weeks;
        let idx = match weeks.iter().rposition(|w| w.start == start) {
            Some(i) => i,
            None => {
                weeks.push(Week { start, created: at, ..Week::default() });
                weeks.sort_by_key(|w| w.start);
                weeks.iter().position(|w| w.start == start).expect("inserted")
            }
        };
        &mut weeks[idx]
    }

    pub fn apply(&mut self, w: &World, sink: &mut Sink, e: &Ev, pos: i64) -> io::Result<()> {
        if self.first_event_at == 0 {
            self.first_event_at = e.at;
        }
        self.last_recorded_at = self.last_recorded_at.max(e.at + 150_000 + (pos % 97) * 1000);
        if let Kind::TemplateDefined { template } = e.kind {
            return template_row(w, sink, template as usize, e.at, pos);
        }
        let p = e.patient as usize;
        self.patients[p].any_pos = pos;
        match e.kind {
            Kind::TemplateDefined { .. } => {}
            Kind::PatientEnrolled | Kind::ProgramPrescribed => {
                let st = &mut self.patients[p];
                if matches!(e.kind, Kind::PatientEnrolled) {
                    st.created = e.at;
                    st.q_pos = pos;
                    st.q_updated = e.at;
                    st.current = vec![None; w.patients[p].exercises.len()];
                }
                st.updated = e.at;
                st.pos = pos;
            }
            Kind::ConsentGranted { .. } => {}
            Kind::SessionDue { slot } => {
                let st = &mut self.patients[p];
                st.all.prescribed += 1;
                if slot >= self.cutoff_28d {
                    st.last28.prescribed += 1;
                }
                st.updated = e.at;
                st.pos = pos;
                let wk = self.week(p, slot, e.at);
                wk.c.prescribed += 1;
                wk.pos = pos;
                wk.updated = e.at;
            }
            Kind::SessionStarted { .. } => {}
            Kind::RepScored { s, ex, rep, form, rom, dur, valid, faults, conf } => {
                let pe = &w.patients[p].exercises[ex as usize];
                let target = i64::from(w.reference.exercises[pe.exercise].target_rom_degrees);
                let rom_pct = (i64::from(rom) * 100 / target).min(10_000);
                let st = &mut self.patients[p];
                let a = st.current[ex as usize].get_or_insert_with(|| Analysis {
                    min: i64::MAX,
                    max: i64::MIN,
                    first: e.at,
                    ..Analysis::default()
                });
                a.reps += 1;
                a.valid += i32::from(valid);
                a.form_sum += i64::from(form);
                a.min = a.min.min(i64::from(form));
                a.max = a.max.max(i64::from(form));
                a.rom_sum += i64::from(rom);
                a.dur_sum += i64::from(dur);
                a.last = e.at;
                a.pos = pos;
                for (i, f) in a.faults.iter_mut().enumerate() {
                    *f += u32::from(faults & (1 << i) != 0);
                }
                st.reps += 1;
                st.valid += i64::from(valid);
                st.form_sum += i64::from(form);
                st.rom_sum += rom_pct;
                st.q_pos = pos;
                st.q_updated = e.at;
                let day = clock::day_of(e.at);
                for t in [
                    push_trend(&mut st.trend_weeks, clock::week_start(day), e.at),
                    push_trend(&mut st.trend_months, clock::month_start(day), e.at),
                ] {
                    t.reps += 1;
                    t.form_sum += i64::from(form);
                    t.rom_sum += rom_pct;
                    t.pos = pos;
                    t.updated = e.at;
                }
                let analysis = uuid(w.seed, &[tag::ANALYSIS, u64::from(s), u64::from(ex)]);
                let r = sink.rows(T::RepAnalyses);
                r.row(width(T::RepAnalyses));
                r.uuid(&uuid(w.seed, &[tag::REP, pos as u64]));
                r.uuid(&analysis);
                r.i32(i32::from(rep));
                r.ts(e.at);
                r.numeric(i64::from(form), 2);
                r.numeric(i64::from(rom), 2);
                r.i32(dur);
                r.bool(valid);
                let ex_faults = &w.reference.exercises[pe.exercise].faults;
                let names: Vec<&str> = (0..ex_faults.len().min(8))
                    .filter(|i| faults & (1 << i) != 0)
                    .map(|i| ex_faults[i].as_str())
                    .collect();
                r.text_array(&names);
                r.numeric(i64::from(conf), 3);
                r.i64(pos);
                r.ts(e.at);
                sink.done(T::RepAnalyses)?;
            }
            Kind::SessionEnded { s } => self.session_ended(w, sink, p, s, e, pos)?,
            Kind::SessionMissed { slot, reason, abandoned } => {
                let st = &mut self.patients[p];
                st.all.missed += 1;
                if slot >= self.cutoff_28d {
                    st.last28.missed += 1;
                }
                st.streak = 0;
                st.updated = e.at;
                st.pos = pos;
                let wk = self.week(p, slot, e.at);
                wk.c.missed += 1;
                wk.pos = pos;
                wk.updated = e.at;
                let pat = &w.patients[p];
                let r = sink.rows(T::MissedSessions);
                r.row(width(T::MissedSessions));
                r.uuid(&uuid(w.seed, &[tag::MISSED, pos as u64]));
                r.uuid(&pat.id);
                r.uuid(&w.therapists[pat.therapist].id);
                r.uuid(&pat.program_id);
                r.ts(slot);
                r.ts(e.at);
                r.text(MISS_REASONS[reason as usize]);
                r.null();
                r.opt_uuid(abandoned.map(|s| &w.sessions[s as usize].id));
                r.null();
                r.null();
                r.i64(pos);
                r.ts(e.at);
                r.ts(e.at);
                sink.done(T::MissedSessions)?;
            }
            Kind::AlertRaised { a } => {
                let al = &w.alerts[a as usize];
                let has = self.analysis_of(w, al.session, al.exercise);
                // Alerts are numbered in generation order; their events arrive in time order.
                if self.alerts.len() <= a as usize {
                    self.alerts.resize_with(a as usize + 1, AlertState::default);
                }
                self.alerts[a as usize] = AlertState {
                    status: "open",
                    analysis: has,
                    pos,
                    created: e.at,
                    updated: e.at,
                    ..AlertState::default()
                };
                let st = &mut self.patients[p];
                st.open_alerts += 1;
                st.q_pos = pos;
                st.q_updated = e.at;
            }
            Kind::AlertAcknowledged { a } => {
                let s = &mut self.alerts[a as usize];
                s.status = "acknowledged";
                s.ack = Some(e.at);
                s.pos = pos;
                s.updated = e.at;
            }
            Kind::AlertResolved { a } => {
                let s = &mut self.alerts[a as usize];
                s.status = if w.alerts[a as usize].dismissed { "dismissed" } else { "resolved" };
                s.resolved = Some(e.at);
                s.pos = pos;
                s.updated = e.at;
                let st = &mut self.patients[p];
                st.open_alerts -= 1;
                st.q_pos = pos;
                st.q_updated = e.at;
            }
            Kind::ItemCreated { i } => {
                if self.items.len() <= i as usize {
                    self.items.resize_with(i as usize + 1, ItemState::default);
                }
                self.items[i as usize] = ItemState { status: "pending", pos, updated: e.at, ..ItemState::default() };
                let t = w.items[i as usize].therapist;
                self.days[t].created += 1;
                self.days[t].pos = pos;
                self.therapist_pos[t] = pos;
                self.patients[p].open_items += 1;
            }
            Kind::ItemAssigned { i } => {
                let t = w.items[i as usize].therapist;
                let s = &mut self.items[i as usize];
                s.status = "assigned";
                s.assigned = Some(e.at);
                s.pos = pos;
                s.updated = e.at;
                self.open[t].push(i);
                self.days[t].assigned += 1;
                self.days[t].pos = pos;
                self.therapist_pos[t] = pos;
            }
            Kind::ItemStarted { i } => {
                let t = w.items[i as usize].therapist;
                let s = &mut self.items[i as usize];
                s.status = "in_progress";
                s.started = Some(e.at);
                s.pos = pos;
                s.updated = e.at;
                self.days[t].pos = pos;
                self.therapist_pos[t] = pos;
            }
            Kind::ItemCompleted { i } => {
                let it = &w.items[i as usize];
                let t = it.therapist;
                let s = &mut self.items[i as usize];
                s.status = "completed";
                s.completed = Some(e.at);
                s.pos = pos;
                s.updated = e.at;
                self.open[t].retain(|&x| x != i);
                let d = &mut self.days[t];
                d.completed += 1;
                d.completion_minutes += (e.at - it.created_at) / clock::US_PER_MIN;
                d.on_time += i32::from(e.at <= it.due_at);
                d.minutes += w.reference.templates[it.template].estimated_minutes as i32;
                d.pos = pos;
                self.therapist_pos[t] = pos;
                let st = &mut self.patients[p];
                st.open_items -= 1;
                st.last_contact = Some(e.at);
            }
        }
        Ok(())
    }

    fn analysis_of(&self, w: &World, s: u32, ex: usize) -> Option<[u8; 16]> {
        // Alerts are raised after the session ended, when its analyses are final: an exercise with
        // scored repetitions has an analysis row.
        let sess = &w.sessions[s as usize];
        let reps_on = |k: usize| {
            if sess.status == Status::Completed { true } else { k < sess.exercises_completed as usize }
        };
        reps_on(ex).then(|| uuid(w.seed, &[tag::ANALYSIS, u64::from(s), ex as u64]))
    }

    fn session_ended(&mut self, w: &World, sink: &mut Sink, p: usize, s: u32, e: &Ev, pos: i64) -> io::Result<()> {
        let sess = &w.sessions[s as usize];
        let pat = &w.patients[p];
        let therapist = w.therapists[pat.therapist].id;
        let duration = ((sess.ended_at - sess.started_at) / US_PER_SEC) as i32;
        let minutes = if sess.status == Status::Abandoned { 0 } else { duration / 60 };
        // Exercise analyses of the session.
        let analyses: Vec<(usize, Analysis)> =
            self.patients[p].current.iter_mut().enumerate().filter_map(|(k, a)| a.take().map(|a| (k, a))).collect();
        let mut session_form = (0i64, 0i64);
        for (k, a) in &analyses {
            let pe = &pat.exercises[*k];
            let ex = &w.reference.exercises[pe.exercise];
            session_form.0 += a.form_sum;
            session_form.1 += i64::from(a.reps);
            let r = sink.rows(T::SessionAnalyses);
            r.row(width(T::SessionAnalyses));
            r.uuid(&uuid(w.seed, &[tag::ANALYSIS, u64::from(s), *k as u64]));
            r.uuid(&pat.id);
            r.uuid(&sess.id);
            r.uuid(&therapist);
            r.text(&ex.code);
            r.ts(a.last);
            r.text(MODEL_VERSION);
            r.i16(pe.reps as i16);
            r.i32(a.reps);
            r.i32(a.valid);
            let n = i64::from(a.reps);
            r.numeric(avg(a.form_sum, n), 2);
            r.numeric(a.min, 2);
            r.numeric(a.max, 2);
            r.numeric(avg(a.rom_sum, n), 2);
            r.numeric(i64::from(ex.target_rom_degrees) * 100, 2);
            r.i32(avg(a.dur_sum, n) as i32);
            r.null();
            r.jsonb(|b| {
                b.push(b'{');
                let mut first = true;
                for (i, f) in ex.faults.iter().enumerate().take(8) {
                    if a.faults[i] > 0 {
                        if !first {
                            b.push(b',');
                        }
                        first = false;
                        super::copy::json_str(b, f);
                        let _ = std::io::Write::write_fmt(b, format_args!(":{}", a.faults[i]));
                    }
                }
                b.push(b'}');
            });
            r.i64(a.pos);
            r.ts(a.first);
            r.ts(a.last);
            sink.done(T::SessionAnalyses)?;
        }
        let st = &mut self.patients[p];
        if session_form.1 > 0 {
            let session_avg = avg(session_form.0, session_form.1);
            st.analyzed += 1;
            st.best = Some(st.best.map_or(session_avg, |b| b.max(session_avg)));
            st.latest = Some(session_avg);
            st.last_analyzed = Some(e.at);
            st.q_pos = st.q_pos.max(pos);
            st.q_updated = e.at;
            let day = clock::day_of(sess.started_at);
            push_trend(&mut st.trend_weeks, clock::week_start(day), e.at).sessions += 1;
            push_trend(&mut st.trend_months, clock::month_start(day), e.at).sessions += 1;
        }
        // Adherence.
        st.minutes += minutes;
        if sess.status != Status::Abandoned {
            st.first_session = Some(st.first_session.map_or(sess.started_at, |f| f.min(sess.started_at)));
            st.last_session = Some(st.last_session.map_or(sess.started_at, |l| l.max(sess.started_at)));
        }
        if let Some(slot) = sess.scheduled_for.filter(|_| sess.status != Status::Abandoned) {
            st.all.add(Some(sess.status));
            if slot >= self.cutoff_28d {
                st.last28.add(Some(sess.status));
            }
            if sess.status == Status::Completed {
                st.streak += 1;
                st.longest = st.longest.max(st.streak);
            } else {
                st.streak = 0;
            }
        }
        st.updated = e.at;
        st.pos = pos;
        if let Some(slot) = sess.scheduled_for.filter(|_| sess.status != Status::Abandoned) {
            let wk = self.week(p, slot, e.at);
            wk.c.add(Some(sess.status));
            wk.pos = pos;
            wk.updated = e.at;
        }
        let wk = self.week(p, sess.started_at, e.at);
        wk.minutes += minutes;
        wk.pain_sum += i64::from(sess.pain_after) * 100;
        wk.pain_n += 1;
        wk.pos = pos;
        wk.updated = e.at;
        let r = sink.rows(T::SessionLogs);
        r.row(width(T::SessionLogs));
        r.uuid(&sess.id);
        r.uuid(&pat.id);
        r.uuid(&therapist);
        r.uuid(&pat.program_id);
        r.text(sess.status.label());
        r.opt_ts(sess.scheduled_for);
        r.ts(sess.started_at);
        r.ts(sess.ended_at);
        r.i32(duration);
        let n_ex = pat.exercises.len() as i64;
        r.i16(n_ex as i16);
        r.i16(sess.exercises_completed);
        r.i32(sess.reps_completed);
        r.numeric(avg(10_000 * i64::from(sess.exercises_completed), n_ex), 2);
        r.i16(sess.pain_before);
        r.i16(sess.pain_after);
        r.i16(sess.exertion);
        r.i64(pos);
        r.ts(sess.started_at);
        r.ts(sess.ended_at);
        sink.done(T::SessionLogs)
    }

    /// Per-therapist daily metrics for `day`, then the counters restart.
    pub fn end_of_day(&mut self, w: &World, sink: &mut Sink, day: i32) -> io::Result<()> {
        let end = clock::at(day + 1) - US_PER_SEC;
        for (t, therapist) in w.therapists.iter().enumerate() {
            let d = std::mem::take(&mut self.days[t]);
            let backlog = self.open[t].len() as i32;
            if d.created == 0 && d.assigned == 0 && d.completed == 0 && backlog == 0 {
                continue;
            }
            let overdue = self.open[t].iter().filter(|&&i| w.items[i as usize].due_at < end).count() as i32;
            let r = sink.rows(T::DailyMetrics);
            r.row(width(T::DailyMetrics));
            r.uuid(&uuid(w.seed, &[tag::METRIC, t as u64, day as u64]));
            r.uuid(&therapist.id);
            r.date(day);
            r.i32(d.created);
            r.i32(d.assigned);
            r.i32(d.completed);
            r.i32(0);
            r.i32(overdue);
            r.i32(backlog);
            let n = i64::from(d.completed);
            r.opt_numeric((n > 0).then(|| avg(d.completion_minutes * 100, n)), 2);
            r.opt_numeric((n > 0).then(|| avg(i64::from(d.on_time) * 10_000, n)), 2);
            r.i32(d.minutes.min(1440));
            r.i64(self.therapist_pos[t]);
            r.ts(end);
            r.ts(end);
            sink.done(T::DailyMetrics)?;
        }
        Ok(())
    }

    /// Rows whose final state is known only at the end, and the checkpoints.
    pub fn finish(&mut self, w: &World, sink: &mut Sink, head: i64) -> io::Result<()> {
        let ref_us = w.ref_us();
        for (p, pat) in w.patients.iter().enumerate() {
            let st = &self.patients[p];
            let therapist = w.therapists[pat.therapist].id;
            let next_due = (0..7)
                .map(|k| w.ref_day + k)
                .find(|&d| pat.days_mask & (1 << clock::weekday(d)) != 0)
                .map(|d| clock::at(d) + pat.hour * clock::US_PER_HOUR);
            let adh = adherence(st.all.prescribed, st.all.completed, st.all.partial);
            let r = sink.rows(T::AdhSummaries);
            r.row(width(T::AdhSummaries));
            r.uuid(&pat.id);
            r.uuid(&therapist);
            r.uuid(&pat.program_id);
            r.date(pat.start_day);
            r.i32(st.all.prescribed);
            r.i32(st.all.completed);
            r.i32(st.all.partial);
            r.i32(st.all.missed);
            r.opt_numeric(adh, 2);
            r.opt_numeric(adherence(st.last28.prescribed, st.last28.completed, st.last28.partial), 2);
            r.i32(st.streak);
            r.i32(st.longest);
            r.i32(st.minutes);
            r.opt_ts(st.first_session);
            r.opt_ts(st.last_session);
            r.opt_ts(next_due);
            r.i64(st.pos);
            r.ts(st.created);
            r.ts(st.updated);
            sink.done(T::AdhSummaries)?;
            for wk in &st.weeks {
                let r = sink.rows(T::WeeklySnapshots);
                r.row(width(T::WeeklySnapshots));
                r.uuid(&uuid(w.seed, &[tag::WEEK, p as u64, wk.start as u64]));
                r.uuid(&pat.id);
                r.date(wk.start);
                r.i32(wk.c.prescribed);
                r.i32(wk.c.completed);
                r.i32(wk.c.partial);
                r.i32(wk.c.missed);
                r.opt_numeric(adherence(wk.c.prescribed, wk.c.completed, wk.c.partial), 2);
                r.i32(wk.minutes.min(10_080));
                r.opt_numeric((wk.pain_n > 0).then(|| avg(wk.pain_sum, wk.pain_n)), 2);
                r.i64(wk.pos);
                r.ts(wk.created);
                r.ts(wk.updated);
                sink.done(T::WeeklySnapshots)?;
            }
            // Quality.
            let weeks_with_data: Vec<&Trend> = st.trend_weeks.iter().filter(|t| t.reps > 0).collect();
            let trend = match weeks_with_data.as_slice() {
                [.., a, b] => direction(Some(avg(b.form_sum, b.reps) - avg(a.form_sum, a.reps))),
                _ => "insufficient_data",
            };
            let r = sink.rows(T::QSummaries);
            r.row(width(T::QSummaries));
            r.uuid(&pat.id);
            r.uuid(&therapist);
            r.i32(st.analyzed);
            r.i32(st.reps as i32);
            r.i32(st.valid as i32);
            r.opt_numeric((st.reps > 0).then(|| avg(st.form_sum, st.reps)), 2);
            r.opt_numeric(st.best, 2);
            r.opt_numeric(st.latest, 2);
            r.opt_numeric((st.reps > 0).then(|| avg(st.rom_sum, st.reps)), 2);
            r.text(trend);
            r.i32(st.open_alerts);
            r.opt_ts(st.last_analyzed);
            r.i64(st.q_pos);
            r.ts(st.created);
            r.ts(if st.q_updated > 0 { st.q_updated } else { st.created });
            sink.done(T::QSummaries)?;
            for (period, list) in [("week", &st.trend_weeks), ("month", &st.trend_months)] {
                let mut prev: Option<i64> = None;
                for t in list.iter().filter(|t| t.reps > 0) {
                    let a = avg(t.form_sum, t.reps);
                    let change = prev.map(|p| (a - p).clamp(-10_000, 10_000));
                    prev = Some(a);
                    let r = sink.rows(T::TrendSnapshots);
                    r.row(width(T::TrendSnapshots));
                    r.uuid(&uuid(w.seed, &[tag::TREND, p as u64, u64::from(period == "month"), t.start as u64]));
                    r.uuid(&pat.id);
                    r.text(period);
                    r.date(t.start);
                    r.i32(t.sessions);
                    r.i32(t.reps as i32);
                    r.numeric(a, 2);
                    r.numeric(avg(t.rom_sum, t.reps), 2);
                    r.opt_numeric(change, 2);
                    r.text(direction(change));
                    r.i64(t.pos);
                    r.ts(t.created);
                    r.ts(t.updated);
                    sink.done(T::TrendSnapshots)?;
                }
            }
            // Work-queue priority.
            let days_since = st.last_session.map(|l| (ref_us - l) / clock::US_PER_DAY);
            let adh_pct = adh.unwrap_or(5_000);
            let score = ((10_000 - adh_pct) * 6 / 10
                + i64::from(st.open_alerts) * 1_500
                + days_since.unwrap_or(14).min(14) * 250)
                .clamp(0, 10_000);
            let priority = match score {
                7_500.. => "urgent",
                5_000.. => "high",
                2_500.. => "normal",
                _ => "low",
            };
            let form = (st.reps > 0).then(|| avg(st.form_sum, st.reps));
            let r = sink.rows(T::PatientPriorities);
            r.row(width(T::PatientPriorities));
            r.uuid(&pat.id);
            r.uuid(&therapist);
            r.text(priority);
            r.numeric(score, 2);
            r.jsonb(|b| {
                b.extend_from_slice(b"{\"adherence_pct\":");
                match adh {
                    Some(a) => super::copy::json_decimal(b, a, 2),
                    None => b.extend_from_slice(b"null"),
                }
                let _ = std::io::Write::write_fmt(
                    b,
                    format_args!(",\"open_alerts\":{},\"days_since_last_session\":", st.open_alerts),
                );
                match days_since {
                    Some(d) => {
                        let _ = std::io::Write::write_fmt(b, format_args!("{d}"));
                    }
                    None => b.extend_from_slice(b"null"),
                }
                b.push(b'}');
            });
            r.opt_numeric(adh, 2);
            r.opt_numeric(form, 2);
            r.i32(st.open_alerts);
            r.i32(st.open_items);
            r.opt_i32(days_since.map(|d| d as i32));
            r.opt_ts(st.last_contact);
            r.ts(ref_us);
            r.i64(st.any_pos);
            r.ts(st.created);
            r.ts(ref_us);
            sink.done(T::PatientPriorities)?;
        }
        for (a, s) in self.alerts.iter().enumerate().filter(|(_, s)| !s.status.is_empty()) {
            let al = &w.alerts[a];
            let pat = &w.patients[al.patient as usize];
            let therapist = w.therapists[pat.therapist].id;
            let r = sink.rows(T::Alerts);
            r.row(width(T::Alerts));
            r.uuid(&al.id);
            r.uuid(&pat.id);
            r.opt_uuid(s.analysis.as_ref());
            r.uuid(&therapist);
            r.text(al.alert_type);
            r.text(al.severity);
            r.text(s.status);
            r.text(al.title);
            r.jsonb(|b| {
                b.extend_from_slice(b"{\"session_id\":");
                super::copy::json_uuid(b, &w.sessions[al.session as usize].id);
                if al.alert_type == "pain_increase" {
                    let _ = std::io::Write::write_fmt(b, format_args!(",\"pain_after\":{}", al.value));
                } else {
                    b.extend_from_slice(b",\"avg_form_score\":");
                    super::copy::json_decimal(b, al.value, 2);
                    b.extend_from_slice(b",\"threshold\":58");
                }
                b.push(b'}');
            });
            r.ts(al.triggered_at);
            r.opt_ts(s.ack);
            r.opt_uuid(s.ack.map(|_| &therapist));
            r.opt_ts(s.resolved);
            r.opt_uuid(s.resolved.map(|_| &therapist));
            r.opt_text(
                s.resolved
                    .map(|_| if al.dismissed { "Not clinically relevant" } else { "Cues adjusted with the patient" }),
            );
            r.i64(s.pos);
            r.ts(s.created);
            r.ts(s.updated);
            sink.done(T::Alerts)?;
        }
        let mut active = vec![(0i32, 0i32); w.therapists.len()];
        for (i, s) in self.items.iter().enumerate().filter(|(_, s)| !s.status.is_empty()) {
            let it = &w.items[i];
            let tpl = &w.reference.templates[it.template];
            if matches!(s.status, "assigned" | "in_progress") {
                active[it.therapist].0 += 1;
                active[it.therapist].1 += tpl.estimated_minutes as i32;
            }
            let r = sink.rows(T::Items);
            r.row(width(T::Items));
            r.uuid(&it.id);
            r.uuid(&w.template_ids[it.template]);
            r.uuid(&w.patients[it.patient as usize].id);
            r.opt_uuid(s.assigned.map(|_| &w.therapists[it.therapist].id));
            r.text(&tpl.kind);
            r.text(&tpl.name);
            r.text(s.status);
            r.text(it.priority);
            r.numeric(it.priority_score, 2);
            r.opt_text(it.source_type);
            r.opt_uuid(it.source_id.as_ref());
            r.null();
            r.jsonb(|b| {
                b.extend_from_slice(b"{\"template\":");
                super::copy::json_str(b, &tpl.code);
                b.push(b'}');
            });
            r.ts(it.due_at);
            r.null();
            r.opt_ts(s.assigned);
            r.opt_ts(s.started);
            r.opt_ts(s.completed);
            r.null();
            r.opt_text(s.completed.map(|_| "Done"));
            r.i64(s.pos);
            r.ts(it.created_at);
            r.ts(s.updated);
            sink.done(T::Items)?;
        }
        let created = clock::at(w.first_day - 30);
        for (t, th) in w.therapists.iter().enumerate() {
            let caseload = w.patients.iter().filter(|p| p.therapist == t).count() as i32;
            let r = sink.rows(T::TherapistCapacity);
            r.row(width(T::TherapistCapacity));
            r.uuid(&th.id);
            r.i32(25);
            r.i32(active[t].0);
            r.i32(caseload.max(40));
            r.i32(caseload);
            r.i32(2400);
            r.i32(active[t].1);
            r.bool(active[t].0 < 25);
            r.null();
            r.i64(self.therapist_pos[t]);
            r.ts(created);
            r.ts(ref_us);
            sink.done(T::TherapistCapacity)?;
        }
        for name in ["adherence", "quality", "work_queue"] {
            let r = sink.rows(T::ProjectionVersions);
            r.row(width(T::ProjectionVersions));
            r.text(name);
            r.i32(1);
            r.i64(head);
            r.opt_ts((head > 0).then_some(self.last_recorded_at));
            r.i64(head);
            r.text("idle");
            r.ts(created);
            r.ts(ref_us);
            r.i64(head);
            r.null();
            r.null();
            r.i32(0);
            r.ts(created);
            r.ts(ref_us);
            sink.done(T::ProjectionVersions)?;
        }
        Ok(())
    }
}

fn template_row(w: &World, sink: &mut Sink, t: usize, at: i64, pos: i64) -> io::Result<()> {
    let tpl = &w.reference.templates[t];
    let rules = serde_json::to_string(&tpl.trigger_rules).unwrap_or_else(|_| "{}".into());
    let r = sink.rows(T::Templates);
    r.row(width(T::Templates));
    r.uuid(&w.template_ids[t]);
    r.text(&tpl.code);
    r.text(&tpl.name);
    r.text(&tpl.description);
    r.text(&tpl.kind);
    r.text(&tpl.default_priority);
    r.i32(tpl.due_within_hours as i32);
    r.i16(tpl.estimated_minutes as i16);
    r.jsonb_str(&rules);
    r.text_array(&tpl.checklist);
    r.bool(true);
    r.i32(1);
    r.i64(pos);
    r.ts(at);
    r.ts(at);
    r.null();
    sink.done(T::Templates)
}
