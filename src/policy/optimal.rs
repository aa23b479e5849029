//! `optimal`: the offline cost floor as a policy. On its first decision it sees the whole
//! test period's demand and computes the cheapest schedule that meets the SLO's share of
//! the period ([`crate::floor::share_needs`]); each decision then returns that
//! schedule's target.
//! A reference: it reads the future, so no deployed system can run it.

use super::{Input, Observation, Policy, PolicySpec};
use crate::floor::{schedule, share_needs};
use crate::serving::StepCluster;

/// The cheapest schedule meeting the period's share, computed with full knowledge of the
/// test demand.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Optimal {
    /// The target of each decision, computed at the first.
    plan: Vec<u32>,
}

impl Policy for Optimal {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        if self.plan.is_empty() {
            // The first decision's future is the whole test period.
            self.plan = schedule(&share_needs(obs.future, cluster), cluster.delay_steps);
        }
        // Decision k sees the future from test step k on.
        let k = self.plan.len().saturating_sub(obs.future.len());
        self.plan.get(k).map_or(0, |&r| i64::from(r))
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "optimal",
    about:
        "The cheapest schedule meeting the SLO's share of the period, computed offline: the cost floor.",
    input: Input::Foresight,
    build: |_, _| Box::new(Optimal::default()),
    knob: None,
    knob_rises: None,
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn follows_the_precomputed_schedule() {
        // Capacity 50, d = 2: needs [1, 3, 1, 1, 1, 3]; layers 2 and 3 have a gap of 3 > d,
        // so they are removed and relaunched: the schedule is the need itself.
        let demand = [40.0, 150.0, 10.0, 20.0, 30.0, 101.0];
        let mut p = Optimal::default();
        let mut got = Vec::new();
        for k in 0..demand.len() {
            let mut obs = with_forecast(0.0, 0.0, 0.0, None);
            obs.future = &demand[k..];
            got.push(p.decide(&obs, &cluster()));
        }
        assert_eq!(got, vec![1, 3, 1, 1, 1, 3]);
    }
}
