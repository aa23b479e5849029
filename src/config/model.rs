//! The forecasting models' settings: what every model reads, the LSTM's own, and how
//! often a model refits (`docs/experiment.md`, Models).

use serde::{Deserialize, Serialize};

/// Settings shared by the model constructors.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// Coverage of the forecast interval. Defaults to 0.8.
    pub interval_width: f64,
    /// Seed of every random source in training. Defaults to 42.
    pub seed: u64,
    /// The LSTM's architecture and training (its interval width and seed are the two
    /// above). Defaults to `LstmConfig::default()`.
    pub lstm: LstmConfig,
    /// Days of the validation window at the end of the train period: each model is
    /// fitted before it and forecasts it with the test period, so choices (slo-targeted's
    /// headroom, the interval's calibration, the recommendation) are made on forecasts no
    /// fit saw; 0 fits on the whole train period and chooses nothing. Defaults to 7: each
    /// day is one sample of how a choice does, a margin needs their spread, and a week
    /// holds every weekday and the weekend (`docs/experiment.md`, Choosing with a margin).
    pub validation_days: f64,
    /// How often Prophet refits while it forecasts. Defaults to every 6 hours.
    pub refit_every: RefitEvery,
    /// Days of the most recent history each Prophet fit and refit reads (0, the
    /// default: all of it).
    pub prophet_span_days: f64,
    /// The most points a Prophet fit reads: longer data is averaged in groups of whole
    /// steps (0: one point per step). Defaults to 10,000 (`docs/experiment.md`, Models).
    pub prophet_max_points: usize,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            interval_width: 0.8,
            seed: 42,
            lstm: LstmConfig::default(),
            validation_days: 7.0,
            refit_every: RefitEvery::DEFAULT,
            prophet_span_days: 0.0,
            prophet_max_points: 10_000,
        }
    }
}

/// How often a model refits on the data seen so far while it forecasts, as a deployed
/// scaler would: never (one fit on the train period), or every so many minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefitEvery(Option<u32>);

impl RefitEvery {
    /// One fit on the train period, never refitted.
    pub const NEVER: RefitEvery = RefitEvery(None);
    /// The default: every 6 hours (`docs/experiment.md` gives the measurement).
    pub const DEFAULT: RefitEvery = RefitEvery(Some(6 * 60));

    /// Every `minutes` minutes; `None` for 0.
    pub fn minutes(minutes: u32) -> Option<Self> {
        (minutes > 0).then_some(Self(Some(minutes)))
    }

    /// The interval in minutes; `None` when never.
    pub fn as_minutes(self) -> Option<u32> {
        self.0
    }

    /// The interval in steps of `step_seconds` (rounded up, at least one); `None` when never.
    pub fn steps(self, step_seconds: u32) -> Option<usize> {
        self.0
            .map(|m| ((60 * u64::from(m)).div_ceil(u64::from(step_seconds.max(1))) as usize).max(1))
    }
}

impl std::fmt::Display for RefitEvery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => write!(f, "never"),
            Some(m) if m % (24 * 60) == 0 => write!(f, "{}d", m / (24 * 60)),
            Some(m) if m % 60 == 0 => write!(f, "{}h", m / 60),
            Some(m) => write!(f, "{m}m"),
        }
    }
}

impl std::str::FromStr for RefitEvery {
    type Err = String;

    /// `never`, or a whole number with a unit: `30m`, `6h`, `1d`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "never" {
            return Ok(Self::NEVER);
        }
        let bad = || format!("expected `never` or a duration such as 30m, 6h or 1d, got `{s}`");
        let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
        let minutes_per = match unit {
            "m" | "min" => 1,
            "h" => 60,
            "d" => 24 * 60,
            _ => return Err(bad()),
        };
        let n: u32 = number.parse().map_err(|_| bad())?;
        n.checked_mul(minutes_per)
            .and_then(Self::minutes)
            .ok_or_else(bad)
    }
}

/// Architecture and training of the LSTM. Every default is stated in `docs/experiment.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LstmConfig {
    /// Steps of history in one input window. Defaults to 60.
    pub window: usize,
    /// Hidden units of the LSTM layer. Defaults to 64.
    pub hidden: usize,
    /// Passes over the train windows at most. Defaults to 10.
    pub epochs: usize,
    /// Early stopping: epochs without an improvement of the validation MSE by at least
    /// `min_delta` before training stops and the best epoch's weights are restored (as
    /// Keras' `EarlyStopping(restore_best_weights=True)`); 0 trains every epoch. Defaults
    /// to 2.
    #[serde(default)]
    pub patience: usize,
    /// The smallest fall of the validation MSE (standardized) that counts as an
    /// improvement. Defaults to 0.001.
    #[serde(default)]
    pub min_delta: f64,
    /// Windows per optimizer step. Defaults to 256.
    pub batch_size: usize,
    /// Adam's learning rate. Defaults to 1e-3.
    pub learning_rate: f64,
    /// Share of the train windows (the last ones) held out for validation and
    /// calibration. Defaults to 0.1.
    pub validation_fraction: f64,
    /// Coverage of the conformal interval. Defaults to 0.8.
    pub interval_width: f64,
    /// Seed of the weight init and the shuffle. Defaults to 42.
    pub seed: u64,
    /// How the sequence is computed. Defaults to [`LstmEngine::Fast`].
    #[serde(default)]
    pub engine: LstmEngine,
    /// Days of the most recent history whose windows it trains on (0: every window), so
    /// that a fit costs the same however long the history a user has. Defaults to 14
    /// (`docs/experiment.md`, lstm: measured at 14, 28, 56 and 90 days).
    #[serde(default)]
    pub train_span_days: f64,
}

/// How the LSTM runs its sequence; both compute the same function with the same weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LstmEngine {
    /// The whole sequence, forward and backward, as one custom op (`forecast::lstm_fast`).
    #[default]
    Fast,
    /// `candle_nn::LSTM` stepped with `seq`: the reference the fast path is checked against.
    Plain,
}

impl Default for LstmConfig {
    fn default() -> Self {
        Self {
            window: 60,
            hidden: 64,
            epochs: 10,
            patience: 2,
            min_delta: 1e-3,
            batch_size: 256,
            learning_rate: 1e-3,
            validation_fraction: 0.1,
            interval_width: 0.8,
            seed: 42,
            engine: LstmEngine::Fast,
            train_span_days: 14.0,
        }
    }
}
