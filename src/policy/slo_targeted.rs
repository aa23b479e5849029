//! `slo-targeted`: the user states an SLO (`--slo`) instead of a buffer. On the model's
//! calibration tail (the last days of the train period, forecast by the model fitted
//! without them, exactly as the test period is forecast) it finds the smallest
//! multiplicative headroom `h` whose target `ceil((1 + h) · forecast / capacity)` meets
//! the SLO on the tail (under `threshold`, the SLO's share of the tail's steps served;
//! under the queue models, the SLO's share of the tail's requests within the deadline,
//! each step served from an empty queue by the analytic model), and
//! applies it to the test period, with burst awareness and HPA-style scale-down
//! stabilization on top (both only ever add capacity). The headroom is a quantile of the
//! model's own relative errors at the decision horizon, so a busy hour gets
//! proportionally more.

use super::burst::Burst;
use super::reactive_hpa::Stabilizer;
use super::{yhat, Input, Observation, Policy, PolicyContext, PolicySpec};
use crate::config::{PolicyConfig, StepCluster};
use crate::forecast::Calibration;
use crate::serving::{share_from_empty, ServingModel};

/// Headroom bounds searched, as fractions of the forecast.
const LOWEST: f64 = -0.9;
const HIGHEST: f64 = 10.0;

/// The SLO attainment of the headroom `h` on the calibration tail, each step served by
/// the target for its forecast, clamped to the cluster: under `threshold` the share of
/// steps whose demand that target's capacity covers, under the queue models the share of
/// requests within the deadline ([`share_from_empty`]).
/// Each (demand, target)'s share is computed once per calibration.
fn served_share(c: &Calibration, cluster: &StepCluster, h: f64, memo: &mut Memo) -> f64 {
    let steps = c.actual.iter().zip(&c.forecast.yhat);
    let target = |f: f64| cluster.clamp(cluster.containers_for((1.0 + h) * f));
    if cluster.serving.model == ServingModel::Threshold {
        let served = steps
            .filter(|(a, f)| cluster.unserved(target(**f), **a) == 0.0)
            .count();
        return served as f64 / c.actual.len().max(1) as f64;
    }
    let (within, total) = steps.fold((0.0, 0.0), |(w, t), (&a, &f)| {
        let r = target(f);
        let share = *memo
            .entry((a.to_bits(), r))
            .or_insert_with(|| share_from_empty(cluster, r, a));
        (w + a * share, t + a)
    });
    if total > 0.0 {
        within / total
    } else {
        1.0
    }
}

/// The smallest headroom in [`LOWEST`, `HIGHEST`] that serves `slo_percent` of the
/// calibration steps, found by bisection (the share never falls as the headroom grows),
/// and the share it serves there. Where even [`HIGHEST`] falls short, that and its share.
pub(crate) fn calibrate(c: &Calibration, cluster: &StepCluster, slo_percent: f64) -> (f64, f64) {
    let want = slo_percent / 100.0;
    let memo = &mut Memo::new();
    let low = served_share(c, cluster, LOWEST, memo);
    if low >= want {
        return (LOWEST, low);
    }
    let top = served_share(c, cluster, HIGHEST, memo);
    if top < want {
        return (HIGHEST, top);
    }
    let (mut lo, mut hi) = (LOWEST, HIGHEST);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if served_share(c, cluster, mid, memo) >= want {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (hi, served_share(c, cluster, hi, memo))
}

/// Shares within the deadline by (demand's bits, target).
type Memo = std::collections::HashMap<(u64, u32), f64>;

/// A forecast with a calibrated headroom.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SloTargeted {
    slo_percent: f64,
    /// The calibrated headroom and the share it served on the tail.
    headroom: (f64, f64),
    calibration_steps: usize,
    stabilizer: Stabilizer,
    burst: Burst,
}

impl SloTargeted {
    /// Calibrates on `ctx`'s tail (the experiment runs this policy only for models that
    /// have one; without, the headroom is 0).
    pub(crate) fn new(cfg: &PolicyConfig, ctx: &PolicyContext) -> Self {
        let slo_percent = 100.0 * ctx.cluster.serving.slo_share;
        let headroom = ctx
            .calibration
            .map_or((0.0, f64::NAN), |c| calibrate(c, ctx.cluster, slo_percent));
        Self {
            slo_percent,
            headroom,
            calibration_steps: ctx.calibration.map_or(0, |c| c.actual.len()),
            stabilizer: Stabilizer::new(cfg.hpa_stabilization_min),
            burst: Burst {
                lookback_min: cfg.burst_lookback_min,
            },
        }
    }
}

impl Policy for SloTargeted {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let forecast = cluster.containers_for((1.0 + self.headroom.0) * yhat(obs));
        let desired = forecast.max(self.burst.target(obs, cluster));
        self.stabilizer
            .stabilize(desired, obs.previous_target, cluster)
    }

    fn slo_target(&self) -> Option<f64> {
        Some(self.slo_percent)
    }

    fn note(&self) -> Option<String> {
        Some(format!(
            "headroom {:+.1} % reaches {:.2} % on the {} calibration steps (SLO {} %)",
            100.0 * self.headroom.0,
            100.0 * self.headroom.1,
            self.calibration_steps,
            self.slo_percent
        ))
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "slo-targeted",
    about: "The smallest forecast headroom that met --slo on a calibration tail of the train period, with burst awareness.",
    input: Input::Calibrated,
    build: |cfg, ctx| Box::new(SloTargeted::new(cfg, ctx)),
    knob: Some(&crate::settings::SLO),
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::forecast::Forecast;
    use proptest::prelude::*;

    fn calibration(actual: Vec<f64>, yhat: Vec<f64>) -> Calibration {
        Calibration {
            actual,
            forecast: Forecast {
                yhat,
                interval: None,
            },
        }
    }

    #[test]
    fn headroom_is_the_smallest_that_serves_the_share() {
        // Forecast 100 everywhere, capacity 50. Demands need 2, 3, 3, 4 containers: the
        // targets for (1 + h) · 100 are 2 up to h = 0, 3 for h in (0, 0.5], 4 for
        // h in (0.5, 1]. Serving 3 of 4 steps (75 %) takes 3 containers: h just above 0.
        let c = calibration(vec![100.0, 120.0, 150.0, 190.0], vec![100.0; 4]);
        let (h, share) = calibrate(&c, &cluster(), 75.0);
        assert!(h > 0.0 && h < 1e-9, "{h}");
        assert_eq!(share, 0.75);
        // All four: 4 containers, h just above 0.5.
        let (h, share) = calibrate(&c, &cluster(), 100.0);
        assert!(h > 0.5 && h < 0.5 + 1e-9, "{h}");
        assert_eq!(share, 1.0);
        // A lax SLO can take a negative headroom: 25 % (the step of 100) is served by 2
        // containers, which (1 + h) · 100 asks for from just above h = -0.5.
        let (h, _) = calibrate(&c, &cluster(), 25.0);
        assert!(h > -0.5 && h < -0.5 + 1e-9, "{h}");
    }

    #[test]
    fn an_unreachable_slo_takes_the_largest_headroom_and_says_so() {
        // The cluster's maximum of 100 containers serves 5,000: a step of 6,000 is never
        // served, so 100 % is out of reach; the best share is 1 of 2.
        let c = calibration(vec![100.0, 6_000.0], vec![100.0, 100.0]);
        assert_eq!(calibrate(&c, &cluster(), 100.0), (HIGHEST, 0.5));
    }

    #[test]
    fn applies_the_headroom_and_reports_its_slo() {
        let c = calibration(vec![100.0, 120.0, 150.0, 190.0], vec![100.0; 4]);
        let mut cl = cluster();
        cl.serving.slo_share = 1.0;
        let cfg = PolicyConfig::default();
        let mut p = SloTargeted::new(
            &cfg,
            &PolicyContext {
                cluster: &cl,
                calibration: Some(&c),
            },
        );
        // Headroom just above 0.5: a forecast of 200 -> 300.000… -> 7 containers.
        assert_eq!(p.decide(&with_forecast(200.0, 0.0, 0.0, None), &cl), 7);
        assert_eq!(p.slo_target(), Some(100.0));
        assert!(p
            .note()
            .unwrap()
            .contains("reaches 100.00 % on the 4 calibration steps"));
    }

    proptest! {
        #[test]
        fn a_stricter_slo_never_gets_a_smaller_headroom(
            steps in prop::collection::vec((0.0f64..2000.0, 1.0f64..2000.0), 1..80),
            a in 50.0f64..100.0,
            b in 50.0f64..100.0,
        ) {
            let (actual, yhat) = steps.into_iter().unzip();
            let c = calibration(actual, yhat);
            let (lax, strict) = (a.min(b), a.max(b));
            prop_assert!(calibrate(&c, &cluster(), lax).0 <= calibrate(&c, &cluster(), strict).0);
        }
    }
}
