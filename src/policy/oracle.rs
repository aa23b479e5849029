//! `oracle`: perfect foresight, the cheapest fleet with no violations.

use super::{Observation, Policy};
use crate::config::StepCluster;

/// `ceil(actual(t + d) / capacity)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oracle;

impl Policy for Oracle {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        cluster.containers_for(obs.actual_at_target)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn reads_the_actual_demand() {
        let mut obs = with_forecast(0.0, 0.0, 0.0, None);
        obs.actual_at_target = 151.0;
        assert_eq!(Oracle.decide(&obs, &cluster()), 4);
    }
}
