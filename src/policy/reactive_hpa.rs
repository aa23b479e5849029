//! `reactive-hpa`: the industry baseline, Kubernetes' Horizontal Pod Autoscaler v2 on a
//! utilization metric, computed as Kubernetes computes it:
//!
//! - `GetResourceUtilizationRatio` (pkg/controller/podautoscaler/metrics): utilization is
//!   an integer percent, truncated: `floor(100 · usage / request)`, and the usage ratio is
//!   that percent over the target percent;
//! - `GetResourceReplicas` (replica_calculator.go): inside the tolerance
//!   (`|1 − ratio| ≤ 0.1`) keep the current count, else `ceil(ratio · current)`;
//! - `stabilizeRecommendationWithBehaviors` (horizontal.go): the result is the current
//!   count raised to the lowest recommendation of the scale-up window (0 s: just this one)
//!   and lowered to the highest of the scale-down window (300 s: this one and those of the
//!   last 5 minutes); the raw recommendation is recorded.
//!
//! Here "usage" is last step's demand and "request" is current × capacity. The scale rate
//! limits of `convertDesiredReplicasWithBehaviorRate` (by default +100 % or +4 pods per
//! 15 s up) are left out: at one decision per minute they never bind below 16× growth.

use std::collections::VecDeque;

use super::{Input, Observation, Policy, PolicySpec};
use crate::config::{PolicyConfig, StepCluster};

/// `GetResourceReplicas`: the raw recommendation from last step's demand.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Recommender {
    /// Target utilization in whole percent, as Kubernetes states it.
    target_percent: i64,
    tolerance: f64,
}

impl Recommender {
    /// The recommender for a target utilization (a fraction) and a tolerance.
    pub(super) fn new(target_utilization: f64, tolerance: f64) -> Self {
        Self {
            target_percent: (target_utilization * 100.0).round() as i64,
            tolerance,
        }
    }

    /// Containers for `demand` at the target utilization, `ceil(100 · demand / (target% ·
    /// capacity))`, in one division of exactly representable products (no 0.7 in sight),
    /// so 175 requests at 70 % of 50 per container is 5, not 6.
    fn first(&self, demand: f64, cluster: &StepCluster) -> i64 {
        let need = (100.0 * demand) / (self.target_percent as f64 * cluster.capacity_per_step);
        need.ceil().max(0.0) as i64
    }

    /// The raw recommendation for `current` containers (the first decision's formula
    /// when there are none yet).
    pub(super) fn recommend(
        &self,
        demand: f64,
        current: Option<u32>,
        cluster: &StepCluster,
    ) -> i64 {
        let current = match current {
            Some(c) if c > 0 => c,
            _ => return self.first(demand, cluster),
        };
        let request = f64::from(current) * cluster.capacity_per_step;
        // Integer percent, truncated, as `int32((metricsTotal * 100) / requestsTotal)`.
        let utilization = ((100.0 * demand) / request).floor();
        let ratio = utilization / self.target_percent as f64;
        if (1.0 - ratio).abs() <= self.tolerance {
            i64::from(current)
        } else {
            (ratio * f64::from(current)).ceil() as i64
        }
    }
}

/// `stabilizeRecommendationWithBehaviors` with a 0 s scale-up and a `window_minutes`
/// scale-down window.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stabilizer {
    window_minutes: u32,
    /// Raw recommendations of the decisions inside the scale-down window.
    recent: VecDeque<i64>,
}

impl Stabilizer {
    /// A fresh window.
    pub(super) fn new(window_minutes: u32) -> Self {
        Self {
            window_minutes,
            recent: VecDeque::new(),
        }
    }

    /// The stabilized target for the raw recommendation `desired`, recording it: the
    /// current count raised to `desired`, lowered to the highest recommendation of the
    /// window (this one included). The first decision takes `desired` as it is.
    pub(super) fn stabilize(
        &mut self,
        desired: i64,
        current: Option<u32>,
        cluster: &StepCluster,
    ) -> i64 {
        let current = current.map_or(desired, i64::from);
        // The window in whole steps: recommendations younger than it, this one included.
        let window_steps = self.window_minutes.div_ceil(cluster.step_minutes).max(1) as usize;
        self.recent.push_back(desired);
        while self.recent.len() > window_steps {
            self.recent.pop_front();
        }
        let down = *self.recent.iter().max().expect("just pushed");
        // The scale-up window is 0 s: its lowest recommendation is this one.
        current.max(desired).min(down)
    }
}

/// HPA v2 with a tolerance band and scale-down stabilization.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactiveHpa {
    recommender: Recommender,
    stabilizer: Stabilizer,
}

impl ReactiveHpa {
    /// A fresh autoscaler.
    pub fn new(cfg: &PolicyConfig) -> Self {
        Self {
            recommender: Recommender::new(cfg.hpa_target_utilization, cfg.hpa_tolerance),
            stabilizer: Stabilizer::new(cfg.hpa_stabilization_min),
        }
    }
}

impl Policy for ReactiveHpa {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let demand = obs.history.last().copied().unwrap_or(0.0);
        let desired = self
            .recommender
            .recommend(demand, obs.previous_target, cluster);
        self.stabilizer
            .stabilize(desired, obs.previous_target, cluster)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "reactive-hpa",
    about: "Kubernetes HPA v2: 70 % target utilization, 5-minute scale-down stabilization.",
    input: Input::History,
    build: |cfg, _| Box::new(ReactiveHpa::new(cfg)),
    knob: Some(&crate::settings::HPA_TARGET),
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn obs(history: &[f64], prev: Option<u32>) -> Observation<'_> {
        Observation {
            history,
            past: &[],
            forecast: None,
            past_forecast: None,
            future: &[],
            previous_target: prev,
        }
    }

    #[test]
    fn first_decision_is_exact_at_the_boundary() {
        // 70 requests at 70 % of 50: 7000 / 3500 = 2 exactly.
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[70.0], None), &cluster()), 2);
        // 175 requests: 17500 / 3500 = 5 exactly, where 175 / 0.7 in floating point is
        // 250.00000000000003, whose ceiling over 50 is 6.
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[175.0], None), &cluster()), 5);
        // 140 / 35 = 4 exactly; 141 -> 4.03 -> 5.
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[140.0], None), &cluster()), 4);
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[141.0], None), &cluster()), 5);
    }

    #[test]
    fn utilization_is_a_truncated_integer_percent() {
        // 4 containers, capacity 200. Demand 171: 85.5 % truncates to 85; ratio 85/70 =
        // 1.214 -> ceil(4.857) = 5. Demand 153.9: 76.95 % -> 76, ratio 1.0857, inside the
        // tolerance: keep 4 (the untruncated 76.95/70 = 1.099 would keep too).
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[171.0], Some(4)), &cluster()), 5);
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[153.9], Some(4)), &cluster()), 4);
        // 3 containers, capacity 150, demand 211: 140.67 % truncates to 140, ratio exactly
        // 2.0 -> 6 containers, where the untruncated 211 / 35 = 6.03 would give 7.
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[211.0], Some(3)), &cluster()), 6);
    }

    #[test]
    fn scale_up_is_immediate_scale_down_waits_five_minutes() {
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        // 10 containers, demand 350: 70 % -> keep 10.
        assert_eq!(h.decide(&obs(&[350.0], Some(10)), &cluster()), 10);
        // Demand drops to 70: 14 %, ratio 0.2 -> raw 2, but the window still holds the 10
        // for the 4 following decisions.
        let mut prev = 10;
        for minute in 1..=4 {
            let t = h.decide(&obs(&[70.0], Some(prev)), &cluster());
            assert_eq!(t, 10, "minute {minute}");
            prev = t as u32;
        }
        // Five decisions after the 10, the window holds only 2s.
        assert_eq!(h.decide(&obs(&[70.0], Some(prev)), &cluster()), 2);
        // A spike scales up in the same step: 700 on 2 × 50 = 700 % -> ratio 10 -> 20.
        assert_eq!(h.decide(&obs(&[700.0], Some(2)), &cluster()), 20);
    }

    #[test]
    fn stabilization_never_raises_above_the_current_count() {
        // Kubernetes starts from the current count: a high recommendation in the window
        // holds a scale-down back but never scales up by itself. The cluster's maximum
        // clamped the previous target to 6 below the raw 20; with demand gone the window's
        // 20 keeps 6, not 20.
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[700.0], Some(2)), &cluster()), 20);
        assert_eq!(h.decide(&obs(&[0.0], Some(6)), &cluster()), 6);
    }
}
