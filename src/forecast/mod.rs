//! Forecasters: the one trait every model implements, and the model registry.
//!
//! A forecaster is fitted on the train steps of a trace for one lead (the startup
//! delay plus one step: the demand at `t + d` from data up to `t − 1`), then predicts
//! every test step, using for step `j` nothing after `j − lead`.

pub mod fit;
pub mod lstm;
mod lstm_fast;
pub mod prophet;
mod prophet_map;
pub mod seasonal_naive;

use std::ops::Range;

use thiserror::Error;

use crate::config::{ModelConfig, RefitEvery};
use crate::trace::Trace;

/// Why a forecaster could not be fitted or used.
#[derive(Debug, Error, PartialEq)]
pub enum ForecastError {
    /// The train period is shorter than the model needs.
    #[error("{model} needs at least {need} train steps, the trace has {have}")]
    TrainTooShort {
        /// The model.
        model: &'static str,
        /// Steps needed.
        need: usize,
        /// Steps available.
        have: usize,
    },
    /// The model's seasonal period is not a whole number of steps.
    #[error("{model} needs a step that divides one day, got {step_seconds} s")]
    Step {
        /// The model.
        model: &'static str,
        /// The trace's step.
        step_seconds: u32,
    },
    /// `predict` was called before `fit`.
    #[error("{0} was asked to predict before it was fitted")]
    NotFitted(&'static str),
    /// A target step would need data the decision cannot have seen.
    #[error("{model} cannot forecast step {target} with lead {lead}: it lies before the data")]
    TargetTooEarly {
        /// The model.
        model: &'static str,
        /// The target step.
        target: usize,
        /// The lead in steps.
        lead: usize,
    },
    /// Ctrl-C stopped the training.
    #[error("{0} training was interrupted")]
    Interrupted(&'static str),
    /// The model's own machinery failed.
    #[error("{model}: {message}")]
    Model {
        /// The model.
        model: &'static str,
        /// What failed.
        message: String,
    },
}

/// An interval around a forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// Lower bound per step.
    pub lower: Vec<f64>,
    /// Upper bound per step.
    pub upper: Vec<f64>,
}

/// Forecasts for consecutive target steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Point forecast per step, in requests per step.
    pub yhat: Vec<f64>,
    /// The interval, for models that have one.
    pub interval: Option<Interval>,
}

impl Forecast {
    /// Number of steps forecast.
    pub fn len(&self) -> usize {
        self.yhat.len()
    }

    /// Whether nothing was forecast.
    pub fn is_empty(&self) -> bool {
        self.yhat.is_empty()
    }

    /// The steps `range` of this forecast (relative to its first step).
    pub fn slice(&self, range: Range<usize>) -> Forecast {
        Forecast {
            yhat: self.yhat[range.clone()].to_vec(),
            interval: self.interval.as_ref().map(|i| Interval {
                lower: i.lower[range.clone()].to_vec(),
                upper: i.upper[range].to_vec(),
            }),
        }
    }

    /// This forecast with its interval's halves stretched by `q` around the forecast.
    pub fn stretched(&self, q: f64) -> Forecast {
        Forecast {
            yhat: self.yhat.clone(),
            interval: self.interval.as_ref().map(|iv| Interval {
                lower: self
                    .yhat
                    .iter()
                    .zip(&iv.lower)
                    .map(|(y, l)| y - q * (y - l))
                    .collect(),
                upper: self
                    .yhat
                    .iter()
                    .zip(&iv.upper)
                    .map(|(y, u)| y + q * (u - y))
                    .collect(),
            }),
        }
    }

    /// The share of `actual` inside the interval (bounds included), unrounded; `None`
    /// without an interval.
    pub fn coverage(&self, actual: &[f64]) -> Option<f64> {
        let b = self.interval.as_ref()?;
        let inside = actual
            .iter()
            .enumerate()
            .filter(|&(i, a)| b.lower[i] <= *a && *a <= b.upper[i])
            .count();
        Some(inside as f64 / actual.len().max(1) as f64)
    }

    /// The forecasts of a trace spread over `k` ticks a step
    /// ([`crate::trace::Trace::spread`]): each tick's is its step's over `k`.
    pub fn spread(&self, k: usize) -> Forecast {
        let each = |v: &[f64]| crate::trace::spread(v, k);
        Forecast {
            yhat: each(&self.yhat),
            interval: self.interval.as_ref().map(|b| Interval {
                lower: each(&b.lower),
                upper: each(&b.upper),
            }),
        }
    }

    /// The forecast for step `i`.
    pub fn at(&self, i: usize) -> PointForecast {
        PointForecast {
            yhat: self.yhat[i],
            lower: self.interval.as_ref().map(|b| b.lower[i]),
            upper: self.interval.as_ref().map(|b| b.upper[i]),
        }
    }
}

/// One step's forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointForecast {
    /// Point forecast.
    pub yhat: f64,
    /// Lower bound, if any.
    pub lower: Option<f64>,
    /// Upper bound, if any.
    pub upper: Option<f64>,
}

/// What a forecaster is fitted on.
#[derive(Debug, Clone, Copy)]
pub struct FitInput<'a> {
    /// The whole trace; only `requests[..train_len]` may be read.
    pub trace: &'a Trace,
    /// Steps in the train period.
    pub train_len: usize,
    /// Steps between the last observed step and the target: `d + 1`.
    pub lead_steps: usize,
}

/// A demand forecaster.
pub trait Forecaster: Send {
    /// The model's name, as on the command line.
    fn name(&self) -> &'static str;

    /// Fewest train steps the model needs for `lead_steps` on this trace.
    fn min_train_steps(&self, trace: &Trace, lead_steps: usize) -> usize;

    /// Fits the model on the train period.
    fn fit(&mut self, input: &FitInput) -> Result<(), ForecastError>;

    /// `Err(TrainTooShort)` when the train period is shorter than [`Self::min_train_steps`].
    fn check_train_len(&self, input: &FitInput) -> Result<(), ForecastError> {
        let need = self.min_train_steps(input.trace, input.lead_steps);
        if input.train_len < need {
            return Err(ForecastError::TrainTooShort {
                model: self.name(),
                need,
                have: input.train_len,
            });
        }
        Ok(())
    }

    /// Forecasts the demand at each step in `targets`, reading for target `j` only
    /// `trace.requests[..=j - lead]`.
    fn predict(&self, trace: &Trace, targets: Range<usize>) -> Result<Forecast, ForecastError>;

    /// What the last fit has to tell the user: warnings and timings, one line each.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// How often the model refits while it forecasts, which the sidecar records. Models
    /// that read the latest data without refitting never do.
    fn refit_every(&self) -> RefitEvery {
        RefitEvery::NEVER
    }

    /// The files the fitted model saves of itself (its weights, say), which `train`
    /// writes beside its forecasts as one set. Models that refit in seconds save nothing.
    fn artifacts(&self) -> Result<Vec<Artifact>, ForecastError> {
        Ok(Vec::new())
    }

    /// Whether a backtest fits it once, before the first fold's validation window, and
    /// reads every fold's windows from that fit's forecast, as `run-all` reads its
    /// validation window and test period from one fit: a model whose fit costs and whose
    /// forecasts read the latest data without it (the LSTM reads the actual context). A
    /// model that refits as it forecasts (Prophet) is read from one chain of its refits
    /// whatever this says; one that fits in no time and reads each fold's history in
    /// its fit (seasonal-naive's interval) is fitted per fold.
    fn fits_once_for_folds(&self) -> bool {
        false
    }
}

/// A model's forecasts of the validation window (the last steps of the train period),
/// made by the one fit that also forecasts the test period: fitted on everything before
/// the window, forecasting it and then the test period in one pass, each step from data
/// its decision could have seen (`docs/experiment.md`, The validation window).
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// The trace step of the window's first step.
    pub start: usize,
    /// The forecast of each window step at the decision horizon.
    pub forecast: Forecast,
}

impl Validation {
    /// The window's steps in the trace.
    pub fn range(&self) -> Range<usize> {
        self.start..self.start + self.forecast.len()
    }

    /// The window on the trace spread over `k` ticks a step ([`Forecast::spread`]).
    pub fn spread(&self, k: usize) -> Validation {
        Validation {
            start: self.start * k,
            forecast: self.forecast.spread(k),
        }
    }
}

/// A file a model saves of itself: a name inside the models folder and its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// File name, inside the data folder's `models/`.
    pub file_name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// A model's registry entry: each model's file defines one (`SPEC`) and
/// [`ModelKind::ALL`] lists it.
pub struct ModelSpec {
    /// The command-line name.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// Builds the model, unfitted, from the shared settings.
    pub build: fn(&ModelConfig) -> Box<dyn Forecaster>,
}

/// A model prescale knows, as named on the command line: an entry of the registry.
#[derive(Clone, Copy)]
pub struct ModelKind(&'static ModelSpec);

impl ModelKind {
    /// Every model, in report order.
    pub const ALL: &'static [ModelKind] = &[
        ModelKind(&seasonal_naive::SPEC),
        ModelKind(&prophet::SPEC),
        ModelKind(&lstm::SPEC),
    ];

    /// The model's command-line name.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// One line for `--help`.
    pub fn about(self) -> &'static str {
        self.0.about
    }

    /// Builds the model, unfitted.
    pub fn build(self, cfg: &ModelConfig) -> Box<dyn Forecaster> {
        (self.0.build)(cfg)
    }

    /// Looks a model up by its command-line name.
    pub fn from_name(name: &str) -> Option<ModelKind> {
        Self::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// Its place in [`Self::ALL`]: the report order.
    fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|m| m.name() == self.name())
            .expect("a registered model")
    }
}

impl std::fmt::Debug for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModelKind({})", self.name())
    }
}

impl PartialEq for ModelKind {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for ModelKind {}

impl std::hash::Hash for ModelKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl PartialOrd for ModelKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ModelKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.index().cmp(&other.index())
    }
}

/// One block of a refit schedule: the targets one fit forecasts, and how many steps of
/// data that fit reads (`requests[..data_len]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefitBlock {
    /// The target steps.
    pub targets: Range<usize>,
    /// Steps of data the fit reads: through `targets.start − lead`, the last step a
    /// decision for the block's first target has seen.
    pub data_len: usize,
}

/// The refit schedule for `targets` at `lead`: a fit every `every` steps from the first
/// target, each on all data a decision for its first target has seen. Empty when a
/// target lies before the lead.
pub fn refit_blocks(targets: Range<usize>, lead: usize, every: usize) -> Vec<RefitBlock> {
    if targets.start < lead || every == 0 {
        return Vec::new();
    }
    (targets.start..targets.end)
        .step_by(every)
        .map(|b| RefitBlock {
            targets: b..(b + every).min(targets.end),
            data_len: b - lead + 1,
        })
        .collect()
}

/// The `q`-quantile of `xs` (linear interpolation between order statistics, as numpy's
/// default). `xs` must not be empty.
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    sorted_quantile(&v, q)
}

/// [`quantile`] of values already sorted ascending (by `f64::total_cmp`).
pub fn sorted_quantile(v: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.1, 0.5, 0.9]) -> [1.3, 2.5, 3.7]
        let xs = [4.0, 1.0, 3.0, 2.0];
        assert!((quantile(&xs, 0.1) - 1.3).abs() < 1e-12);
        assert!((quantile(&xs, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile(&xs, 0.9) - 3.7).abs() < 1e-12);
    }

    #[test]
    fn refit_intervals_parse_and_print() {
        for (text, minutes, shown) in [
            ("6h", Some(360), "6h"),
            ("90m", Some(90), "90m"),
            ("120min", Some(120), "2h"),
            ("1d", Some(1440), "1d"),
            ("never", None, "never"),
        ] {
            let r: RefitEvery = text.parse().unwrap();
            assert_eq!(r.as_minutes(), minutes, "{text}");
            assert_eq!(r.to_string(), shown);
        }
        for bad in ["", "6", "0h", "h", "-1h", "6 hours", "1.5h", "99999999d"] {
            assert!(bad.parse::<RefitEvery>().is_err(), "{bad}");
        }
        // 6 hours of 5-minute steps is 72; 7 minutes of 5-minute steps rounds up to 2.
        assert_eq!(RefitEvery::DEFAULT.steps(300), Some(72));
        assert_eq!(RefitEvery::minutes(7).unwrap().steps(300), Some(2));
        assert_eq!(RefitEvery::NEVER.steps(300), None);
    }

    #[test]
    fn refit_blocks_read_only_what_the_first_decision_has_seen() {
        // Targets 10..17, lead 3, every 3 steps: fits on data through 7, 10 and 13.
        let blocks = refit_blocks(10..17, 3, 3);
        let expect = [(10..13, 8), (13..16, 11), (16..17, 14)];
        assert_eq!(blocks.len(), expect.len());
        for (b, (targets, data_len)) in blocks.iter().zip(expect) {
            assert_eq!((b.targets.clone(), b.data_len), (targets, data_len));
            // The decision for target j is made at j − lead and reads nothing later.
            assert!(b.targets.clone().all(|j| b.data_len - 1 <= j - 3));
        }
        assert!(refit_blocks(2..5, 3, 1).is_empty());
    }

    #[test]
    fn model_names_round_trip() {
        for m in ModelKind::ALL {
            assert_eq!(ModelKind::from_name(m.name()), Some(*m));
        }
        assert_eq!(ModelKind::from_name("nope"), None);
    }
}
