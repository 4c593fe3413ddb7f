//! Fleets: one command run on many databases (`rehab --fleet NAME ...`). `members` turns `[fleets.NAME]` into
//! targets, `runner` runs a job on each with bounded parallelism, a canary and an error policy, and `summary`
//! is the report. What the job does on a member (which command, how its outcome is read) is
//! `commands/fleet.rs`'s business; this layer never prints.

mod members;
mod runner;
mod summary;

pub use members::{Fleet, Member, resolve};
pub use runner::run;
pub use summary::{FleetReport, MemberOutcome, Status};
