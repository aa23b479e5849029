//! The `queue` model: a pointwise-stationary fluid approximation (PSFFA) of a
//! multi-server FIFO queue with timeouts, stepped in sub-steps of a trace step
//! (`docs/experiment.md`, Serving).
//!
//! The state is `x`, the mean number of requests in the system. Each sub-step of
//! length `h` solves, implicitly (`x` relaxes within seconds at low load, which an
//! explicit step would overshoot),
//!
//! ```text
//! x₁ = x₀ + h · (λ − c·μ·ρ₁ − λ·P_drop(ρ₁)),   x₁ = L(ρ₁)
//! ```
//!
//! where `L(ρ) = c·ρ + k·C(c, c·ρ)·ρ / (1 − ρ)` is the mean number in an M/G/c queue at
//! utilization `ρ` (Erlang C with the Allen–Cunneen factor `k = (1 + cv²) / 2` on the
//! wait), so the utilization the servers run at follows the backlog instead of the
//! instantaneous load: a queue needs time to fill and to drain, which a per-step
//! stationary formula misses. An arrival at utilization `ρ` waits with probability
//! `C(c, c·ρ)`, then for an exponential time of mean `k / (c·μ·(1 − ρ))`; it is dropped
//! if that exceeds the timeout (a dropped request's latency counts at the timeout), and
//! is within the deadline when wait plus service is. The service time is lognormal
//! ([`super::ServiceTime`]); integrals over it use equiprobable points.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::latency::{self, Latencies};
use super::{Ledger, Server, Serving, ServingKind, SloMeasure, StepCluster, StepService};

/// Sub-steps per trace step.
const SUB_STEPS: usize = 12;
/// Utilization grid of the Erlang C tables.
const GRID: usize = 2048;
/// Points of the service-time integrals.
const POINTS: usize = 64;
/// Most Newton steps for the implicit sub-step (it takes 3 to 4 from the last one's
/// utilization); each falls back to bisection when it would leave the bracket.
const NEWTON_STEPS: usize = 60;

/// `C(c, c·ρ)` on a grid of `ρ`, per server count, shared by every run (it depends on
/// `c` alone).
fn erlang_table(c: u32) -> Arc<Vec<f64>> {
    static TABLES: OnceLock<Mutex<HashMap<u32, Arc<Vec<f64>>>>> = OnceLock::new();
    let tables = TABLES.get_or_init(Default::default);
    if let Some(t) = tables.lock().expect("no panic holds it").get(&c) {
        return t.clone();
    }
    let t: Arc<Vec<f64>> = Arc::new(
        (0..=GRID)
            .map(|j| super::erlang_c(c, f64::from(c) * j as f64 / GRID as f64))
            .collect(),
    );
    tables
        .lock()
        .expect("no panic holds it")
        .insert(c, t.clone());
    t
}

/// The queue at one server count: the formulas of the module doc.
struct Queue<'a> {
    table: &'a [f64],
    c: f64,
    /// Service rate of one slot, per second.
    mu: f64,
    /// The Allen–Cunneen factor.
    k: f64,
    timeout_s: f64,
}

impl Queue<'_> {
    /// `C(c, c·ρ)`, interpolated on the grid, and its slope in `ρ`.
    fn wait_probability(&self, rho: f64) -> (f64, f64) {
        let pos = rho.clamp(0.0, 1.0) * GRID as f64;
        let j = (pos as usize).min(GRID - 1);
        let f = pos - j as f64;
        let (a, b) = (self.table[j], self.table[j + 1]);
        (a * (1.0 - f) + b * f, (b - a) * GRID as f64)
    }

    /// Mean wait of an arrival that waits, seconds.
    fn mean_wait(&self, rho: f64) -> f64 {
        self.k / (self.c * self.mu * (1.0 - rho))
    }

    /// `L(ρ)`, the mean number in the system.
    fn in_system(&self, rho: f64) -> f64 {
        self.c * rho + self.k * self.wait_probability(rho).0 * rho / (1.0 - rho)
    }

    /// Probability that an arrival is dropped.
    fn drop_probability(&self, rho: f64) -> f64 {
        self.wait_probability(rho).0 * (-self.timeout_s / self.mean_wait(rho)).exp()
    }

    /// One implicit sub-step from `x0` at arrival rate `lambda`, starting the search at
    /// `guess`: the utilization at its end, the root of the increasing
    /// `F(ρ) = L(ρ) + h·(c·μ·ρ + λ·P_drop(ρ)) − x0 − h·λ`, by Newton's method kept
    /// inside a shrinking bracket.
    fn sub_step(&self, x0: f64, lambda: f64, h: f64, guess: f64) -> f64 {
        let cmu = self.c * self.mu;
        let f = |rho: f64| {
            let (w, dw) = self.wait_probability(rho);
            let one = 1.0 - rho;
            let e = (-self.timeout_s * cmu * one / self.k).exp();
            let value = self.c * rho + self.k * w * rho / one + h * (cmu * rho + lambda * w * e)
                - x0
                - h * lambda;
            let slope = self.c
                + self.k * (dw * rho / one + w / (one * one))
                + h * (cmu + lambda * e * (dw + w * self.timeout_s * cmu / self.k));
            (value, slope)
        };
        let (mut lo, mut hi) = (0.0, 1.0);
        let mut rho = guess.clamp(0.0, 1.0 - 1e-12);
        for _ in 0..NEWTON_STEPS {
            let (value, slope) = f(rho);
            // Solved to 1e-10 of the requests in the system (3 to 4 steps).
            if value.abs() <= 1e-10 * (1.0 + x0 + h * lambda) {
                return rho;
            }
            if value < 0.0 {
                lo = rho;
            } else {
                hi = rho;
            }
            let next = rho - value / slope;
            let next = if next > lo && next < hi {
                next
            } else {
                0.5 * (lo + hi)
            };
            if (next - rho).abs() < 1e-13 || hi - lo < 1e-13 {
                return next;
            }
            rho = next;
        }
        rho
    }
}

/// What the sub-steps of one step did.
#[derive(Debug, Default)]
struct StepSums {
    /// Work done, requests.
    served: f64,
    /// Arrivals within the deadline.
    within: f64,
    /// Arrivals dropped.
    dropped: f64,
    /// Σ arrivals · C, and Σ arrivals · C · mean wait: the step's waiting part.
    waiting: f64,
    waiting_mean: f64,
}

/// The service-time integrals a run needs: fixed for its serving settings.
#[derive(Debug)]
struct ServiceIntegrals {
    /// `P(S ≤ D)`.
    within_service: f64,
    /// `P(W ≤ min(T, D − S) | S ≤ D)` for an exponential wait `W` of mean `m`, on a
    /// geometric grid of `m` ([`MISS_GRID_LOW_S`], [`MISS_GRID_PER_DECADE`]).
    waited_in_time: Vec<f64>,
    /// Equiprobable points of `S`.
    all: Vec<f64>,
}

/// The grid of mean waits of [`ServiceIntegrals::waited_in_time`]: 100 per decade from
/// 0.1 ms to 10⁵ s (interpolated linearly in log m: below 1e-4 relative error).
const MISS_GRID_LOW_S: f64 = 1e-4;
const MISS_GRID_PER_DECADE: f64 = 100.0;
const MISS_GRID_LEN: usize = 901;

/// What the integrals depend on: the service time, the deadline, the timeout.
type IntegralsKey = (super::ServiceTime, f64, f64);

impl ServiceIntegrals {
    /// The integrals of `s`, computed once per thread for the last settings asked for
    /// (a run, and the optimum's and calibration's many one-step queries, share them).
    fn of(s: &Serving) -> Arc<Self> {
        thread_local! {
            static LAST: std::cell::RefCell<Option<(IntegralsKey, Arc<ServiceIntegrals>)>> =
                const { std::cell::RefCell::new(None) };
        }
        let key = (s.service, s.deadline_s, s.timeout_s);
        LAST.with(|cell| {
            let mut cell = cell.borrow_mut();
            match &*cell {
                Some((k, i)) if *k == key => i.clone(),
                _ => {
                    let i = Arc::new(ServiceIntegrals::new(s));
                    *cell = Some((key, i.clone()));
                    i
                }
            }
        })
    }

    fn new(s: &Serving) -> Self {
        let within_service = s.service.cdf(s.deadline_s);
        let (mu, sigma) = s.service.log_params();
        let below_deadline: Vec<f64> = (0..POINTS)
            .map(|i| {
                let p = within_service * (i as f64 + 0.5) / POINTS as f64;
                if sigma == 0.0 {
                    s.service.mean_s
                } else {
                    (mu + sigma * super::service::normal_quantile(p)).exp()
                }
            })
            .collect();
        let waited_in_time = (0..MISS_GRID_LEN)
            .map(|g| {
                let m = MISS_GRID_LOW_S * 10f64.powf(g as f64 / MISS_GRID_PER_DECADE);
                below_deadline
                    .iter()
                    .map(|&x| 1.0 - (-(s.deadline_s - x).min(s.timeout_s) / m).exp())
                    .sum::<f64>()
                    / POINTS as f64
            })
            .collect();
        Self {
            within_service,
            waited_in_time,
            all: s.service.points(POINTS),
        }
    }

    /// The share of arrivals at utilization state (`wait` = C, `mean_wait`) that finish
    /// within the deadline: `(1 − C)·P(S ≤ D) + C·P(W ≤ min(T, D − S), S ≤ D)`.
    fn within(&self, wait: f64, mean_wait: f64) -> f64 {
        let pos = ((mean_wait / MISS_GRID_LOW_S).log10() * MISS_GRID_PER_DECADE)
            .clamp(0.0, (MISS_GRID_LEN - 1) as f64);
        let g = (pos as usize).min(MISS_GRID_LEN - 2);
        let f = pos - g as f64;
        let waited = self.waited_in_time[g] * (1.0 - f) + self.waited_in_time[g + 1] * f;
        self.within_service * ((1.0 - wait) + wait * waited)
    }
}

/// Runs the sub-steps of one step of `arrivals` on `ready` containers from `x`; returns
/// the state at its end and what it did.
fn integrate(
    s: &Serving,
    integrals: &ServiceIntegrals,
    ready: u32,
    arrivals: f64,
    x: f64,
) -> (f64, f64, StepSums) {
    let mut sums = StepSums::default();
    let slots = ready * s.concurrency;
    if slots == 0 {
        // Nobody serves: every arrival times out (no container starts within a timeout
        // at the defaults: whole minutes against 30 s). Those of the step's last
        // `timeout` seconds still wait at its end, held as Knative's activator holds
        // them: the backlog a scaler sees, none of it served later.
        sums.dropped = arrivals;
        let waiting = arrivals * (s.timeout_s / s.step_s).min(1.0);
        return (0.0, waiting, sums);
    }
    let table = erlang_table(slots);
    let q = Queue {
        table: &table,
        c: f64::from(slots),
        mu: 1.0 / s.service.mean_s,
        k: (1.0 + s.service.cv * s.service.cv) / 2.0,
        timeout_s: s.timeout_s,
    };
    let h = s.step_s / SUB_STEPS as f64;
    let lambda = arrivals / s.step_s;
    let (mut x, mut rho) = (x, (x / q.c).min(0.5));
    for _ in 0..SUB_STEPS {
        rho = q.sub_step(x, lambda, h, rho);
        x = q.in_system(rho);
        let (wait, mean_wait) = (q.wait_probability(rho).0, q.mean_wait(rho));
        let a = h * lambda;
        sums.served += h * q.c * q.mu * rho;
        let dropped = q.drop_probability(rho);
        sums.dropped += a * dropped;
        // A dropped request is never in time (the tabulated integral can overshoot that
        // bound by its interpolation error).
        sums.within += a * integrals.within(wait, mean_wait).min(1.0 - dropped);
        sums.waiting += a * wait;
        sums.waiting_mean += a * wait * mean_wait;
    }
    let backlog = (x - q.c * rho).max(0.0);
    (x, backlog, sums)
}

/// The share of `demand` requests served within the deadline by `ready` containers in
/// one step that starts empty.
pub(crate) fn share_from_empty(s: &Serving, ready: u32, demand: f64) -> f64 {
    if demand.is_nan() || demand <= 0.0 {
        return 1.0;
    }
    let integrals = ServiceIntegrals::of(s);
    let (_, _, sums) = integrate(s, &integrals, ready, demand, 0.0);
    sums.within / demand
}

/// The fluid queue's state over a run.
#[derive(Debug)]
pub(crate) struct Fluid {
    s: Serving,
    integrals: Arc<ServiceIntegrals>,
    /// Mean number in the system.
    x: f64,
    /// Latency masses of the service time alone, and of a waiting request per mean
    /// wait on a geometric grid (computed as needed).
    service_mass: Vec<f64>,
    wait_mass: HashMap<usize, Vec<f64>>,
    ledger: Ledger,
    accounted_from: usize,
}

/// Mean waits of the latency tables: 20 per decade from 1 ms.
const WAIT_GRID_PER_DECADE: f64 = 20.0;
const WAIT_GRID_LOW_S: f64 = 1e-3;

/// `queue`: the fluid model ([`Fluid`]); its SLO counts requests within the deadline.
pub(crate) struct QueueModel;

impl ServingKind for QueueModel {
    fn measure(&self) -> SloMeasure {
        SloMeasure::RequestsInTime
    }

    fn server(&self, cluster: &StepCluster, accounted_from: usize) -> Box<dyn Server> {
        Box::new(Fluid::new(cluster.serving, accounted_from))
    }

    fn share_from_empty(&self, cluster: &StepCluster, ready: u32, demand: f64) -> f64 {
        share_from_empty(&cluster.serving, ready, demand)
    }
}

impl Fluid {
    /// An empty queue.
    pub(crate) fn new(s: Serving, accounted_from: usize) -> Self {
        let service = s.service;
        Self {
            integrals: ServiceIntegrals::of(&s),
            s,
            x: 0.0,
            service_mass: latency::mass_of(|x| service.cdf(x)),
            wait_mass: HashMap::new(),
            ledger: Ledger::default(),
            accounted_from,
        }
    }

    /// The latency masses of a request that waits, with mean wait at grid point `g`.
    fn wait_table(&mut self, g: usize) -> &[f64] {
        let (points, timeout) = (&self.integrals.all, self.s.timeout_s);
        self.wait_mass.entry(g).or_insert_with(|| {
            let m = WAIT_GRID_LOW_S * 10f64.powf(g as f64 / WAIT_GRID_PER_DECADE);
            latency::mass_of(|x| {
                let served: f64 = points
                    .iter()
                    .filter(|&&s| s < x)
                    .map(|&s| 1.0 - (-(x - s).min(timeout) / m).exp())
                    .sum::<f64>()
                    / points.len() as f64;
                let dropped = if x >= timeout {
                    (-timeout / m).exp()
                } else {
                    0.0
                };
                served + dropped
            })
        })
    }

    /// The latency masses of a step whose arrivals waited with probability `wait`, for
    /// `mean_wait` seconds on average when they did.
    fn step_mass(&mut self, wait: f64, mean_wait: f64) -> Vec<f64> {
        let mut mass: Vec<f64> = self.service_mass.iter().map(|m| (1.0 - wait) * m).collect();
        if wait > 0.0 {
            let pos = ((mean_wait / WAIT_GRID_LOW_S).log10() * WAIT_GRID_PER_DECADE).max(0.0);
            let g = pos as usize;
            let f = pos - g as f64;
            for (gi, wi) in [(g, 1.0 - f), (g + 1, f)] {
                if wi > 0.0 {
                    let t = self.wait_table(gi);
                    for (m, x) in mass.iter_mut().zip(t) {
                        *m += wait * wi * x;
                    }
                }
            }
        }
        mass
    }
}

impl Server for Fluid {
    /// Serves one step.
    fn serve(&mut self, ready: u32, arrivals: f64) -> StepService {
        let (x, backlog, sums) = integrate(&self.s, &self.integrals, ready, arrivals, self.x);
        self.x = x;
        let step = self.ledger.within.len();
        let wait = if arrivals > 0.0 {
            sums.waiting / arrivals
        } else {
            0.0
        };
        let mean_wait = if sums.waiting > 0.0 {
            sums.waiting_mean / sums.waiting
        } else {
            0.0
        };
        let p99 = if arrivals > 0.0 && self.s.latencies {
            let mass = if ready == 0 {
                latency::mass_of(|t| f64::from(u8::from(t >= self.s.timeout_s)))
            } else {
                self.step_mass(wait, mean_wait)
            };
            let mut l = Latencies::default();
            l.add_mass(&mass, arrivals);
            if step >= self.accounted_from {
                self.ledger.latency.merge(&l);
            }
            l.quantile(0.99)
        } else {
            f64::NAN
        };
        self.ledger.within.push(sums.within);
        self.ledger.dropped.push(sums.dropped);
        self.ledger.missed.push((arrivals - sums.within).max(0.0));
        self.ledger.p99_s.push(p99);
        StepService {
            served: sums.served,
            backlog,
            // The fluid model settles every arrival in its step.
            settled: (sums.within, (arrivals - sums.within).max(0.0)),
        }
    }

    /// The ledger (the fluid model resolves every arrival in its step).
    fn finish(self: Box<Self>) -> Ledger {
        self.ledger
    }
}
