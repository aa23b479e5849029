//! `policy-aware`: the buffered target, approached at most one container per minute,
//! trading a little SLA for far fewer scaling switches.

use super::{yhat, Buffered, Input, Observation, Policy, PolicySpec, Rises};
use crate::serving::StepCluster;

/// Moves the previous target toward the buffered target by at most one container per
/// minute: as many as the minutes that begin in the step (5 in a 5-minute step; in
/// 15-second steps one at every fourth). The first decision takes the buffered target
/// as it is.
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
                // Minutes begun by the end of this step, less those begun before it.
                let (t, s) = (obs.history.len() as i64, i64::from(cluster.step_seconds));
                let max_move = ((t + 1) * s).div_euclid(60) - (t * s).div_euclid(60);
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
    knob_rises: Some(Rises::WithValue),
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

    #[test]
    fn below_a_minute_it_moves_one_container_a_minute() {
        // 15-second steps: a minute begins with every fourth step, so eight decisions
        // from 4 toward 10 (capacity 12.5 a step; 100 × 1.15 / 12.5 → 10) move twice.
        use crate::config::ClusterConfig;
        let c = ClusterConfig::threshold().at_step(15);
        let mut p = PolicyAware { buffer: 0.15 };
        let history = [0.0; 8];
        let mut prev = 4;
        let mut got = Vec::new();
        for t in 0..8 {
            let obs = Observation {
                history: &history[..t],
                ..with_forecast(100.0, 0.0, 0.0, Some(prev))
            };
            prev = p.decide(&obs, &c) as u32;
            got.push(prev);
        }
        assert_eq!(got, [4, 4, 4, 5, 5, 5, 5, 6]);
    }
}
