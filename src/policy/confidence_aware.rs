//! `confidence-aware`: provision for the upper bound of the forecast interval.

use super::{yhat, Input, Observation, Policy, PolicySpec, Rises};
use crate::config::PolicyConfig;
use crate::serving::normal_quantile;
use crate::serving::StepCluster;

/// `ceil(upper / capacity)`, the upper bound's distance from the forecast scaled by
/// `scale` (1: the model's own interval).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfidenceAware {
    /// How far to stretch the interval's upper half.
    pub scale: f64,
}

impl ConfidenceAware {
    /// The policy for `cfg`: the model's interval, or, when `cfg.interval_width` asks for
    /// another coverage, that interval rescaled as a normal one would be: the upper half
    /// times z((1 + w) / 2) / z((1 + w₀) / 2), w₀ the width the model was trained for.
    pub fn new(cfg: &PolicyConfig) -> Self {
        let scale = cfg.interval_width.map_or(1.0, |w| {
            normal_quantile((1.0 + w) / 2.0)
                / normal_quantile((1.0 + cfg.trained_interval_width) / 2.0)
        });
        Self { scale }
    }
}

impl Policy for ConfidenceAware {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let y = yhat(obs);
        let upper = obs.forecast.and_then(|f| f.upper).unwrap_or(y);
        cluster.containers_for(y + self.scale * (upper - y))
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "confidence-aware",
    about: "ceil(upper interval bound / capacity).",
    input: Input::Interval,
    build: |cfg, _| Box::new(ConfidenceAware::new(cfg)),
    knob: Some(&crate::settings::INTERVAL_WIDTH),
    knob_rises: Some(Rises::WithValue),
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn uses_the_upper_bound() {
        // upper 260 / 50 = 5.2 -> 6, whatever the point forecast.
        let mut p = ConfidenceAware::new(&PolicyConfig::default());
        assert_eq!(
            p.decide(&with_forecast(100.0, 50.0, 260.0, None), &cluster()),
            6
        );
    }

    #[test]
    fn another_width_rescales_the_upper_half() {
        // z(0.95) / z(0.9) = 1.644854 / 1.281552 = 1.283486 (Python's
        // statistics.NormalDist().inv_cdf): a 90 % interval from an 80 % one stretches 160
        // above a forecast of 100 to 305.36 (7 containers), 90 above to 215.51 (5).
        let cfg = PolicyConfig {
            interval_width: Some(0.9),
            ..PolicyConfig::default()
        };
        let mut p = ConfidenceAware::new(&cfg);
        assert!((p.scale - 1.283_486).abs() < 1e-6, "{}", p.scale);
        assert_eq!(
            p.decide(&with_forecast(100.0, 50.0, 260.0, None), &cluster()),
            7
        );
        assert_eq!(
            p.decide(&with_forecast(100.0, 50.0, 190.0, None), &cluster()),
            5
        );
        // NormalDist().inv_cdf(0.975) = 1.959964, inv_cdf(0.001) = -3.090232.
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-6);
        assert!((normal_quantile(0.001) + 3.090_232).abs() < 1e-6);
    }
}
