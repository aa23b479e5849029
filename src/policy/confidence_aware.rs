//! `confidence-aware`: provision for the upper bound of the forecast interval.

use super::{yhat, Input, Observation, Policy, PolicySpec};
use crate::config::{PolicyConfig, StepCluster};

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

/// The standard normal quantile (Acklam's rational approximation, relative error below
/// 1.2e-9 on (0, 1)).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "confidence-aware",
    about: "ceil(upper interval bound / capacity).",
    input: Input::Interval,
    build: |cfg, _| Box::new(ConfidenceAware::new(cfg)),
    knob: Some(&crate::settings::INTERVAL_WIDTH),
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
