//! `oracle`: perfect foresight of the next target step, the seed's cost reference: the
//! containers that step needs (its capacity need under `threshold`, the fewest that meet
//! the SLO from an empty queue under the queue models). It relaunches for every noisy
//! minute and pays a startup delay each time, so it is not the cheapest schedule without
//! violations (that is `optimal`).

use super::{Input, Observation, Policy, PolicySpec};
use crate::floor::needs;
use crate::serving::StepCluster;

/// The need of the actual demand at `t + d` (`ceil(actual / capacity)` under `threshold`),
/// from every test step's need, sized at the first decision as the optimum's are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Oracle {
    /// Each test step's need, computed at the first decision.
    plan: Vec<u32>,
}

impl Policy for Oracle {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        if self.plan.is_empty() {
            // The first decision's future is the whole test period.
            self.plan = needs(obs.future, cluster);
        }
        // Decision k sees the future from test step k on.
        let k = self.plan.len().saturating_sub(obs.future.len());
        self.plan.get(k).map_or(0, |&r| i64::from(r))
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "oracle",
    about: "Each step's need (ceil(actual / capacity) under --serving threshold): perfect foresight, a reference.",
    input: Input::Foresight,
    build: |_, _| Box::new(Oracle::default()),
    knob: None,
    knob_rises: None,
    tune: None,
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
