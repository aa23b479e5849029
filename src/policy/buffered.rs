//! `buffered`: the point forecast plus a fixed head-room.

use super::{yhat, Input, Observation, Policy, PolicySpec, Rises};
use crate::serving::StepCluster;

/// `ceil((1 + buffer) · forecast / capacity)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buffered {
    /// Head-room as a fraction of the forecast.
    pub buffer: f64,
}

impl Buffered {
    /// The buffered target for a point forecast.
    pub fn target(buffer: f64, yhat: f64, cluster: &StepCluster) -> i64 {
        cluster.containers_for((1.0 + buffer) * yhat)
    }
}

impl Policy for Buffered {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        Self::target(self.buffer, yhat(obs), cluster)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "buffered",
    about: "ceil((1 + buffer) × forecast / capacity).",
    input: Input::Forecast,
    build: |cfg, _| Box::new(Buffered { buffer: cfg.buffer }),
    knob: Some(&crate::settings::BUFFER),
    knob_rises: Some(Rises::WithValue),
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn adds_fifteen_percent() {
        // 1.15 × 100 = 115 requests -> ceil(2.3) = 3; 1.15 × 80 = 92 -> 2.
        let mut p = Buffered { buffer: 0.15 };
        assert_eq!(
            p.decide(&with_forecast(100.0, 0.0, 0.0, None), &cluster()),
            3
        );
        assert_eq!(
            p.decide(&with_forecast(80.0, 0.0, 0.0, None), &cluster()),
            2
        );
    }
}
