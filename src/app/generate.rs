//! `generate`: the synthetic workload, written to the data folder.

use anyhow::{Context, Result};

use crate::config::GenerateConfig;
use crate::store::{write_atomic, DataDir};
use crate::trace::format_timestamp;
use crate::trace::generate::generate;
use crate::trace::Trace;

/// Generates the workload and writes it to `<data>/workload.csv`.
pub(super) fn run(cfg: &GenerateConfig, data: &DataDir) -> Result<Trace> {
    let (trace, events) = generate(cfg)?;
    let path = data.workload();
    write_atomic(&path, &trace.to_csv()).context("writing the trace")?;
    eprintln!(
        "generate: {} steps of {} from {} with {} (seed {}) -> {}",
        trace.len(),
        crate::trace::step_in_words(trace.step_seconds),
        format_timestamp(trace.start),
        crate::words::count(events.len(), "event"),
        cfg.seed,
        path.display()
    );
    Ok(trace)
}
