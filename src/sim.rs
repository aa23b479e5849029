//! The minute loop: replays a trace's test period under one policy.
//!
//! Pure: demand, forecasts, a policy and the cluster in; a per-step [`Timeline`] out.
//! No I/O, no clock, no randomness. One loop, one step at a time: the policy observes
//! what a deployed autoscaler could measure ([`Observation`]), decides a target, and the
//! [`Cluster`] serves the step (`docs/experiment.md`, The cluster model). The first
//! decision is made at `t0 − d` for the first test step `t0`; the last at `end − d − 1`;
//! in the last `d` steps the target is held. The `d` steps before `t0` run the cluster
//! but are not accounted.

use thiserror::Error;

use crate::cluster::{Cluster, StepOutcome};
use crate::forecast::{Forecast, PointForecast};
use crate::policy::{Observation, Policy};
use crate::serving::Latencies;
use crate::serving::Ledger;
use crate::serving::SloMeasure;
use crate::serving::StepCluster;

/// Why a simulation could not run.
#[derive(Debug, Error, PartialEq)]
pub enum SimError {
    /// The first decision needs `d + 1` steps of history before the test period.
    #[error("the test period starts at step {test_start}; the first decision needs {need} steps of history before it")]
    NoHistory {
        /// First test step.
        test_start: usize,
        /// Steps needed.
        need: usize,
    },
    /// The forecast does not cover the test period step for step.
    #[error("the forecast has {have} steps, the test period {need}")]
    ForecastLength {
        /// Steps in the forecast.
        have: usize,
        /// Steps in the test period.
        need: usize,
    },
    /// The test period is empty or runs past the trace.
    #[error("the test period {start}..{end} does not fit a trace of {len} steps")]
    TestPeriod {
        /// First test step.
        start: usize,
        /// One past the last test step.
        end: usize,
        /// Steps in the trace.
        len: usize,
    },
}

/// Per test step: what was asked, what was running, what was served.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// Demand in the step, in requests.
    pub demand: Vec<f64>,
    /// Target set at the step (for `d` steps later); held in the last `d` steps.
    pub target: Vec<u32>,
    /// Containers serving in the step: the target set `d` steps earlier.
    pub ready: Vec<u32>,
    /// Containers launched but not serving yet (billed).
    pub starting: Vec<u32>,
    /// Requests of the step that missed: not completed within the deadline, dropped
    /// ones included (under `threshold`: beyond the ready capacity).
    pub unserved: Vec<f64>,
    /// Requests of the step completed within the deadline (under `threshold`, within
    /// the ready capacity). With `unserved`, every request of the step: the demand, or
    /// under `requests` the whole requests its fractional demand was drawn as.
    pub within: Vec<f64>,
    /// Requests of the step that were dropped (timed out; under `threshold`, the same
    /// as `unserved`).
    pub dropped: Vec<f64>,
    /// Requests waiting for a slot at the step's end.
    pub backlog: Vec<f64>,
    /// 99th percentile latency of the step's requests, seconds (NaN under `threshold`).
    pub p99_s: Vec<f64>,
    /// Whether the step violated the SLO: under `threshold`, any request beyond the
    /// capacity; under the queue models, fewer than the SLO's share within the deadline.
    pub violated: Vec<bool>,
    /// Latencies of every test request (empty under `threshold`).
    pub latency: Latencies,
    /// Decisions whose target differed from the previous target.
    pub scaling_switches: u64,
}

impl Timeline {
    /// Number of test steps.
    pub fn len(&self) -> usize {
        self.demand.len()
    }

    /// Whether the timeline is empty.
    pub fn is_empty(&self) -> bool {
        self.demand.is_empty()
    }

    /// Whether step `i` violated the SLO.
    pub fn violation(&self, i: usize) -> bool {
        self.violated[i]
    }
}

/// Replays `demand[test_start..test_end]` under `policy`. `forecast`, when given, holds
/// one forecast per test step (the forecast for step `test_start + i` at index `i`).
pub fn simulate(
    demand: &[f64],
    test: std::ops::Range<usize>,
    forecast: Option<&Forecast>,
    policy: &mut dyn Policy,
    cluster: &StepCluster,
) -> Result<Timeline, SimError> {
    let (t0, end) = (test.start, test.end);
    let d = cluster.delay_steps;
    if t0 >= end || end > demand.len() {
        return Err(SimError::TestPeriod {
            start: t0,
            end,
            len: demand.len(),
        });
    }
    if t0 < d + 1 {
        return Err(SimError::NoHistory {
            test_start: t0,
            need: d + 1,
        });
    }
    let n = end - t0;
    if let Some(f) = forecast {
        if f.len() != n {
            return Err(SimError::ForecastLength {
                have: f.len(),
                need: n,
            });
        }
    }

    // Observe → decide → step, from the first decision at t0 − d to the last test step.
    // Decision k is made at step t0 − d + k and sets the containers ready at t0 + k; in
    // the last d steps no decision is made and the target is held.
    let mut stepper = Stepper::new(cluster, d);
    for t in t0 - d..end {
        let k = t + d - t0;
        let target = (k < n).then(|| {
            stepper.decide(
                policy,
                &demand[..t],
                forecast.map(|f| f.at(k)),
                // The last observed step t − 1 is test step k − d − 1.
                forecast.and_then(|f| k.checked_sub(d + 1).map(|j| f.at(j))),
                &demand[t + d..end],
            )
        });
        stepper.step(target, demand[t]);
    }

    let (ledger, past) = stepper.finish();
    let test_steps = &past[d..];
    let unserved = ledger.missed[d..].to_vec();
    let slo = cluster.serving.slo_share;
    let violated = match cluster.serving.model.kind().measure() {
        SloMeasure::MinutesWithoutViolation => unserved.iter().map(|&u| u > 0.0).collect(),
        SloMeasure::RequestsInTime => ledger.within[d..]
            .iter()
            .zip(&unserved)
            .map(|(&within, &missed)| {
                let all = within + missed;
                all > 0.0 && within < slo * all - 1e-9
            })
            .collect(),
    };
    let tl = Timeline {
        demand: test_steps.iter().map(|o| o.demand).collect(),
        target: test_steps.iter().map(|o| o.target).collect(),
        ready: test_steps.iter().map(|o| o.ready).collect(),
        starting: test_steps.iter().map(|o| o.starting).collect(),
        within: ledger.within[d..].to_vec(),
        unserved,
        dropped: ledger.dropped[d..].to_vec(),
        backlog: test_steps.iter().map(|o| o.backlog).collect(),
        p99_s: ledger.p99_s[d..].to_vec(),
        violated,
        latency: ledger.latency,
        scaling_switches: past.iter().filter(|o| o.switched).count() as u64,
    };
    Ok(tl)
}

/// The observe → decide → step loop, one step at a time: [`simulate`] runs it over a
/// test period, `serve` at each tick of its clock (`crate::live`), so a live decision is
/// the simulator's for the same demand and forecasts (`docs/experiment.md`, Serving the
/// policy live). The policy sees what the cluster did as this cluster model served the
/// demand (the twin of the one it scales).
pub struct Stepper {
    cluster: StepCluster,
    state: Cluster,
    past: Vec<StepOutcome>,
}

impl Stepper {
    /// A cluster with no decision made yet, whose requests' latencies are kept from step
    /// `accounted_from` on (`usize::MAX`: none, for a loop without end).
    pub fn new(cluster: &StepCluster, accounted_from: usize) -> Self {
        Self {
            cluster: *cluster,
            state: Cluster::new(*cluster, accounted_from),
            past: Vec::new(),
        }
    }

    /// The target decided at step `t` = `history.len()` for `t + d`, clamped to the
    /// cluster's bounds: `policy` sees the demand of every step before `t`, what the
    /// cluster did in each step served so far, `forecast` (for `t + d`), `past_forecast`
    /// (the one made for `t − 1`) and, for a foresight policy, `future`.
    pub fn decide(
        &self,
        policy: &mut dyn Policy,
        history: &[f64],
        forecast: Option<PointForecast>,
        past_forecast: Option<PointForecast>,
        future: &[f64],
    ) -> u32 {
        let obs = Observation {
            history,
            past: &self.past,
            forecast,
            past_forecast,
            future,
            previous_target: self.state.last_target(),
        };
        self.cluster.clamp(policy.decide(&obs, &self.cluster))
    }

    /// Serves one step's `demand` under `target`, the decision made at the step
    /// (`None`: the last target held).
    pub fn step(&mut self, target: Option<u32>, demand: f64) {
        self.past.push(self.state.step(target, demand));
    }

    /// What the cluster did in each step served so far, oldest first.
    pub fn past(&self) -> &[StepOutcome] {
        &self.past
    }

    /// What became of every step's requests, and each step's outcome.
    pub fn finish(self) -> (Ledger, Vec<StepOutcome>) {
        (self.state.finish(), self.past)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Oracle, StaticN};

    /// Replays a fixed list of targets, one per decision.
    struct Scripted(Vec<i64>, usize);

    impl Policy for Scripted {
        fn decide(&mut self, _obs: &Observation, _cluster: &StepCluster) -> i64 {
            self.1 += 1;
            self.0[self.1 - 1]
        }
    }

    use crate::serving::test_cluster as cluster;

    #[test]
    fn hand_worked_scale_up_then_down() {
        // d = 2, capacity 10. Test steps 3..9 (6 steps); decisions at steps 1..6 set
        // R = [2, 5, 5, 3, 3, 1] for steps 3..8.
        let demand = [0., 0., 0., 15., 25., 45., 45., 35., 5.];
        let mut p = Scripted(vec![2, 5, 5, 3, 3, 1], 0);
        let tl = simulate(&demand, 3..9, None, &mut p, &cluster(2)).unwrap();
        // ready(m) = R(m − d): the decisions' targets in order.
        assert_eq!(tl.ready, vec![2, 5, 5, 3, 3, 1]);
        // Decision 1 (at step 2) launches 3, serving from step 4 (test index 1): they are
        // "starting" at step 2 and 3, so at test index 0 only. Nothing else launches.
        assert_eq!(tl.starting, vec![3, 0, 0, 0, 0, 0]);
        // Target at step m is the decision made at m: R[i + 2], held for the last 2.
        assert_eq!(tl.target, vec![5, 3, 3, 1, 1, 1]);
        // Served capacity [20, 50, 50, 30, 30, 10] vs demand [15, 25, 45, 45, 35, 5].
        assert_eq!(tl.unserved, vec![0., 0., 0., 15., 5., 0.]);
        // Switches: 2->5, 5->3, 3->1.
        assert_eq!(tl.scaling_switches, 3);
        // Billed container-steps: ready + starting = 2+3, 5, 5, 3, 3, 1 = 22.
        let billed: u32 = tl.ready.iter().zip(&tl.starting).map(|(r, s)| r + s).sum();
        assert_eq!(billed, 22);
    }

    #[test]
    fn launches_are_billed_from_launch_for_d_steps() {
        // d = 3; one scale-up of 4 at the third decision (step t0 − 1 = 4).
        let demand = [0.0; 10];
        let mut p = Scripted(vec![1, 1, 1, 5, 5], 0);
        let tl = simulate(&demand, 5..10, None, &mut p, &cluster(3)).unwrap();
        // Decision k=3 at step 5 (= t0): starting at steps 5, 6, 7 (indices 0..3),
        // ready from step 8 (index 3).
        assert_eq!(tl.ready, vec![1, 1, 1, 5, 5]);
        assert_eq!(tl.starting, vec![4, 4, 4, 0, 0]);
    }

    #[test]
    fn zero_delay_has_nothing_starting() {
        let demand = [1.0, 2.0, 30.0, 4.0];
        let mut p = Oracle::default();
        let tl = simulate(&demand, 1..4, None, &mut p, &cluster(0)).unwrap();
        assert_eq!(tl.ready, vec![1, 3, 1]);
        assert_eq!(tl.starting, vec![0, 0, 0]);
        assert_eq!(tl.unserved, vec![0.0; 3]);
    }

    #[test]
    fn static_two_costs_two_per_step() {
        let demand: Vec<f64> = (0..50).map(|i| (i * 7 % 40) as f64).collect();
        let tl = simulate(&demand, 10..50, None, &mut StaticN(2), &cluster(2)).unwrap();
        assert!(tl.ready.iter().all(|&r| r == 2));
        assert!(tl.starting.iter().all(|&s| s == 0));
        assert_eq!(tl.scaling_switches, 0);
    }

    #[test]
    fn oracle_never_violates() {
        let demand: Vec<f64> = (0..200).map(|i| ((i * 37) % 113) as f64 * 3.0).collect();
        let tl = simulate(&demand, 20..200, None, &mut Oracle::default(), &cluster(2)).unwrap();
        assert!(tl.unserved.iter().all(|&u| u == 0.0));
    }

    #[test]
    fn clamps_to_min_and_max() {
        let demand = [0.0; 8];
        let mut p = Scripted(vec![0, 500, -3, 7], 0);
        let c = StepCluster {
            max_replicas: 6,
            min_replicas: 2,
            ..cluster(1)
        };
        let tl = simulate(&demand, 4..8, None, &mut p, &c).unwrap();
        assert_eq!(tl.ready, vec![2, 6, 2, 6]);
    }

    #[test]
    fn rejects_missing_history_and_misaligned_forecasts() {
        let demand = [0.0; 10];
        assert_eq!(
            simulate(&demand, 2..10, None, &mut Oracle::default(), &cluster(2)),
            Err(SimError::NoHistory {
                test_start: 2,
                need: 3
            })
        );
        let f = Forecast {
            yhat: vec![0.0; 3],
            interval: None,
        };
        assert_eq!(
            simulate(
                &demand,
                5..10,
                Some(&f),
                &mut Oracle::default(),
                &cluster(2)
            ),
            Err(SimError::ForecastLength { have: 3, need: 5 })
        );
    }
}
