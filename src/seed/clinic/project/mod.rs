//! The projectors: fold positioned events, in order, into the read models - one projector per model
//! (adherence, quality, work queue) - and write their rows. Rows that can still change are written once
//! their final state is known (at the end of the run); every row's `last_event_position` is the last event
//! folded into it. The projection checkpoints sit at the event store's head.

mod adherence;
mod maths;
mod quality;
mod work_queue;

use std::io;

use adherence::Adherence;
use quality::Quality;
use work_queue::WorkQueue;

use super::clock;
use super::events::{Event, recorded_at};
use super::world::World;
use crate::seed::load::registry::Table;
use crate::seed::load::sink::Sink;

/// The projection names in `projections.projection_versions`.
const PROJECTIONS: [&str; 3] = ["adherence", "quality", "work_queue"];

pub struct Projector {
    adherence: Adherence,
    quality: Quality,
    work_queue: WorkQueue,
    last_recorded_at: i64,
}

impl Projector {
    pub fn new(world: &World) -> Self {
        Self {
            adherence: Adherence::new(world),
            quality: Quality::new(world),
            work_queue: WorkQueue::new(world),
            last_recorded_at: 0,
        }
    }

    /// Folds the event at `position` into every read model.
    pub fn apply(&mut self, world: &World, sink: &mut Sink, event: &Event, position: i64) -> io::Result<()> {
        self.last_recorded_at = self.last_recorded_at.max(recorded_at(event.at, position));
        self.adherence.apply(world, sink, event, position)?;
        self.quality.apply(world, sink, event, position)?;
        self.work_queue.apply(world, sink, event, position)
    }

    pub fn end_of_day(&mut self, world: &World, sink: &mut Sink, day: i32) -> io::Result<()> {
        self.work_queue.end_of_day(world, sink, day)
    }

    /// Rows whose final state is known only at the end, and the checkpoints at `head`.
    pub fn finish(&self, world: &World, sink: &mut Sink, head: i64) -> io::Result<()> {
        self.adherence.finish(world, sink)?;
        self.quality.finish(world, sink)?;
        self.work_queue.finish(world, sink, &self.adherence, &self.quality)?;
        let created = clock::at(world.first_day - 30);
        let ref_us = world.ref_us();
        for name in PROJECTIONS {
            let row = sink.row(Table::ProjectionVersions);
            row.text(name);
            row.i32(1);
            row.i64(head);
            row.opt_ts((head > 0).then_some(self.last_recorded_at));
            row.i64(head);
            row.text("idle");
            row.ts(created);
            row.ts(ref_us);
            row.i64(head);
            row.null();
            row.null();
            row.i32(0);
            row.ts(created);
            row.ts(ref_us);
            sink.done(Table::ProjectionVersions)?;
        }
        Ok(())
    }
}
