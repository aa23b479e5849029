//! Property tests of the simulator over random traces, forecasts and cluster settings.

use prescale::config::ServingConfig;
use prescale::config::ServingModel;
use prescale::config::{ClusterConfig, PolicyConfig};
use prescale::floor::{floor_cost, needs, share_bound, share_needs};
use prescale::forecast::{Forecast, Interval};
use prescale::metrics::policy_metrics;
use prescale::policy::{PolicyContext, PolicyKind, Tuned};
use prescale::serving::StepCluster;
use prescale::sim::simulate;
use proptest::prelude::*;

/// A trace, a test period and a forecast (with an interval) for it, and a cluster.
fn scenario() -> impl Strategy<Value = (Vec<f64>, usize, Forecast, StepCluster)> {
    (
        prop::collection::vec(0.0f64..2_000.0, 20..160),
        1.0f64..200.0,
        0u32..6,
        0u32..5,
        1u32..60,
        prop::sample::select(vec![15u32, 60, 300, 1800]),
    )
        .prop_flat_map(|(demand, capacity, delay, min, span, step)| {
            let cluster = ClusterConfig {
                capacity_per_min: capacity,
                startup_delay_s: 60 * delay,
                min_replicas: min,
                max_replicas: min + span,
                ..ClusterConfig::threshold()
            }
            .at_step(step);
            // At 15-second steps a 5-minute delay is 20 steps: the first decision needs
            // 21 of history and a test step after them.
            let mut demand = demand;
            demand.resize(demand.len().max(cluster.delay_steps + 2), 0.0);
            let n = demand.len();
            let first = (cluster.delay_steps + 1).min(n - 1);
            (Just(demand), first..n, Just(cluster))
        })
        .prop_flat_map(|(demand, t0, cluster)| {
            let n = demand.len() - t0;
            (
                Just(demand),
                Just(t0),
                prop::collection::vec((0.0f64..2_000.0, 0.0f64..500.0), n),
                Just(cluster),
            )
        })
        .prop_map(|(demand, t0, f, cluster)| {
            let yhat: Vec<f64> = f.iter().map(|p| p.0).collect();
            let forecast = Forecast {
                interval: Some(Interval {
                    lower: f.iter().map(|p| (p.0 - p.1).max(0.0)).collect(),
                    upper: f.iter().map(|p| p.0 + p.1).collect(),
                }),
                yhat,
            };
            (demand, t0, forecast, cluster)
        })
}

/// Container-steps (or violating steps) in whole minutes, as the reports state them:
/// exact at steps of whole minutes, rounded to the nearest minute at 15 s.
fn to_minutes(steps: u64, cluster: &StepCluster) -> u64 {
    (steps * u64::from(cluster.step_seconds) + 30) / 60
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn invariants_hold_for_every_policy((demand, t0, forecast, cluster) in scenario()) {
        let d = cluster.delay_steps;
        // The floor: no schedule that serves every step the cluster can serve (ready at
        // least the clamped need everywhere) bills less.
        let need = needs(&demand[t0..], &cluster);
        let floor = to_minutes(floor_cost(&need, d), &cluster);
        let serves_all = |tl: &prescale::sim::Timeline| tl.ready.iter().zip(&need).all(|(r, n)| r >= n);
        // The share floor: no schedule that meets the SLO's share of minutes without a
        // violation has fewer ready container-steps than its bound; where the cluster can
        // serve that share at all, optimal meets it, billing exactly its allocation's
        // cheapest schedule.
        let (share, bound) = (share_needs(&demand[t0..], &cluster), share_bound(&demand[t0..], &cluster));
        let minutes = demand.len() - t0;
        let want = cluster.serving.slo_share * minutes as f64;
        let met = |tl: &prescale::sim::Timeline| {
            (0..tl.len()).filter(|&i| tl.unserved[i] == 0.0).count() as f64 >= want - 1e-9
        };
        let ceiling = f64::from(cluster.max_replicas) * cluster.capacity_per_step;
        let reachable = demand[t0..].iter().filter(|&&x| x <= ceiling).count() as f64 >= want - 1e-9;
        // Any tuned value will do for the invariants.
        let ctx = PolicyContext {
            cluster: &cluster,
            tuned: Some(Tuned { attained_pct: 90.0, ..Tuned::trying(0.2, 1) }),
        };
        for &kind in PolicyKind::ALL {
            let mut policy = kind.build(&PolicyConfig::default(), &ctx);
            let f = kind.uses_forecast().then_some(&forecast);
            let tl = simulate(&demand, t0..demand.len(), f, policy.as_mut(), &cluster).unwrap();
            let n = tl.len();
            prop_assert_eq!(n, demand.len() - t0);
            // Ready containers are exactly the target issued d steps earlier.
            for i in 0..n.saturating_sub(d) {
                prop_assert_eq!(tl.ready[i + d], tl.target[i]);
            }
            // Every target stays within [min, max].
            for &r in tl.ready.iter().chain(&tl.target) {
                prop_assert!(r >= cluster.min_replicas && r <= cluster.max_replicas);
            }
            let m = policy_metrics("m", kind.name(), &tl, &cluster);
            // The bill, from the cluster model alone: every ready container-step, plus, for
            // each decision k ≥ 1 that raised the target, its launches billed while starting:
            // from launch (step t0 − d + k) to ready (t0 + k), inside the test period, so
            // min(k, d) steps.
            let ready_steps: u64 = tl.ready.iter().map(|&r| u64::from(r)).sum();
            let starting_steps: u64 = (1..n)
                .map(|k| u64::from(tl.ready[k].saturating_sub(tl.ready[k - 1])) * k.min(d) as u64)
                .sum();
            prop_assert_eq!(m.container_minutes, to_minutes(ready_steps + starting_steps, &cluster));
            // A switch is a decision whose target differs from the previous one.
            let changes = (1..n).filter(|&k| tl.ready[k] != tl.ready[k - 1]).count() as u64;
            prop_assert_eq!(m.scaling_switches, changes);
            // A minute violates exactly when demand exceeds ready capacity; violations and
            // served minutes add up to the test period.
            let violating = (0..n).filter(|&i| tl.demand[i] > f64::from(tl.ready[i]) * cluster.capacity_per_step).count() as u64;
            let served = (0..n).filter(|&i| tl.unserved[i] == 0.0).count() as u64;
            prop_assert_eq!(m.sla_violation_minutes, to_minutes(violating, &cluster));
            prop_assert_eq!(violating + served, n as u64);
            if serves_all(&tl) {
                prop_assert!(m.container_minutes >= floor, "{} beat the floor", kind.name());
            }
            if met(&tl) {
                let ready: u64 = tl.ready.iter().map(|&r| u64::from(r)).sum();
                prop_assert!(ready as f64 >= bound - 1e-6, "{} beat the bound", kind.name());
            }
            match kind.name() {
                "optimal" => {
                    // It meets the share where the cluster can, at its allocation's floor.
                    prop_assert!(!reachable || met(&tl), "optimal missed the share");
                    prop_assert_eq!(
                        m.container_minutes,
                        to_minutes(floor_cost(&share, d), &cluster)
                    );
                }
                "oracle" => {
                    // Perfect foresight never violates where the cluster is big enough.
                    let ceiling = f64::from(cluster.max_replicas) * cluster.capacity_per_step;
                    for i in 0..n {
                        if tl.demand[i] <= ceiling {
                            prop_assert_eq!(tl.unserved[i], 0.0, "oracle violated at {}", i);
                        }
                    }
                }
                "static-2" if (cluster.min_replicas..=cluster.max_replicas).contains(&2) => {
                    prop_assert_eq!(m.container_minutes, to_minutes(2 * n as u64, &cluster));
                    prop_assert_eq!(m.scaling_switches, 0);
                }
                _ => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Under both queue models every request of a step is either within the deadline or
    /// missed, drops are misses, and no step does more work than its ready capacity.
    #[test]
    fn the_queue_models_lose_and_invent_no_request(
        (demand, t0, forecast, cluster) in scenario(),
        requests in any::<bool>(),
        cv in 0.0f64..2.0,
    ) {
        let mut cluster = cluster;
        let model = if requests { ServingModel::REQUESTS } else { ServingModel::QUEUE };
        let capacity_per_min = cluster.capacity_per_step / cluster.step_min();
        cluster.serving = ServingConfig { model, service_cv: cv, ..ServingConfig::default() }
            .at_step(capacity_per_min, cluster.step_seconds);
        let ctx = PolicyContext { cluster: &cluster, tuned: None };
        for name in ["reactive-hpa", "buffered", "optimal"] {
            let kind = PolicyKind::from_name(name).unwrap();
            let mut policy = kind.build(&PolicyConfig::default(), &ctx);
            let f = kind.uses_forecast().then_some(&forecast);
            let tl = simulate(&demand, t0..demand.len(), f, policy.as_mut(), &cluster).unwrap();
            for i in 0..tl.len() {
                prop_assert!(tl.unserved[i] >= -1e-9 && tl.unserved[i] <= tl.demand[i] + 1.0 + 1e-6, "{} at {}", name, i);
                prop_assert!(tl.dropped[i] <= tl.unserved[i] + 1e-6, "{} at {}", name, i);
                prop_assert!(tl.backlog[i] >= 0.0);
            }
            let m = policy_metrics("m", name, &tl, &cluster);
            prop_assert!((0.0..=100.0 + 1e-9).contains(&m.requests_within_deadline_pct) || tl.demand.iter().sum::<f64>() < 1.0);
        }
    }
}
