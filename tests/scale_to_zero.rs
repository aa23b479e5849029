//! Scale to zero through the whole simulator (`docs/experiment.md`, Scale to zero,
//! knative-kpa, keda): 15-second steps, a 2-minute cold start, requests followed one by
//! one (constant 1.2 s service times), `--min-replicas 0`.

use prescale::config::{ClusterConfig, PolicyConfig, ServingConfig, ServingModel};
use prescale::metrics::policy_metrics;
use prescale::policy::{Keda, KnativeKpa};
use prescale::serving::StepCluster;
use prescale::sim::simulate;

/// The cluster at 15-second steps: 50 requests a minute per container (1.2 s each),
/// 2 minutes to start (8 steps), 0 to 10 containers, requests followed one by one,
/// `deadline_s` to answer, 600 s before a request is dropped.
fn cluster(deadline_s: f64) -> StepCluster {
    ClusterConfig {
        min_replicas: 0,
        max_replicas: 10,
        serving: ServingConfig {
            model: ServingModel::REQUESTS,
            service_cv: 0.0,
            deadline_s,
            timeout_s: 600.0,
            ..ServingConfig::default()
        },
        ..ClusterConfig::default()
    }
    .at_step(15)
}

/// Busy for 40 steps (10 requests each), quiet until one request at step 120, quiet
/// after: 140 steps.
fn quiet_then_one() -> Vec<f64> {
    let mut demand = vec![10.0; 40];
    demand.extend(vec![0.0; 80]);
    demand.push(1.0);
    demand.extend(vec![0.0; 19]);
    demand
}

#[test]
fn keda_goes_to_zero_after_its_cooldown_and_the_next_request_waits_a_cold_start() {
    // Test period from step 20 (the first decision, at 12, needs 9 steps of history).
    let t0 = 20;
    let demand = quiet_then_one();
    let c = cluster(136.0);
    let mut keda = Keda::new(&PolicyConfig::default());
    let tl = simulate(&demand, t0..demand.len(), None, &mut keda, &c).unwrap();
    let ready = |step: usize| tl.ready[step - t0];
    // Polls at even steps; the last active one at step 40 (it saw steps 38 and 39), at
    // 600 s. The first inactive poll more than 300 s later is at step 62 (930 s): it
    // scales to zero, and the containers leave 8 steps later, at step 70.
    assert!(ready(69) >= 1, "{:?}", &tl.ready[40..60]);
    assert!((70..130).all(|s| ready(s) == 0), "{:?}", &tl.ready[45..115]);
    // The request of step 120 (arriving in [1800 s, 1815 s)) is seen by the poll at step
    // 122, whose container serves from step 130 (1950 s): it waits 135 to 150 s and takes
    // 1.2 s, a latency in (136.2 s, 151.2 s]: late at a 136 s deadline, served (600 s
    // timeout), in time at 152 s.
    assert_eq!(ready(130), 1);
    let i = 120 - t0;
    assert_eq!(
        (tl.unserved[i], tl.dropped[i], tl.within[i]),
        (1.0, 0.0, 0.0)
    );
    // The reports count it: one cold start (zero to one at step 130), one request that
    // arrived at zero containers.
    let m = policy_metrics("none", "keda", &tl, &c);
    assert_eq!((m.cold_starts, m.requests_at_zero), (1, 1.0));
    let mut keda = Keda::new(&PolicyConfig::default());
    let tl = simulate(&demand, t0..demand.len(), None, &mut keda, &cluster(152.0)).unwrap();
    assert_eq!((tl.unserved[i], tl.within[i]), (0.0, 1.0));
}

#[test]
fn at_min_replicas_one_keda_keeps_a_warm_container() {
    let t0 = 20;
    let demand = quiet_then_one();
    let c = StepCluster {
        min_replicas: 1,
        ..cluster(136.0)
    };
    let mut keda = Keda::new(&PolicyConfig::default());
    let tl = simulate(&demand, t0..demand.len(), None, &mut keda, &c).unwrap();
    assert!(tl.ready.iter().all(|&r| r >= 1));
    // The lone request finds the warm container: 1.2 s.
    assert_eq!(tl.within[120 - t0], 1.0);
}

#[test]
fn knative_kpa_goes_to_zero_over_a_quiet_spell_and_its_first_requests_wait_a_cold_start() {
    // 20 requests a step (0.8 a second, about 1 in flight) for 40 steps, 40 quiet
    // steps, then 20 a step again.
    let mut demand = vec![20.0; 40];
    demand.extend(vec![0.0; 40]);
    demand.extend(vec![20.0; 30]);
    let t0 = 20;
    let c = cluster(100.0);
    let mut kpa = KnativeKpa::new(1, 0.7);
    let tl = simulate(&demand, t0..demand.len(), None, &mut kpa, &c).unwrap();
    let ready = |step: usize| tl.ready[step - t0];
    // Once a whole stable window (4 steps) saw nothing in flight, each decision halves
    // the ready pods; a removal takes effect 8 steps after it is decided. So the
    // cluster is at zero before the quiet spell ends, and not before 4 + 8 steps into it.
    let zero: Vec<usize> = (40..80).filter(|&s| ready(s) == 0).collect();
    assert!(!zero.is_empty(), "{:?}", &tl.ready[20..60]);
    assert!(zero[0] >= 52, "{zero:?}");
    assert!((zero[0]..80).all(|s| ready(s) == 0));
    // The activator holds the requests of step 80: the decision at step 81 sees them in
    // flight and asks for pods, which serve from step 89, 120 s later; every request of
    // step 80 waits more than 100 s (late), none past the 600 s timeout (not dropped).
    assert!((80..89).all(|s| ready(s) == 0));
    assert!(ready(89) >= 1);
    let i = 80 - t0;
    assert_eq!((tl.unserved[i], tl.dropped[i]), (20.0, 0.0));
}

#[test]
fn under_the_fluid_queue_the_kpa_also_comes_back_from_zero() {
    // The default serving model: at zero containers a step's arrivals time out (the
    // 2-minute cold start outlasts the 30 s timeout), and those of its last 30 s are
    // held at its end (a 30 s timeout covers the whole 15-second step: all 20), the
    // backlog the KPA reads as concurrency.
    let mut demand = vec![20.0; 40];
    demand.extend(vec![0.0; 40]);
    demand.extend(vec![20.0; 30]);
    let t0 = 20;
    let c = ClusterConfig {
        min_replicas: 0,
        max_replicas: 10,
        ..ClusterConfig::default()
    }
    .at_step(15);
    let mut kpa = KnativeKpa::new(1, 0.7);
    let tl = simulate(&demand, t0..demand.len(), None, &mut kpa, &c).unwrap();
    let ready = |step: usize| tl.ready[step - t0];
    assert!((60..80).any(|s| ready(s) == 0), "{:?}", &tl.ready[20..60]);
    assert_eq!(tl.backlog[80 - t0], 20.0);
    assert_eq!(tl.dropped[80 - t0], 20.0);
    assert!(ready(89) >= 1, "{:?}", &tl.ready[55..75]);
}
