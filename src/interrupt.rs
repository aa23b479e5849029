//! Ctrl-C: the first SIGINT asks the run to stop at the next safe point (between
//! batches, models and stages, never inside a file write), so finished files stay
//! whole and no temporary file is left behind; a second SIGINT exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::SIGINT;
use thiserror::Error;

/// Exit status of an interrupted run (128 + SIGINT, as shells report it).
pub const EXIT_CODE: i32 = 130;

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The run was interrupted.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("interrupted (Ctrl-C): stopped before writing anything further; earlier files are intact")]
pub struct Interrupted;

/// Installs the handler. Call once, early in `main`.
pub fn install() -> std::io::Result<()> {
    let flag = Arc::new(AtomicBool::new(false));
    // First the exit on a second signal (it checks the flag before the flag is set),
    // then the flag itself.
    signal_hook::flag::register_conditional_shutdown(SIGINT, EXIT_CODE, Arc::clone(&flag))?;
    signal_hook::flag::register(SIGINT, Arc::clone(&flag))?;
    let _ = FLAG.set(flag);
    Ok(())
}

/// Whether Ctrl-C was pressed. Always false when no handler is installed (library use).
pub fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// `Err(Interrupted)` once Ctrl-C was pressed.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}
