//! `train`: fit each model on the train split, forecast the test period at the decision
//! horizon, and leave each model's files (forecasts, sidecar, saved model) as one set.

use std::time::Instant;

use anyhow::{Context, Result};

use crate::config::{ClusterConfig, SplitConfig};
use crate::experiment::ModelForecast;
use crate::forecast::{self, Artifact, Calibration, FitInput, Forecaster, ModelConfig, ModelKind};
use crate::plan::Experiment;
use crate::policy::PolicyKind;
use crate::store::forecasts::save_model;
use crate::trace::{Split, Trace};
use crate::{interrupt, progress};

/// A fitted model's output: its test forecasts and the files it saves of itself.
pub(crate) struct Trained {
    /// The forecasts.
    pub(crate) forecast: ModelForecast,
    /// The model's own files.
    pub(crate) artifacts: Vec<Artifact>,
}

/// The split for these models: the test period of `split_cfg`, refused (naming the
/// model) when the train period is shorter than the neediest model needs.
pub(crate) fn split_for(
    trace: &Trace,
    split_cfg: &SplitConfig,
    models: &[Box<dyn Forecaster>],
    cluster: &ClusterConfig,
) -> Result<Split> {
    let delay = cluster.at_step(trace.step_minutes).delay_steps;
    let (min_train, neediest) = models
        .iter()
        .map(|m| (m.min_train_steps(trace, delay + 1), m.name()))
        .max()
        .unwrap_or((0, ""));
    // The simulator's first decision looks back one step before t0 − d.
    let split = trace.split(split_cfg, min_train.max(delay + 1));
    if models.is_empty() {
        return Ok(split?);
    }
    split.with_context(|| format!("{neediest} needs at least {min_train} train steps"))
}

/// Fits one model on the train period and forecasts the test period, touching no file.
pub(crate) fn fit(
    model: &mut dyn Forecaster,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
) -> Result<Trained> {
    let name = model.name();
    let input = FitInput {
        trace,
        train_len: split.train_len,
        lead_steps: cluster.at_step(trace.step_minutes).delay_steps + 1,
    };
    let fitted = model.fit(&input);
    // An interrupt wins over whatever the fit returned.
    interrupt::check()?;
    fitted.with_context(|| format!("training {name}"))?;
    let forecast = model
        .predict(trace, split.test_range())
        .with_context(|| format!("forecasting with {name}"))?;
    Ok(Trained {
        forecast: ModelForecast {
            model: name.to_string(),
            forecast,
            calibration: None,
        },
        artifacts: model
            .artifacts()
            .with_context(|| format!("saving {name}"))?,
    })
}

/// A model's calibration tail, and what it cost.
pub(crate) enum Tail {
    /// The fit's own held-out forecasts (the LSTM's): no second fit.
    HeldOut(Calibration),
    /// A second fit on the train period less the tail.
    Fitted(Calibration),
    /// The shortened train period is too short for the model: why.
    TooShort(String),
}

/// The calibration tail of `fitted` (a `kind` fitted on the train period): its own
/// held-out forecasts where it has them, else a fresh `kind` fitted on the train period
/// less its last `calibration_days` and forecasting those days at the decision horizon,
/// exactly as the test period is forecast: the model's own errors, for policies that
/// calibrate on them.
pub(crate) fn calibration_tail(
    fitted: &dyn Forecaster,
    kind: ModelKind,
    cfg: &ModelConfig,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
) -> Result<Tail> {
    if let Some(c) = fitted.held_out() {
        return Ok(Tail::HeldOut(c));
    }
    Ok(match calibrate(kind, cfg, trace, split, cluster)? {
        Ok(c) => Tail::Fitted(c),
        Err(why) => Tail::TooShort(why),
    })
}

/// Fits a fresh `kind` on the train period less its last `days` and forecasts those
/// days ([`calibration_tail`]). `Ok(Err(why))` when the shortened train period is too
/// short for the model.
fn calibrate(
    kind: ModelKind,
    cfg: &ModelConfig,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
) -> Result<Result<Calibration, String>> {
    let steps =
        (cfg.calibration_days * 24.0 * 60.0 / f64::from(trace.step_minutes)).round() as usize;
    let mut model = forecast::build(kind, cfg);
    let lead = cluster.at_step(trace.step_minutes).delay_steps + 1;
    let need = model.min_train_steps(trace, lead);
    if steps == 0 || steps >= split.train_len || split.train_len - steps < need {
        return Ok(Err(format!(
            "no calibration tail for {}: {} train steps less {steps} leave fewer than the {need} it needs",
            kind.name(),
            split.train_len
        )));
    }
    let tail = Split {
        train_len: split.train_len - steps,
        test_len: steps,
    };
    let fitted = model.fit(&FitInput {
        trace,
        train_len: tail.train_len,
        lead_steps: lead,
    });
    interrupt::check()?;
    fitted.with_context(|| format!("training {} for calibration", kind.name()))?;
    let forecast = model
        .predict(trace, tail.test_range())
        .with_context(|| format!("forecasting the calibration tail with {}", kind.name()))?;
    Ok(Ok(Calibration {
        actual: trace.requests[tail.test_range()].to_vec(),
        forecast,
    }))
}

/// Whether `policies` read a calibration tail, which costs a second fit per model.
pub(crate) fn calibrating(cfg: &ModelConfig, policies: &[PolicyKind]) -> bool {
    cfg.calibration_days > 0.0 && policies.iter().any(|p| p.needs_calibration())
}

/// Builds the experiment's models, unfitted.
pub(crate) fn build_models(kinds: &[ModelKind], cfg: &ModelConfig) -> Vec<Box<dyn Forecaster>> {
    kinds.iter().map(|&k| forecast::build(k, cfg)).collect()
}

/// Fits every model of the experiment, side by side (one thread a model: Prophet's fits
/// beside the LSTM's training use the cores one alone would leave idle), and writes each
/// one's files as it finishes, so an interrupt keeps the models already done. Each model's
/// output depends on its own inputs alone, so the files are the same whatever the
/// scheduling; the log lines may interleave.
pub(super) fn run(e: &Experiment, trace: &Trace) -> Result<()> {
    let mut models = build_models(&e.models, &e.model_cfg);
    let split = split_for(trace, &e.split, &models, &e.cluster)?;
    let calibrating = calibrating(&e.model_cfg, &e.policies);
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = models
            .iter_mut()
            .zip(&e.models)
            .map(|(model, &kind)| {
                scope.spawn(move || train_one(e, trace, split, model.as_mut(), kind, calibrating))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    // The first failure in model order.
    results.into_iter().collect()
}

/// Fits one model (and its calibration tail), writes its files and says so.
fn train_one(
    e: &Experiment,
    trace: &Trace,
    split: Split,
    model: &mut dyn Forecaster,
    kind: ModelKind,
    calibrating: bool,
) -> Result<()> {
    let name = model.name();
    let spinner = progress::spinner(format!("train {name}"));
    let started = Instant::now();
    let mut trained = fit(model, trace, split, &e.cluster)?;
    spinner.finish_and_clear();
    for note in model.notes() {
        eprintln!("{note}");
    }
    if calibrating {
        let spinner = progress::spinner(format!("train {name} for calibration"));
        match calibration_tail(model, kind, &e.model_cfg, trace, split, &e.cluster)? {
            Tail::HeldOut(c) | Tail::Fitted(c) => trained.forecast.calibration = Some(c),
            Tail::TooShort(why) => eprintln!("note: {why}"),
        }
        spinner.finish_and_clear();
    }
    let written = save_model(
        &e.data,
        trace,
        split,
        &e.cluster,
        &trained.forecast,
        &trained.artifacts,
        model.refit_every(),
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
