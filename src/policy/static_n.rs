//! `static-2`: a fixed fleet, the no-autoscaling baseline.

use super::{Input, Observation, Policy, PolicySpec};
use crate::serving::StepCluster;

/// Always the same number of containers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaticN(pub u32);

impl Policy for StaticN {
    fn decide(&mut self, _obs: &Observation, _cluster: &StepCluster) -> i64 {
        i64::from(self.0)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "static-2",
    about: "Always 2 containers: the no-autoscaling baseline.",
    input: Input::History,
    build: |_, _| Box::new(StaticN(2)),
    knob: None,
    knob_rises: None,
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn ignores_everything() {
        assert_eq!(
            StaticN(2).decide(&with_forecast(1e6, 0.0, 1e6, Some(9)), &cluster()),
            2
        );
    }
}
