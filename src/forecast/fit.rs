//! Fitting a model on a window and calibrating its interval: one fit per model, on the
//! train period less the validation window, forecasting the window and then the test
//! period in one pass; the interval stretched split-conformal on the window
//! (`docs/experiment.md`, The validation window). Shared by `train`, `sweep` and
//! `backtest`; touches no file.

use std::ops::Range;

use anyhow::{Context, Result};

use super::{Artifact, FitInput, Forecast, Forecaster, ModelKind, Validation};
use crate::config::{ClusterConfig, ModelConfig, SplitConfig};
use crate::interrupt;
use crate::trace::{Split, Trace};

/// A fitted model's output: its forecasts and the files it saves of itself.
pub struct Trained {
    /// The model's name.
    pub model: String,
    /// Its forecast of the test period.
    pub forecast: Forecast,
    /// Its forecast of the validation window; `None` when it was fitted on the whole
    /// train period.
    pub validation: Option<Validation>,
    /// The model's own files.
    pub artifacts: Vec<Artifact>,
    /// How the interval was calibrated on the validation window, for a model with one.
    pub interval: Option<IntervalCalibration>,
    /// What the user should know about the fit (a validation window it could not spare).
    pub notes: Vec<String>,
}

/// A model's interval, calibrated split-conformal on the validation window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalCalibration {
    /// The factor both halves of the interval were stretched by.
    pub stretch: f64,
    /// The share of the test period the interval as trained covered (before the stretch),
    /// unrounded.
    pub trained_coverage: f64,
}

/// The split for these models: the test period of `split_cfg`, refused (naming the
/// model) when the train period is shorter than the neediest model needs.
pub fn split_for(
    trace: &Trace,
    split_cfg: &SplitConfig,
    models: &[Box<dyn Forecaster>],
    cluster: &ClusterConfig,
) -> Result<Split> {
    let delay = cluster.at_step(trace.step_seconds).delay_steps;
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

/// `cfg` with the validation days every one of `models` can spare of the train period:
/// its own, or where the neediest model cannot spare them, the whole days it can (one or
/// more), with a note saying so, so that every model is chosen on the same window.
/// Unchanged where not even a day can be spared (each fit then says so).
pub fn common_validation(
    cfg: &ModelConfig,
    models: &[Box<dyn Forecaster>],
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
) -> (ModelConfig, Option<String>) {
    let lead = cluster.at_step(trace.step_seconds).delay_steps + 1;
    let Some((need, neediest)) = models
        .iter()
        .map(|m| (m.min_train_steps(trace, lead), m.name()))
        .max()
    else {
        return (cfg.clone(), None);
    };
    let v = validation_steps(cfg, trace);
    let day = trace.steps_per_day();
    let spare = split.train_len.saturating_sub(need.max(1)) / day * day;
    if v == 0 || split.train_len.saturating_sub(v) >= need || spare < day || spare >= v {
        return (cfg.clone(), None);
    }
    let note = format!(
        "note: a validation window of {}, not {}: the {} train steps less {v} leave fewer than the {need} {neediest} needs",
        crate::words::count(spare / day, "day"),
        crate::words::count(v.div_ceil(day), "day"),
        split.train_len
    );
    let shrunk = ModelConfig {
        validation_days: spare as f64 / trace.steps_per_day() as f64,
        ..cfg.clone()
    };
    (shrunk, Some(note))
}

/// Steps of the validation window `cfg` asks for on this trace (0: none).
pub fn validation_steps(cfg: &ModelConfig, trace: &Trace) -> usize {
    (cfg.validation_days * trace.steps_per_day() as f64).round() as usize
}

/// Fits one model and forecasts the test period, touching no file. With a validation
/// window ([`validation_steps`]) the one fit is made on the train period less the window
/// and forecasts the window and then the test period in one pass (a refitting model
/// refits through both, each block on the data its decisions could have seen), and the
/// interval, if any, is calibrated split-conformal on the window and applied to both.
/// Without one (0 days, or a train period too short to spare it: a note says so) the fit
/// is on the whole train period.
pub fn fit(
    model: &mut dyn Forecaster,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    cfg: &ModelConfig,
) -> Result<Trained> {
    let name = model.name();
    let (v, lead_steps, notes) = window(model, trace, split, cluster, cfg);
    let fitted = model.fit(&FitInput {
        trace,
        train_len: split.train_len - v,
        lead_steps,
    });
    // An interrupt wins over whatever the fit returned.
    interrupt::check()?;
    fitted.with_context(|| format!("training {name}"))?;
    let both = model
        .predict(trace, split.train_len - v..split.train_len + split.test_len)
        .with_context(|| format!("forecasting with {name}"))?;
    let artifacts = model
        .artifacts()
        .with_context(|| format!("saving {name}"))?;
    calibrated(model, trace, split, v, both, notes, cfg, artifacts)
}

/// [`fit`]'s result read from `chain`, a forecast from step `chain_start` on made by one
/// fit before it (refitting as it goes where the model refits: a target's forecast is
/// then the fit's that read the data before its block), which the backtest's folds
/// share, in place of a fit of its own. `model` is of the chain's kind.
pub fn from_chain(
    model: &dyn Forecaster,
    chain: &Forecast,
    chain_start: usize,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    cfg: &ModelConfig,
) -> Result<Trained> {
    let (v, _, notes) = window(model, trace, split, cluster, cfg);
    let start = split.train_len - v;
    let end = split.train_len + split.test_len;
    anyhow::ensure!(
        chain_start <= start && end - chain_start <= chain.len(),
        "{}: its chain of forecasts does not cover steps {start}..{end}",
        model.name()
    );
    let both = chain.slice(start - chain_start..end - chain_start);
    // No files: the model that made the chain is the first fold's to ask, not this one.
    calibrated(model, trace, split, v, both, notes, cfg, Vec::new())
}

/// The validation window's steps for `model` (0 where it cannot spare them: a note says
/// so) and the decision's lead, in steps.
fn window(
    model: &dyn Forecaster,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    cfg: &ModelConfig,
) -> (usize, usize, Vec<String>) {
    let name = model.name();
    let lead_steps = cluster.at_step(trace.step_seconds).delay_steps + 1;
    let mut notes = Vec::new();
    let mut v = validation_steps(cfg, trace);
    let need = model.min_train_steps(trace, lead_steps);
    // Callers shorten the window to what every model can spare ([`common_validation`]);
    // a model that cannot spare even that fits on the whole train period.
    if v > 0 && (v >= split.train_len || split.train_len - v < need) {
        notes.push(format!(
            "note: no validation window for {name}: {} train steps less {v} leave fewer than the {need} it needs; fitted on them all",
            split.train_len
        ));
        v = 0;
    }
    (v, lead_steps, notes)
}

/// The model's output from its forecast of the validation window (`v` steps before the
/// test period) and the test period in one (`both`), with the files it saves: the
/// interval calibrated split-conformal on the window where there is one.
#[allow(clippy::too_many_arguments)]
fn calibrated(
    model: &dyn Forecaster,
    trace: &Trace,
    split: Split,
    v: usize,
    both: Forecast,
    notes: Vec<String>,
    cfg: &ModelConfig,
    artifacts: Vec<Artifact>,
) -> Result<Trained> {
    let name = model.name();
    let start = split.train_len - v;
    let (mut validation, mut test) = (both.slice(0..v), both.slice(v..both.len()));
    let actual = |r: Range<usize>| &trace.requests[r];
    let mut interval = None;
    if v > 0 {
        if let Some(q) = conformal_stretch(
            actual(start..split.train_len),
            &validation,
            cfg.interval_width,
        ) {
            let trained_coverage = test
                .coverage(actual(split.test_range()))
                .unwrap_or(f64::NAN);
            test = test.stretched(q);
            validation = validation.stretched(q);
            interval = Some(IntervalCalibration {
                stretch: q,
                trained_coverage,
            });
        }
    }
    Ok(Trained {
        model: name.to_string(),
        forecast: test,
        validation: (v > 0).then_some(Validation {
            start,
            forecast: validation,
        }),
        artifacts,
        interval,
        notes,
    })
}

/// Builds the experiment's models, unfitted.
pub fn build_models(kinds: &[ModelKind], cfg: &ModelConfig) -> Vec<Box<dyn Forecaster>> {
    kinds.iter().map(|k| k.build(cfg)).collect()
}

/// `f` on each model side by side, one thread a model ([`crate::fanout::each_mut`]).
pub fn side_by_side<T: Send>(
    models: &mut [Box<dyn Forecaster>],
    f: impl Fn(&mut dyn Forecaster) -> T + Sync,
) -> Vec<T> {
    crate::fanout::each_mut(models, |m: &mut (dyn Forecaster + 'static)| f(m))
}

/// Fits each model ([`fit`]) side by side ([`side_by_side`]): for the sweep's units and
/// the backtest's folds.
pub fn fit_all(
    models: &mut [Box<dyn Forecaster>],
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    cfg: &ModelConfig,
) -> Vec<Result<Trained>> {
    side_by_side(models, |model| fit(model, trace, split, cluster, cfg))
}

/// The split-conformal stretch of a model's interval on a calibration window (the
/// validation window): the ⌈(n + 1)·width⌉-th smallest of the scores
/// `|actual − yhat| / half-width` (the upper half above the forecast, the lower below),
/// so the interval stretched by it covers `width` of the window. `None` without an
/// interval, or where a zero half-width meets an error (no stretch covers it).
pub fn conformal_stretch(actual: &[f64], f: &Forecast, width: f64) -> Option<f64> {
    let iv = f.interval.as_ref()?;
    let mut scores: Vec<f64> = (0..actual.len())
        .map(|i| {
            let (a, y) = (actual[i], f.yhat[i]);
            let half = if a >= y {
                iv.upper[i] - y
            } else {
                y - iv.lower[i]
            };
            if half > 0.0 {
                (a - y).abs() / half
            } else if a == y {
                0.0
            } else {
                f64::INFINITY
            }
        })
        .collect();
    if scores.is_empty() {
        return None;
    }
    scores.sort_by(f64::total_cmp);
    let n = scores.len();
    let k = (((n + 1) as f64 * width).ceil() as usize).clamp(1, n);
    Some(scores[k - 1]).filter(|q| q.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::Interval;

    #[test]
    fn the_conformal_stretch_covers_the_width_on_its_window() {
        // Forecast 100, interval ±10; errors 0, 5, 10, 20, 40 (scores 0, 0.5, 1, 2, 4).
        // For 80 % of 5 points: the ⌈6 · 0.8⌉ = 5th score, 4: ±40 covers all five; for
        // 50 %: the 3rd, 1 (the interval as it is covers 3 of 5).
        let f = Forecast {
            yhat: vec![100.0; 5],
            interval: Some(Interval {
                lower: vec![90.0; 5],
                upper: vec![110.0; 5],
            }),
        };
        let actual = [100.0, 95.0, 110.0, 80.0, 140.0];
        assert_eq!(conformal_stretch(&actual, &f, 0.8), Some(4.0));
        assert_eq!(conformal_stretch(&actual, &f, 0.5), Some(1.0));
        let s = f.stretched(2.0);
        let iv = s.interval.unwrap();
        assert_eq!((iv.lower[0], iv.upper[0]), (80.0, 120.0));
        let none = Forecast {
            yhat: vec![1.0],
            interval: None,
        };
        assert_eq!(conformal_stretch(&[1.0], &none, 0.8), None);
    }
}
