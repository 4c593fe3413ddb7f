//! Event rows: the JSON payloads of every event kind, written straight into the COPY buffer.

use std::io::{self, Write};

use super::copy::{json_decimal, json_str, json_ts, json_uuid};
use super::sim::{Ev, Kind, MISS_REASONS, MODEL_VERSION, World};
use super::sink::Sink;
use super::tables::{T, width};

fn type_of(k: &Kind) -> &'static str {
    match k {
        Kind::TemplateDefined { .. } => "WorkItemTemplateDefined",
        Kind::PatientEnrolled => "PatientEnrolled",
        Kind::ConsentGranted { .. } => "ConsentGranted",
        Kind::ProgramPrescribed => "ExerciseProgramPrescribed",
        Kind::SessionDue { .. } => "ExerciseSessionDue",
        Kind::SessionStarted { .. } => "ExerciseSessionStarted",
        Kind::RepScored { .. } => "RepetitionScored",
        Kind::SessionEnded { .. } => "ExerciseSessionEnded",
        Kind::SessionMissed { .. } => "ExerciseSessionMissed",
        Kind::AlertRaised { .. } => "QualityAlertRaised",
        Kind::AlertAcknowledged { .. } => "QualityAlertAcknowledged",
        Kind::AlertResolved { .. } => "QualityAlertResolved",
        Kind::ItemCreated { .. } => "WorkItemCreated",
        Kind::ItemAssigned { .. } => "WorkItemAssigned",
        Kind::ItemStarted { .. } => "WorkItemStarted",
        Kind::ItemCompleted { .. } => "WorkItemCompleted",
    }
}

fn key(b: &mut Vec<u8>, first: bool, k: &str) {
    if !first {
        b.push(b',');
    }
    b.push(b'"');
    b.extend_from_slice(k.as_bytes());
    b.extend_from_slice(b"\":");
}

fn kv_uuid(b: &mut Vec<u8>, first: bool, k: &str, u: &[u8; 16]) {
    key(b, first, k);
    json_uuid(b, u);
}

fn kv_str(b: &mut Vec<u8>, k: &str, s: &str) {
    key(b, false, k);
    json_str(b, s);
}

fn kv_num(b: &mut Vec<u8>, k: &str, v: i64) {
    key(b, false, k);
    let _ = write!(b, "{v}");
}

fn kv_ts(b: &mut Vec<u8>, k: &str, us: i64) {
    key(b, false, k);
    json_ts(b, us);
}

/// The payload of one event.
fn data(w: &World, e: &Ev, b: &mut Vec<u8>) {
    b.push(b'{');
    if let Kind::TemplateDefined { template } = e.kind {
        let t = &w.reference.templates[template as usize];
        kv_uuid(b, true, "template_id", &w.template_ids[template as usize]);
        kv_str(b, "code", &t.code);
        kv_str(b, "kind", &t.kind);
        kv_str(b, "default_priority", &t.default_priority);
        kv_num(b, "due_within_hours", i64::from(t.due_within_hours));
        kv_num(b, "estimated_minutes", i64::from(t.estimated_minutes));
        b.push(b'}');
        return;
    }
    let p = &w.patients[e.patient as usize];
    kv_uuid(b, true, "patient_id", &p.id);
    match e.kind {
        Kind::TemplateDefined { .. } => {}
        Kind::PatientEnrolled => {
            kv_uuid(b, false, "therapist_id", &w.therapists[p.therapist].id);
            kv_uuid(b, false, "program_id", &p.program_id);
        }
        Kind::ConsentGranted { scope } => {
            kv_str(b, "scope", scope);
            kv_str(b, "document_version", "2025-09");
        }
        Kind::ProgramPrescribed => {
            kv_uuid(b, false, "program_id", &p.program_id);
            kv_uuid(b, false, "therapist_id", &w.therapists[p.therapist].id);
            key(b, false, "starts_on");
            let _ = write!(b, "\"{}\"", super::clock::date(p.start_day));
            key(b, false, "weekdays");
            b.push(b'[');
            let mut first = true;
            for d in 0..7 {
                if p.days_mask & (1 << d) != 0 {
                    if !first {
                        b.push(b',');
                    }
                    first = false;
                    let _ = write!(b, "{}", d + 1);
                }
            }
            b.push(b']');
            kv_num(b, "hour_utc", p.hour);
            key(b, false, "exercises");
            b.push(b'[');
            for (k, pe) in p.exercises.iter().enumerate() {
                if k > 0 {
                    b.push(b',');
                }
                b.extend_from_slice(b"{\"code\":");
                json_str(b, &w.reference.exercises[pe.exercise].code);
                let _ = write!(b, ",\"reps\":{}}}", pe.reps);
            }
            b.push(b']');
        }
        Kind::SessionDue { slot } => kv_ts(b, "scheduled_for", slot),
        Kind::SessionStarted { s } => {
            let sess = &w.sessions[s as usize];
            kv_uuid(b, false, "session_id", &sess.id);
            match sess.scheduled_for {
                Some(t) => kv_ts(b, "scheduled_for", t),
                None => {
                    key(b, false, "scheduled_for");
                    b.extend_from_slice(b"null");
                }
            }
            kv_uuid(b, false, "program_id", &p.program_id);
            kv_num(b, "exercises_prescribed", p.exercises.len() as i64);
        }
        Kind::RepScored { s, ex, rep, form, rom, dur, valid, faults, conf } => {
            let pe = &p.exercises[ex as usize];
            let exercise = &w.reference.exercises[pe.exercise];
            kv_uuid(b, false, "session_id", &w.sessions[s as usize].id);
            kv_str(b, "exercise_code", &exercise.code);
            kv_num(b, "rep_number", i64::from(rep));
            key(b, false, "form_score");
            json_decimal(b, i64::from(form), 2);
            key(b, false, "rom_degrees");
            json_decimal(b, i64::from(rom), 2);
            kv_num(b, "duration_ms", i64::from(dur));
            key(b, false, "is_valid");
            b.extend_from_slice(if valid { b"true" } else { b"false" });
            key(b, false, "faults");
            b.push(b'[');
            let mut first = true;
            for (i, f) in exercise.faults.iter().enumerate().take(8) {
                if faults & (1 << i) != 0 {
                    if !first {
                        b.push(b',');
                    }
                    first = false;
                    json_str(b, f);
                }
            }
            b.push(b']');
            key(b, false, "pose_confidence");
            json_decimal(b, i64::from(conf), 3);
            kv_str(b, "model_version", MODEL_VERSION);
        }
        Kind::SessionEnded { s } => {
            let sess = &w.sessions[s as usize];
            kv_uuid(b, false, "session_id", &sess.id);
            kv_str(b, "status", sess.status.label());
            match sess.scheduled_for {
                Some(t) => kv_ts(b, "scheduled_for", t),
                None => {
                    key(b, false, "scheduled_for");
                    b.extend_from_slice(b"null");
                }
            }
            kv_num(b, "duration_seconds", (sess.ended_at - sess.started_at) / 1_000_000);
            kv_num(b, "exercises_completed", i64::from(sess.exercises_completed));
            kv_num(b, "reps_completed", i64::from(sess.reps_completed));
            kv_num(b, "pain_before", i64::from(sess.pain_before));
            kv_num(b, "pain_after", i64::from(sess.pain_after));
            kv_num(b, "perceived_exertion", i64::from(sess.exertion));
        }
        Kind::SessionMissed { slot, reason, abandoned } => {
            kv_ts(b, "scheduled_for", slot);
            kv_str(b, "reason", MISS_REASONS[reason as usize]);
            if let Some(s) = abandoned {
                kv_uuid(b, false, "abandoned_session_id", &w.sessions[s as usize].id);
            }
        }
        Kind::AlertRaised { a } | Kind::AlertAcknowledged { a } | Kind::AlertResolved { a } => {
            let al = &w.alerts[a as usize];
            kv_uuid(b, false, "alert_id", &al.id);
            match e.kind {
                Kind::AlertRaised { .. } => {
                    kv_uuid(b, false, "session_id", &w.sessions[al.session as usize].id);
                    kv_str(b, "alert_type", al.alert_type);
                    kv_str(b, "severity", al.severity);
                    kv_str(b, "title", al.title);
                }
                Kind::AlertAcknowledged { .. } => kv_uuid(b, false, "by", &w.therapists[p.therapist].id),
                _ => {
                    kv_uuid(b, false, "by", &w.therapists[p.therapist].id);
                    kv_str(b, "outcome", if al.dismissed { "dismissed" } else { "resolved" });
                }
            }
        }
        Kind::ItemCreated { i } | Kind::ItemAssigned { i } | Kind::ItemStarted { i } | Kind::ItemCompleted { i } => {
            let it = &w.items[i as usize];
            kv_uuid(b, false, "item_id", &it.id);
            match e.kind {
                Kind::ItemCreated { .. } => {
                    kv_uuid(b, false, "template_id", &w.template_ids[it.template]);
                    kv_str(b, "priority", it.priority);
                    key(b, false, "priority_score");
                    json_decimal(b, it.priority_score, 2);
                    kv_ts(b, "due_at", it.due_at);
                }
                Kind::ItemAssigned { .. } => kv_uuid(b, false, "therapist_id", &w.therapists[it.therapist].id),
                _ => {}
            }
        }
    }
    b.push(b'}');
}

/// Writes one event row.
pub fn event(
    w: &World,
    sink: &mut Sink,
    e: &Ev,
    position: i64,
    event_id: [u8; 16],
    causation: Option<[u8; 16]>,
    xid: u64,
) -> io::Result<()> {
    let stream = &w.streams[e.stream as usize];
    let r = sink.rows(T::Events);
    r.row(width(T::Events));
    r.i64(position);
    r.uuid(&event_id);
    r.uuid(&stream.id);
    r.text(stream.kind);
    r.i64(i64::from(stream.version));
    r.text(type_of(&e.kind));
    r.i16(1);
    r.jsonb(|b| data(w, e, b));
    r.jsonb(|b| {
        b.extend_from_slice(b"{\"source\":\"rehab-seed\"");
        if e.patient != u32::MAX {
            let actor = match e.kind {
                Kind::RepScored { .. } | Kind::SessionStarted { .. } | Kind::SessionEnded { .. } => {
                    w.patients[e.patient as usize].id
                }
                _ => w.therapists[w.patients[e.patient as usize].therapist].id,
            };
            kv_uuid(b, false, "actor_id", &actor);
        }
        b.push(b'}');
    });
    r.uuid(&stream.id);
    r.opt_uuid(causation.as_ref());
    r.ts(e.at);
    r.ts(e.at + 150_000 + (position % 97) * 1000);
    r.xid8(xid);
    sink.done(T::Events)
}
