//! `policy-aware`: the buffered target, approached at most one container per minute,
//! trading a little SLA for far fewer scaling switches.

use super::{yhat, Buffered, Input, Observation, Policy, PolicySpec};
use crate::serving::StepCluster;

/// Moves the previous target toward the buffered target by at most one container per
/// minute (`step_minutes` containers per step). The first decision takes the buffered
/// target as it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolicyAware {
    /// Head-room as a fraction of the forecast.
    pub buffer: f64,
}

impl Policy for PolicyAware {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let goal = i64::from(cluster.clamp(Buffered::target(self.buffer, yhat(obs), cluster)));
        match obs.previous_target {
            None => goal,
            Some(prev) => {
                let prev = i64::from(prev);
                let max_move = i64::from(cluster.step_minutes);
                prev + (goal - prev).clamp(-max_move, max_move)
            }
        }
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "policy-aware",
    about: "The buffered target, approached at most one container per minute.",
    input: Input::Forecast,
    build: |cfg, _| Box::new(PolicyAware { buffer: cfg.buffer }),
    knob: Some(&crate::settings::BUFFER),
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn moves_one_container_at_a_time() {
        let mut p = PolicyAware { buffer: 0.15 };
        // Buffered target for 400: ceil(460 / 50) = 10.
        assert_eq!(
            p.decide(&with_forecast(400.0, 0.0, 0.0, None), &cluster()),
            10
        );
        assert_eq!(
            p.decide(&with_forecast(400.0, 0.0, 0.0, Some(4)), &cluster()),
            5
        );
        assert_eq!(
            p.decide(&with_forecast(0.0, 0.0, 0.0, Some(4)), &cluster()),
            3
        );
        assert_eq!(
            p.decide(&with_forecast(400.0, 0.0, 0.0, Some(10)), &cluster()),
            10
        );
    }
}
