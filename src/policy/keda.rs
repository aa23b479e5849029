//! `keda`: KEDA in front of Kubernetes' HPA, as KEDA runs it (kedacore/keda,
//! `pkg/scaling/executor/scale_scaledobjects.go`, `RequestScale`; defaults from
//! `apis/keda/v1alpha1/withtriggers_types.go` and `pkg/scaling/executor/scale_executor.go`;
//! `docs/experiment.md`, keda):
//!
//! - KEDA decides 0 ↔ 1. It polls its trigger every 30 s (`pollingInterval`); the
//!   trigger is active when the requests that arrived since the last poll exceed the
//!   activation threshold (0). Active at zero replicas: scale to one (`minReplicaCount`
//!   where above 0). Inactive with replicas running and `minReplicaCount` 0
//!   (`--min-replicas 0`): scale to zero once the last active poll is more than
//!   `cooldownPeriod` (300 s) old.
//! - The HPA decides 1 ↔ N on the trigger's metric, which KEDA gives it as an External
//!   metric at an `AverageValue` target: the arrivals of the step `--metrics-lag` old
//!   over `--hpa-target` × capacity a pod times every replica, ready or not
//!   (`GetExternalPerPodMetricReplicas`, [`Recommender::external`]), with reactive-hpa's
//!   tolerance, scale-down stabilization and scale-up rate limit. At zero
//!   replicas the HPA does not act (Kubernetes' HPA is idle at zero), so only KEDA's
//!   activation brings the service back, one cold start later.
//!
//! At steps longer than the polling interval it polls once per step.

use super::reactive_hpa::{scale_up_limit, syncs_in_step, Reading, Recommender, Stabilizer};
use super::{Input, Observation, Policy, PolicySpec, Rises};
use crate::config::{HpaMetric, PolicyConfig};
use crate::serving::StepCluster;

/// `pollingInterval`, seconds.
const POLLING_INTERVAL_S: u32 = 30;
/// `cooldownPeriod`, seconds.
const COOLDOWN_PERIOD_S: u64 = 300;
/// The trigger's `activationThreshold`: requests since the last poll.
const ACTIVATION_THRESHOLD: f64 = 0.0;

/// KEDA's activation over an HPA.
#[derive(Debug, Clone, PartialEq)]
pub struct Keda {
    recommender: Recommender,
    reading: Reading,
    stabilizer: Stabilizer,
    /// The HPA controller's sync period, seconds.
    sync_s: u32,
    /// When a poll last found the trigger active, seconds since the first step.
    last_active_s: Option<u64>,
}

impl Keda {
    /// A fresh KEDA and HPA.
    pub fn new(cfg: &PolicyConfig) -> Self {
        Self {
            recommender: Recommender::new(cfg.hpa_target_utilization, cfg.hpa_tolerance),
            reading: Reading {
                metric: HpaMetric::Rps,
                lag_min: cfg.metrics_lag_min,
            },
            stabilizer: Stabilizer::new(cfg.hpa_stabilization_min),
            sync_s: cfg.hpa_sync_s,
            last_active_s: None,
        }
    }
}

impl Policy for Keda {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let (t, now_s) = (obs.history.len(), obs.now_s(cluster));
        let every = cluster.steps_of_s(POLLING_INTERVAL_S).max(1);
        // A poll at this step: were there requests since the last one?
        let poll = t.is_multiple_of(every).then(|| {
            let since = &obs.history[t.saturating_sub(every)..];
            since.iter().sum::<f64>() > ACTIVATION_THRESHOLD
        });
        if poll == Some(true) {
            self.last_active_s = Some(now_s);
        }
        let floor = i64::from(cluster.min_replicas.max(1));
        let current = match obs.previous_target {
            // The Deployment as it starts: sized by the HPA's first rule.
            None => {
                let desired = self.recommender.recommend_from(obs, self.reading, cluster);
                return self.stabilizer.stabilize(desired, obs, cluster).max(floor);
            }
            Some(c) => c,
        };
        if current == 0 {
            // Idle: only KEDA's activation acts.
            return if poll == Some(true) { floor } else { 0 };
        }
        let scale_in = cluster.min_replicas == 0
            && poll == Some(false)
            && self
                .last_active_s
                .is_none_or(|at| at + COOLDOWN_PERIOD_S < now_s);
        if scale_in {
            return 0;
        }
        // The HPA reads the trigger's total (the requests of the step `--metrics-lag`
        // old), an External metric.
        let lag = cluster.steps_of(self.reading.lag_min);
        let desired = match obs.history.len().checked_sub(1 + lag) {
            Some(i) => self
                .recommender
                .external(obs.history[i], i64::from(current), cluster),
            None => i64::from(current),
        };
        let step = u64::from(cluster.step_seconds);
        let syncs = syncs_in_step(now_s, step, u64::from(self.sync_s)).max(1);
        self.stabilizer
            .stabilize(desired, obs, cluster)
            .min(scale_up_limit(current, syncs))
            .max(floor)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "keda",
    about: "KEDA over the HPA: 0 ↔ 1 on requests (30 s polls, 300 s cooldown, to zero at --min-replicas 0), 1 ↔ N by the HPA on arrivals per pod.",
    input: Input::History,
    build: |cfg, _| Box::new(Keda::new(cfg)),
    knob: Some(&crate::settings::HPA_TARGET),
    knob_rises: Some(Rises::AgainstValue),
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClusterConfig;

    /// Decisions of KEDA over `demand` at `step_s`-second steps with `--min-replicas`
    /// `min`, as KEDA returns them (before the simulator's clamp, which would hide a 0
    /// below the minimum), each clamped target fed back as the next one's current count
    /// (the HPA reads the trigger, the demand, not the cluster).
    fn run(demand: &[f64], step_s: u32, min: u32) -> Vec<i64> {
        let cluster = ClusterConfig {
            min_replicas: min,
            ..ClusterConfig::default()
        }
        .at_step(step_s);
        let mut keda = Keda::new(&PolicyConfig::default());
        let mut previous = None;
        (1..=demand.len())
            .map(|t| {
                let obs = Observation {
                    history: &demand[..t],
                    past: &[],
                    forecast: None,
                    past_forecast: None,
                    future: &[],
                    previous_target: previous,
                };
                let decided = keda.decide(&obs, &cluster);
                previous = Some(cluster.clamp(decided));
                decided
            })
            .collect()
    }

    #[test]
    fn quiet_for_the_cooldown_goes_to_zero_and_a_request_brings_one_back() {
        // 15-second steps: a poll every 2 steps (30 s). Traffic in the first 2 steps
        // (its poll at step 2 is the last active one, at 30 s), then none: the polls at
        // 60 s … 330 s are inactive, and the first with the last active more than 300 s
        // old is at 360 s (step 24), which scales to 0. A request at step 30 is seen by
        // the poll at step 32 (480 s): back to 1.
        let mut demand = vec![10.0, 10.0];
        demand.extend(vec![0.0; 29]);
        demand.push(1.0);
        demand.extend(vec![0.0; 4]);
        let got = run(&demand, 15, 0);
        // Decision k (1-based) sees steps 0..k.
        let zero_from = got.iter().position(|&r| r == 0).unwrap() + 1;
        assert_eq!(zero_from, 24, "{got:?}");
        assert!(got[23..31].iter().all(|&r| r == 0), "{got:?}");
        assert_eq!(got[31], 1, "{got:?}");
    }

    #[test]
    fn its_hpa_sizes_from_the_trigger_while_the_pods_still_start() {
        // One minute steps: 50 requests a pod, 35 at the 70 % target. A Deployment of 1
        // whose pod still starts (none ready) sees 300 requests a step a minute ago
        // (--metrics-lag 1): an External metric counts every replica, ready or not, so
        // the HPA asks ceil(300 / 35) = 9 at once; the scale-up limit over the minute's
        // four syncs allows that (1 → 5 → 10 → 20 → 40).
        let cluster = ClusterConfig::default().at_step(60);
        let mut keda = Keda::new(&PolicyConfig::default());
        keda.last_active_s = Some(0);
        let demand = [300.0, 300.0, 300.0];
        let starting = crate::cluster::StepOutcome {
            demand: 300.0,
            target: 1,
            ready: 0,
            starting: 1,
            served: 0.0,
            backlog: 300.0,
            in_flight: 0.0,
            settled: (0.0, 0.0),
            switched: false,
        };
        let past = [starting, starting];
        let obs = Observation {
            history: &demand,
            past: &past,
            forecast: None,
            past_forecast: None,
            future: &[],
            previous_target: Some(1),
        };
        assert_eq!(keda.decide(&obs, &cluster), 9);
    }

    #[test]
    fn at_min_replicas_one_it_never_goes_to_zero() {
        let mut demand = vec![10.0];
        demand.extend(vec![0.0; 40]);
        assert!(run(&demand, 15, 1).iter().all(|&r| r >= 1));
    }
}
