//! `train`: fit each model on the train split, forecast the test period at the decision
//! horizon, and leave each model's files (forecasts, sidecar, saved model) as one set.

use std::ops::Range;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::backtest;
use crate::config::{ClusterConfig, SplitConfig};
use crate::experiment::ModelForecast;
use crate::forecast::{
    self, Artifact, FitInput, Forecast, Forecaster, Interval, ModelConfig, ModelKind, Validation,
};
use crate::metrics;
use crate::plan::Experiment;
use crate::store::forecasts::{save_model, Making};
use crate::trace::{Split, Trace};
use crate::{interrupt, progress};

/// A fitted model's output: its forecasts and the files it saves of itself.
pub(crate) struct Trained {
    /// The forecasts: the test period's and the validation window's.
    pub(crate) forecast: ModelForecast,
    /// The model's own files.
    pub(crate) artifacts: Vec<Artifact>,
    /// How the interval was calibrated on the validation window, for a model with one.
    pub(crate) interval: Option<IntervalCalibration>,
    /// What the user should know about the fit (a validation window it could not spare).
    pub(crate) notes: Vec<String>,
}

/// A model's interval, calibrated split-conformal on the validation window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct IntervalCalibration {
    /// The factor both halves of the interval were stretched by.
    pub(crate) stretch: f64,
    /// The share of the test period the interval as trained covered (before the stretch).
    pub(crate) trained_coverage: f64,
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

/// Steps of the validation window `cfg` asks for on this trace (0: none).
pub(crate) fn validation_steps(cfg: &ModelConfig, trace: &Trace) -> usize {
    (cfg.validation_days * 24.0 * 60.0 / f64::from(trace.step_minutes)).round() as usize
}

/// The validation window choices are made on: the models' (each trained with the same
/// `--validation-days`), or without a model that has one the last `--validation-days` of
/// the train period (model-free policies need no fit to run there).
pub(crate) fn validation_window(
    cfg: &ModelConfig,
    trace: &Trace,
    split: Split,
    models: &[ModelForecast],
) -> Range<usize> {
    if let Some(v) = models.iter().find_map(|m| m.validation.as_ref()) {
        return v.range();
    }
    let v = validation_steps(cfg, trace).min(split.train_len);
    split.train_len - v..split.train_len
}

/// Fits one model and forecasts the test period, touching no file. With a validation
/// window ([`validation_steps`]) the one fit is made on the train period less the window
/// and forecasts the window and then the test period in one pass (a refitting model
/// refits through both, each block on the data its decisions could have seen), and the
/// interval, if any, is calibrated split-conformal on the window and applied to both.
/// Without one (0 days, or a train period too short to spare it: a note says so) the fit
/// is on the whole train period.
pub(crate) fn fit(
    model: &mut dyn Forecaster,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    cfg: &ModelConfig,
) -> Result<Trained> {
    let name = model.name();
    let lead_steps = cluster.at_step(trace.step_minutes).delay_steps + 1;
    let mut notes = Vec::new();
    let mut v = validation_steps(cfg, trace);
    let need = model.min_train_steps(trace, lead_steps);
    if v > 0 && (v >= split.train_len || split.train_len - v < need) {
        notes.push(format!(
            "note: no validation window for {name}: {} train steps less {v} leave fewer than the {need} it needs; fitted on them all",
            split.train_len
        ));
        v = 0;
    }
    let fitted = model.fit(&FitInput {
        trace,
        train_len: split.train_len - v,
        lead_steps,
    });
    // An interrupt wins over whatever the fit returned.
    interrupt::check()?;
    fitted.with_context(|| format!("training {name}"))?;
    let start = split.train_len - v;
    let both = model
        .predict(trace, start..split.train_len + split.test_len)
        .with_context(|| format!("forecasting with {name}"))?;
    let (mut validation, mut test) = (slice(&both, 0..v), slice(&both, v..both.len()));
    let actual = |r: Range<usize>| &trace.requests[r];
    let mut interval = None;
    if v > 0 {
        if let Some(q) = backtest::conformal_stretch(
            actual(start..split.train_len),
            &validation,
            cfg.interval_width,
        ) {
            let trained_coverage =
                metrics::forecast_metrics(name, actual(split.test_range()), &test)
                    .interval_coverage
                    .unwrap_or(f64::NAN);
            test = backtest::stretch(&test, q);
            validation = backtest::stretch(&validation, q);
            interval = Some(IntervalCalibration {
                stretch: q,
                trained_coverage,
            });
        }
    }
    Ok(Trained {
        forecast: ModelForecast {
            model: name.to_string(),
            forecast: test,
            validation: (v > 0).then_some(Validation {
                start,
                forecast: validation,
            }),
            tunings: Default::default(),
        },
        artifacts: model
            .artifacts()
            .with_context(|| format!("saving {name}"))?,
        interval,
        notes,
    })
}

/// `forecast`'s steps `range` (relative to its first step).
fn slice(f: &Forecast, range: Range<usize>) -> Forecast {
    Forecast {
        yhat: f.yhat[range.clone()].to_vec(),
        interval: f.interval.as_ref().map(|i| Interval {
            lower: i.lower[range.clone()].to_vec(),
            upper: i.upper[range].to_vec(),
        }),
    }
}

/// Builds the experiment's models, unfitted.
pub(crate) fn build_models(kinds: &[ModelKind], cfg: &ModelConfig) -> Vec<Box<dyn Forecaster>> {
    kinds.iter().map(|&k| forecast::build(k, cfg)).collect()
}

/// `f` on each model side by side, one thread a model (Prophet's fits beside the LSTM's
/// training use the cores one alone would leave idle); the results in model order, each
/// depending on its own model's inputs alone, so the same whatever the scheduling.
fn side_by_side<T: Send>(
    models: &mut [Box<dyn Forecaster>],
    f: impl Fn(&mut dyn Forecaster) -> T + Sync,
) -> Vec<T> {
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = models
            .iter_mut()
            .map(|model| scope.spawn(move || f(model.as_mut())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Fits each model ([`fit`]) side by side ([`side_by_side`]): for the sweep's units and
/// the backtest's folds.
pub(crate) fn fit_all(
    models: &mut [Box<dyn Forecaster>],
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    cfg: &ModelConfig,
) -> Vec<Result<Trained>> {
    side_by_side(models, |model| fit(model, trace, split, cluster, cfg))
}

/// Fits every model of the experiment side by side ([`side_by_side`]) and writes each
/// one's files as it finishes, so an interrupt keeps the models already done. The files
/// are the same whatever the scheduling; the log lines may interleave.
pub(super) fn run(e: &Experiment, trace: &Trace) -> Result<()> {
    let mut models = build_models(&e.models, &e.model_cfg);
    let split = split_for(trace, &e.split, &models, &e.cluster)?;
    // The first failure in model order.
    side_by_side(&mut models, |model| train_one(e, trace, split, model))
        .into_iter()
        .collect()
}

/// Fits one model, writes its files and says so.
fn train_one(
    e: &Experiment,
    trace: &Trace,
    split: Split,
    model: &mut dyn Forecaster,
) -> Result<()> {
    let name = model.name();
    let spinner = progress::spinner(format!("train {name}"));
    let started = Instant::now();
    let trained = fit(model, trace, split, &e.cluster, &e.model_cfg)?;
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
            100.0 * e.model_cfg.interval_width,
            100.0 * c.trained_coverage
        );
    }
    let written = save_model(
        &e.data,
        trace,
        split,
        &e.cluster,
        &trained.forecast,
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
