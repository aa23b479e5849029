//! The cluster as state: the containers serving, starting and scheduled to leave, stepped
//! once per trace step by the simulator (`docs/experiment.md`, The cluster model).
//!
//! A decision at step `t` sets `R(t)`, the containers ready at `t + d`. A scale-up
//! launches `R(t) − R(t−1)` containers at `t`, billed from `t`; a scale-down removes
//! `R(t−1) − R(t)` at `t + d`. The cluster keeps the last `d` decisions in a pipeline, so
//! `ready(m) = R(m − d)` and the containers starting at `m` are those launched by the
//! decisions in `(m − d, m]`. Serving follows [`StepCluster::unserved`], the one serving
//! rule that the optimum, `slo-targeted`'s calibration and the metrics share. Pure: no
//! clock, no randomness.

use std::collections::VecDeque;

use crate::config::StepCluster;

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
    /// Requests served in the step.
    pub served: f64,
    /// Requests beyond the ready capacity.
    pub unserved: f64,
    /// Whether the decision changed the target (never for a held target).
    pub switched: bool,
}

/// One decision still in the pipeline: the target it set and what it launched.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pending {
    target: u32,
    launched: u32,
}

/// The containers: ready, starting, and the decisions whose targets are not serving yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    config: StepCluster,
    /// The last `d` decisions, oldest first.
    pipeline: VecDeque<Pending>,
    /// The target of the last decision.
    last_target: Option<u32>,
    /// Containers serving now.
    ready: u32,
}

impl Cluster {
    /// A cluster with no decision made yet: its first target is taken as already
    /// running, with nothing starting (`docs/experiment.md`).
    pub fn new(config: StepCluster) -> Self {
        Self {
            config,
            pipeline: VecDeque::with_capacity(config.delay_steps + 1),
            last_target: None,
            ready: 0,
        }
    }

    /// The target of the last decision, `None` before the first.
    pub fn last_target(&self) -> Option<u32> {
        self.last_target
    }

    /// Serves one step: `target` (already clamped) is the decision made at this step,
    /// `None` holds the last target without a decision; `demand` is what arrives.
    pub fn step(&mut self, target: Option<u32>, demand: f64) -> StepOutcome {
        let held = target.is_none();
        let target = target
            .or(self.last_target)
            .unwrap_or(self.config.min_replicas);
        if self.last_target.is_none() {
            // The first target runs already: the pipeline is full of it.
            self.ready = target;
            self.pipeline.extend(std::iter::repeat_n(
                Pending {
                    target,
                    launched: 0,
                },
                self.config.delay_steps,
            ));
        }
        let previous = self.last_target.unwrap_or(target);
        self.pipeline.push_back(Pending {
            target,
            launched: target.saturating_sub(previous),
        });
        self.last_target = Some(target);
        if self.pipeline.len() > self.config.delay_steps {
            let due = self.pipeline.pop_front().expect("longer than d ≥ 0");
            self.ready = due.target;
        }
        let starting = self.pipeline.iter().map(|p| p.launched).sum();
        let unserved = self.config.unserved(self.ready, demand);
        StepOutcome {
            demand,
            target,
            ready: self.ready,
            starting,
            served: demand - unserved,
            unserved,
            switched: !held && target != previous,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_cluster as config;

    #[test]
    fn a_launch_starts_for_d_steps_and_a_removal_waits_d_steps() {
        // d = 2: decisions 2, 5, 3, then held. The 3 launched at the second decision
        // start for 2 steps and serve from the fourth; the removal of 2 takes effect
        // 2 steps after it was decided.
        let mut c = Cluster::new(config(2));
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
        let mut c = Cluster::new(config(0));
        let o = c.step(Some(3), 45.0);
        // 3 × 10 served, 15 left over.
        assert_eq!((o.ready, o.served, o.unserved), (3, 30.0, 15.0));
        let o = c.step(Some(4), 10.0);
        assert_eq!((o.served, o.unserved), (10.0, 0.0));
    }
}
