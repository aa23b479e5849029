//! `prophet`: Prophet (`augurs-prophet`'s model and features), fitted on the train split
//! with daily and weekly seasonality by our native MAP optimizer ([`super::prophet_map`]:
//! Stan's objective and L-BFGS, without Stan or WebAssembly).
//!
//! Two things in augurs would make reruns differ, and the same seed must give the same
//! forecasts bit for bit:
//! - its seasonal feature columns come out of a `HashMap`, in a different order each
//!   process, and L-BFGS then stops at slightly different points. We put the columns
//!   into a canonical order before they reach the optimizer, so it always solves the same problem;
//! - its uncertainty sampling draws from an unseeded thread RNG. We draw the interval
//!   ourselves, seeded, as the reference implementation does for future dates
//!   (`sample_predictive_trend` and `sample_model` in prophet/forecaster.py): new
//!   changepoints as a Poisson process on `(1, T]` with Laplace rate changes of the fitted
//!   changepoints' mean magnitude, plus Gaussian observation noise.
//!
//! The point forecast is Prophet's additive model evaluated in that canonical order:
//! `y_scale · (piecewise-linear trend + Σ fourier_j(t) · β_j)`.

use std::f64::consts::PI;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use augurs_prophet::optimizer::{Data, InitialParams, OptimizeOpts, OptimizedParams};
use augurs_prophet::{
    IntervalWidth, Optimizer, Prophet, ProphetOptions, SeasonalityOption, TrainingData,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Poisson};

use super::prophet_map::{Model, NativeOptimizer};
use super::{quantile, FitInput, Forecast, ForecastError, Forecaster, Interval};
use crate::trace::Trace;

const NAME: &str = "prophet";
const DAY_SECONDS: i64 = 86_400;
/// Fourier orders of Prophet's default seasonalities: (period in days, order).
const DAILY: (f64, usize) = (1.0, 4);
const WEEKLY: (f64, usize) = (7.0, 3);

/// Prophet with canonical feature order and seeded intervals.
#[derive(Debug)]
pub struct ProphetModel {
    interval_width: f64,
    seed: u64,
    /// Draws of the predictive distribution per step. Defaults to 1000, as Prophet.
    uncertainty_samples: usize,
    fitted: Option<Fitted>,
    notes: Vec<String>,
}

/// One seasonal feature: `sin` or `cos` of `2π · order · t_days / period_days`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fourier {
    period_days: f64,
    order: usize,
    sin: bool,
}

impl Fourier {
    fn at(&self, epoch_seconds: i64) -> f64 {
        let x = 2.0 * PI * self.order as f64 * (epoch_seconds as f64 / DAY_SECONDS as f64)
            / self.period_days;
        if self.sin {
            x.sin()
        } else {
            x.cos()
        }
    }
}

#[derive(Debug)]
struct Fitted {
    /// Trend and coefficients, `beta` in canonical column order.
    params: OptimizedParams,
    /// The feature of each canonical column.
    features: Vec<Fourier>,
    /// Changepoints in scaled time.
    t_change: Vec<f64>,
    /// First train timestamp and the train span, in seconds: `t = (ds − start) / span`.
    t_start: i64,
    t_span: f64,
    /// The abs-max scale of `y` (Prophet's default scaling).
    y_scale: f64,
}

/// What Stan saw and found, in canonical column order.
#[derive(Debug, Clone)]
struct Seen {
    params: OptimizedParams,
    columns: Vec<Vec<f64>>,
    t_change: Vec<f64>,
    multiplicative: bool,
}

/// The Stan optimizer behind a canonical column order, recording what it saw and found
/// (augurs keeps the fitted parameters private).
#[derive(Debug)]
struct Canonical {
    inner: NativeOptimizer,
    seen: Arc<Mutex<Option<Seen>>>,
}

impl Optimizer for Canonical {
    fn optimize(
        &self,
        init: &InitialParams,
        data: &Data,
        opts: &OptimizeOpts,
    ) -> Result<OptimizedParams, augurs_prophet::optimizer::Error> {
        let (n, k) = (data.T as usize, data.K as usize);
        let columns: Vec<Vec<f64>> = (0..k)
            .map(|j| (0..n).map(|i| data.X[i * k + j]).collect())
            .collect();
        // Canonical order: by the columns' values, which do not depend on augurs' order.
        let mut perm: Vec<usize> = (0..k).collect();
        perm.sort_by(|&a, &b| {
            columns[a]
                .iter()
                .zip(&columns[b])
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut x = vec![0.0; n * k];
        for i in 0..n {
            for (p, &j) in perm.iter().enumerate() {
                x[i * k + p] = data.X[i * k + j];
            }
        }
        let data_c = Data {
            X: x,
            s_a: perm.iter().map(|&j| data.s_a[j]).collect(),
            s_m: perm.iter().map(|&j| data.s_m[j]).collect(),
            sigmas: perm.iter().map(|&j| data.sigmas[j]).collect(),
            ..data.clone()
        };
        let init_c = InitialParams {
            beta: perm.iter().map(|&j| init.beta[j]).collect(),
            ..init.clone()
        };
        let found = self.inner.optimize(&init_c, &data_c, opts)?;
        *self.seen.lock().expect("not poisoned") = Some(Seen {
            params: found.clone(),
            columns: perm.iter().map(|&j| columns[j].clone()).collect(),
            t_change: data.t_change.clone(),
            multiplicative: data.s_m.iter().any(|&m| m != 0),
        });
        // augurs expects its own column order back.
        let mut beta = vec![0.0; k];
        for (p, &j) in perm.iter().enumerate() {
            beta[j] = found.beta[p];
        }
        Ok(OptimizedParams { beta, ..found })
    }
}

/// Prophet's MAP parameters in its scaled units, each coefficient named by its Fourier
/// term: what Python Prophet's `m.params` holds (`scripts/prophet_reference.py`).
#[derive(Debug, Clone, PartialEq)]
pub struct MapParams {
    /// Base growth rate.
    pub k: f64,
    /// Offset.
    pub m: f64,
    /// Observation noise.
    pub sigma_obs: f64,
    /// Rate changes at the changepoints, in time order.
    pub delta: Vec<f64>,
    /// Coefficients: (period in days, Fourier order, sine?, value).
    pub beta: Vec<(f64, usize, bool, f64)>,
}

/// The MAP objective of a fit, at the fitted parameters and at others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectiveCheck {
    /// At the fitted parameters.
    pub fitted: f64,
    /// At the other parameters.
    pub other: f64,
    /// The fitted σ² against the σ² that solves its stationarity condition, relative.
    pub sigma_stationarity: f64,
}

impl ProphetModel {
    /// The MAP objective (`prophet_map`: Stan's log density, `propto`, no Jacobian) on
    /// the data of the last fit (`trace`'s first `train_len` steps), at the fitted
    /// parameters and at `other`; `None` before a fit or when `other`'s terms are not the
    /// fitted ones.
    pub fn objective_check(
        &self,
        trace: &Trace,
        train_len: usize,
        other: &MapParams,
    ) -> Option<ObjectiveCheck> {
        let f = self.fitted.as_ref()?;
        let ds: Vec<i64> = (0..train_len)
            .map(|i| trace.timestamp(i).timestamp())
            .collect();
        let t: Vec<f64> = ds
            .iter()
            .map(|d| (d - f.t_start) as f64 / f.t_span)
            .collect();
        let y: Vec<f64> = trace.requests[..train_len]
            .iter()
            .map(|v| v / f.y_scale)
            .collect();
        let x: Vec<f64> = ds
            .iter()
            .flat_map(|&d| f.features.iter().map(move |feat| feat.at(d)))
            .collect();
        // Prophet's defaults: seasonality prior scale 10, changepoint prior scale 0.05.
        let k = f.features.len();
        let model = Model::from_parts(y, t, x, k, f.t_change.clone(), &vec![10.0; k], 0.05);
        let theta = |k: f64, m: f64, sigma: f64, delta: &[f64], beta: &[f64]| {
            let mut v = vec![k, m];
            v.extend_from_slice(delta);
            v.push(sigma.ln());
            v.extend_from_slice(beta);
            v
        };
        let ours = theta(
            f.params.k,
            f.params.m,
            *f.params.sigma_obs,
            &f.params.delta,
            &f.params.beta,
        );
        let their_beta: Option<Vec<f64>> = f
            .features
            .iter()
            .map(|feat| {
                other
                    .beta
                    .iter()
                    .find(|b| b.0 == feat.period_days && b.1 == feat.order && b.2 == feat.sin)
                    .map(|b| b.3)
            })
            .collect();
        if other.delta.len() != f.params.delta.len() || other.beta.len() != f.features.len() {
            return None;
        }
        let theirs = theta(
            other.k,
            other.m,
            other.sigma_obs,
            &other.delta,
            &their_beta?,
        );
        let mut g = vec![0.0; ours.len()];
        let fitted = model.eval(&ours, &mut g);
        let other_f = model.eval(&theirs, &mut g);
        Some(ObjectiveCheck {
            fitted,
            other: other_f,
            sigma_stationarity: model.sigma_stationarity(&ours),
        })
    }

    /// An unfitted model with `interval_width` intervals, seeded by `seed`.
    pub fn new(interval_width: f64, seed: u64) -> Self {
        Self {
            interval_width,
            seed,
            uncertainty_samples: 1000,
            fitted: None,
            notes: Vec::new(),
        }
    }

    fn model_error(message: impl ToString) -> ForecastError {
        ForecastError::Model {
            model: NAME,
            message: message.to_string(),
        }
    }

    /// Names each canonical column by matching it against the Fourier features Prophet
    /// builds for the enabled seasonalities.
    fn identify(
        columns: &[Vec<f64>],
        ds: &[i64],
        seasonalities: &[(f64, usize)],
    ) -> Result<Vec<Fourier>, ForecastError> {
        let candidates: Vec<Fourier> = seasonalities
            .iter()
            .flat_map(|&(period_days, order)| {
                (1..=order).flat_map(move |o| {
                    [true, false].map(|sin| Fourier {
                        period_days,
                        order: o,
                        sin,
                    })
                })
            })
            .collect();
        columns
            .iter()
            .map(|col| {
                candidates
                    .iter()
                    .copied()
                    .find(|f| col.iter().zip(ds).all(|(v, &d)| (v - f.at(d)).abs() < 1e-6))
                    .ok_or_else(|| Self::model_error("a seasonal feature matched no Fourier term"))
            })
            .collect()
    }

    /// The point forecast at scaled times `t` (epoch seconds `ds`), without noise.
    fn point(f: &Fitted, t: f64, ds: i64) -> f64 {
        let p = &f.params;
        let mut k = p.k;
        let mut m = p.m;
        for (c, d) in f.t_change.iter().zip(&p.delta) {
            if *c <= t {
                k += d;
                m -= c * d;
            }
        }
        let seasonal: f64 = f
            .features
            .iter()
            .zip(&p.beta)
            .map(|(x, b)| x.at(ds) * b)
            .sum();
        f.y_scale * (k * t + m + seasonal)
    }

    /// Seeded draws of the predictive distribution around the point forecast; returns
    /// the interval's bounds per step.
    fn interval(&self, f: &Fitted, t: &[f64], yhat: &[f64]) -> Interval {
        let t_max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let delta = &f.params.delta;
        let mean_abs_delta =
            delta.iter().map(|d| d.abs()).sum::<f64>() / delta.len().max(1) as f64 + 1e-8;
        let noise = Normal::new(0.0, *f.params.sigma_obs * f.y_scale).expect("positive sigma");
        let lambda = f.t_change.len() as f64 * (t_max - 1.0);
        let mut rng = StdRng::seed_from_u64(self.seed);
        // samples[i] holds the draws for step i.
        let mut samples = vec![Vec::with_capacity(self.uncertainty_samples); t.len()];
        for _ in 0..self.uncertainty_samples {
            let n_changes = if lambda > 0.0 {
                Poisson::new(lambda)
                    .expect("positive rate")
                    .sample(&mut rng) as usize
            } else {
                0
            };
            let changes: Vec<(f64, f64)> = (0..n_changes)
                .map(|_| {
                    let at = 1.0 + rng.random::<f64>() * (t_max - 1.0);
                    (at, laplace(&mut rng, mean_abs_delta))
                })
                .collect();
            for ((draws, &ti), &point) in samples.iter_mut().zip(t).zip(yhat) {
                // A linear trend bends by delta·(t − c) after a new changepoint c.
                let bend: f64 = changes
                    .iter()
                    .filter(|(c, _)| *c <= ti)
                    .map(|(c, d)| d * (ti - c))
                    .sum();
                draws.push(point + bend * f.y_scale + noise.sample(&mut rng));
            }
        }
        let tail = (1.0 - self.interval_width) / 2.0;
        let (lower, upper) = samples
            .iter()
            .map(|s| (quantile(s, tail), quantile(s, 1.0 - tail)))
            .unzip();
        Interval { lower, upper }
    }
}

/// A draw from Laplace(0, scale) by inverting its CDF.
fn laplace(rng: &mut StdRng, scale: f64) -> f64 {
    let u: f64 = rng.random::<f64>() - 0.5;
    -scale * u.signum() * (1.0 - 2.0 * u.abs()).max(f64::MIN_POSITIVE).ln()
}

impl Forecaster for ProphetModel {
    fn name(&self) -> &'static str {
        NAME
    }

    fn min_train_steps(&self, trace: &Trace, _lead_steps: usize) -> usize {
        // Less than a day cannot separate a trend from the daily cycle.
        trace.steps_per_day().max(2)
    }

    fn fit(&mut self, input: &FitInput) -> Result<(), ForecastError> {
        let trace = input.trace;
        self.check_train_len(input)?;
        self.notes.clear();
        let ds: Vec<i64> = (0..input.train_len)
            .map(|i| trace.timestamp(i).timestamp())
            .collect();
        let y = trace.requests[..input.train_len].to_vec();
        let span = ds[ds.len() - 1] - ds[0];
        let days = span as f64 / DAY_SECONDS as f64;
        // Prophet's own rule for "auto", made explicit so the user hears about it.
        let daily = span >= 2 * DAY_SECONDS;
        let weekly = span >= 14 * DAY_SECONDS;
        if !daily {
            self.notes.push(format!(
                "warning: prophet: daily seasonality off, the train span ({days:.1} days) is under 2 days"
            ));
        }
        if !weekly {
            self.notes.push(format!(
                "warning: prophet: weekly seasonality off, the train span ({days:.1} days) is under 2 weeks"
            ));
        }
        let opts = ProphetOptions {
            daily_seasonality: SeasonalityOption::Manual(daily),
            weekly_seasonality: SeasonalityOption::Manual(weekly),
            yearly_seasonality: SeasonalityOption::Manual(false),
            interval_width: IntervalWidth::try_new(self.interval_width)
                .map_err(Self::model_error)?,
            // The interval is drawn in `interval`, seeded.
            uncertainty_samples: 0,
            ..Default::default()
        };
        let seen = Arc::new(Mutex::new(None));
        let native = NativeOptimizer::default();
        let last = Arc::clone(&native.last);
        let optimizer = Canonical {
            inner: native,
            seen: Arc::clone(&seen),
        };
        let mut prophet = Prophet::new(opts, optimizer);
        let data = TrainingData::new(ds.clone(), y.clone()).map_err(Self::model_error)?;
        let optimize = OptimizeOpts {
            seed: Some((self.seed % u64::from(u32::MAX)) as u32),
            ..Default::default()
        };
        let fit_started = Instant::now();
        prophet.fit(data, optimize).map_err(Self::model_error)?;
        let fit_s = fit_started.elapsed().as_secs_f64();
        let (iters, end, objective) = last
            .lock()
            .expect("not poisoned")
            .ok_or_else(|| Self::model_error("the optimizer did not run"))?;
        self.notes.push(format!(
            "prophet: fit {fit_s:.2} s on {} steps, {iters} L-BFGS iterations (ended: {end:?}, objective {objective:.6})",
            input.train_len
        ));
        let seen = seen
            .lock()
            .expect("not poisoned")
            .take()
            .ok_or_else(|| Self::model_error("the optimizer returned no parameters"))?;
        if seen.multiplicative {
            return Err(Self::model_error(
                "multiplicative features are not supported",
            ));
        }
        let mut seasonalities = Vec::new();
        if daily {
            seasonalities.push(DAILY);
        }
        if weekly {
            seasonalities.push(WEEKLY);
        }
        let features = if seen.columns.iter().all(|c| c.iter().all(|v| *v == 0.0)) {
            // With no seasonality Prophet fits one all-zero placeholder column.
            vec![
                Fourier {
                    period_days: 1.0,
                    order: 0,
                    sin: true
                };
                seen.columns.len()
            ]
        } else {
            Self::identify(&seen.columns, &ds, &seasonalities)?
        };
        let y_scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        self.fitted = Some(Fitted {
            params: seen.params,
            features,
            t_change: seen.t_change,
            t_start: ds[0],
            t_span: span as f64,
            y_scale: if y_scale > 0.0 { y_scale } else { 1.0 },
        });
        Ok(())
    }

    fn predict(&self, trace: &Trace, targets: Range<usize>) -> Result<Forecast, ForecastError> {
        let f = self.fitted.as_ref().ok_or(ForecastError::NotFitted(NAME))?;
        let ds: Vec<i64> = targets.map(|j| trace.timestamp(j).timestamp()).collect();
        let t: Vec<f64> = ds
            .iter()
            .map(|d| (d - f.t_start) as f64 / f.t_span)
            .collect();
        let yhat: Vec<f64> = t
            .iter()
            .zip(&ds)
            .map(|(&ti, &d)| Self::point(f, ti, d))
            .collect();
        let interval = self.interval(f, &t, &yhat);
        Ok(Forecast {
            yhat,
            interval: Some(interval),
        })
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}
