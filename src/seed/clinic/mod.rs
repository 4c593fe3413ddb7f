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

#[cfg(test)]
mod tests {
    use crate::seed::load::registry::Table;
    use crate::seed::load::sink::Sink;
    use crate::seed::profile::{Profile, Reference};

    /// Every row goes through `Sink::done`, whose debug assertion checks its field count against the
    /// registry; this runs the whole generator in memory so every table's rows are checked.
    #[test]
    fn every_table_gets_rows_with_the_registry_s_field_count() {
        let profile = Profile::load("demo", 0.01).unwrap();
        let reference = Reference::load().unwrap();
        let mut sink = Sink::new(None);
        super::generate(1, &profile, &reference, &mut sink, 1).unwrap();
        for (table, spill) in Table::ALL.iter().zip(sink.tables) {
            let (_, rows, _) = spill.into_reader().unwrap();
            assert!(rows > 0, "{} got no rows", table.name());
        }
    }
}
