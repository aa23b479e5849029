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
//! - `convertDesiredReplicasWithBehaviorRate` with the default scale-up policies (the
//!   larger of +100 % and +4 pods per 15 s period): each controller sync allows
//!   `max(2n, n + 4)` from `n`; a step that spans several syncs allows them compounded
//!   (×16 or more in a minute, so at 1-minute steps it binds only above that).
//! - The controller syncs every `--hpa-sync` (15 s): at steps finer than that it decides
//!   at the steps a sync falls in and holds between them.
//!
//! The current count is the desired count of the last decision (a Deployment's
//! `spec.replicas`). The first decision, before any measurement, sizes the cluster for
//! the demand it last saw at the target utilization. It keeps one pod at least.

use std::collections::VecDeque;

use super::{Input, Observation, Policy, PolicySpec, Rises};
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
    /// An External metric's recommendation at an AverageValue target, as
    /// `GetExternalPerPodMetricReplicas` computes it (what the HPA KEDA creates does):
    /// the pods the metric's total `usage` fills at the target ([`Self::pods`]) over the
    /// `current` replicas, ready or not (no readiness grouping, unlike a Pods or Resource
    /// metric); within the tolerance the count stays, else that many pods, rounded up.
    pub(super) fn external(&self, usage: f64, current: i64, cluster: &StepCluster) -> i64 {
        let pods = self.pods(usage, cluster);
        if (1.0 - pods / current as f64).abs() <= self.tolerance {
            current
        } else {
            pods.ceil() as i64
        }
    }

    /// The pods `demand` fills at the target, divided once (a target per pod computed
    /// first, 0.29 × 50 = 14.499999999999998, would round 29 up to 3).
    fn pods(&self, demand: f64, cluster: &StepCluster) -> f64 {
        (100.0 * demand) / (self.target_percent as f64 * cluster.capacity_per_step)
    }

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
        self.pods(demand, cluster).ceil().max(0.0) as i64
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
    window_s: u64,
    /// Raw recommendations of the decisions inside the scale-down window, with when
    /// they were made (seconds since the first step).
    recent: VecDeque<(u64, i64)>,
}

impl Stabilizer {
    /// A fresh window.
    pub(super) fn new(window_minutes: u32) -> Self {
        Self {
            window_s: 60 * u64::from(window_minutes),
            recent: VecDeque::new(),
        }
    }

    /// The stabilized target for the raw recommendation `desired` of the decision `obs`
    /// is made at, recording it: the current count (the previous target) raised to
    /// `desired`, lowered to the highest recommendation of the window (those younger
    /// than it, this one included: at steps of whole minutes, the last
    /// `ceil(window / step)` decisions). The first decision takes `desired` as it is.
    pub(super) fn stabilize(
        &mut self,
        desired: i64,
        obs: &Observation,
        cluster: &StepCluster,
    ) -> i64 {
        let current = obs.previous_target.map_or(desired, i64::from);
        let now_s = obs.now_s(cluster);
        while let Some(&(at, _)) = self.recent.front() {
            if at + self.window_s > now_s {
                break;
            }
            self.recent.pop_front();
        }
        self.recent.push_back((now_s, desired));
        let down = self.recent.iter().map(|r| r.1).max().expect("just pushed");
        // The scale-up window is 0 s: its lowest recommendation is this one.
        current.max(desired).min(down)
    }
}

/// The HPA controller's syncs that fall in the step starting `now_s` seconds in: the
/// multiples of `sync_s` in `[now_s, now_s + step_s)`.
pub(super) fn syncs_in_step(now_s: u64, step_s: u64, sync_s: u64) -> u64 {
    let sync = sync_s.max(1);
    (now_s + step_s).div_ceil(sync) - now_s.div_ceil(sync)
}

/// `convertDesiredReplicasWithBehaviorRate`'s scale-up limit after `syncs` syncs from
/// `current` replicas, under the default scale-up policies (`selectPolicy: Max` of
/// +100 % and +4 pods per 15 s period): each sync allows `max(2 · n, n + 4)`.
pub(super) fn scale_up_limit(current: u32, syncs: u64) -> i64 {
    (0..syncs).fold(i64::from(current), |n, _| (2 * n).max(n + 4))
}

/// HPA v2 with a tolerance band and scale-down stabilization.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactiveHpa {
    recommender: Recommender,
    reading: Reading,
    stabilizer: Stabilizer,
    /// The controller's sync period, seconds.
    sync_s: u32,
    /// Whether the cluster allows zero containers, which the HPA does not use.
    at_zero: bool,
}

impl ReactiveHpa {
    /// A fresh autoscaler.
    pub fn new(cfg: &PolicyConfig) -> Self {
        Self {
            recommender: Recommender::new(cfg.hpa_target_utilization, cfg.hpa_tolerance),
            reading: Reading::of(cfg),
            stabilizer: Stabilizer::new(cfg.hpa_stabilization_min),
            sync_s: cfg.hpa_sync_s,
            at_zero: false,
        }
    }
}

impl Policy for ReactiveHpa {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let (step, now_s) = (u64::from(cluster.step_seconds), obs.now_s(cluster));
        let syncs = syncs_in_step(now_s, step, u64::from(self.sync_s));
        if let Some(current) = obs.previous_target {
            // No sync in this step (a step finer than the sync period): it holds.
            if syncs == 0 {
                return i64::from(current);
            }
        }
        let desired = self.recommender.recommend_from(obs, self.reading, cluster);
        let stabilized = self.stabilizer.stabilize(desired, obs, cluster);
        let limited = match obs.previous_target {
            Some(current) => stabilized.min(scale_up_limit(current, syncs)),
            None => stabilized,
        };
        // Kubernetes' HPA keeps one pod at least: it cannot come back from zero on its
        // own (`keda` and `knative-kpa` can).
        limited.max(1)
    }

    fn note(&self) -> Option<String> {
        self.at_zero.then(|| {
            "keeps 1 container at --min-replicas 0: Kubernetes' HPA cannot scale from zero on its own (keda and knative-kpa can)".into()
        })
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "reactive-hpa",
    about: "Kubernetes HPA v2 on --hpa-metric, --metrics-lag old: --hpa-target (70 %), 5-minute scale-down stabilization.",
    input: Input::History,
    build: |cfg, ctx| {
        Box::new(ReactiveHpa {
            at_zero: ctx.cluster.min_replicas == 0,
            ..ReactiveHpa::new(cfg)
        })
    },
    knob: Some(&crate::settings::HPA_TARGET),
    knob_rises: Some(Rises::AgainstValue),
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cluster::StepOutcome;
    use crate::config::ClusterConfig;

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

    /// `minute + 1` steps of history ending in `last`: the decision at that minute.
    fn at(minute: usize, last: f64) -> Vec<f64> {
        let mut h = vec![0.0; minute];
        h.push(last);
        h
    }

    #[test]
    fn scale_up_is_immediate_scale_down_waits_five_minutes() {
        let mut h = ReactiveHpa::new(&idealized());
        // 10 containers, demand 350: 70 % -> keep 10.
        assert_eq!(h.decide(&obs(&at(0, 350.0), Some(10)), &cluster()), 10);
        // Demand drops to 70: 14 %, ratio 0.2 -> raw 2, but the window still holds the 10
        // for the 4 following decisions.
        let mut prev = 10;
        for minute in 1..=4 {
            let t = h.decide(&obs(&at(minute, 70.0), Some(prev)), &cluster());
            assert_eq!(t, 10, "minute {minute}");
            prev = t as u32;
        }
        // Five decisions after the 10, the window holds only 2s.
        assert_eq!(h.decide(&obs(&at(5, 70.0), Some(prev)), &cluster()), 2);
        // A spike scales up in the same step: 700 on 2 × 50 = 700 % -> ratio 10 -> 20
        // (the rate limit over a minute's 4 syncs allows 2 -> 6 -> 12 -> 24 -> 48).
        assert_eq!(h.decide(&obs(&at(6, 700.0), Some(2)), &cluster()), 20);
    }

    #[test]
    fn scale_up_is_limited_to_the_larger_of_double_and_four_pods_a_sync() {
        // 15-second steps (12.5 requests a container), one sync a step, demand over the
        // current count: 125 on 1 is 1000 %, raw ceil(1000 / 70 · 1) = 15, limited to
        // max(2, 1 + 4) = 5; 625 on 5, raw 72, limited to 10; 1250 on 10, raw 143,
        // limited to 20.
        let c = ClusterConfig::threshold().at_step(15);
        let mut h = ReactiveHpa::new(&idealized());
        let got: Vec<i64> = [(1, 125.0), (5, 625.0), (10, 1250.0)]
            .iter()
            .enumerate()
            .map(|(minute, &(prev, demand))| {
                h.decide(&obs(&at(minute + 1, demand), Some(prev)), &c)
            })
            .collect();
        assert_eq!(got, vec![5, 10, 20]);
        // scale_up_limit itself: +4 wins below 4 pods, doubling from 4.
        assert_eq!(
            (0..5).map(|s| scale_up_limit(1, s)).collect::<Vec<_>>(),
            vec![1, 5, 10, 20, 40]
        );
    }

    #[test]
    fn it_keeps_one_container_where_the_cluster_allows_none() {
        // No demand on 3 containers: every raw recommendation is 0 (0 % utilization,
        // ratio 0), and stabilization lowers the count to the window's highest, 0; the
        // HPA asks for 1 instead, whatever the cluster's minimum.
        let mut h = ReactiveHpa::new(&idealized());
        let got: Vec<i64> = (0..7)
            .map(|minute| h.decide(&obs(&at(minute, 0.0), Some(3)), &cluster()))
            .collect();
        assert_eq!(got, vec![1; 7]);
    }

    #[test]
    fn below_the_sync_period_it_decides_at_the_steps_a_sync_falls_in() {
        // 5-second steps, a 15 s sync: syncs at 0 s, 15 s, 30 s: steps 0, 3, 6.
        assert_eq!(
            (0..7)
                .map(|t| syncs_in_step(5 * t, 5, 15))
                .collect::<Vec<_>>(),
            vec![1, 0, 0, 1, 0, 0, 1]
        );
        // A minute holds four; 90 s from 10 s holds 15 s … 90 s: six.
        assert_eq!(syncs_in_step(60, 60, 15), 4);
        assert_eq!(syncs_in_step(10, 90, 15), 6);
        // Between syncs the previous target holds, whatever the demand.
        let c = ClusterConfig::threshold().at_step(5);
        let mut h = ReactiveHpa::new(&idealized());
        assert_eq!(h.decide(&obs(&at(1, 5000.0), Some(3)), &c), 3);
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
            in_flight: 0.0,
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
    fn an_external_average_value_reads_every_replica_and_jumps_to_the_total_over_the_target() {
        // Target 70 % of 12.5 requests a step: 8.75 a pod. 10 replicas: 91.875 is a
        // ratio of 1.05, inside the 10 % tolerance, so 10 stay; 100 is 1.143, so
        // ceil(100 / 8.75) = 12; nothing asks for nothing.
        let r = Recommender::new(0.7, 0.1);
        let quarter = ClusterConfig::default().at_step(15);
        assert_eq!(r.external(91.875, 10, &quarter), 10);
        assert_eq!(r.external(100.0, 10, &quarter), 12);
        assert_eq!(r.external(70.0, 10, &quarter), 8);
        assert_eq!(r.external(0.0, 3, &quarter), 0);
        // 29 % of 50 is 14.5 a pod: 29 requests fill exactly 2.
        let minute = ClusterConfig::default().at_step(60);
        assert_eq!(Recommender::new(0.29, 0.1).external(29.0, 5, &minute), 2);
    }

    #[test]
    fn a_saturated_service_grows_by_at_most_100_over_the_target_under_utilization() {
        // 10 ready containers, three times their capacity arriving: CPU shows 100 %, the
        // ratio is 100 / 70, so ceil(10 × 100 / 70) = 15; an ingress's rps sees 300 % and
        // jumps at once to ceil(10 × 1500 / (0.7 × 500)) = 43.
        let past = [step(10, 0, 1500.0)];
        let o = measured(&past, 10);
        assert_eq!(hpa(HpaMetric::Utilization, 0).decide(&o, &cluster()), 15);
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
            startup_delay_s: 60,
            ..crate::config::ClusterConfig::default()
        }
        .at_step(60);
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
