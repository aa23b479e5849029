//! `seasonal-naive`: the demand one day before the target, with an interval from the
//! empirical quantiles of the same forecast's residuals on the train period.

use std::ops::Range;

use super::{quantile, FitInput, Forecast, ForecastError, Forecaster, Interval};
use crate::trace::Trace;

const NAME: &str = "seasonal-naive";

/// The value one season (one day) earlier.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonalNaive {
    interval_width: f64,
    fitted: Option<Fitted>,
}

#[derive(Debug, Clone, PartialEq)]
struct Fitted {
    season: usize,
    /// Residual quantiles added to the point forecast for the bounds.
    lower_offset: f64,
    upper_offset: f64,
}

impl SeasonalNaive {
    /// An unfitted model whose interval covers `interval_width` of train residuals.
    pub fn new(interval_width: f64) -> Self {
        Self {
            interval_width,
            fitted: None,
        }
    }

    fn season(trace: &Trace) -> Result<usize, ForecastError> {
        if !crate::config::SECONDS_PER_DAY.is_multiple_of(trace.step_seconds.max(1)) {
            return Err(ForecastError::Step {
                model: NAME,
                step_seconds: trace.step_seconds,
            });
        }
        Ok(trace.steps_per_day())
    }
}

impl Forecaster for SeasonalNaive {
    fn name(&self) -> &'static str {
        NAME
    }

    fn min_train_steps(&self, trace: &Trace, _lead_steps: usize) -> usize {
        // One season to look back on plus one more to have residuals.
        trace.steps_per_day() + 2
    }

    fn fit(&mut self, input: &FitInput) -> Result<(), ForecastError> {
        let season = Self::season(input.trace)?;
        self.check_train_len(input)?;
        let y = &input.trace.requests[..input.train_len];
        let residuals: Vec<f64> = (season..y.len()).map(|j| y[j] - y[j - season]).collect();
        let tail = (1.0 - self.interval_width) / 2.0;
        self.fitted = Some(Fitted {
            season,
            lower_offset: quantile(&residuals, tail),
            upper_offset: quantile(&residuals, 1.0 - tail),
        });
        Ok(())
    }

    fn predict(&self, trace: &Trace, targets: Range<usize>) -> Result<Forecast, ForecastError> {
        let f = self.fitted.as_ref().ok_or(ForecastError::NotFitted(NAME))?;
        if targets.start < f.season {
            return Err(ForecastError::TargetTooEarly {
                model: NAME,
                target: targets.start,
                lead: f.season,
            });
        }
        // The season (a day) is longer than any lead, so `j - season <= j - lead`.
        let yhat: Vec<f64> = targets.map(|j| trace.requests[j - f.season]).collect();
        let lower = yhat.iter().map(|y| (y + f.lower_offset).max(0.0)).collect();
        let upper = yhat.iter().map(|y| y + f.upper_offset).collect();
        Ok(Forecast {
            yhat,
            interval: Some(Interval { lower, upper }),
        })
    }
}

/// The registry entry.
pub(super) const SPEC: super::ModelSpec = super::ModelSpec {
    name: "seasonal-naive",
    about: "The demand one day earlier, with an empirical interval.",
    build: |cfg| Box::new(SeasonalNaive::new(cfg.interval_width)),
};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn forecasts_yesterday_with_residual_quantiles() {
        // 6-hour steps: a season is 4 steps. Train on 10 steps, residuals y[j] - y[j-4]
        // for j = 4..10 are [1, 1, 1, 1, 5, -3]; numpy.quantile(r, [0.1, 0.9]) = [-1.0, 3.0].
        let trace = Trace {
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            step_seconds: 21_600,
            requests: vec![10., 20., 30., 40., 11., 21., 31., 41., 16., 18., 99., 98.],
            in_event: None,
        };
        let mut m = SeasonalNaive::new(0.8);
        m.fit(&FitInput {
            trace: &trace,
            train_len: 10,
            lead_steps: 1,
        })
        .unwrap();
        let f = m.predict(&trace, 10..12).unwrap();
        assert_eq!(f.yhat, vec![31.0, 41.0]);
        let b = f.interval.unwrap();
        assert!((b.lower[0] - 30.0).abs() < 1e-9 && (b.upper[0] - 34.0).abs() < 1e-9);
    }

    #[test]
    fn rejects_a_train_period_under_a_day() {
        let trace = Trace {
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            step_seconds: 3600,
            requests: vec![1.0; 30],
            in_event: None,
        };
        let err = SeasonalNaive::new(0.8)
            .fit(&FitInput {
                trace: &trace,
                train_len: 20,
                lead_steps: 3,
            })
            .unwrap_err();
        assert_eq!(
            err,
            ForecastError::TrainTooShort {
                model: NAME,
                need: 26,
                have: 20
            }
        );
    }
}
