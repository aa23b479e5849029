//! The cluster as state: the containers serving, starting and scheduled to leave, stepped
//! once per trace step by the simulator (`docs/experiment.md`, The cluster model).
//!
//! A decision at step `t` sets `R(t)`, the containers ready at `t + d`. A scale-up
//! launches `R(t) − R(t−1)` containers at `t`, billed from `t`; a scale-down removes
//! `R(t−1) − R(t)` at `t + d`. The cluster keeps the last `d` decisions in a pipeline, so
//! `ready(m) = R(m − d)` and the containers starting at `m` are those launched by the
//! decisions in `(m − d, m]`. The ready containers serve each step by the configured
//! serving model ([`crate::serving`]), whose state (a backlog) carries from step to
//! step. Pure: no clock; the only randomness is the `requests` model's, from its seed.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal};

use crate::serving::StepCluster;
use crate::serving::{self, Ledger, Server};

/// What one step did: what was asked of the cluster and how it answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// Demand that arrived in the step, in requests.
    pub demand: f64,
    /// The target the step's decision set (for `d` steps later), or the one held.
    pub target: u32,
    /// Containers serving in the step.
    pub ready: u32,
    /// Containers launched but not serving yet (billed).
    pub starting: u32,
    /// Work done in the step, in requests: at most ready × capacity, so its share of
    /// that is the containers' busy share (what CPU utilization shows).
    pub served: f64,
    /// Requests waiting for a free slot at the step's end.
    pub backlog: f64,
    /// Requests in flight on average over the step, in service or waiting: busy slots
    /// (the work done times the mean service time, over the step) plus the mean of the
    /// backlog at the step's start and end. What Knative's queue-proxies (and, at zero
    /// containers, its activator) report as concurrency (`docs/experiment.md`,
    /// knative-kpa).
    pub in_flight: f64,
    /// Requests settled in the step: within the deadline, and the rest (late or
    /// dropped), whatever step they arrived in (what a latency histogram shows).
    pub settled: (f64, f64),
    /// Whether the decision changed the target (never for a held target).
    pub switched: bool,
}

/// The containers: ready, starting (each with the step it becomes ready), and the
/// removals decided but not yet due.
#[derive(Debug)]
pub struct Cluster {
    config: StepCluster,
    /// Steps simulated so far.
    now: usize,
    /// The target of the last decision.
    last_target: Option<u32>,
    /// Containers serving now.
    ready: u32,
    /// The step each starting container becomes ready at.
    starting: Vec<usize>,
    /// Removals decided: when they are due, how many.
    removals: VecDeque<(usize, u32)>,
    /// Draws each launch's startup delay (`--startup-spread` above 0).
    delays: Option<(StdRng, LogNormal<f64>)>,
    /// How they serve, and what waits.
    server: Box<dyn Server>,
    /// Requests waiting at the end of the last step.
    backlog: f64,
}

impl Cluster {
    /// A cluster with no decision made yet: its first target is taken as already
    /// running, with nothing starting (`docs/experiment.md`). Latencies are kept from
    /// step `accounted_from` on.
    pub fn new(config: StepCluster, accounted_from: usize) -> Self {
        let delays = (config.startup_spread > 0.0).then(|| {
            (
                StdRng::seed_from_u64(config.serving.seed ^ STARTUP_SEED),
                LogNormal::new(
                    // The median in minutes, as the draws were made before delays were
                    // stated in seconds (the same draws, bit for bit).
                    (f64::from(config.startup_delay_s.max(1)) / 60.0).ln(),
                    config.startup_spread,
                )
                .expect("a positive spread"),
            )
        });
        Self {
            config,
            now: 0,
            last_target: None,
            ready: 0,
            starting: Vec::new(),
            removals: VecDeque::new(),
            delays,
            server: serving::server(&config, accounted_from),
            backlog: 0.0,
        }
    }

    /// What became of every step's requests, once the last step is served.
    pub fn finish(self) -> Ledger {
        self.server.finish()
    }

    /// The target of the last decision, `None` before the first.
    pub fn last_target(&self) -> Option<u32> {
        self.last_target
    }

    /// Steps one launch takes to become ready: the delay `d`, or with a spread its own
    /// draw from the lognormal around the startup delay, rounded up to whole steps.
    fn launch_delay(&mut self) -> usize {
        match &mut self.delays {
            None => self.config.delay_steps,
            Some((rng, dist)) => {
                let minutes = if self.config.startup_delay_s == 0 {
                    0.0
                } else {
                    dist.sample(rng)
                };
                (60.0 * minutes / f64::from(self.config.step_seconds)).ceil() as usize
            }
        }
    }

    /// Serves one step: `target` (already clamped) is the decision made at this step,
    /// `None` holds the last target without a decision; `demand` is what arrives.
    pub fn step(&mut self, target: Option<u32>, demand: f64) -> StepOutcome {
        let now = self.now;
        self.now += 1;
        let held = target.is_none();
        let target = target
            .or(self.last_target)
            .unwrap_or(self.config.min_replicas);
        let previous = match self.last_target {
            // The first target runs already.
            None => {
                self.ready = target;
                target
            }
            Some(p) => p,
        };
        self.last_target = Some(target);
        // A rise launches now; a fall removes `d` steps later.
        for _ in previous..target {
            let ready_at = now + self.launch_delay();
            self.starting.push(ready_at);
        }
        if target < previous {
            self.removals
                .push_back((now + self.config.delay_steps, previous - target));
        }
        // What is due now: launches that are ready, then removals (of ready containers,
        // as the constant-delay model has it; of starting ones, the latest first, only
        // where too few are ready, which a spread delay can cause).
        let before = self.starting.len();
        self.starting.retain(|&at| at > now);
        self.ready += (before - self.starting.len()) as u32;
        while let Some(&(at, count)) = self.removals.front() {
            if at > now {
                break;
            }
            self.removals.pop_front();
            let from_ready = count.min(self.ready);
            self.ready -= from_ready;
            let cancelled = ((count - from_ready) as usize).min(self.starting.len());
            if cancelled > 0 {
                self.starting.sort_unstable();
                self.starting.truncate(self.starting.len() - cancelled);
            }
        }
        let service = self.server.serve(self.ready, demand);
        let busy = service.served * self.config.serving.service.mean_s / self.config.serving.step_s;
        let in_flight = match busy + (self.backlog + service.backlog) / 2.0 {
            // The fluid queue drains toward zero without reaching it: its residue is no
            // request in flight (a scaler counts whole requests).
            x if x < IN_FLIGHT_RESIDUE => 0.0,
            x => x,
        };
        self.backlog = service.backlog;
        StepOutcome {
            demand,
            target,
            ready: self.ready,
            starting: self.starting.len() as u32,
            served: service.served,
            backlog: service.backlog,
            in_flight,
            settled: service.settled,
            switched: !held && target != previous,
        }
    }
}

/// Fewer requests in flight than this, on average over a step, are none: a millionth of
/// a request is what the fluid queue leaves as it drains, not a request.
const IN_FLIGHT_RESIDUE: f64 = 1e-6;

/// Mixed into the seed for the startup delays' draws, so they do not repeat the
/// request model's.
const STARTUP_SEED: u64 = 0x5eed_c01d;

#[cfg(test)]
mod tests {
    use super::*;

    use crate::serving::test_cluster as config;

    #[test]
    fn a_launch_starts_for_d_steps_and_a_removal_waits_d_steps() {
        // d = 2: decisions 2, 5, 3, then held. The 3 launched at the second decision
        // start for 2 steps and serve from the fourth; the removal of 2 takes effect
        // 2 steps after it was decided.
        let mut c = Cluster::new(config(2), 0);
        let got: Vec<(u32, u32, bool)> = [Some(2), Some(5), Some(3), None, None, None]
            .into_iter()
            .map(|t| {
                let o = c.step(t, 0.0);
                (o.ready, o.starting, o.switched)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (2, 0, false),
                (2, 3, true),
                (2, 3, true),
                (5, 0, false),
                (3, 0, false),
                (3, 0, false)
            ]
        );
    }

    #[test]
    fn serves_up_to_ready_capacity() {
        let mut c = Cluster::new(config(0), 0);
        let o = c.step(Some(3), 45.0);
        // 3 × 10 served, 15 left over (dropped: the threshold rule keeps no backlog).
        assert_eq!((o.ready, o.served, o.backlog), (3, 30.0, 0.0));
        let o = c.step(Some(4), 10.0);
        assert_eq!(o.served, 10.0);
        let ledger = c.finish();
        assert_eq!(ledger.dropped, vec![15.0, 0.0]);
        assert_eq!(ledger.within, vec![30.0, 10.0]);
    }

    #[test]
    fn a_spread_delay_draws_each_launch_and_plans_with_its_90th_percentile() {
        use crate::config::ClusterConfig;
        // σ = 0.5 around 4 minutes: the 90th percentile is 4 · e^(0.5 · 1.2816) = 7.59
        // minutes, 8 steps to plan with.
        let c = ClusterConfig {
            startup_delay_s: 240,
            startup_spread: 0.5,
            ..ClusterConfig::threshold()
        };
        assert!((c.planned_delay_min() - 4.0 * (0.5f64 * 1.281_551_565_545).exp()).abs() < 1e-12);
        let step = c.at_step(60);
        assert_eq!(step.delay_steps, 8);
        // 200 launches at once: each becomes ready after its own delay, whose median is
        // 4 minutes: about half are ready after 4 steps, 90 % after 8.
        let mut cl = Cluster::new(step, 0);
        cl.step(Some(1), 0.0);
        let mut ready = Vec::new();
        ready.push(cl.step(Some(201), 0.0).ready);
        for _ in 0..20 {
            ready.push(cl.step(None, 0.0).ready);
        }
        let share = |k: usize| f64::from(ready[k] - 1) / 200.0;
        assert!((0.35..0.65).contains(&share(4)), "{ready:?}");
        assert!((0.82..0.97).contains(&share(8)), "{ready:?}");
        assert_eq!(ready[20], 201, "{ready:?}");
        // The same seed draws the same delays.
        let mut again = Cluster::new(step, 0);
        again.step(Some(1), 0.0);
        assert_eq!(again.step(Some(201), 0.0).ready, ready[0]);
    }
}
