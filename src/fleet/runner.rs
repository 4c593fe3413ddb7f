//! Runs a job on every member of a fleet with at most `parallel` at a time (std threads): the canaries
//! first, then the rest. After a failure that blocks (see [`MemberOutcome::blocks`]) no canary run lets the
//! others start, and `on_error = "stop"` starts no new member; Ctrl-C starts nothing more either. Members in
//! flight always finish. Whatever never started is `skipped`.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::{Fleet, Member, MemberOutcome};
use crate::interrupt;

/// What a worker runs for one member.
pub type Job<'a> = &'a (dyn Fn(&Member) -> MemberOutcome + Sync);
/// Called once per member that ran, as it ends (the progress bar).
pub type OnDone<'a> = &'a (dyn Fn(&MemberOutcome) + Sync);

/// Every member's outcome, in the fleet's order.
pub fn run(fleet: &Fleet, job: Job<'_>, done: OnDone<'_>) -> Vec<MemberOutcome> {
    let slots: Mutex<Vec<Option<MemberOutcome>>> = Mutex::new(vec![None; fleet.members.len()]);
    let halted = AtomicBool::new(false);
    let canary = fleet.canary.min(fleet.members.len());
    let run =
        |range: Range<usize>, stop: bool| Phase { fleet, job, done, slots: &slots, halted: &halted }.run(range, stop);
    run(0..canary, true);
    run(canary..fleet.members.len(), fleet.stop_on_error);
    let slots = slots.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    slots
        .into_iter()
        .zip(&fleet.members)
        .map(|(slot, member)| slot.unwrap_or_else(|| MemberOutcome::skipped(&member.label)))
        .collect()
}

/// One stretch of members run by a pool of workers that share a cursor.
struct Phase<'a> {
    fleet: &'a Fleet,
    job: Job<'a>,
    done: OnDone<'a>,
    slots: &'a Mutex<Vec<Option<MemberOutcome>>>,
    /// Set by a blocking failure where it stops the run; once set, no phase starts anyone.
    halted: &'a AtomicBool,
}

impl Phase<'_> {
    fn run(&self, range: Range<usize>, stop: bool) {
        if range.is_empty() {
            return;
        }
        let next = AtomicUsize::new(range.start);
        let workers = self.fleet.parallel.min(range.len());
        std::thread::scope(|scope| {
            for n in 0..workers {
                std::thread::Builder::new()
                    .name(format!("rehab-fleet-{n}"))
                    .spawn_scoped(scope, || self.work(&next, range.end, stop))
                    .expect("could not start a fleet worker thread");
            }
        });
    }

    fn work(&self, next: &AtomicUsize, end: usize, stop: bool) {
        loop {
            if self.halted.load(Ordering::SeqCst) || interrupt::requested() {
                return;
            }
            let i = next.fetch_add(1, Ordering::SeqCst);
            if i >= end {
                return;
            }
            let outcome = (self.job)(&self.fleet.members[i]);
            if stop && outcome.blocks() {
                self.halted.store(true, Ordering::SeqCst);
            }
            (self.done)(&outcome);
            self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(outcome);
        }
    }
}
