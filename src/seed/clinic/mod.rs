//! The clinic: what is simulated. The world (patients, therapists, streams) and its day-by-day history as
//! events (`events` is the one module the simulation and its readers share), the event rows, one projector
//! per read model (adherence, quality, work queue) and the auth and audit side. Rows go into the loader's
//! [`Sink`]; the clinic knows nothing of the server.

mod auth;
mod clock;
mod event_rows;
mod events;
mod project;
mod rng;
mod session;
mod simulate;
mod world;

use std::io;

use world::World;

use super::load::sink::Sink;
use super::profile::{Profile, Reference};

/// Generates every row of a seed run into `sink`: the events (positioned, streamed as they come) with the
/// projections they imply, then auth and audit. `xid` is the seeding transaction's id (events record it).
pub fn generate(seed: u64, profile: &Profile, reference: &Reference, sink: &mut Sink, xid: u64) -> io::Result<()> {
    let mut world = World::new(seed, profile, reference);
    world.run(sink, xid)?;
    auth::generate(&world, sink)
}
