//! `reactive-hpa`: the industry baseline, Kubernetes' Horizontal Pod Autoscaler v2,
//! computed as Kubernetes computes it and fed what Kubernetes sees:
//!
//! - The metric (`--hpa-metric`): `utilization`, the busy share of the ready
//!   containers' capacity (what CPU utilization measures: never above 100 %, so an
//!   overloaded service grows by at most 100 / target per decision); `rps`, arrivals
//!   per ready container against target × capacity (an ingress metric: it sees the
//!   overload); or `demand`, the last step's true demand over the desired count (the
//!   idealized view of earlier versions, which no deployed HPA has).
//! - Its age (`--metrics-lag`, default 1 minute): a decision at `t` reads step
//!   `t − 1 − lag` (metrics-server's window and scrape, the controller's 15 s sync).
//! - `GetResourceUtilizationRatio` (pkg/controller/podautoscaler/metrics): utilization is
//!   an integer percent, truncated: `floor(100 · usage / request)` over the pods that
//!   have metrics, and the usage ratio is that percent over the target percent;
//! - `GetResourceReplicas` (replica_calculator.go), with `groupPods`: containers still
//!   starting are the unready pods, left out of the average; inside the tolerance
//!   (`|1 − ratio| ≤ 0.1`) keep the current count, else `ceil(ratio · ready)`; on a
//!   scale-up with unready pods (`rebalanceIgnored`) they are counted at 0 % and the
//!   ratio recomputed over all pods: no change if it falls inside the tolerance or
//!   below 1, else `ceil(newRatio · pods)`, never below the current count. Without a
//!   ready pod ("did not receive metrics for any ready pods") the count is kept.
//!   `rps` follows `calcPlainMetricReplicas`, the same rules on a per-pod average.
//! - `stabilizeRecommendationWithBehaviors` (horizontal.go): the result is the current
//!   count raised to the lowest recommendation of the scale-up window (0 s: just this one)
//!   and lowered to the highest of the scale-down window (300 s: this one and those of the
//!   last 5 minutes); the raw recommendation is recorded.
//!
//! The current count is the desired count of the last decision (a Deployment's
//! `spec.replicas`). The first decision, before any measurement, sizes the cluster for
//! the demand it last saw at the target utilization. The scale rate limits of
//! `convertDesiredReplicasWithBehaviorRate` (by default +100 % or +4 pods per 15 s up)
//! are left out: at one decision per minute they never bind below 16× growth.

use std::collections::VecDeque;

use super::{Input, Observation, Policy, PolicySpec};
use crate::config::{HpaMetric, PolicyConfig};
use crate::serving::StepCluster;

/// `GetResourceReplicas`: the raw recommendation from last step's demand.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Recommender {
    /// Target utilization in whole percent, as Kubernetes states it.
    target_percent: i64,
    tolerance: f64,
}

impl Recommender {
    /// The recommender for a target utilization (a fraction) and a tolerance.
    pub(super) fn new(target_utilization: f64, tolerance: f64) -> Self {
        Self {
            target_percent: (target_utilization * 100.0).round() as i64,
            tolerance,
        }
    }

    /// Containers for `demand` at the target utilization, `ceil(100 · demand / (target% ·
    /// capacity))`, in one division of exactly representable products (no 0.7 in sight),
    /// so 175 requests at 70 % of 50 per container is 5, not 6.
    fn first(&self, demand: f64, cluster: &StepCluster) -> i64 {
        let need = (100.0 * demand) / (self.target_percent as f64 * cluster.capacity_per_step);
        need.ceil().max(0.0) as i64
    }

    /// The raw recommendation for `current` containers (the first decision's formula
    /// when there are none yet).
    pub(super) fn recommend(
        &self,
        demand: f64,
        current: Option<u32>,
        cluster: &StepCluster,
    ) -> i64 {
        let current = match current {
            Some(c) if c > 0 => c,
            _ => return self.first(demand, cluster),
        };
        let request = f64::from(current) * cluster.capacity_per_step;
        // Integer percent, truncated, as `int32((metricsTotal * 100) / requestsTotal)`.
        let utilization = ((100.0 * demand) / request).floor();
        let ratio = utilization / self.target_percent as f64;
        if (1.0 - ratio).abs() <= self.tolerance {
            i64::from(current)
        } else {
            (ratio * f64::from(current)).ceil() as i64
        }
    }
}

/// What the HPA reads: its metric, how old it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Reading {
    /// The metric.
    pub(super) metric: HpaMetric,
    /// Its age, minutes.
    pub(super) lag_min: u32,
}

impl Reading {
    /// The reading of `cfg`.
    pub(super) fn of(cfg: &PolicyConfig) -> Self {
        Self {
            metric: cfg.hpa_metric,
            lag_min: cfg.metrics_lag_min,
        }
    }
}

impl Recommender {
    /// The raw recommendation at a decision, from what the HPA reads of step
    /// `t − 1 − lag` (see the module doc).
    pub(super) fn recommend_from(
        &self,
        obs: &Observation,
        reading: Reading,
        cluster: &StepCluster,
    ) -> i64 {
        let lag = cluster.steps_of(reading.lag_min);
        let seen = |h: &[f64]| h.len().checked_sub(1 + lag).map_or(0.0, |i| h[i]);
        let current = match (reading.metric, obs.previous_target) {
            (HpaMetric::Demand, current) => {
                return self.recommend(seen(obs.history), current, cluster)
            }
            // The first decision sizes the cluster it starts with.
            (_, None) => return self.first(seen(obs.history), cluster),
            (_, Some(c)) => c,
        };
        // No measurement of that step yet, or no ready pod to measure: keep the count.
        let Some(o) = obs.past.len().checked_sub(1 + lag).map(|i| obs.past[i]) else {
            return i64::from(current);
        };
        if o.ready == 0 {
            return i64::from(current);
        }
        let (ready, pods) = (f64::from(o.ready), f64::from(o.ready + o.starting));
        let target = self.target_percent as f64;
        let cap = cluster.capacity_per_step;
        // The usage ratio over `n` pods, as GetResourceUtilizationRatio (integer percent)
        // or calcPlainMetricReplicas (a per-pod average) computes it.
        let utilization = reading.metric == HpaMetric::Utilization;
        let ratio = |n: f64| {
            if utilization {
                ((100.0 * o.served) / (n * cap)).floor() / target
            } else {
                (100.0 * o.demand) / (n * target * cap)
            }
        };
        let usage = ratio(ready);
        let current = i64::from(current);
        if !(o.starting > 0 && usage > 1.0) {
            if (1.0 - usage).abs() <= self.tolerance {
                return current;
            }
            return (usage * ready).ceil() as i64;
        }
        // rebalanceIgnored: the starting pods count at 0 %.
        let again = ratio(pods);
        if (1.0 - again).abs() <= self.tolerance || again < 1.0 {
            return current;
        }
        ((again * pods).ceil() as i64).max(current)
    }
}

/// `stabilizeRecommendationWithBehaviors` with a 0 s scale-up and a `window_minutes`
/// scale-down window.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stabilizer {
    window_minutes: u32,
    /// Raw recommendations of the decisions inside the scale-down window.
    recent: VecDeque<i64>,
}

impl Stabilizer {
    /// A fresh window.
    pub(super) fn new(window_minutes: u32) -> Self {
        Self {
            window_minutes,
            recent: VecDeque::new(),
        }
    }

    /// The stabilized target for the raw recommendation `desired`, recording it: the
    /// current count raised to `desired`, lowered to the highest recommendation of the
    /// window (this one included). The first decision takes `desired` as it is.
    pub(super) fn stabilize(
        &mut self,
        desired: i64,
        current: Option<u32>,
        cluster: &StepCluster,
    ) -> i64 {
        let current = current.map_or(desired, i64::from);
        // The window in whole steps: recommendations younger than it, this one included.
        let window_steps = cluster.steps_of(self.window_minutes).max(1);
        self.recent.push_back(desired);
        while self.recent.len() > window_steps {
            self.recent.pop_front();
        }
        let down = *self.recent.iter().max().expect("just pushed");
        // The scale-up window is 0 s: its lowest recommendation is this one.
        current.max(desired).min(down)
    }
}

/// HPA v2 with a tolerance band and scale-down stabilization.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactiveHpa {
    recommender: Recommender,
    reading: Reading,
    stabilizer: Stabilizer,
}

impl ReactiveHpa {
    /// A fresh autoscaler.
    pub fn new(cfg: &PolicyConfig) -> Self {
        Self {
            recommender: Recommender::new(cfg.hpa_target_utilization, cfg.hpa_tolerance),
            reading: Reading::of(cfg),
            stabilizer: Stabilizer::new(cfg.hpa_stabilization_min),
        }
    }
}

impl Policy for ReactiveHpa {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let desired = self.recommender.recommend_from(obs, self.reading, cluster);
        self.stabilizer
            .stabilize(desired, obs.previous_target, cluster)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "reactive-hpa",
    about: "Kubernetes HPA v2 on --hpa-metric, --metrics-lag old: 70 % target, 5-minute scale-down stabilization.",
    input: Input::History,
    build: |cfg, _| Box::new(ReactiveHpa::new(cfg)),
    knob: Some(&crate::settings::HPA_TARGET),
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cluster::StepOutcome;

    /// The HPA reading last step's true demand, as the tests of its arithmetic want.
    fn idealized() -> PolicyConfig {
        PolicyConfig {
            hpa_metric: HpaMetric::Demand,
            metrics_lag_min: 0,
            ..PolicyConfig::default()
        }
    }

    fn obs(history: &[f64], prev: Option<u32>) -> Observation<'_> {
        Observation {
            history,
            past: &[],
            forecast: None,
            past_forecast: None,
            future: &[],
            previous_target: prev,
        }
    }

    #[test]
    fn first_decision_is_exact_at_the_boundary() {
        // 70 requests at 70 % of 50: 7000 / 3500 = 2 exactly.
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&[70.0], None), &cluster()), 2);
        // 175 requests: 17500 / 3500 = 5 exactly, where 175 / 0.7 in floating point is
        // 250.00000000000003, whose ceiling over 50 is 6.
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&[175.0], None), &cluster()), 5);
        // 140 / 35 = 4 exactly; 141 -> 4.03 -> 5.
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&[140.0], None), &cluster()), 4);
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&[141.0], None), &cluster()), 5);
    }

    #[test]
    fn utilization_is_a_truncated_integer_percent() {
        // 4 containers, capacity 200. Demand 171: 85.5 % truncates to 85; ratio 85/70 =
        // 1.214 -> ceil(4.857) = 5. Demand 153.9: 76.95 % -> 76, ratio 1.0857, inside the
        // tolerance: keep 4 (the untruncated 76.95/70 = 1.099 would keep too).
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&[171.0], Some(4)), &cluster()), 5);
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&[153.9], Some(4)), &cluster()), 4);
        // 3 containers, capacity 150, demand 211: 140.67 % truncates to 140, ratio exactly
        // 2.0 -> 6 containers, where the untruncated 211 / 35 = 6.03 would give 7.
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&[211.0], Some(3)), &cluster()), 6);
    }

    #[test]
    fn scale_up_is_immediate_scale_down_waits_five_minutes() {
        let mut h = ReactiveHpa::new(&idealized());
        // 10 containers, demand 350: 70 % -> keep 10.
        assert_eq!(h.decide(&obs(&[350.0], Some(10)), &cluster()), 10);
        // Demand drops to 70: 14 %, ratio 0.2 -> raw 2, but the window still holds the 10
        // for the 4 following decisions.
        let mut prev = 10;
        for minute in 1..=4 {
            let t = h.decide(&obs(&[70.0], Some(prev)), &cluster());
            assert_eq!(t, 10, "minute {minute}");
            prev = t as u32;
        }
        // Five decisions after the 10, the window holds only 2s.
        assert_eq!(h.decide(&obs(&[70.0], Some(prev)), &cluster()), 2);
        // A spike scales up in the same step: 700 on 2 × 50 = 700 % -> ratio 10 -> 20.
        assert_eq!(h.decide(&obs(&[700.0], Some(2)), &cluster()), 20);
    }

    #[test]
    fn stabilization_never_raises_above_the_current_count() {
        // Kubernetes starts from the current count: a high recommendation in the window
        // holds a scale-down back but never scales up by itself. The cluster's maximum
        // clamped the previous target to 6 below the raw 20; with demand gone the window's
        // 20 keeps 6, not 20.
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&[700.0], Some(2)), &cluster()), 20);
        assert_eq!(h.decide(&obs(&[0.0], Some(6)), &cluster()), 6);
    }

    /// An observation after one measured step: `ready` serving, `starting` launched,
    /// `demand` arrived (capacity 50 each), the current count `current`.
    fn measured(past: &[StepOutcome], current: u32) -> Observation<'_> {
        Observation {
            history: &[],
            past,
            forecast: None,
            past_forecast: None,
            future: &[],
            previous_target: Some(current),
        }
    }

    fn step(ready: u32, starting: u32, demand: f64) -> StepOutcome {
        let served = demand.min(f64::from(ready) * 50.0);
        StepOutcome {
            demand,
            target: ready + starting,
            ready,
            starting,
            served,
            backlog: 0.0,
            settled: (served, demand - served),
            switched: false,
        }
    }

    fn hpa(metric: HpaMetric, lag: u32) -> ReactiveHpa {
        ReactiveHpa::new(&PolicyConfig {
            hpa_metric: metric,
            metrics_lag_min: lag,
            ..PolicyConfig::default()
        })
    }

    #[test]
    fn a_saturated_service_grows_by_at_most_100_over_the_target_under_utilization() {
        // 10 ready containers, three times their capacity arriving: CPU shows 100 %, the
        // ratio is 100 / 70, so ceil(10 × 100 / 70) = 15; an ingress's rps sees 300 % and
        // jumps at once to ceil(10 × 1500 / (0.7 × 500)) = 43.
        let past = [step(10, 0, 1500.0)];
        let o = measured(&past, 10);
        assert_eq!(hpa(HpaMetric::Utilization, 0).decide(&o, &cluster()), 15);
        assert_eq!(
            hpa(HpaMetric::Utilization, 0).decide(&o, &cluster()),
            (10.0_f64 * 100.0 / 70.0).ceil() as i64
        );
        assert_eq!(hpa(HpaMetric::Rps, 0).decide(&o, &cluster()), 43);
    }

    #[test]
    fn starting_containers_count_at_zero_on_a_scale_up() {
        // 4 ready at 100 % with 4 more starting: over 8 pods the usage is 50 %, below the
        // target, so the count is kept (8); with 1 starting, 80 % / 70 % = 1.14 over 5
        // pods: ceil(5.71) = 6. Nothing starting: ceil(4 × 100 / 70) = 6.
        let hpa = || hpa(HpaMetric::Utilization, 0);
        let four_starting = [step(4, 4, 400.0)];
        assert_eq!(hpa().decide(&measured(&four_starting, 8), &cluster()), 8);
        let one_starting = [step(4, 1, 400.0)];
        assert_eq!(hpa().decide(&measured(&one_starting, 5), &cluster()), 6);
        let none = [step(4, 0, 400.0)];
        assert_eq!(hpa().decide(&measured(&none, 4), &cluster()), 6);
        // No ready container to measure: the count is kept.
        let dark = [step(0, 3, 400.0)];
        assert_eq!(hpa().decide(&measured(&dark, 3), &cluster()), 3);
    }

    #[test]
    fn a_lag_of_l_steps_delays_the_first_reaction_by_exactly_l_decisions() {
        use crate::sim::simulate;
        // Demand 100 until step 40, then 400; capacity 50, delay 1.
        let demand: Vec<f64> = (0..80)
            .map(|i| if i < 40 { 100.0 } else { 400.0 })
            .collect();
        let c = crate::config::ClusterConfig {
            startup_delay_min: 1,
            ..crate::config::ClusterConfig::default()
        }
        .at_step(1);
        let first_rise = |lag: u32| {
            let tl = simulate(
                &demand,
                20..80,
                None,
                &mut hpa(HpaMetric::Utilization, lag),
                &c,
            )
            .unwrap();
            (1..tl.target.len())
                .find(|&i| tl.target[i] > tl.target[i - 1])
                .unwrap()
        };
        let base = first_rise(0);
        // The decision at step 41 reads step 40, the first of the new demand.
        assert_eq!(base + 20, 41);
        for lag in [1, 2, 5] {
            assert_eq!(first_rise(lag), base + lag as usize, "lag {lag}");
        }
    }
}
