//! Progress output on stderr. indicatif hides its bars by itself when stderr is not a
//! terminal, so tests and CI logs stay clean.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner with a stage name and the elapsed time, ticking on its own.
pub fn spinner(stage: String) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
            .expect("static template"),
    );
    pb.set_message(stage);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}
