//! `knative-kpa`: Knative Serving's Pod Autoscaler, as knative/serving computes it
//! (`pkg/autoscaler/scaling/autoscaler.go`, `Scale`; defaults from
//! `config/core/configmaps/autoscaler.yaml`; `docs/experiment.md`, knative-kpa):
//!
//! - It scales on concurrency: the requests in flight (in service or queued at the
//!   queue-proxy; at zero pods, held by the activator) averaged over the stable window
//!   (`--kpa-window`, 60 s) and over the panic window (10 % of it, 6 s). Both read the serving model's
//!   [`StepOutcome::in_flight`] of the last steps that cover them (at least one).
//! - The target per pod is the container concurrency times the target percentage:
//!   `--concurrency` slots × `--kpa-target` (0.7), as a KServe predictor with
//!   `containerConcurrency` set.
//! - `dspc = ceil(stable / target)`, `dppc = ceil(panic / target)`, each kept within
//!   `[floor(ready / 2), ceil(1000 · ready)]` (max scale-down rate 2, max scale-up rate
//!   1000), with `ready` the ready pods, 1 where there are none.
//! - Panic begins when `dppc / ready ≥ 2` (200 %), is extended while that holds, and ends
//!   a stable window after it last held. While panicking it takes the larger of the two
//!   counts and never scales down (the highest count of the panic is kept).
//! - Scale to zero: a stable window without a request in flight gives `dspc = 0`, and
//!   the scale-down rate lets one pod go to zero; the grace period bounds network
//!   programming, not how long the last pod stays, and the pod retention period is 0, so
//!   nothing more waits. `--min-replicas` (Knative's min-scale) bounds it, 1 by default.
//! - `scale-down-delay` (`--kpa-scale-down-delay`, 0 as in Knative): the count is the
//!   highest decided within it (`delayWindow`).
//! - The first decision is the initial scale, 1.
//!
//! Knative decides every 2 s; here once per step, with its windows kept in seconds
//! (a 1-minute step averages one step for both windows; a 15-second step, four and one).

use super::{Input, Observation, Policy, PolicySpec};
use crate::cluster::StepOutcome;
use crate::config::PolicyConfig;
use crate::serving::StepCluster;

/// `panic-window-percentage`: the panic window as a share of the stable window.
const PANIC_WINDOW_SHARE: f64 = 0.10;
/// `panic-threshold-percentage` over 100.
const PANIC_THRESHOLD: f64 = 2.0;
/// `max-scale-up-rate`.
const MAX_SCALE_UP_RATE: f64 = 1000.0;
/// `max-scale-down-rate`.
const MAX_SCALE_DOWN_RATE: f64 = 2.0;
/// `initial-scale`.
const INITIAL_SCALE: i64 = 1;

/// The KPA's decider state.
#[derive(Debug, Clone, PartialEq)]
pub struct KnativeKpa {
    /// Target concurrency per pod: slots × target percentage.
    target: f64,
    /// `stable-window`, seconds (`--kpa-window`, 60).
    stable_window_s: u32,
    /// `scale-down-delay`, seconds (`--kpa-scale-down-delay`, 0: none): the count is the
    /// highest decided within it.
    scale_down_delay_s: u64,
    /// The counts decided within the scale-down delay, with when (seconds).
    delayed: std::collections::VecDeque<(u64, i64)>,
    /// When panic was last entered or extended, in seconds since the first step;
    /// `None` when not panicking.
    panic_since_s: Option<u64>,
    /// The highest count of the current panic.
    max_panic_pods: i64,
}

impl KnativeKpa {
    /// A KPA targeting `target_share` of `concurrency` slots per pod.
    pub fn new(concurrency: u32, target_share: f64) -> Self {
        // Stated in whole millionths, as Knative states a percentage: 10 slots at 0.7
        // target exactly 7 (10 × 0.7 is 7 only by a rounding tie).
        let millionths = (target_share * 1e6).round();
        Self {
            target: f64::from(concurrency.max(1)) * millionths / 1e6,
            stable_window_s: 60,
            scale_down_delay_s: 0,
            delayed: std::collections::VecDeque::new(),
            panic_since_s: None,
            max_panic_pods: 0,
        }
    }

    /// The same KPA with a `stable-window` of `stable_s` seconds (its panic window 10 %
    /// of it) and a `scale-down-delay` of `delay_s` seconds.
    pub fn with_windows(self, stable_s: u32, delay_s: u32) -> Self {
        Self {
            stable_window_s: stable_s.max(1),
            scale_down_delay_s: u64::from(delay_s),
            ..self
        }
    }

    /// The scale-down delay (`delayWindow` in `Scale`): the highest count decided in the
    /// last `scale-down-delay` seconds, this one included.
    fn delay(&mut self, now_s: u64, desired: i64) -> i64 {
        if self.scale_down_delay_s == 0 {
            return desired;
        }
        while let Some(&(at, _)) = self.delayed.front() {
            if at + self.scale_down_delay_s > now_s {
                break;
            }
            self.delayed.pop_front();
        }
        self.delayed.push_back((now_s, desired));
        self.delayed.iter().map(|d| d.1).max().expect("just pushed")
    }

    /// Whether it is panicking.
    pub fn panicking(&self) -> bool {
        self.panic_since_s.is_some()
    }
}

/// The mean in-flight count of the last `steps` steps (all there are, if fewer).
fn window_mean(past: &[StepOutcome], steps: usize) -> f64 {
    let w = &past[past.len().saturating_sub(steps.max(1))..];
    w.iter().map(|o| o.in_flight).sum::<f64>() / w.len() as f64
}

impl Policy for KnativeKpa {
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let Some(last) = obs.past.last() else {
            return INITIAL_SCALE;
        };
        let now_s = obs.now_s(cluster);
        let panic_window_s = (f64::from(self.stable_window_s) * PANIC_WINDOW_SHARE).round() as u32;
        let stable = window_mean(obs.past, cluster.steps_of_s(self.stable_window_s));
        let panic = window_mean(obs.past, cluster.steps_of_s(panic_window_s.max(1)));

        let ready = f64::from(last.ready.max(1));
        let max_up = (MAX_SCALE_UP_RATE * ready).ceil();
        let max_down = (ready / MAX_SCALE_DOWN_RATE).floor();
        let dspc = (stable / self.target).ceil();
        let dppc = (panic / self.target).ceil();
        let desired_stable = dspc.max(max_down).min(max_up) as i64;
        let desired_panic = dppc.max(max_down).min(max_up) as i64;

        let over = dppc / ready >= PANIC_THRESHOLD;
        match self.panic_since_s {
            _ if over => self.panic_since_s = Some(now_s),
            Some(since) if since + u64::from(self.stable_window_s) < now_s => {
                self.panic_since_s = None;
                self.max_panic_pods = 0;
            }
            _ => {}
        }
        let desired = if self.panicking() {
            // No scale-down while panicking: the highest count of the panic holds.
            self.max_panic_pods = self.max_panic_pods.max(desired_stable.max(desired_panic));
            self.max_panic_pods
        } else {
            desired_stable
        };
        self.delay(now_s, desired)
    }
}

/// The registry entry.
pub(super) const SPEC: PolicySpec = PolicySpec {
    name: "knative-kpa",
    about: "Knative's KPA on in-flight requests: a --kpa-window stable window (60 s) and a panic window a tenth of it, --kpa-target of --concurrency per pod, scales to zero at --min-replicas 0.",
    input: Input::History,
    build: |cfg: &PolicyConfig, ctx| {
        Box::new(
            KnativeKpa::new(ctx.cluster.serving.concurrency, cfg.kpa_target)
                .with_windows(cfg.kpa_window_s, cfg.kpa_scale_down_delay_s),
        )
    },
    knob: Some(&crate::settings::KPA_TARGET),
    // Not monotone: at a high target the reactive loop overshoots (the backtests'
    // cost rose with the target on the elb trace).
    knob_rises: None,
    tune: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClusterConfig;

    /// A step that had `ready` pods and `in_flight` requests in flight on average.
    fn step(ready: u32, in_flight: f64) -> StepOutcome {
        StepOutcome {
            demand: 0.0,
            target: ready,
            ready,
            starting: 0,
            served: 0.0,
            backlog: 0.0,
            in_flight,
            settled: (0.0, 0.0),
            switched: false,
        }
    }

    /// Runs the KPA over `past` one step at a time (each decision sees the steps before
    /// it), on a cluster of `step_s`-second steps; the decisions, the first included.
    fn run(kpa: &mut KnativeKpa, past: &[StepOutcome], step_s: u32) -> Vec<i64> {
        let cluster = ClusterConfig::default().at_step(step_s);
        let history = vec![0.0; past.len()];
        (0..=past.len())
            .map(|t| {
                let obs = Observation {
                    history: &history[..t],
                    past: &past[..t],
                    forecast: None,
                    past_forecast: None,
                    future: &[],
                    previous_target: None,
                };
                kpa.decide(&obs, &cluster)
            })
            .collect()
    }

    #[test]
    fn the_first_decision_is_the_initial_scale() {
        assert_eq!(run(&mut KnativeKpa::new(1, 0.7), &[], 15), vec![1]);
    }

    #[test]
    fn constant_load_settles_at_its_ceiling_over_the_target() {
        // 10 slots × 0.7 = 7 per pod; 30 in flight on 5 pods: ceil(30 / 7) = 5 (4.29 up).
        // The panic count is the same, 5 / 5 < 2: stable.
        let mut kpa = KnativeKpa::new(10, 0.7);
        let past = vec![step(5, 30.0); 8];
        let got = run(&mut kpa, &past, 15);
        assert_eq!(&got[1..], &[5; 8]);
        assert!(!kpa.panicking());
    }

    #[test]
    fn a_step_to_five_times_the_load_panics_at_once_and_scales_in_one_tick() {
        // 15-second steps: the stable window is 4 steps, the panic window (6 s) 1 step.
        // 7 in flight on 1 pod (target 7), then 35: the panic window sees 35 / 7 = 5
        // pods, 5 / 1 ≥ 2: panic, and the decision asks for 5 at once, where the stable
        // window's mean (7 + 7 + 7 + 35) / 4 = 14 alone would ask for 2.
        let mut kpa = KnativeKpa::new(10, 0.7);
        let mut past = vec![step(1, 7.0); 4];
        past.push(step(1, 35.0));
        let got = run(&mut kpa, &past, 15);
        assert_eq!(got[4], 1);
        assert_eq!(got[5], 5);
        assert!(kpa.panicking());
    }

    #[test]
    fn panic_never_scales_down_and_ends_a_stable_window_after_it_last_held() {
        // Panic at step 1 (70 in flight on 1 pod: 10 pods, 10 ≥ 2); then the load falls
        // to 14 on 10 pods: the panic window asks for 2, the stable window for 6, 5, 4
        // as the 70 leaves it, but no scale-down while panicking. The last
        // over-threshold reading was at 15 s (decision 1); panic ends once 60 s have
        // passed since it, strictly: at 90 s (decision 6), whose count is the stable
        // one, 2, not below half the ready pods (floor(10 / 2) = 5 bounds it: 5).
        let mut kpa = KnativeKpa::new(10, 0.7);
        let mut past = vec![step(1, 70.0)];
        past.extend(vec![step(10, 14.0); 6]);
        let got = run(&mut kpa, &past, 15);
        assert_eq!(got, vec![1, 10, 10, 10, 10, 10, 5, 5]);
        assert!(!kpa.panicking());
    }

    #[test]
    fn a_scale_down_delay_holds_the_highest_count_it_saw() {
        // 15-second steps, a 60 s scale-down delay: 35 in flight on 5 pods, then 7 on 5.
        // Without the delay the stable window's mean is 35, 21, 16.3, 14, 7, 7: counts 5,
        // 3, 3, 2, 1, 1, the last two raised to floor(5 / 2) = 2. With it, each count is
        // the highest decided in the last 60 s: the 5 of 15 s holds through 60 s and
        // leaves at 75 s (15 + 60 is not after 75), the 3 of 30 s at 90 s.
        let mut kpa = KnativeKpa::new(10, 0.7).with_windows(60, 60);
        let mut past = vec![step(5, 35.0)];
        past.extend(vec![step(5, 7.0); 5]);
        let got = run(&mut kpa, &past, 15);
        let mut plain = KnativeKpa::new(10, 0.7);
        assert_eq!(run(&mut plain, &past, 15), vec![1, 5, 3, 3, 2, 2, 2]);
        assert_eq!(got, vec![1, 5, 5, 5, 5, 3, 3]);
    }

    #[test]
    fn scale_down_at_most_halves_the_ready_pods_per_decision() {
        // 8 ready pods, nothing in flight: floor(8 / 2) = 4, then 2 on 4, 1 on 2, and 0
        // on 1 (floor(1 / 2) = 0): to zero once a whole stable window saw no traffic.
        let mut kpa = KnativeKpa::new(1, 0.7);
        let past = [step(8, 0.0), step(4, 0.0), step(2, 0.0), step(1, 0.0)];
        assert_eq!(run(&mut kpa, &past, 60), vec![1, 4, 2, 1, 0]);
    }

    #[test]
    fn no_traffic_for_a_stable_window_goes_to_zero_and_any_traffic_keeps_a_pod() {
        // 15-second steps, 1 pod: a request in flight in any of the last 4 steps keeps
        // the stable mean above zero (ceil of a positive share is 1).
        let mut kpa = KnativeKpa::new(1, 0.7);
        let mut past = vec![step(1, 0.2)];
        past.extend(vec![step(1, 0.0); 4]);
        let got = run(&mut kpa, &past, 15);
        assert_eq!(got, vec![1, 1, 1, 1, 1, 0]);
        // At zero pods the activator's queue is the concurrency: one held request asks
        // for a pod (ready counts as 1).
        let mut kpa = KnativeKpa::new(1, 0.7);
        assert_eq!(run(&mut kpa, &[step(0, 0.5)], 15), vec![1, 1]);
    }
}
