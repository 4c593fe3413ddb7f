//! The audit trail (`audit.audit_log`): numbered entries, each naming its actor, action and resource.

use std::io;

use super::User;
use crate::seed::clinic::rng::{tag, uuid};
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

const AGENTS: [&str; 3] =
    ["RehabApp/4.2 (iOS 18)", "RehabApp/4.2 (Android 15)", "Mozilla/5.0 (Macintosh) Clinic Portal"];

/// One audited action.
pub struct Entry<'a> {
    pub at: i64,
    pub actor: &'a User,
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_id: Option<&'a [u8; 16]>,
    /// The patient whose data was touched (a PHI access).
    pub patient: Option<&'a [u8; 16]>,
    pub emergency_access: Option<&'a [u8; 16]>,
}

/// The trail so far: entries are numbered from 1 in the order they are written.
pub struct AuditTrail {
    seed: u64,
    last_id: u64,
}

impl AuditTrail {
    pub fn new(seed: u64) -> Self {
        Self { seed, last_id: 0 }
    }

    pub fn record(&mut self, sink: &mut Sink, entry: &Entry) -> io::Result<()> {
        self.last_id += 1;
        let id = self.last_id;
        let [.., high, low] = id.to_be_bytes();
        let row = sink.row(Table::AuditLog);
        row.i64(i64::try_from(id).expect("fewer than 2^63 audit entries"));
        row.uuid(&uuid(self.seed, &[tag::AUDIT, id]));
        row.ts(entry.at);
        row.uuid(&entry.actor.id);
        row.text(entry.actor.role);
        row.text(entry.action);
        row.text("success");
        row.text(entry.resource);
        row.opt_uuid(entry.resource_id);
        row.opt_uuid(entry.patient);
        row.null();
        row.opt_uuid(entry.emergency_access);
        row.uuid(&uuid(self.seed, &[tag::AUDIT, id, 1]));
        row.inet4([10, 20, high, low]);
        row.text(agent(id));
        row.opt_text(entry.patient.map(|_| "treatment"));
        row.jsonb_str(if entry.patient.is_some() { "{\"fields\":[\"clinical_context\"]}" } else { "{}" });
        sink.done(Table::AuditLog)
    }
}

/// The user agent of entry or session `n` (they rotate).
pub fn agent(n: u64) -> &'static str {
    AGENTS[usize::try_from(n % 3).expect("below 3")]
}
