//! Progress output on stderr. indicatif hides its bars by itself when stderr is not a
//! terminal, so tests and CI logs stay clean. Every bar joins one process-wide
//! [`MultiProgress`], so models training side by side each keep a line of their own.

use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// The bars of the process.
fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(MultiProgress::new)
}

/// A spinner with a stage name and the elapsed time, ticking on its own.
pub(crate) fn spinner(stage: String) -> ProgressBar {
    let pb = multi().add(ProgressBar::new_spinner());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
            .expect("static template"),
    );
    pb.set_message(stage);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A bar over `len` items with a message.
pub(crate) fn bar(len: u64, stage: String) -> ProgressBar {
    let pb = multi().add(ProgressBar::new(len));
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} [{elapsed_precise}<{eta_precise}]",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    pb.set_message(stage);
    pb
}

/// Prints a line on stderr above `pb`, whether or not the bar is drawn.
pub(crate) fn println(pb: &ProgressBar, line: String) {
    pb.suspend(|| eprintln!("{line}"));
}
