//! `reactive-hpa`: the industry baseline, Kubernetes' Horizontal Pod Autoscaler v2
//! on CPU-like utilization: scale to hit a target utilization, ignore small deviations,
//! scale up at once and down only as far as the last few minutes' recommendations allow.

use std::collections::VecDeque;

use super::{Input, Observation, Policy, PolicySpec};
use crate::config::{PolicyConfig, StepCluster};

/// HPA v2 with a tolerance band and scale-down stabilization.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactiveHpa {
    target_utilization: f64,
    tolerance: f64,
    window_minutes: u32,
    /// Raw recommendations of the decisions inside the stabilization window.
    recent: VecDeque<i64>,
}

impl ReactiveHpa {
    /// A fresh autoscaler.
    pub fn new(cfg: &PolicyConfig) -> Self {
        Self {
            target_utilization: cfg.hpa_target_utilization,
            tolerance: cfg.hpa_tolerance,
            window_minutes: cfg.hpa_stabilization_min,
            recent: VecDeque::new(),
        }
    }
}

impl Policy for ReactiveHpa {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let last = obs.history.last().copied().unwrap_or(0.0);
        // HPA's desired count ceil(current × utilization / target) equals
        // ceil(demand / (target × capacity)): the first decision's formula too.
        let desired = cluster.containers_for(last / self.target_utilization);
        let recommendation = match obs.previous_target {
            Some(current) if current > 0 => {
                let utilization = last / (f64::from(current) * cluster.capacity_per_step);
                if (utilization / self.target_utilization - 1.0).abs() <= self.tolerance {
                    i64::from(current)
                } else {
                    desired
                }
            }
            _ => desired,
        };
        // Scale-down stabilization: the highest recommendation of the window (this one
        // included), so a scale-up passes at once and a scale-down waits it out.
        let window_steps = self.window_minutes.div_ceil(cluster.step_minutes).max(1) as usize;
        self.recent.push_back(recommendation);
        while self.recent.len() > window_steps {
            self.recent.pop_front();
        }
        *self.recent.iter().max().expect("just pushed")
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "reactive-hpa",
    about: "Kubernetes HPA v2: 70 % target utilization, 5-minute scale-down stabilization.",
    input: Input::History,
    build: |cfg| Box::new(ReactiveHpa::new(cfg)),
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn obs(history: &[f64], prev: Option<u32>) -> Observation<'_> {
        Observation {
            history,
            forecast: None,
            future: &[],
            previous_target: prev,
        }
    }

    #[test]
    fn first_decision_targets_seventy_percent() {
        // 140 / (0.7 × 50) = 4 exactly; 141 -> 4.03 -> 5.
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[140.0], None), &cluster()), 4);
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[141.0], None), &cluster()), 5);
    }

    #[test]
    fn tolerance_band_keeps_current() {
        // 4 containers, capacity 200: utilization 150/200 = 0.75, ratio 1.071 within 0.1.
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        assert_eq!(h.decide(&obs(&[150.0], Some(4)), &cluster()), 4);
        // 170/200 = 0.85, ratio 1.214 -> ceil(4 × 1.214) = ceil(4.857) = 5.
        assert_eq!(h.decide(&obs(&[170.0], Some(4)), &cluster()), 5);
    }

    #[test]
    fn scale_up_is_immediate_scale_down_waits_five_minutes() {
        let mut h = ReactiveHpa::new(&PolicyConfig::default());
        // Recommendation at 10 containers with demand 350: 350/500 = 0.7 -> keep 10.
        assert_eq!(h.decide(&obs(&[350.0], Some(10)), &cluster()), 10);
        // Demand drops to 70: raw recommendation ceil(10 × 0.14/0.7) = 2, but the window
        // still holds 10, for the 4 following decisions as well.
        let mut prev = 10;
        for minute in 1..=4 {
            let t = h.decide(&obs(&[70.0], Some(prev)), &cluster());
            assert_eq!(t, 10, "minute {minute}");
            prev = t as u32;
        }
        // Five decisions after the 10, the window holds only 2s.
        assert_eq!(h.decide(&obs(&[70.0], Some(prev)), &cluster()), 2);
        // A spike scales up in the same step: 700/(2×50) = 7 = 10× target -> 20.
        assert_eq!(h.decide(&obs(&[700.0], Some(2)), &cluster()), 20);
    }
}
