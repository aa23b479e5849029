//! Plain configuration structs for every stage, with the defaults of `docs/experiment.md`.
//!
//! clap types stop at the CLI edge (`cli.rs`); everything below the edge takes
//! these structs, which import nothing of the crate: every module may read them. Each field documents its unit and default, and each struct
//! has a hand-written `Default` so the numbers live in one place. Their valid ranges
//! and flags are the settings table's (`settings.rs`).

mod generate;
mod import;
mod model;
mod serving;
mod tolerances;

pub use generate::GenerateConfig;
pub use import::{
    duration_seconds, minutes, step_seconds, CountUnit, Format, ImportOptions, DEFAULT_MAX_GAP_MIN,
};
pub(crate) use import::{text, unit_seconds};
pub use model::{LstmConfig, LstmEngine, ModelConfig, RefitEvery};
pub use serving::{ServingConfig, ServingModel};
pub(crate) use tolerances::Tolerances;

/// Seconds in a day: every trace step divides it, so days hold whole steps.
pub const SECONDS_PER_DAY: u32 = 86_400;

/// The standard normal's 90th percentile.
const Z_90: f64 = 1.281_551_565_545;

/// The container model (`docs/experiment.md`), stated per minute.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// Requests one ready container serves per minute. Defaults to 50.
    pub capacity_per_min: f64,
    /// Seconds from launching a container until it serves. Defaults to 120.
    pub startup_delay_s: u32,
    /// Fewest containers the cluster may run. Defaults to 1.
    pub min_replicas: u32,
    /// Most containers the cluster may run. Defaults to 100.
    pub max_replicas: u32,
    /// How the ready containers serve requests, and the SLO.
    pub serving: ServingConfig,
    /// Spread of the startup delay: σ of a lognormal whose median is the startup delay,
    /// each launch drawing its own (seeded); policies plan with its 90th percentile.
    /// Defaults to 0, a constant delay.
    pub startup_spread: f64,
    /// Seconds between decisions where finer than the trace's step, each step's requests
    /// spread evenly over its ticks; 0, the default, decides at the trace's step.
    pub tick_seconds: u32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            capacity_per_min: 50.0,
            startup_delay_s: 120,
            min_replicas: 1,
            max_replicas: 100,
            serving: ServingConfig::default(),
            startup_spread: 0.0,
            tick_seconds: 0,
        }
    }
}

impl ClusterConfig {
    /// The startup delay in minutes (a fraction where it is not whole minutes).
    pub fn startup_delay_min(&self) -> f64 {
        f64::from(self.startup_delay_s) / 60.0
    }

    /// The startup delay policies plan with, in minutes: the delay, or with a spread
    /// its lognormal's 90th percentile, `d · e^(1.2816 σ)`.
    pub fn planned_delay_min(&self) -> f64 {
        self.startup_delay_min() * (Z_90 * self.startup_spread).exp()
    }
}

/// Knobs of the scaling policies (`docs/experiment.md`, Policies).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyConfig {
    /// Head-room over the forecast for `buffered`, `policy-aware` and `predictive-hpa`, as a
    /// fraction. Defaults to 0.15.
    pub buffer: f64,
    /// Target utilization of `reactive-hpa`. Defaults to 0.7.
    pub hpa_target_utilization: f64,
    /// Tolerance band of `reactive-hpa` around its target ratio. Defaults to 0.1.
    pub hpa_tolerance: f64,
    /// Scale-down stabilization window of `reactive-hpa`, `keda`, `predictive-hpa`,
    /// `slo-targeted` and `slo-feedback`, in minutes. Defaults to 5.
    pub hpa_stabilization_min: u32,
    /// Target utilization of `predictive-hpa`'s reactive side. Defaults to 0.8: measured
    /// on the default trace at a 2-minute delay (lstm forecasts, buffer 0.15, burst
    /// lookback 3), 0.7 only repeated reactive-hpa (3 violation minutes at 1.35× the
    /// optimum), 0.8 gave 8 at 1.23×, 0.9 gave 29 at 1.18×; see docs/experiment.md.
    pub predictive_hpa_target: f64,
    /// Coverage `confidence-aware` rescales the model's interval to (a sweep's knob);
    /// `None`, the default, takes the model's interval as trained.
    pub interval_width: Option<f64>,
    /// The coverage the models' intervals were trained for. Defaults to 0.8.
    pub trained_interval_width: f64,
    /// Minutes of history a burst's growth is measured over (`predictive-hpa`,
    /// `slo-targeted`); 0 switches burst awareness off. Defaults to 3.
    pub burst_lookback_min: u32,
    /// The metric the HPA policies scale on. Defaults to [`HpaMetric::Utilization`], what
    /// a Kubernetes HPA on CPU sees.
    pub hpa_metric: HpaMetric,
    /// How old the HPA's metrics are, in minutes: a decision at `t` reads step
    /// `t − 1 − lag`. Defaults to 1 (metrics-server's window and scrape and the
    /// controller's 15 s sync, `docs/experiment.md`).
    pub metrics_lag_min: u32,
    /// `knative-kpa`'s `stable-window`, seconds (its panic window is 10 % of it).
    /// Defaults to 60.
    pub kpa_window_s: u32,
    /// `knative-kpa`'s `scale-down-delay`, seconds: it keeps the highest count it
    /// decided within it. Defaults to 0, Knative's default.
    pub kpa_scale_down_delay_s: u32,
    /// The HPA controller's sync period, seconds: `reactive-hpa` decides once a sync
    /// (holding between syncs at steps finer than it) and its scale-up limit allows
    /// `max(2n, n + 4)` a sync. Defaults to 15 (`--horizontal-pod-autoscaler-sync-period`).
    pub hpa_sync_s: u32,
    /// `knative-kpa`'s target: the share of a pod's concurrency slots it aims to keep
    /// in flight (Knative's `container-concurrency-target-percentage` over 100).
    /// Defaults to 0.7.
    pub kpa_target: f64,
    /// γ of `slo-feedback`: how far one step's requests missing the deadline beyond its
    /// aim's share move its headroom, per step's worth of requests. Defaults to 0.1.
    pub feedback_gain: f64,
}

/// What the HPA policies measure (`docs/experiment.md`, reactive-hpa).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HpaMetric {
    /// The busy share of the ready containers' capacity, as CPU utilization: at most
    /// 100 %, containers not yet ready left out and, on a scale-up, counted at 0 %.
    Utilization,
    /// Arrivals per ready container against the target × capacity, as an ingress's
    /// requests-per-second metric: it sees beyond 100 %.
    Rps,
    /// The last step's true demand over the desired count, with no readiness: what no
    /// deployed HPA sees; the idealized baseline of earlier versions, kept to compare.
    Demand,
}

impl HpaMetric {
    /// Every metric, by its command-line name.
    pub const NAMES: &'static [&'static str] = &["utilization", "rps", "demand"];

    /// The metric named `name` (one of [`Self::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "utilization" => Some(Self::Utilization),
            "rps" => Some(Self::Rps),
            "demand" => Some(Self::Demand),
            _ => None,
        }
    }

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Utilization => "utilization",
            Self::Rps => "rps",
            Self::Demand => "demand",
        }
    }
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            buffer: 0.15,
            hpa_target_utilization: 0.7,
            hpa_tolerance: 0.1,
            hpa_stabilization_min: 5,
            predictive_hpa_target: 0.8,
            interval_width: None,
            trained_interval_width: 0.8,
            burst_lookback_min: 3,
            hpa_metric: HpaMetric::Utilization,
            metrics_lag_min: 1,
            feedback_gain: 0.1,
            kpa_target: 0.7,
            kpa_window_s: 60,
            kpa_scale_down_delay_s: 0,
            hpa_sync_s: 15,
        }
    }
}

/// How the trace is split into train and test (`docs/experiment.md`, Split).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitConfig {
    /// Length of the test period at the end of the trace, in days. Defaults to 3.
    pub test_days: f64,
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self { test_days: 3.0 }
    }
}

impl ClusterConfig {
    /// The default cluster served by the threshold rule (the serving model of earlier
    /// versions), for tests whose expected numbers come from it.
    pub fn threshold() -> Self {
        Self {
            serving: ServingConfig {
                model: ServingModel::THRESHOLD,
                ..ServingConfig::default()
            },
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_spec() {
        let c = ClusterConfig::default();
        assert_eq!(c.capacity_per_min, 50.0);
        assert_eq!(c.startup_delay_s, 120);
        assert_eq!((c.min_replicas, c.max_replicas), (1, 100));
        assert_eq!(PolicyConfig::default().buffer, 0.15);
        assert_eq!(SplitConfig::default().test_days, 3.0);
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        // README.md's policy and serving tables and docs/experiment.md, written out.
        let p = PolicyConfig::default();
        assert_eq!(p.hpa_target_utilization, 0.7);
        assert_eq!(p.hpa_tolerance, 0.1);
        assert_eq!(p.hpa_stabilization_min, 5);
        assert_eq!(p.hpa_sync_s, 15);
        assert_eq!(p.predictive_hpa_target, 0.8);
        assert_eq!(p.burst_lookback_min, 3);
        assert_eq!(p.metrics_lag_min, 1);
        assert_eq!(p.feedback_gain, 0.1);
        assert_eq!(p.kpa_target, 0.7);
        assert_eq!(p.kpa_window_s, 60);
        let s = ServingConfig::default();
        assert_eq!((s.slo_percent, s.confidence_percent), (90.0, 95.0));
        assert_eq!((s.timeout_s, s.service_cv, s.concurrency), (30.0, 1.0, 1));
        let m = ModelConfig::default();
        assert_eq!(m.validation_days, 7.0);
        assert_eq!(m.refit_every.as_minutes(), Some(360));
    }
}
