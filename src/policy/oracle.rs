//! `oracle`: perfect foresight of the next target step, the seed's cost reference. It
//! relaunches for every noisy minute and pays a startup delay each time, so it is not the
//! cheapest schedule without violations (that is `optimal`).

use super::{Input, Observation, Policy, PolicySpec};
use crate::config::StepCluster;

/// `ceil(actual(t + d) / capacity)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oracle;

impl Policy for Oracle {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        cluster.containers_for(obs.future.first().copied().unwrap_or(0.0))
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "oracle",
    about: "ceil(actual / capacity): perfect foresight, a reference.",
    input: Input::Foresight,
    build: |_, _| Box::new(Oracle),
    knob: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn reads_the_actual_demand() {
        let mut obs = with_forecast(0.0, 0.0, 0.0, None);
        obs.future = &[151.0, 1e6];
        assert_eq!(Oracle.decide(&obs, &cluster()), 4);
    }
}
