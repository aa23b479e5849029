//! `train`: fit each model on the train split, forecast the test period at the decision
//! horizon, and leave each model's files (forecasts, sidecar, saved model) as one set.

use std::time::Instant;

use anyhow::Result;

use crate::experiment::ModelForecast;
use crate::forecast::fit::{build_models, fit, side_by_side, split_for};
use crate::forecast::Forecaster;
use crate::metrics::round6;
use crate::plan::Experiment;
use crate::progress;
use crate::store::forecasts::{save_model, Making};
use crate::trace::{Split, Trace};

/// Fits every model of the experiment side by side ([`side_by_side`], [`fit`]) and writes each
/// one's files as it finishes, so an interrupt keeps the models already done. The files
/// are the same whatever the scheduling; the log lines may interleave.
pub(super) fn run(e: &Experiment, trace: &Trace) -> Result<()> {
    let mut models = build_models(&e.models, &e.settings.model);
    let split = split_for(trace, &e.settings.split, &models, &e.settings.cluster)?;
    let (cfg, note) = crate::forecast::fit::common_validation(
        &e.settings.model,
        &models,
        trace,
        split,
        &e.settings.cluster,
    );
    if let Some(note) = note {
        eprintln!("{note}");
    }
    // The first failure in model order.
    side_by_side(&mut models, |model| train_one(e, &cfg, trace, split, model))
        .into_iter()
        .collect()
}

/// Fits one model, writes its files and says so.
fn train_one(
    e: &Experiment,
    cfg: &crate::config::ModelConfig,
    trace: &Trace,
    split: Split,
    model: &mut dyn Forecaster,
) -> Result<()> {
    let name = model.name();
    let spinner = progress::spinner(format!("train {name}"));
    let started = Instant::now();
    let trained = fit(model, trace, split, &e.settings.cluster, cfg)?;
    spinner.finish_and_clear();
    for note in model
        .notes()
        .into_iter()
        .chain(trained.notes.iter().cloned())
    {
        eprintln!("{note}");
    }
    if let Some(c) = trained.interval {
        eprintln!(
            "{name}: interval stretched x{:.3} to cover {:.0} % of the validation window (it covered {:.1} % of the test period as trained)",
            c.stretch,
            100.0 * e.settings.model.interval_width,
            100.0 * round6(c.trained_coverage)
        );
    }
    let written = save_model(
        &e.data,
        trace,
        split,
        &e.settings.cluster,
        &ModelForecast::of(&trained),
        &trained.artifacts,
        Making {
            refit: model.refit_every(),
            interval_stretch: trained.interval.map(|c| c.stretch),
        },
    )?;
    eprintln!(
        "train: {name} on {} train steps, forecast {} test steps in {:.2} s -> {}",
        split.train_len,
        split.test_len,
        started.elapsed().as_secs_f64(),
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
