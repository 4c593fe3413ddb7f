//! The events of the clinic, as the simulation produces them and the event rows and projectors read them:
//! one module both sides import, so neither imports the other.

pub const MODEL_VERSION: &str = "posenet-rehab-3.2.1";
pub const MISS_REASONS: [&str; 7] =
    ["not_started", "patient_cancelled", "pain", "illness", "technical_issue", "schedule_conflict", "other"];

/// How a started session ended.
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

/// What happened. Sessions, alerts, items and templates are indexes into the world's lists; `exercise` is
/// the index of the exercise in the patient's program.
#[derive(Debug, Clone, Copy)]
pub enum EventKind {
    TemplateDefined { template: u32 },
    PatientEnrolled,
    ConsentGranted { scope: &'static str },
    ProgramPrescribed,
    SessionDue { slot: i64 },
    SessionStarted { session: u32 },
    RepScored(RepScore),
    SessionEnded { session: u32 },
    SessionMissed { slot: i64, reason: u8, abandoned: Option<u32> },
    AlertRaised { alert: u32 },
    AlertAcknowledged { alert: u32 },
    AlertResolved { alert: u32 },
    ItemCreated { item: u32 },
    ItemAssigned { item: u32 },
    ItemStarted { item: u32 },
    ItemCompleted { item: u32 },
}

/// One repetition as the pose model scored it (scores and angles in hundredths, confidence in thousandths).
#[derive(Debug, Clone, Copy)]
pub struct RepScore {
    pub session: u32,
    pub exercise: u8,
    pub rep: u16,
    pub form: i32,
    pub rom: i32,
    pub duration_ms: i32,
    pub valid: bool,
    /// Bit i set = the exercise's fault i was seen.
    pub faults: u8,
    pub confidence: i16,
}

/// An event before it has a position: time, generation order (tie-break), stream, patient (none for
/// reference data), payload.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub at: i64,
    pub seq: u64,
    pub stream: u32,
    pub patient: Option<u32>,
    pub kind: EventKind,
}

/// When an event was recorded: a little after it occurred, deterministic per position.
pub fn recorded_at(at: i64, position: i64) -> i64 {
    at + 150_000 + (position % 97) * 1000
}
