//! How the ready containers serve a step's requests: the serving models
//! (`docs/experiment.md`, Serving).
//!
//! - `threshold`: a step is served when its requests fit the ready capacity; the excess
//!   is dropped and nothing carries over (the model of earlier versions, kept to compare).
//! - `queue` (the default): a FIFO backlog carried from step to step, requests that wait
//!   longer than the timeout dropped, latency against a deadline; the queue length follows
//!   a pointwise-stationary fluid approximation of a multi-server queue ([`fluid`]).
//! - `requests`: the same world request by request, a seeded discrete-event simulation
//!   ([`des`]): the ground truth the fluid model is checked against.
//!
//! A [`Server`] serves one step at a time and reports what a deployed autoscaler could
//! measure at once (work done, backlog); what became of each step's requests (within
//! the deadline, dropped, their latency) is kept in a [`Ledger`] by arrival step, as a
//! request that arrives in one step may finish in a later one. Pure: the only randomness
//! is the discrete-event model's, from the configured seed.

pub(crate) mod des;
mod erlang;
pub(crate) mod fluid;
mod latency;
mod service;
mod step;
mod threshold;

pub use erlang::erlang_c;
pub use latency::Latencies;
pub(crate) use service::{normal_quantile, ServiceTime};
#[cfg(test)]
pub(crate) use step::test_cluster;
pub use step::StepCluster;

use crate::config::{ServingConfig, ServingModel};

/// The automatic deadline, in mean service times.
pub const AUTO_DEADLINE_SERVICE_TIMES: f64 = 2.5;

/// The serving settings resolved at the trace's step: what the servers compute with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Serving {
    /// The model.
    pub model: ServingModel,
    /// Seconds in one step.
    pub step_s: f64,
    /// The service time: mean and spread.
    pub service: ServiceTime,
    /// The deadline, seconds (resolved: never 0).
    pub deadline_s: f64,
    /// The timeout, seconds.
    pub timeout_s: f64,
    /// Slots per container.
    pub concurrency: u32,
    /// The SLO as a share in (0, 1].
    pub slo_share: f64,
    /// How sure a choice must be that the SLO holds on a day, percent (0: bare).
    pub confidence_pct: f64,
    /// The discrete-event model's seed.
    pub seed: u64,
    /// Whether the servers keep latencies: each step's 99th percentile and the run's
    /// distribution. Off for runs read only for what they attain and cost (a tuning's
    /// search, a choice's trials: [`StepCluster::attainment_only`]); their timelines
    /// then hold no latency (NaN, and an empty distribution).
    pub latencies: bool,
}

impl ServingConfig {
    /// The settings at a step of `step_seconds` seconds for containers serving
    /// `capacity_per_min` requests a minute: one slot's mean service time is
    /// `60 · concurrency / capacity` seconds.
    pub fn at_step(&self, capacity_per_min: f64, step_seconds: u32) -> Serving {
        let mean_s = 60.0 * f64::from(self.concurrency.max(1)) / capacity_per_min;
        let deadline_s = if self.deadline_s > 0.0 {
            self.deadline_s
        } else {
            AUTO_DEADLINE_SERVICE_TIMES * mean_s
        };
        Serving {
            model: self.model,
            step_s: f64::from(step_seconds),
            service: ServiceTime::new(mean_s, self.service_cv),
            deadline_s,
            timeout_s: self.timeout_s,
            concurrency: self.concurrency.max(1),
            slo_share: self.slo_percent / 100.0,
            confidence_pct: self.confidence_percent,
            seed: self.seed,
            latencies: true,
        }
    }
}

/// What a step's serving shows at once, for the autoscalers' metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepService {
    /// Work done in the step, in requests (busy slot-seconds over the mean service
    /// time): at most ready × capacity, so its share of that is the busy share.
    pub served: f64,
    /// Requests waiting for a slot at the step's end.
    pub backlog: f64,
    /// Requests whose fate was settled in the step (whatever step they arrived in):
    /// completed within the deadline, and the rest (late or dropped); what a latency
    /// histogram of the step shows.
    pub settled: (f64, f64),
}

/// What became of each step's requests, by arrival step, from the first simulated step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    /// Requests completed within the deadline.
    pub within: Vec<f64>,
    /// Requests dropped (timed out, or beyond the capacity under `threshold`).
    pub dropped: Vec<f64>,
    /// Requests that missed the deadline, dropped ones included.
    pub missed: Vec<f64>,
    /// 99th percentile of the latency of the step's requests (a dropped request counts
    /// at the timeout), seconds; NaN under `threshold`, without requests, or where the
    /// run keeps no latencies ([`Serving::latencies`]).
    pub p99_s: Vec<f64>,
    /// The latencies of the accounted steps' requests (empty under `threshold`).
    pub latency: Latencies,
}

/// A serving model: how ready containers serve a step's requests, what a step needs, and
/// what its SLO counts. A model is its file implementing this and its line in [`MODELS`].
pub trait ServingKind: Sync {
    /// What its SLO counts.
    fn measure(&self) -> SloMeasure;

    /// A server with nothing waiting; latencies are kept from step `accounted_from` on.
    fn server(&self, cluster: &StepCluster, accounted_from: usize) -> Box<dyn Server>;

    /// The share of `demand` requests that `ready` containers serve within the deadline
    /// in one step that starts with nothing waiting.
    fn share_from_empty(&self, cluster: &StepCluster, ready: u32, demand: f64) -> f64;

    /// Containers a step of `demand` (positive) needs, clamped to the cluster: by
    /// default the fewest whose share within the deadline, starting with nothing
    /// waiting, meets the SLO; where no count up to the maximum meets it (the service
    /// time alone misses it), the fewest within 0.1 point of what the maximum reaches.
    fn need(&self, cluster: &StepCluster, demand: f64) -> u32 {
        let (lo, hi) = (cluster.min_replicas.max(1), cluster.max_replicas.max(1));
        let share = |r: u32| self.share_from_empty(cluster, r, demand);
        let want = cluster.serving.slo_share.min(share(hi) - 1e-3);
        // The share never falls as containers are added: the fewest that meet `want`.
        let (mut a, mut b) = (lo, hi);
        if share(a) >= want {
            return cluster.clamp(i64::from(a));
        }
        while b - a > 1 {
            let mid = a + (b - a) / 2;
            if share(mid) >= want {
                b = mid;
            } else {
                a = mid;
            }
        }
        cluster.clamp(i64::from(b))
    }
}

/// What a serving model's SLO counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SloMeasure {
    /// The share of requests completed within the deadline (a step violates when its
    /// own share falls short).
    RequestsInTime,
    /// The share of minutes without a violation (a step violates when any request is
    /// unserved).
    MinutesWithoutViolation,
}

/// One step's serving state, for the model in use.
pub trait Server: std::fmt::Debug + Send {
    /// Serves one step: `ready` containers, `arrivals` requests.
    fn serve(&mut self, ready: u32, arrivals: f64) -> StepService;

    /// Resolves the requests still waiting (served by the last step's containers, no
    /// new arrivals) and returns the ledger.
    fn finish(self: Box<Self>) -> Ledger;
}

/// A serving model's registry entry.
pub struct ServingSpec {
    /// The command-line name.
    pub name: &'static str,
    /// What it computes.
    pub kind: &'static dyn ServingKind,
}

/// Every serving model, by its command-line name: one line each.
pub const MODELS: &[ServingSpec] = &[
    ServingSpec {
        name: "queue",
        kind: &fluid::QueueModel,
    },
    ServingSpec {
        name: "requests",
        kind: &des::RequestsModel,
    },
    ServingSpec {
        name: "threshold",
        kind: &threshold::ThresholdModel,
    },
];

/// The registry's names, in order.
pub const NAMES: [&str; MODELS.len()] = {
    let mut out = [""; MODELS.len()];
    let mut i = 0;
    while i < MODELS.len() {
        out[i] = MODELS[i].name;
        i += 1;
    }
    out
};

/// The serving model named `name`, if registered.
pub fn model_named(name: &str) -> Option<ServingModel> {
    MODELS
        .iter()
        .find(|m| m.name == name)
        .map(|m| ServingModel::named(m.name))
}

impl ServingModel {
    /// What the model computes ([`MODELS`]); every [`ServingModel`] a command line or a
    /// grid file yields is registered.
    pub fn kind(self) -> &'static dyn ServingKind {
        MODELS
            .iter()
            .find(|m| m.name == self.name())
            .map(|m| m.kind)
            .expect("a registered serving model")
    }
}

/// An SLO no cluster reaches: under a model whose SLO counts requests in time, a request
/// that never waits still takes its service time, so no number of containers serves
/// more than `P(S ≤ deadline)` of requests within the deadline (`docs/experiment.md`,
/// Serving).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unreachable {
    /// The SLO asked for, percent.
    pub slo_pct: f64,
    /// The deadline, seconds.
    pub deadline_s: f64,
    /// The most any cluster serves within the deadline, percent.
    pub reachable_pct: f64,
    /// The smallest deadline at which the SLO becomes reachable, seconds (infinite for
    /// 100 % of a service time without bound).
    pub deadline_needed_s: f64,
    /// The service time.
    pub service: ServiceTime,
}

/// The attainment `serving`'s service alone reaches, percent: under the queue models the
/// share of requests its service time brings within the deadline (no queueing, no
/// drops), 100 where the SLO counts minutes.
pub fn ceiling_pct(serving: &Serving) -> f64 {
    share_alone(serving).map_or(100.0, |share| 100.0 * share)
}

/// The share of requests `serving`'s service time alone brings within the deadline;
/// `None` where the SLO counts minutes.
fn share_alone(serving: &Serving) -> Option<f64> {
    (serving.model.kind().measure() == SloMeasure::RequestsInTime)
        .then(|| serving.service.cdf(serving.deadline_s))
}

impl Unreachable {
    /// `serving`'s SLO, if no cluster reaches it; `None` where one may (or the model's
    /// SLO counts minutes, which enough containers always serve).
    pub fn of(serving: &Serving) -> Option<Self> {
        let reachable = share_alone(serving)?;
        // To the reports' precision: an SLO equal to what is reachable is reachable.
        (serving.slo_share > reachable + 1e-9).then(|| Self {
            slo_pct: 100.0 * serving.slo_share,
            deadline_s: serving.deadline_s,
            reachable_pct: 100.0 * reachable,
            deadline_needed_s: serving.service.quantile(serving.slo_share),
            service: serving.service,
        })
    }

    /// The one line saying so: what is reachable, and the deadline that makes it so.
    pub fn message(&self) -> String {
        let needed = if self.deadline_needed_s.is_finite() {
            format!(
                "a --deadline of {} s or more makes it reachable",
                seconds(self.deadline_needed_s, true)
            )
        } else {
            "no deadline makes it reachable".to_string()
        };
        format!(
            "SLO {} %: the service alone serves {:.1} % of requests within {} s (lognormal service time, mean {} s, CV {}), so no cluster reaches it; {needed}",
            self.slo_pct,
            self.reachable_pct,
            seconds(self.deadline_s, false),
            seconds(self.service.mean_s, false),
            self.service.cv
        )
    }
}

/// Seconds as a person reads them: at most 3 decimals, no trailing zeros; `up` rounds
/// up (a deadline that must be reached).
pub(crate) fn seconds(x: f64, up: bool) -> String {
    let r = if up {
        (x * 1000.0 - 1e-6).ceil() / 1000.0
    } else {
        (x * 1000.0).round() / 1000.0
    };
    let text = format!("{r:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A server with nothing waiting, for `cluster`'s serving model.
pub(crate) fn server(cluster: &StepCluster, accounted_from: usize) -> Box<dyn Server> {
    cluster.serving.model.kind().server(cluster, accounted_from)
}

/// The share of `demand` requests that `ready` containers serve within the deadline in
/// one step that starts with nothing waiting ([`ServingKind::share_from_empty`]).
pub fn share_from_empty(cluster: &StepCluster, ready: u32, demand: f64) -> f64 {
    cluster
        .serving
        .model
        .kind()
        .share_from_empty(cluster, ready, demand)
}

/// Containers a step of `demand` needs, clamped to the cluster ([`ServingKind::need`]);
/// none beyond the minimum for no demand.
pub fn need(cluster: &StepCluster, demand: f64) -> u32 {
    if demand.is_nan() || demand <= 0.0 {
        return cluster.clamp(cluster.containers_for(demand));
    }
    cluster.serving.model.kind().need(cluster, demand)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_is_what_the_service_alone_reaches() {
        // Lognormal service of CV 1: σ² = ln 2, μ = ln(mean) − σ²/2; within 2.5 mean
        // service times Φ((ln 2.5 + ln 2 / 2) / √(ln 2)) = Φ(1.51686) = 93.535 %, within 5
        // Φ((ln 5 + ln 2 / 2) / √(ln 2)) = Φ(2.34941) = 99.060 % (normal tables).
        let config = crate::config::ServingConfig::default();
        let at_default = ceiling_pct(&config.at_step(50.0, 60));
        assert!((at_default - 93.535).abs() < 1e-3, "{at_default}");
        let mut six = config.clone();
        six.deadline_s = 6.0;
        let at_six = ceiling_pct(&six.at_step(50.0, 60));
        assert!((at_six - 99.060).abs() < 1e-3, "{at_six}");
        // Under threshold the SLO counts minutes, which enough containers always serve.
        let mut threshold = config;
        threshold.model = model_named("threshold").unwrap();
        assert_eq!(ceiling_pct(&threshold.at_step(50.0, 60)), 100.0);
    }
    use crate::config::ClusterConfig;

    #[test]
    fn an_slo_beyond_the_service_time_alone_is_unreachable() {
        // Lognormal service of mean 1.2 s and CV 1 (the defaults): σ² = ln 2,
        // μ = ln 1.2 − σ²/2; P(S ≤ 3 s) = Φ((ln 3 − μ)/σ) = Φ(1.51685) = 93.5348 %, and
        // the 99 % quantile exp(μ + 2.326348 σ) = 5.8859 s (by hand; erfc in Python).
        let at = |slo: f64, model: ServingModel| {
            ClusterConfig {
                serving: ServingConfig {
                    slo_percent: slo,
                    model,
                    ..ServingConfig::default()
                },
                ..ClusterConfig::default()
            }
            .at_step(60)
            .serving
        };
        let u = Unreachable::of(&at(99.0, ServingModel::QUEUE)).unwrap();
        assert!((u.reachable_pct - 93.534_830_6).abs() < 1e-6, "{u:?}");
        assert!((u.deadline_needed_s - 5.885_899_7).abs() < 1e-6, "{u:?}");
        assert_eq!(
            u.message(),
            "SLO 99 %: the service alone serves 93.5 % of requests within 3 s (lognormal service time, mean 1.2 s, CV 1), so no cluster reaches it; a --deadline of 5.886 s or more makes it reachable"
        );
        assert!(Unreachable::of(&at(99.0, ServingModel::REQUESTS)).is_some());
        // Reachable at or below the share; the threshold model counts minutes.
        assert_eq!(Unreachable::of(&at(93.5, ServingModel::QUEUE)), None);
        assert_eq!(Unreachable::of(&at(99.9, ServingModel::THRESHOLD)), None);
        // 100 % of a service time without bound needs an infinite deadline.
        let all = Unreachable::of(&at(100.0, ServingModel::QUEUE)).unwrap();
        assert!(all.message().ends_with("no deadline makes it reachable"));
        // A constant service time (CV 0) within the deadline reaches 100 %.
        let mut constant = at(100.0, ServingModel::QUEUE);
        constant.service = ServiceTime::new(1.2, 0.0);
        assert_eq!(Unreachable::of(&constant), None);
    }

    /// The default cluster (50 requests per container and minute: 1.2 s mean service,
    /// a 3 s deadline) under `model`, at 1-minute steps.
    fn cluster(model: ServingModel, cv: f64) -> StepCluster {
        ClusterConfig {
            serving: ServingConfig {
                model,
                service_cv: cv,
                ..ServingConfig::default()
            },
            ..ClusterConfig::default()
        }
        .at_step(60)
    }

    /// Share within the deadline, p99 and share dropped of 600 steps of constant
    /// `demand` on `ready` containers.
    fn constant(model: ServingModel, cv: f64, ready: u32, demand: f64) -> (f64, f64, f64) {
        let c = cluster(model, cv);
        let mut s = server(&c, 0);
        for _ in 0..600 {
            s.serve(ready, demand);
        }
        let l = s.finish();
        let total = demand * 600.0;
        (
            l.within.iter().sum::<f64>() / total,
            l.latency.quantile(0.99),
            l.dropped.iter().sum::<f64>() / total,
        )
    }

    #[test]
    fn the_fluid_queue_against_the_discrete_event_model_on_constant_load() {
        // Measured (docs/experiment.md, Serving): 10 hours of constant load. Each
        // minute's count is fixed and its arrivals spread uniformly, which is more
        // regular than the Poisson arrivals the fluid model assumes within a step, so the
        // fluid model is conservative: never above the discrete-event share by more than
        // sampling noise, within 1 point at low load or many servers, within 6 points at
        // 80-90 % on 4 servers. Neither drops below saturation.
        for (ready, rho, bound) in [(4, 0.5, 1.0), (20, 0.9, 1.0), (4, 0.8, 3.0), (4, 0.9, 6.0)] {
            let demand = rho * 50.0 * f64::from(ready);
            let q = constant(ServingModel::QUEUE, 1.0, ready, demand);
            let r = constant(ServingModel::REQUESTS, 1.0, ready, demand);
            let gap = 100.0 * (r.0 - q.0);
            assert!(
                (-0.5..=bound).contains(&gap),
                "{ready} at {rho}: {q:?} vs {r:?}"
            );
            assert!(
                (q.1 / r.1 - 1.0).abs() < 0.25,
                "{ready} at {rho}: {q:?} vs {r:?}"
            );
            assert!(q.2 < 1e-3 && r.2 < 1e-3, "{ready} at {rho}: {q:?} vs {r:?}");
        }
        // 20 % over capacity: both drop about the excess, 1 − 1 / 1.2 of the requests.
        // Here the fluid model's exponential wait is too wide (the waits of a FIFO
        // queue at its timeout are nearly equal): it counts 13 % within the deadline
        // where the discrete-event model counts none, and drops 1.4 points more.
        let q = constant(ServingModel::QUEUE, 1.0, 4, 240.0);
        let r = constant(ServingModel::REQUESTS, 1.0, 4, 240.0);
        for dropped in [q.2, r.2] {
            assert!((dropped - (1.0 - 1.0 / 1.2)).abs() < 0.015, "{q:?} {r:?}");
        }
        assert!(r.0 < 0.01 && q.0 < 0.15, "{q:?} {r:?}");
    }

    #[test]
    fn a_run_without_latencies_serves_the_same_bits() {
        // Both queue models over a load that queues, drops and drains: without latencies
        // every step's within, dropped, missed, served and backlog are the same bits, and
        // only the latencies are gone.
        let demand = [40.0, 260.0, 300.0, 120.0, 0.0, 90.0, 180.0];
        for model in [ServingModel::QUEUE, ServingModel::REQUESTS] {
            let full = cluster(model, 1.0);
            let lean = full.attainment_only();
            assert!(!lean.serving.latencies && lean.with_latencies() == full);
            let (mut a, mut b) = (server(&full, 0), server(&lean, 0));
            for (i, &d) in demand.iter().enumerate() {
                let ready = 3 + (i as u32 % 3);
                let (x, y) = (a.serve(ready, d), b.serve(ready, d));
                assert_eq!(
                    (x.served, x.backlog, x.settled),
                    (y.served, y.backlog, y.settled),
                    "{model:?} step {i}"
                );
            }
            let (a, b) = (a.finish(), b.finish());
            assert_eq!(
                (&a.within, &a.dropped, &a.missed),
                (&b.within, &b.dropped, &b.missed)
            );
            assert!(a.missed.iter().sum::<f64>() > 0.0 && a.p99_s[1] > full.serving.deadline_s);
            assert!(b.p99_s.len() == demand.len() && b.p99_s.iter().all(|p| p.is_nan()));
            assert!(a.latency.total() > 0.0 && b.latency.total() == 0.0);
        }
    }

    #[test]
    fn a_backlog_carries_over_hand_worked() {
        // One container of 60 requests a minute: 1 s per request (constant), a 2.5 s
        // deadline, a 30 s timeout. Step 1 brings 120 requests, at 0.25, 0.75, … s;
        // step 2 none. Request i starts at 0.25 + i and waits 0.5·i: requests 0..59
        // start inside step 1; 60..119 have not started at its end (backlog 60) and none
        // has waited 30 s yet. In step 2 request 60 starts at 60.25 after exactly 30 s;
        // 61 would wait 30.5 s and is dropped, 62 starts at 61.25 after 30 s, and so on:
        // the even ones served, the 30 odd ones dropped. Within 2.5 s: latency 1 + 0.5·i
        // for i = 0..3 (4 requests).
        let c = ClusterConfig {
            capacity_per_min: 60.0,
            serving: ServingConfig {
                model: ServingModel::REQUESTS,
                service_cv: 0.0,
                ..ServingConfig::default()
            },
            ..ClusterConfig::default()
        }
        .at_step(60);
        assert_eq!(c.serving.deadline_s, 2.5);
        let mut d = des::Des::with_even_arrivals(c.serving);
        let first = d.serve(1, 120.0);
        assert_eq!(first.backlog, 60.0);
        // Busy from 0.25 s to the step's end; request 59 runs on to 60.25 s.
        assert_eq!(first.served, 59.75);
        let second = d.serve(1, 0.0);
        assert_eq!((second.backlog, second.served), (0.0, 0.25 + 30.0));
        let l = Box::new(d).finish();
        assert_eq!(l.within, vec![4.0, 0.0]);
        assert_eq!(l.dropped, vec![30.0, 0.0]);
        assert_eq!(l.missed, vec![116.0, 0.0]);
        // 90 served (latencies 1 to 31 s) and 30 dropped (counted at 30 s): the 99th
        // percentile is among the 31 s ones, read to within a bin.
        assert!((l.p99_s[0] / 31.0 - 1.0).abs() < 0.06, "{}", l.p99_s[0]);
        assert!(l.p99_s[1].is_nan());
    }

    #[test]
    fn the_fluid_queue_carries_a_backlog_and_drains_it() {
        // Two steps at twice the capacity of 4 containers, then idle: a backlog builds,
        // the excess is dropped, and the idle step drains it. A FIFO queue whose waits
        // end at the 30 s timeout holds at most what 4 containers serve in 30 s,
        // 4 × 50 / 60 × 30 = 100; the fluid model's exponential wait holds up to
        // 1 / ln 2 times that (half the arrivals dropped: e^(−30 / m) = 1/2).
        let c = cluster(ServingModel::QUEUE, 1.0);
        let mut s = server(&c, 0);
        let a = s.serve(4, 400.0);
        let b = s.serve(4, 400.0);
        let idle = s.serve(4, 0.0);
        let most = 100.0 / std::f64::consts::LN_2;
        assert!(
            a.backlog > 50.0 && b.backlog >= a.backlog && b.backlog <= most,
            "{a:?} {b:?}"
        );
        assert!(idle.backlog < 1.0, "{idle:?}");
        // Work done never exceeds the capacity, 200 requests a step, and nearly reaches it
        // (the fluid utilization approaches 1 as the backlog grows, never reaching it).
        assert!(a.served <= 200.0 + 1e-9 && b.served > 195.0, "{a:?} {b:?}");
        let l = s.finish();
        assert!(l.dropped[1] > 100.0, "{:?}", l.dropped);
        assert!(l.within[1] < 0.3 * 400.0, "{:?}", l.within);
    }

    #[test]
    fn need_meets_the_slo_from_empty_and_no_fewer_do() {
        let c = cluster(ServingModel::QUEUE, 1.0);
        for demand in [10.0, 100.0, 500.0, 2000.0] {
            let r = need(&c, demand);
            assert!(
                share_from_empty(&c, r, demand) >= c.serving.slo_share,
                "{demand}"
            );
            assert!(r == 1 || share_from_empty(&c, r - 1, demand) < c.serving.slo_share);
            // Never fewer than the capacity need: a queue at 100 % misses any deadline.
            assert!(i64::from(r) >= c.containers_for(demand), "{demand}: {r}");
        }
        // 99.99 % within 3 s is out of reach (the service time alone misses 6.5 %): the
        // need is the fewest within 0.1 point of the maximum's share, not the maximum.
        let mut strict = c;
        strict.serving.slo_share = 0.9999;
        let r = need(&strict, 100.0);
        assert!(r < 10, "{r}");
        let t = ClusterConfig::threshold().at_step(60);
        assert_eq!(need(&t, 101.0), 3);
    }
}
