//! The `requests` model: the serving world request by request, a seeded discrete-event
//! simulation (`docs/experiment.md`, Serving), the ground truth the fluid model is
//! checked against.
//!
//! Each step's requests (the step's count; a fractional count rounds up with the
//! fraction's probability) arrive uniformly at random inside it and are served first
//! come, first served on the ready containers' slots (`concurrency` each); each
//! request's service time is drawn from the lognormal at its arrival, so every policy
//! replays the same arrivals and service times. A request starts on the slot that frees
//! first; one that would wait longer than the timeout leaves, dropped. Slots added at a
//! step serve from its start; removed slots are the ones that free first, and finish
//! the request in flight. Requests still waiting at a step's end are carried into the
//! next, where new slots may take them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1, StandardNormal};

use super::latency::{self, Latencies};
use super::{Ledger, Server, Serving, ServingKind, SloMeasure, StepCluster, StepService};

/// A request not yet started: when it arrived, in which step, and its service time.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    arrival_s: f64,
    step: usize,
    service_s: f64,
}

/// The discrete-event model's state over a run.
#[derive(Debug)]
pub(crate) struct Des {
    s: Serving,
    rng: StdRng,
    /// When each slot frees, as the bits of a non-negative f64 (ordered as the value).
    slots: BinaryHeap<Reverse<u64>>,
    /// Requests carried into the next step, in arrival order.
    pending: VecDeque<Waiting>,
    /// Busy slot-seconds already assigned to the steps after the current one.
    spill: VecDeque<f64>,
    /// Latency counts per arrival step, `latency::LEN` per step.
    counts: Vec<f64>,
    ledger: Ledger,
    accounted_from: usize,
    /// Scratch: this step's requests.
    batch: Vec<Waiting>,
    /// Arrivals evenly spaced at `(i + ½) · step / n` instead of at random, for
    /// hand-worked tests.
    even: bool,
    /// Requests settled since the last step's report: within the deadline, and not.
    settled: (f64, f64),
}

/// `requests`: the discrete-event model ([`Des`]); a step's need and share from empty are
/// the fluid model's analytic ones, and its SLO counts requests within the deadline.
pub(crate) struct RequestsModel;

impl ServingKind for RequestsModel {
    fn measure(&self) -> SloMeasure {
        SloMeasure::RequestsInTime
    }

    fn server(&self, cluster: &StepCluster, accounted_from: usize) -> Box<dyn Server> {
        Box::new(Des::new(cluster.serving, accounted_from))
    }

    fn share_from_empty(&self, cluster: &StepCluster, ready: u32, demand: f64) -> f64 {
        super::fluid::share_from_empty(&cluster.serving, ready, demand)
    }
}

impl Des {
    /// No request yet, no slot.
    pub(crate) fn new(s: Serving, accounted_from: usize) -> Self {
        Self {
            rng: StdRng::seed_from_u64(s.seed),
            s,
            slots: BinaryHeap::new(),
            pending: VecDeque::new(),
            spill: VecDeque::new(),
            counts: Vec::new(),
            ledger: Ledger::default(),
            accounted_from,
            batch: Vec::new(),
            even: false,
            settled: (0.0, 0.0),
        }
    }

    /// The same model with evenly spaced arrivals (hand-worked tests).
    #[cfg(test)]
    pub(crate) fn with_even_arrivals(s: Serving) -> Self {
        Self {
            even: true,
            ..Self::new(s, 0)
        }
    }

    /// Books what became of one request of step `step` with latency `latency_s`.
    fn record(&mut self, step: usize, latency_s: f64, dropped: bool) {
        if dropped {
            self.ledger.dropped[step] += 1.0;
        }
        if !dropped && latency_s <= self.s.deadline_s {
            self.ledger.within[step] += 1.0;
            self.settled.0 += 1.0;
        } else {
            self.ledger.missed[step] += 1.0;
            self.settled.1 += 1.0;
        }
        if self.s.latencies {
            self.counts[step * latency::LEN + latency::bin(latency_s)] += 1.0;
        }
    }

    /// Serves the requests in `self.batch` in order on the slots, up to `end_s` (the
    /// step's end; infinite when draining): those that cannot start before it are
    /// carried. Returns the busy slot-seconds inside `[start_s, end_s)`.
    fn run_batch(&mut self, start_s: f64, end_s: f64) -> f64 {
        let mut busy = 0.0;
        let batch = std::mem::take(&mut self.batch);
        for &w in &batch {
            let free = self
                .slots
                .peek()
                .map_or(f64::INFINITY, |r| f64::from_bits(r.0));
            let start = free.max(w.arrival_s);
            if start >= end_s {
                // Nothing frees in this step: it waits on, unless its time runs out first.
                if w.arrival_s + self.s.timeout_s < end_s {
                    self.record(w.step, self.s.timeout_s, true);
                } else {
                    self.pending.push_back(w);
                }
                continue;
            }
            if start - w.arrival_s > self.s.timeout_s {
                self.record(w.step, self.s.timeout_s, true);
                continue;
            }
            let done = start + w.service_s;
            // The slot that frees first takes it: replace the heap's top in place (one
            // sift down, where a pop and a push sift twice).
            if let Some(mut top) = self.slots.peek_mut() {
                *top = Reverse(done.to_bits());
            }
            busy += done.min(end_s) - start.max(start_s);
            // The part of the service beyond this step, step by step.
            let mut from = end_s;
            let mut j = 0;
            while done > from && end_s.is_finite() {
                let to = (from + self.s.step_s).min(done);
                if self.spill.len() <= j {
                    self.spill.push_back(0.0);
                }
                self.spill[j] += to - from;
                from = to;
                j += 1;
            }
            self.record(w.step, done - w.arrival_s, false);
        }
        self.batch = batch;
        self.batch.clear();
        busy
    }
}

impl Server for Des {
    /// Serves one step.
    fn serve(&mut self, ready: u32, arrivals: f64) -> StepService {
        let step = self.ledger.within.len();
        let (t0, t1) = (
            step as f64 * self.s.step_s,
            (step + 1) as f64 * self.s.step_s,
        );
        let want = (ready * self.s.concurrency) as usize;
        while self.slots.len() < want {
            self.slots.push(Reverse(t0.to_bits()));
        }
        while self.slots.len() > want {
            self.slots.pop();
        }
        for v in [
            &mut self.ledger.within,
            &mut self.ledger.dropped,
            &mut self.ledger.missed,
        ] {
            v.push(0.0);
        }
        if self.s.latencies {
            self.counts.resize((step + 1) * latency::LEN, 0.0);
        }
        // Carried requests first (FIFO), then this step's, sorted, from exponential
        // spacings; each with its service time.
        self.batch.clear();
        self.batch.extend(self.pending.drain(..));
        let whole = arrivals.max(0.0).floor();
        let n = whole as usize + usize::from(self.rng.random::<f64>() < arrivals - whole);
        let (mu, sigma) = self.s.service.log_params();
        let first = self.batch.len();
        let mut acc = 0.0;
        for _ in 0..n {
            let gap: f64 = Exp1.sample(&mut self.rng);
            acc += gap;
            let z: f64 = StandardNormal.sample(&mut self.rng);
            self.batch.push(Waiting {
                arrival_s: acc,
                step,
                service_s: (mu + sigma * z).exp(),
            });
        }
        let last: f64 = Exp1.sample(&mut self.rng);
        let total = acc + last;
        let step_s = self.s.step_s;
        for (i, w) in self.batch[first..].iter_mut().enumerate() {
            w.arrival_s = if self.even {
                t0 + step_s * (i as f64 + 0.5) / n as f64
            } else {
                t0 + step_s * w.arrival_s / total
            };
        }
        let busy = self.spill.pop_front().unwrap_or(0.0) + self.run_batch(t0, t1);
        let cap = f64::from(ready) * self.s.step_s / self.s.service.mean_s
            * f64::from(self.s.concurrency);
        StepService {
            served: (busy / self.s.service.mean_s).min(cap),
            backlog: self.pending.len() as f64,
            settled: std::mem::take(&mut self.settled),
        }
    }

    /// Serves what still waits on the last step's slots, then the ledger with each
    /// step's 99th percentile.
    fn finish(mut self: Box<Self>) -> Ledger {
        self.batch.clear();
        self.batch.extend(self.pending.drain(..));
        let start = self.ledger.within.len() as f64 * self.s.step_s;
        self.run_batch(start, f64::INFINITY);
        if !self.s.latencies {
            self.ledger.p99_s = vec![f64::NAN; self.ledger.within.len()];
            return self.ledger;
        }
        // The accounted steps' latencies, each bin a sum of whole counts (exact, as
        // adding them one by one was).
        let accounted = self.counts.get(self.accounted_from * latency::LEN..);
        for row in accounted.unwrap_or_default().chunks(latency::LEN) {
            self.ledger.latency.add_mass(row, 1.0);
        }
        self.ledger.p99_s = self
            .counts
            .chunks(latency::LEN)
            .map(|c| Latencies::from_counts(c).quantile(0.99))
            .collect();
        self.ledger
    }
}
