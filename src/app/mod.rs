//! Runs the stages: dispatch here, one file per stage beside it. The command line
//! arrives resolved and validated ([`crate::plan`]); files are read and written through
//! [`crate::store`]. Errors get their context (file, stage) here, at the edge.
//!
//! A stage never calls another stage: what two share lives below them, in the domain
//! or the store ([`crate::forecast::fit`] fits and forecasts without touching a file,
//! [`crate::experiment::run`] replays the policies, the store writes and draws the
//! reports), so a later subcommand (a sweep, a backtest) calls it in a loop.
//! `tests/architecture.rs` checks this and that no two top-level modules import each
//! other.

mod backtest;
mod check;
mod export;
mod generate;
mod import_trace;
mod report;
mod serve;
mod simulate;
mod sweep;
mod train;

use anyhow::{bail, Context, Result};

use crate::cli::Cli;
use crate::plan::{self, Experiment, Plan, TraceSource};
use crate::trace::{import, Trace};

/// Runs the command line.
pub fn run(cli: Cli) -> Result<()> {
    match plan::resolve(cli)? {
        Plan::Generate { generate, data } => {
            generate::run(&generate, &data)?;
        }
        Plan::Train(e) => {
            let trace = load_trace(&e)?;
            train::run(&e, &trace)?;
        }
        Plan::Simulate(e) => {
            e.notes.iter().for_each(|n| eprintln!("{n}"));
            let trace = load_trace(&e)?;
            simulate::run(&e, &trace)?;
        }
        Plan::RunAll(e) => {
            e.notes.iter().for_each(|n| eprintln!("{n}"));
            let trace = match &e.source {
                TraceSource::Generated(_) if holds_imported_trace(&e.data) => {
                    eprintln!(
                        "run-all: {} holds a trace that was imported, not generated: using it (pass --trace FILE for another, or remove it to generate the synthetic workload)",
                        e.data.workload().display()
                    );
                    load_trace(&e)?
                }
                TraceSource::Generated(cfg) => generate::run(cfg, &e.data)?,
                TraceSource::Workload | TraceSource::File(_) => load_trace(&e)?,
            };
            train::run(&e, &trace)?;
            simulate::run(&e, &trace)?;
        }
        Plan::Report(dir) => report::run(&dir)?,
        Plan::Check(c) => check::run(&c)?,
        Plan::Sweep(p) => {
            p.notes.iter().for_each(|n| eprintln!("{n}"));
            sweep::run(&p)?
        }
        Plan::Merge(dir) => {
            if !backtest::merge(&dir)? {
                sweep::merge(&dir)?;
            }
        }
        Plan::Backtest(p) => {
            p.notes.iter().for_each(|n| eprintln!("{n}"));
            backtest::run(&p)?
        }
        Plan::Export(p) => export::run(&p)?,
        Plan::Serve(p) => serve::run(&p)?,
        Plan::Import {
            source,
            options,
            out,
        } => import_trace::run(&source, &options, &out)?,
    }
    Ok(())
}

/// Whether the data folder's workload is one the user brought (`prescale import` writes
/// `timestamp,requests`; the generator adds `in_event`): `run-all` never generates over
/// it.
fn holds_imported_trace(data: &crate::store::DataDir) -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(data.workload()) else {
        return false;
    };
    let mut header = String::new();
    std::io::BufReader::new(file).read_line(&mut header).is_ok()
        && !header.trim().is_empty()
        && !header.trim_end().split(',').any(|c| c == "in_event")
}

/// Reads and checks the experiment's trace, warning about filled gaps.
fn load_trace(e: &Experiment) -> Result<Trace> {
    let path = match &e.source {
        TraceSource::File(p) => p.clone(),
        TraceSource::Workload | TraceSource::Generated(_) => e.data.workload(),
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(err)
            if err.kind() == std::io::ErrorKind::NotFound
                && !matches!(e.source, TraceSource::File(_)) =>
        {
            bail!(
                "no trace at {}: run `prescale generate` first, or pass --trace FILE",
                path.display()
            )
        }
        Err(err) => return Err(err).with_context(|| format!("reading trace {}", path.display())),
    };
    let imported = import::read(&[bytes], &e.settings.import)
        .with_context(|| format!("reading trace {}", path.display()))?;
    for change in &imported.report.changes {
        eprintln!("warning: {}: {change}", path.display());
    }
    Ok(imported.trace)
}
