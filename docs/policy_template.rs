//! `my-policy`: the point forecast plus a head-room (say what it does and where
//! docs/experiment.md states its rule).

use super::{yhat, Input, Observation, Policy, PolicySpec, Rises};
use crate::serving::StepCluster;

/// `ceil((1 + buffer) · forecast / capacity)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MyPolicy {
    /// Head-room as a fraction of the forecast.
    buffer: f64,
}

impl Policy for MyPolicy {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        cluster.containers_for((1.0 + self.buffer) * yhat(obs))
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "my-policy",
    about: "One line for --help.",
    // What it reads: History, Forecast, Interval, Validated or Foresight.
    input: Input::Forecast,
    // Built before each replay from the resolved settings and the context (the
    // cluster; the value tuned on the validation window, for Input::Validated).
    build: |cfg, _ctx| Box::new(MyPolicy { buffer: cfg.buffer }),
    // The setting (src/settings.rs) a sweep turns along its frontier, or None.
    knob: Some(&crate::settings::BUFFER),
    // Which way every day's SLO attainment and the cost rise along the knob, where
    // they do (a backtest then searches its values by bisection), or None.
    knob_rises: Some(Rises::WithValue),
    // The value it tunes on the validation window (Input::Validated), or None.
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn adds_the_buffer() {
        // 1.15 × 100 = 115 requests on 50 per container: 3 containers.
        let mut p = MyPolicy { buffer: 0.15 };
        let obs = with_forecast(100.0, 0.0, 0.0, None);
        assert_eq!(p.decide(&obs, &cluster()), 3);
    }
}
