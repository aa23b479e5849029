//! `confidence-aware`: provision for the upper bound of the forecast interval.

use super::{yhat, Input, Observation, Policy, PolicySpec};
use crate::config::StepCluster;

/// `ceil(upper / capacity)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfidenceAware;

impl Policy for ConfidenceAware {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let upper = obs
            .forecast
            .and_then(|f| f.upper)
            .unwrap_or_else(|| yhat(obs));
        cluster.containers_for(upper)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "confidence-aware",
    about: "ceil(upper interval bound / capacity).",
    input: Input::Interval,
    build: |_, _| Box::new(ConfidenceAware),
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn uses_the_upper_bound() {
        // upper 260 / 50 = 5.2 -> 6, whatever the point forecast.
        assert_eq!(
            ConfidenceAware.decide(&with_forecast(100.0, 50.0, 260.0, None), &cluster()),
            6
        );
    }
}
