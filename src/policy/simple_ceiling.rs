//! `simple-ceiling`: exactly the containers the point forecast needs.

use super::{yhat, Input, Observation, Policy, PolicySpec};
use crate::serving::StepCluster;

/// `ceil(forecast / capacity)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimpleCeiling;

impl Policy for SimpleCeiling {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        cluster.containers_for(yhat(obs))
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "simple-ceiling",
    about: "ceil(forecast / capacity).",
    input: Input::Forecast,
    build: |_, _| Box::new(SimpleCeiling),
    knob: None,
    knob_rises: None,
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn rounds_up() {
        // 101 requests / 50 per container = 2.02 -> 3.
        assert_eq!(
            SimpleCeiling.decide(&with_forecast(101.0, 0.0, 0.0, None), &cluster()),
            3
        );
        assert_eq!(
            SimpleCeiling.decide(&with_forecast(100.0, 0.0, 0.0, None), &cluster()),
            2
        );
        assert_eq!(
            SimpleCeiling.decide(&with_forecast(-5.0, 0.0, 0.0, None), &cluster()),
            0
        );
    }
}
