//! The serving settings as the user states them; resolved at a step by
//! `serving::ServingConfig::at_step` (`docs/experiment.md`, Serving).

/// The serving model (`--serving`), by its name in the serving registry
/// (`serving::MODELS`, which says what it computes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServingModel(&'static str);

impl ServingModel {
    /// A FIFO backlog, timeouts and latency, by a fluid approximation (the default).
    pub const QUEUE: ServingModel = ServingModel("queue");
    /// The same world request by request, a discrete-event simulation.
    pub const REQUESTS: ServingModel = ServingModel("requests");
    /// Served when the requests fit the ready capacity; the excess dropped.
    pub const THRESHOLD: ServingModel = ServingModel("threshold");

    /// The model of a registry entry named `name`.
    pub const fn named(name: &'static str) -> Self {
        Self(name)
    }

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        self.0
    }
}

/// The serving settings, as the user states them (`docs/experiment.md`, Serving).
#[derive(Debug, Clone, PartialEq)]
pub struct ServingConfig {
    /// The serving model. Defaults to [`ServingModel::QUEUE`].
    pub model: ServingModel,
    /// The latency a request must be completed within, in seconds; 0, the default, is
    /// 2.5 mean service times (3 s at the default capacity and concurrency).
    pub deadline_s: f64,
    /// Seconds a request waits for a free slot before it is dropped. Defaults to 30.
    pub timeout_s: f64,
    /// Requests one container serves at once (its slots). Defaults to 1.
    pub concurrency: u32,
    /// Coefficient of variation of the service time (lognormal). Defaults to 1.
    pub service_cv: f64,
    /// A request's mean service time on one slot as the user stated it, seconds; it sets
    /// the capacity (60 × concurrency / it) when the plan is resolved. 0, the default:
    /// the capacity states the speed.
    pub service_time_s: f64,
    /// The SLO, in percent: of requests completed within the deadline (`queue`,
    /// `requests`) or of minutes without a violation (`threshold`). Defaults to 90.
    pub slo_percent: f64,
    /// How sure a choice must be that the SLO holds on a day after the window it is
    /// chosen on, in percent; 0: the bare rule, met on that window as a whole
    /// (`docs/experiment.md`, Choosing with a margin). Defaults to 95.
    pub confidence_percent: f64,
    /// Seed of the discrete-event model's arrivals and service times. Defaults to 42,
    /// the models' seed (the `seed` setting sets both).
    pub seed: u64,
}

impl Default for ServingConfig {
    fn default() -> Self {
        Self {
            model: ServingModel::QUEUE,
            deadline_s: 0.0,
            timeout_s: 30.0,
            concurrency: 1,
            service_cv: 1.0,
            service_time_s: 0.0,
            slo_percent: 90.0,
            confidence_percent: 95.0,
            seed: 42,
        }
    }
}
