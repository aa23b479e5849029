//! `simulate`: replay the policies against the trained forecasts, write the reports,
//! draw the plots and print the table.

use std::time::Instant;

use anyhow::Result;

use super::report::draw;
use crate::experiment::{self, Outcome};
use crate::interrupt;
use crate::plan::Experiment;
use crate::report::{table, Results};
use crate::store::forecasts::load_forecasts;
use crate::store::reports::write_reports;
use crate::trace::Trace;

/// Runs the experiment's policies and reports. Stops before writing if Ctrl-C was
/// pressed.
pub(super) fn run(e: &Experiment, trace: &Trace) -> Result<Outcome> {
    let step = e.cluster.at_step(trace.step_minutes);
    // The first decision looks back one step before t0 − d.
    let split = trace.split(&e.split, step.delay_steps + 1)?;
    let models = load_forecasts(&e.data, trace, split, &e.cluster, &e.models, e.models_named)?;
    if models.is_empty() && e.policies.iter().any(|p| p.uses_forecast()) {
        eprintln!(
            "warning: no trained forecasts in {}: forecast policies skipped (run `prescale train`)",
            e.data.forecasts_dir().display()
        );
    }
    let started = Instant::now();
    let outcome = experiment::run(trace, split, &models, &e.policies, &e.policy_cfg, &step)?;
    for s in &outcome.skipped {
        eprintln!("note: skipped {s}");
    }
    eprintln!(
        "simulate: {} runs over {} test steps of {} min in {:.3} s",
        outcome.runs.len(),
        split.test_len,
        trace.step_minutes,
        started.elapsed().as_secs_f64()
    );
    interrupt::check()?;
    let results = Results::of(trace, split, &models, &outcome, step.capacity_per_step);
    let n = write_reports(&e.reports, &results, &outcome.forecast_metrics)?;
    eprintln!("reports: {n} files in {}", e.reports.path().display());
    draw(&e.reports, &results)?;
    print!("{}", table::render(&results.rows));
    Ok(outcome)
}
