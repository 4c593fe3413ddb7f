//! Ctrl-C and SIGTERM, for the runs that must clean up or wind down: one process-wide handler, installed on
//! first use. Until something installs it, an interrupt kills rehab at once, as it always has, and the server
//! rolls back whatever transaction was open; that is right for one migrate, not for a scratch database that
//! would be left behind or a fleet run that should stop starting members and still report.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

/// What the shell reports for a process ended by SIGINT (128 + 2).
pub const EXIT_INTERRUPTED: i32 = crate::error::ExitCode::Interrupted as i32;

static INSTALL: Once = Once::new();
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Set when an interrupt arrived with nobody winding down by themselves: the process is about to exit 130.
static EXITING: AtomicBool = AtomicBool::new(false);
/// How many callers poll [`requested`] and wind down by themselves; with none, the handler exits.
static GRACEFUL: AtomicUsize = AtomicUsize::new(0);
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);
type Cleanup = Box<dyn FnOnce() + Send>;
static CLEANUPS: Mutex<Vec<(usize, Cleanup)>> = Mutex::new(Vec::new());

/// True once Ctrl-C (or SIGTERM) arrived.
#[must_use]
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// True once an interrupt arrived that the handler ends the process for (no [`graceful`] guard lived): whatever
/// error the main thread meets meanwhile (its session dropped by a cleanup) is the interruption's.
#[must_use]
pub fn exiting() -> bool {
    EXITING.load(Ordering::SeqCst)
}

/// Runs `cleanup` on the handler's thread if an interrupt arrives while the returned registration lives
/// (dropping it, on the normal path, forgets the cleanup). Cleanups run once, newest first.
#[must_use = "the cleanup is forgotten when the registration is dropped"]
pub fn on_interrupt(cleanup: impl FnOnce() + Send + 'static) -> Registration {
    install();
    let id = NEXT_ID.fetch_add(1, Ordering::SeqCst);
    lock().push((id, Box::new(cleanup)));
    Registration(id)
}

/// Declares that the caller polls [`requested`] and finishes on its own while the guard lives: the first
/// interrupt then only sets the flag and runs the cleanups; a second one exits at once.
#[must_use = "the run is graceful only while the guard lives"]
pub fn graceful() -> Graceful {
    install();
    GRACEFUL.fetch_add(1, Ordering::SeqCst);
    Graceful(())
}

pub struct Registration(usize);

impl Drop for Registration {
    fn drop(&mut self) {
        lock().retain(|(id, _)| *id != self.0);
    }
}

pub struct Graceful(());

impl Drop for Graceful {
    fn drop(&mut self) {
        GRACEFUL.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<(usize, Cleanup)>> {
    // A cleanup that panicked must not keep the others from running.
    CLEANUPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn install() {
    INSTALL.call_once(|| {
        // Installing fails only when another handler is already set, which rehab never does elsewhere; the
        // default (die at once, the server rolls back) is then what happens.
        let _ = ctrlc::set_handler(handle);
    });
}

fn handle() {
    if INTERRUPTED.swap(true, Ordering::SeqCst) {
        std::process::exit(EXIT_INTERRUPTED);
    }
    EXITING.store(GRACEFUL.load(Ordering::SeqCst) == 0, Ordering::SeqCst);
    let cleanups: Vec<_> = std::mem::take(&mut *lock());
    for (_, cleanup) in cleanups.into_iter().rev() {
        cleanup();
    }
    if GRACEFUL.load(Ordering::SeqCst) == 0 {
        std::process::exit(EXIT_INTERRUPTED);
    }
}
