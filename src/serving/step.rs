//! The cluster at the trace's step: capacity per step, the startup delay in steps and
//! the serving settings resolved (`docs/experiment.md`, Trace). The serving models and
//! the policies compute with it.

use super::Serving;
use crate::config::ClusterConfig;

impl ClusterConfig {
    /// The same cluster in units of the trace's step (`step_seconds`): capacity per step
    /// and the (planned) startup delay rounded up to whole steps (`docs/experiment.md`,
    /// Trace).
    pub fn at_step(&self, step_seconds: u32) -> StepCluster {
        let step_s = step_seconds.max(1);
        let delay_steps = if self.startup_spread > 0.0 {
            (60.0 * self.planned_delay_min() / f64::from(step_s)).ceil() as usize
        } else {
            self.startup_delay_s.div_ceil(step_s) as usize
        };
        StepCluster {
            capacity_per_step: self.capacity_per_min * (f64::from(step_s) / 60.0),
            delay_steps,
            startup_delay_s: self.startup_delay_s,
            startup_spread: self.startup_spread,
            min_replicas: self.min_replicas,
            max_replicas: self.max_replicas,
            step_seconds,
            serving: self.serving.at_step(self.capacity_per_min, step_s),
        }
    }
}

/// The cluster in trace steps: what the simulator and the policies work in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepCluster {
    /// Requests one ready container serves in one step.
    pub capacity_per_step: f64,
    /// Steps from launch until a container serves as policies plan it (the startup
    /// delay `d`, or its 90th percentile where it is spread).
    pub delay_steps: usize,
    /// The startup delay, seconds (the median of each launch's own where spread).
    pub startup_delay_s: u32,
    /// σ of the lognormal each launch's delay is drawn from; 0: every launch takes `d`.
    pub startup_spread: f64,
    /// Fewest containers.
    pub min_replicas: u32,
    /// Most containers.
    pub max_replicas: u32,
    /// Seconds in one step.
    pub step_seconds: u32,
    /// How the ready containers serve, at this step.
    pub serving: Serving,
}

impl StepCluster {
    /// Whole steps in a day (as [`crate::trace::Trace::steps_per_day`] counts them).
    pub fn steps_per_day(&self) -> usize {
        (crate::config::SECONDS_PER_DAY / self.step_seconds.max(1)) as usize
    }

    /// Steps that cover `minutes`, rounded up (a metrics lag, a window).
    pub fn steps_of(&self, minutes: u32) -> usize {
        self.steps_of_s(60 * minutes)
    }

    /// Steps that cover `seconds`, rounded up (a scaler's window or period).
    pub fn steps_of_s(&self, seconds: u32) -> usize {
        seconds.div_ceil(self.step_seconds.max(1)) as usize
    }

    /// The step in minutes (a fraction below one minute): container-steps times it are
    /// container-minutes.
    pub fn step_min(&self) -> f64 {
        f64::from(self.step_seconds) / 60.0
    }

    /// The cluster for runs read only for what they attain and cost: its servers keep
    /// no latencies ([`super::Serving::latencies`]), which is most of a fluid step's
    /// work besides the queue itself; the attainment, the costs and every decision are
    /// the same bits as with them.
    pub fn attainment_only(mut self) -> Self {
        self.serving.latencies = false;
        self
    }

    /// The cluster with its servers keeping latencies: what a run's settings are, for a
    /// cache of what does not depend on them.
    pub fn with_latencies(mut self) -> Self {
        self.serving.latencies = true;
        self
    }

    /// Clamps a target into `[min_replicas, max_replicas]`.
    pub fn clamp(&self, target: i64) -> u32 {
        target.clamp(i64::from(self.min_replicas), i64::from(self.max_replicas)) as u32
    }

    /// Containers needed to serve `demand` requests in one step, before clamping: the
    /// smallest `r` with `demand ≤ r × capacity`, the threshold rule's test of a served
    /// step, so no rounding in the division can make a "sufficient" target violate or ask
    /// for one container too many. Negative or non-finite demand needs none.
    pub fn containers_for(&self, demand: f64) -> i64 {
        if !(demand.is_finite() && demand > 0.0) {
            return 0;
        }
        let cap = self.capacity_per_step;
        let mut r = (demand / cap).ceil().max(1.0);
        // From 2^53 a float's neighbours are more than one apart, so r - 1 can round back
        // to r and the loops below would not end; 2^52 keeps a margin. r is whole there
        // already (far beyond any cluster; the caller clamps it).
        if r >= 4_503_599_627_370_496.0 {
            return r.min(i64::MAX as f64) as i64;
        }
        // The division is correctly rounded, so these move r by one step at most.
        while r > 1.0 && !self.falls_short(r - 1.0, demand) {
            r -= 1.0;
        }
        while self.falls_short(r, demand) {
            r += 1.0;
        }
        r as i64
    }

    /// The threshold rule: requests of `demand` that `ready` containers cannot serve in
    /// one step, `max(0, demand − ready × capacity)`. The `threshold` serving model, its
    /// per-step need ([`Self::containers_for`]) and `slo-targeted`'s calibration under it
    /// apply it.
    pub fn unserved(&self, ready: u32, demand: f64) -> f64 {
        (demand - f64::from(ready) * self.capacity_per_step).max(0.0)
    }

    /// Whether `ready` containers (a whole number, as f64) leave part of `demand`
    /// unserved: [`Self::unserved`] above zero, which for finite values is exactly
    /// `demand > ready × capacity`.
    fn falls_short(&self, ready: f64, demand: f64) -> bool {
        demand > ready * self.capacity_per_step
    }
}

/// The cluster of the simulator's hand-worked tests: 10 requests per container and
/// minute, `d` minutes to start, 1 to 100 containers, 1-minute steps, served by the
/// threshold rule.
#[cfg(test)]
pub(crate) fn test_cluster(d: u32) -> StepCluster {
    ClusterConfig {
        capacity_per_min: 10.0,
        startup_delay_s: 60 * d,
        ..ClusterConfig::threshold()
    }
    .at_step(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_step_scales_capacity_and_rounds_delay_up() {
        let c = ClusterConfig::default();
        let s = c.at_step(300);
        // 50 req/min × 5 min; a 2-minute delay is one whole 5-minute step.
        assert_eq!(s.capacity_per_step, 250.0);
        assert_eq!(s.delay_steps, 1);
        assert_eq!(c.at_step(60).delay_steps, 2);
        let c3 = ClusterConfig {
            startup_delay_s: 31 * 60,
            ..c.clone()
        };
        assert_eq!(c3.at_step(1800).delay_steps, 2);
        // A delay of seconds: 90 s is six 15-second steps, two 1-minute steps.
        let c90 = ClusterConfig {
            startup_delay_s: 90,
            ..c.clone()
        };
        assert_eq!(c90.at_step(15).delay_steps, 6);
        assert_eq!(c90.at_step(60).delay_steps, 2);
        // 15 s a step at 50 a minute: 12.5 requests.
        assert_eq!(c.at_step(15).capacity_per_step, 12.5);
    }

    #[test]
    fn containers_for_is_a_ceiling() {
        let s = ClusterConfig::default().at_step(60);
        assert_eq!(s.containers_for(100.0), 2);
        // Demand beyond any cluster returns (it once looped forever where r - 1 is r):
        // 1e18 / 50 = 2e16, whole; 1e300 saturates.
        assert_eq!(s.containers_for(1e18), 20_000_000_000_000_000);
        assert_eq!(s.containers_for(1e300), i64::MAX);
        assert_eq!(s.containers_for(100.5), 3);
        // Just above a multiple needs one more: the simulator counts 100.00000001
        // requests on 2 × 50 as a violation (the old 1e-9 slack said 2).
        assert_eq!(s.containers_for(100.000_000_01), 3);
        // 175 / 0.7 is 250.00000000000003 in floating point: demand above 250 needs 6
        // (which is why reactive-hpa never divides by 0.7).
        assert_eq!(s.containers_for(175.0 / 0.7), 6);
        // A capacity that is no binary fraction: 0.3 × 3 = 0.8999999999999999 < 0.9,
        // so 0.9 requests need 4 containers of 0.3 in the simulator's arithmetic.
        let tenth = ClusterConfig {
            capacity_per_min: 0.3,
            ..ClusterConfig::default()
        }
        .at_step(60);
        assert_eq!(tenth.containers_for(0.9), 4);
        assert_eq!(s.containers_for(0.0), 0);
        assert_eq!(s.containers_for(-4.0), 0);
        assert_eq!(s.clamp(0), 1);
        assert_eq!(s.clamp(1000), 100);
    }
}
