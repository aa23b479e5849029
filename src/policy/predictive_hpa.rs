//! `predictive-hpa`: the forecast and the reactive autoscaler together, as industry
//! predictive autoscalers run them (the larger of the two recommendations): per model,
//! the target is the largest of the buffered forecast target, reactive-hpa's raw
//! recommendation at its own target utilization (`--predictive-hpa-target`, 0.8 by
//! default: the forecast carries the base load, so the reactive side needs less
//! headroom than reactive-hpa's 0.7), and the burst ramp, then stabilized like the HPA
//! (up at once, down no lower than the last 5 minutes' highest).

use super::burst::Burst;
use super::reactive_hpa::{Reading, Recommender, Stabilizer};
use super::{yhat, Buffered, Input, Observation, Policy, PolicySpec};
use crate::config::PolicyConfig;
use crate::serving::StepCluster;

/// max(buffered forecast, HPA recommendation, burst ramp), stabilized.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PredictiveHpa {
    buffer: f64,
    recommender: Recommender,
    reading: Reading,
    stabilizer: Stabilizer,
    burst: Burst,
}

impl PredictiveHpa {
    /// A fresh policy.
    pub(crate) fn new(cfg: &PolicyConfig) -> Self {
        Self {
            buffer: cfg.buffer,
            recommender: Recommender::new(cfg.predictive_hpa_target, cfg.hpa_tolerance),
            reading: Reading::of(cfg),
            stabilizer: Stabilizer::new(cfg.hpa_stabilization_min),
            burst: Burst {
                lookback_min: cfg.burst_lookback_min,
            },
        }
    }
}

impl Policy for PredictiveHpa {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let forecast = Buffered::target(self.buffer, yhat(obs), cluster);
        let reactive = self.recommender.recommend_from(obs, self.reading, cluster);
        let desired = forecast.max(reactive).max(self.burst.target(obs, cluster));
        self.stabilizer.stabilize(desired, obs, cluster)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "predictive-hpa",
    about: "max(buffered forecast, reactive-hpa's recommendation, burst ramp), with HPA's scale-down stabilization.",
    input: Input::Forecast,
    build: |cfg, _| Box::new(PredictiveHpa::new(cfg)),
    knob: Some(&crate::settings::PREDICTIVE_HPA_TARGET),
    // Not monotone: at a high target the reactive loop overshoots (the backtests'
    // cost rose with the target on the elb trace).
    knob_rises: None,
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::config::HpaMetric;

    /// The HPA reading last step's true demand, as the tests of its arithmetic want.
    fn idealized() -> PolicyConfig {
        PolicyConfig {
            hpa_metric: HpaMetric::Demand,
            metrics_lag_min: 0,
            ..PolicyConfig::default()
        }
    }
    use crate::forecast::PointForecast;
    use proptest::prelude::*;

    fn obs<'a>(history: &'a [f64], yhat: f64, prev: Option<u32>) -> Observation<'a> {
        let mut o = with_forecast(yhat, 0.0, yhat, prev);
        o.history = history;
        o
    }

    #[test]
    fn takes_the_larger_of_forecast_and_reactive() {
        let mut p = PredictiveHpa::new(&idealized());
        // Forecast 400: 1.15 × 400 = 460 -> 10; last demand 100 at first decision, at
        // 80 %: 10000 / 4000 = 2.5 -> 3. The forecast wins.
        assert_eq!(p.decide(&obs(&[100.0], 400.0, None), &cluster()), 10);
        // Forecast 40 (-> 1) but demand jumped to 800 on 10 containers: 160 %, ratio 2
        // -> 20. The reactive side wins, at once.
        let mut p = PredictiveHpa::new(&idealized());
        assert_eq!(p.decide(&obs(&[800.0], 40.0, Some(10)), &cluster()), 20);
    }

    #[test]
    fn scale_down_waits_for_the_window() {
        let mut p = PredictiveHpa::new(&idealized());
        // 10 from the forecast, then both sides ask for 2 (80 on 10 containers: 16 %,
        // ratio 0.2 -> 2; forecast 80 -> 92 -> 2): held at 10 for 4 more decisions.
        // Each decision a minute after the last (a history a step longer).
        let at = |minute: usize, last: f64| {
            let mut h = vec![0.0; minute];
            h.push(last);
            h
        };
        assert_eq!(
            p.decide(&obs(&at(0, 400.0), 400.0, Some(10)), &cluster()),
            10
        );
        for minute in 1..=4 {
            let h = at(minute, 80.0);
            assert_eq!(p.decide(&obs(&h, 80.0, Some(10)), &cluster()), 10);
        }
        assert_eq!(p.decide(&obs(&at(5, 80.0), 80.0, Some(10)), &cluster()), 2);
    }

    #[test]
    fn a_burst_above_the_upper_bound_raises_the_target() {
        let mut p = PredictiveHpa::new(&idealized());
        // Forecast 100 (-> 3), last steps ramp 100 -> 280 against an upper bound of 150
        // for the last one: 280 + 60 × 3 = 460 -> 10 (HPA alone: 28000/4000 = 7).
        let h = [90.0, 100.0, 160.0, 220.0, 280.0];
        let mut o = obs(&h, 100.0, None);
        o.past_forecast = Some(PointForecast {
            yhat: 120.0,
            lower: None,
            upper: Some(150.0),
        });
        assert_eq!(p.decide(&o, &cluster()), 10);
    }

    proptest! {
        #[test]
        fn never_below_reactive_hpas_recommendation_for_the_same_history(
            steps in prop::collection::vec((0.0f64..3000.0, 0.0f64..3000.0), 1..60),
        ) {
            // Fed the same demand and its own previous targets, predictive-hpa never
            // targets below what the HPA recommender asks for from that state at its own
            // target utilization (the reactive side it takes the larger of).
            let cfg = idealized();
            let mut p = PredictiveHpa::new(&cfg);
            let reactive = Recommender::new(cfg.predictive_hpa_target, cfg.hpa_tolerance);
            let c = cluster();
            let mut history = Vec::new();
            let mut prev = None;
            for (demand, forecast) in steps {
                history.push(demand);
                let o = obs(&history, forecast, prev);
                let target = p.decide(&o, &c);
                prop_assert!(target >= reactive.recommend(demand, prev, &c));
                prev = Some(c.clamp(target));
            }
        }
    }
}
