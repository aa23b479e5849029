//! `simulate`: replay the policies against the trained forecasts, write the reports,
//! draw the plots and print the table.

use std::time::Instant;

use anyhow::Result;

use crate::config::ClusterConfig;
use crate::experiment::{self, Outcome};
use crate::plan::Experiment;
use crate::report::console;
use crate::results::Results;
use crate::store::forecasts::load_forecasts;
use crate::store::reports::{draw, write_reports};
use crate::trace::Trace;
use crate::{interrupt, recommend};

/// Runs the experiment's policies and reports. Stops before writing if Ctrl-C was
/// pressed.
pub(super) fn run(e: &Experiment, trace: &Trace) -> Result<Outcome> {
    let at_trace_step = e.settings.cluster.at_step(trace.step_seconds);
    let policy_cfg = e.policy_cfg();
    // The first decision looks back one step before t0 − d.
    let split = trace
        .split(&e.settings.split, at_trace_step.delay_steps + 1)
        .map_err(|err| match trace.split(&e.settings.split, 1) {
            // Room for the test period, not for the delay: name the flag.
            Ok(_) => anyhow::anyhow!(
                "--startup-delay ({} s): the first decision looks back that far and one step more: {err}",
                e.settings.cluster.startup_delay_s
            ),
            Err(_) => err.into(),
        })?;
    // Forecasts are read only when a selected policy uses them.
    let models = if e.policies.iter().any(|p| p.uses_forecast()) {
        load_forecasts(
            &e.data,
            trace,
            split,
            &e.settings.cluster,
            &e.models,
            e.models_named,
        )?
    } else {
        Vec::new()
    };
    // What the run was simulated with, for `export`: the settings, the step its trace
    // has (an imported trace's own, or the generated one's).
    let mut recorded = e.settings.clone();
    recorded.generate.step_seconds = trace.step_seconds;
    // Decided at the tick from here on: the trace, its split and the forecasts spread
    // over it (the forecasts were checked against the trace as trained, above).
    let (trace, split, models) =
        experiment::at_tick(trace, split, models, e.settings.cluster.tick_seconds)?;
    let trace = &trace;
    let step = e.settings.cluster.at_step(trace.step_seconds);
    let busiest = trace.requests[split.test_range()]
        .iter()
        .copied()
        .fold(0.0, f64::max);
    if let Some(advice) = capacity_advice(busiest, &e.settings.cluster, trace.step_seconds) {
        eprintln!("warning: {advice}");
    }
    if models.is_empty() && e.policies.iter().any(|p| p.uses_forecast()) {
        eprintln!(
            "warning: no trained forecasts in {}: forecast policies skipped (run `prescale train`)",
            e.data.forecasts_dir().display()
        );
    }
    let started = Instant::now();
    let inputs = recommend::Inputs {
        trace,
        split,
        models: &models,
        policies: &e.policies,
        settings: &e.settings,
        model_cfg: &e.settings.model,
        step: &step,
        window: experiment::validation_window(
            &e.settings.model,
            trace,
            split,
            &models,
            step.delay_steps + 1,
        ),
    };
    // The choice reads the same forecasts and none of the test runs: it runs beside them
    // (each side's output is its own, whatever the scheduling); the chosen families are
    // then judged on the test period, reusing the runs made there.
    let (outcome, chosen) = std::thread::scope(|scope| {
        let chosen = scope.spawn(|| {
            let c = recommend::choose(&inputs);
            (c, started.elapsed().as_secs_f64())
        });
        let outcome = experiment::run(trace, split, &models, &e.policies, &policy_cfg, &step);
        let tested = started.elapsed().as_secs_f64();
        let chosen = chosen
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (outcome.map(|o| (o, tested)), chosen)
    });
    let (outcome, tested) = outcome?;
    let (chosen, chose) = (chosen.0?, chosen.1);
    let judging = Instant::now();
    let recommendation = match &chosen {
        Some(c) => recommend::judge(&inputs, c, &outcome, &policy_cfg)?,
        None => None,
    };
    let judged = judging.elapsed().as_secs_f64();
    for s in &outcome.skipped {
        eprintln!("note: skipped {s}");
    }
    for n in &outcome.notes {
        eprintln!("note: {n}");
    }
    eprintln!(
        "simulate: {} over {} test steps of {} in {tested:.3} s",
        crate::words::count(outcome.runs.len(), "run"),
        split.test_len,
        crate::trace::step_in_words(trace.step_seconds),
    );
    if let Some(r) = &recommendation {
        eprintln!(
            "recommend: {} chosen on the validation window in {chose:.3} s (beside the runs above), judged on the test period in {judged:.3} s",
            r.choices[0].name(),
        );
    }
    interrupt::check()?;
    let mut results = Results::of(trace, split, &models, &outcome, step.capacity_per_step);
    results.recommendation = recommendation;
    let n = write_reports(&e.reports, &results, &outcome.forecast_metrics, &recorded)?;
    eprintln!("reports: {n} files in {}", e.reports.path().display());
    draw(&e.reports, &results)?;
    print!("{}", console::summary(&results));
    Ok(outcome)
}

/// Containers the busiest step should need for the policies to differ: with fewer than
/// [`FEW`] every policy rounds up to the same handful, with more than `--max-replicas`
/// every policy hits the ceiling.
const FEW: i64 = 5;

/// Containers the suggested capacity makes the busiest step need.
const AIM: f64 = 20.0;

/// A one-line warning when the busiest test step (`busiest` requests) needs fewer than
/// [`FEW`] containers or more than `--max-replicas`, naming the `--capacity` that makes
/// it need about [`AIM`]; `None` when the capacity is sensible.
fn capacity_advice(busiest: f64, cluster: &ClusterConfig, step_seconds: u32) -> Option<String> {
    let need = cluster.at_step(step_seconds).containers_for(busiest);
    if (FEW..=i64::from(cluster.max_replicas)).contains(&need) {
        return None;
    }
    let per_minute = busiest / (f64::from(step_seconds) / 60.0) / AIM;
    // Two significant digits, printed as such: a value a user would type.
    let magnitude = per_minute.max(0.01).log10().floor() as i32;
    let decimals = (1 - magnitude).max(0) as usize;
    let suggested = format!("{per_minute:.decimals$}");
    let why = if need < FEW {
        format!("fewer than {FEW}, so the policies can barely differ")
    } else {
        format!(
            "more than --max-replicas {}, so every policy hits the ceiling",
            cluster.max_replicas
        )
    };
    Some(format!(
        "the busiest test step ({busiest} requests in {}) needs {need} containers at --capacity {} ({why}); --capacity {suggested} would make it need about {AIM}",
        crate::trace::step_in_words(step_seconds),
        cluster.capacity_per_min
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_advice_names_a_capacity_for_about_twenty_containers() {
        let c = ClusterConfig::default();
        // 480 requests per minute at 50 each: 10 containers, sensible.
        assert_eq!(capacity_advice(480.0, &c, 60), None);
        // 180 requests in a 5-minute step: 36 per minute, 1 container of 250 per step.
        // 36 / 20 = 1.8 requests per minute per container.
        let advice = capacity_advice(180.0, &c, 300).unwrap();
        assert!(
            advice.contains("needs 1 containers at --capacity 50"),
            "{advice}"
        );
        assert!(advice.contains("--capacity 1.8 would"), "{advice}");
        // The public ELB trace's busiest test step: 656 in 5 minutes, 3 containers;
        // 656 / 5 / 20 = 6.56, printed with two significant digits.
        let advice = capacity_advice(656.0, &c, 300).unwrap();
        assert!(advice.contains("--capacity 6.6 would"), "{advice}");
        // 60,000 per minute: 1,200 containers, above the 100 allowed; 3,000 suggested.
        let advice = capacity_advice(60_000.0, &c, 60).unwrap();
        assert!(advice.contains("more than --max-replicas 100"), "{advice}");
        assert!(advice.contains("--capacity 3000 would"), "{advice}");
    }
}
