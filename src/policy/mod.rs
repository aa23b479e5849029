//! Scaling policies: the one trait every policy implements, and the registry.
//!
//! At the start of step `t` a policy sees the demand up to `t − 1` (and, for forecast
//! policies, the forecast for `t + d`) and sets the target: the number of containers
//! that shall be ready at `t + d`. The simulator clamps the target to the cluster's
//! `[min, max]`.

mod buffered;
mod confidence_aware;
mod oracle;
mod policy_aware;
mod reactive_hpa;
mod simple_ceiling;
mod static_n;

pub use buffered::Buffered;
pub use confidence_aware::ConfidenceAware;
pub use oracle::Oracle;
pub use policy_aware::PolicyAware;
pub use reactive_hpa::ReactiveHpa;
pub use simple_ceiling::SimpleCeiling;
pub use static_n::StaticN;

use crate::config::{PolicyConfig, StepCluster};
use crate::forecast::PointForecast;

/// What a policy sees when it decides at step `t`.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// Demand per step up to `t − 1`.
    pub history: &'a [f64],
    /// The forecast for the target step `t + d`, for policies that use a model.
    pub forecast: Option<PointForecast>,
    /// The actual demand at `t + d`: perfect foresight, read by `oracle` alone.
    pub actual_at_target: f64,
    /// The target the previous decision set (after clamping); `None` at the first.
    pub previous_target: Option<u32>,
}

/// A scaling policy.
pub trait Policy {
    /// Decides the target for `t + d` (before clamping to `[min, max]`).
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64;
}

/// The policies prescale knows, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    /// Always 2 containers.
    Static2,
    /// `ceil(forecast / capacity)`.
    SimpleCeiling,
    /// `ceil((1 + buffer) · forecast / capacity)`.
    Buffered,
    /// `ceil(upper / capacity)`.
    ConfidenceAware,
    /// Moves at most one container per minute toward the buffered target.
    PolicyAware,
    /// Kubernetes HPA v2 on utilization, with scale-down stabilization.
    ReactiveHpa,
    /// `ceil(actual / capacity)`: perfect foresight.
    Oracle,
}

impl PolicyKind {
    /// Every policy, in report order.
    pub const ALL: [PolicyKind; 7] = [
        PolicyKind::Static2,
        PolicyKind::SimpleCeiling,
        PolicyKind::Buffered,
        PolicyKind::ConfidenceAware,
        PolicyKind::PolicyAware,
        PolicyKind::ReactiveHpa,
        PolicyKind::Oracle,
    ];

    /// The policy's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Static2 => "static-2",
            PolicyKind::SimpleCeiling => "simple-ceiling",
            PolicyKind::Buffered => "buffered",
            PolicyKind::ConfidenceAware => "confidence-aware",
            PolicyKind::PolicyAware => "policy-aware",
            PolicyKind::ReactiveHpa => "reactive-hpa",
            PolicyKind::Oracle => "oracle",
        }
    }

    /// Looks a policy up by its command-line name.
    pub fn from_name(name: &str) -> Option<PolicyKind> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the policy reads a forecast (and so runs once per model).
    pub fn uses_forecast(self) -> bool {
        !matches!(
            self,
            PolicyKind::Static2 | PolicyKind::ReactiveHpa | PolicyKind::Oracle
        )
    }

    /// Whether the policy needs the forecast's interval.
    pub fn needs_interval(self) -> bool {
        self == PolicyKind::ConfidenceAware
    }

    /// Builds the policy with fresh state.
    pub fn build(self, cfg: &PolicyConfig) -> Box<dyn Policy> {
        match self {
            PolicyKind::Static2 => Box::new(StaticN(2)),
            PolicyKind::SimpleCeiling => Box::new(SimpleCeiling),
            PolicyKind::Buffered => Box::new(Buffered { buffer: cfg.buffer }),
            PolicyKind::ConfidenceAware => Box::new(ConfidenceAware),
            PolicyKind::PolicyAware => Box::new(PolicyAware { buffer: cfg.buffer }),
            PolicyKind::ReactiveHpa => Box::new(ReactiveHpa::new(cfg)),
            PolicyKind::Oracle => Box::new(Oracle),
        }
    }
}

/// The point forecast of a forecast policy's observation. The simulator hands every
/// forecast policy a forecast, so a missing one is a wiring bug, and it scales to zero
/// (the cluster's minimum) rather than panicking.
fn yhat(obs: &Observation) -> f64 {
    obs.forecast.map_or(0.0, |f| f.yhat)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::config::ClusterConfig;

    /// The default cluster at 1-minute steps: 50 requests per container.
    pub fn cluster() -> StepCluster {
        ClusterConfig::default().at_step(1)
    }

    /// An observation with a forecast of `yhat` (bounds `lower`, `upper`).
    pub fn with_forecast(
        yhat: f64,
        lower: f64,
        upper: f64,
        prev: Option<u32>,
    ) -> Observation<'static> {
        Observation {
            history: &[],
            forecast: Some(PointForecast {
                yhat,
                lower: Some(lower),
                upper: Some(upper),
            }),
            actual_at_target: f64::NAN,
            previous_target: prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_model_free_policies_are_three() {
        for p in PolicyKind::ALL {
            assert_eq!(PolicyKind::from_name(p.name()), Some(p));
        }
        let free: Vec<_> = PolicyKind::ALL
            .iter()
            .filter(|p| !p.uses_forecast())
            .collect();
        assert_eq!(free.len(), 3);
    }
}
