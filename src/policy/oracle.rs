//! `oracle`: perfect foresight of the next target step, the seed's cost reference: the
//! containers that step needs (its capacity need under `threshold`, the fewest that meet
//! the SLO from an empty queue under the queue models). It relaunches for every noisy
//! minute and pays a startup delay each time, so it is not the cheapest schedule without
//! violations (that is `optimal`).

use super::{Input, Observation, Policy, PolicySpec};
use crate::config::StepCluster;

/// The need of the actual demand at `t + d` (`ceil(actual / capacity)` under `threshold`),
/// each distinct demand sized once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Oracle {
    known: std::collections::HashMap<u64, u32>,
}

impl Policy for Oracle {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let demand = obs.future.first().copied().unwrap_or(0.0);
        i64::from(
            *self
                .known
                .entry(demand.to_bits())
                .or_insert_with(|| crate::serving::need(cluster, demand)),
        )
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "oracle",
    about: "ceil(actual / capacity): perfect foresight, a reference.",
    input: Input::Foresight,
    build: |_, _| Box::new(Oracle::default()),
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
        assert_eq!(Oracle::default().decide(&obs, &cluster()), 4);
    }
}
