//! What one run of the experiment leaves, in memory: the metrics rows, the test period,
//! the forecasts, every run's timeline and the recommendation. The reports are written
//! from it and read back into it (`store::reports`), and the table and plots drawn from
//! it (`report`).

use chrono::{DateTime, Duration, Utc};

use crate::experiment::{ModelForecast, Outcome};
use crate::metrics::PolicyMetrics;
use crate::recommend::Recommendation;
use crate::sim::Timeline;
use crate::trace::{Split, Trace};

/// The test period: its clock and its demand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TestPeriod {
    /// Timestamp of the first test step.
    pub(crate) start: DateTime<Utc>,
    /// Seconds per step.
    pub(crate) step_seconds: u32,
    /// Demand per step, in requests.
    pub(crate) actual: Vec<f64>,
    /// Whether each step lies inside a synthetic event (generated traces only).
    pub(crate) in_event: Option<Vec<bool>>,
}

impl TestPeriod {
    /// The test period of `trace` under `split`.
    pub(crate) fn of(trace: &Trace, split: Split) -> Self {
        let range = split.test_range();
        Self {
            start: trace.timestamp(split.train_len),
            step_seconds: trace.step_seconds,
            actual: trace.requests[range.clone()].to_vec(),
            in_event: trace.in_event.as_ref().map(|e| e[range].to_vec()),
        }
    }

    /// Number of test steps.
    pub(crate) fn len(&self) -> usize {
        self.actual.len()
    }

    /// Timestamp of test step `i`.
    pub(crate) fn timestamp(&self, i: usize) -> DateTime<Utc> {
        self.start + Duration::seconds(i as i64 * i64::from(self.step_seconds))
    }

    /// Hours from the first test step to step `i`: the x axis of the time plots.
    pub(crate) fn hours(&self, i: usize) -> f64 {
        (i as f64) * f64::from(self.step_seconds) / 3600.0
    }
}

/// One (model, policy)'s timeline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RunTimeline {
    /// Model, or `none`.
    pub(crate) model: String,
    /// Policy.
    pub(crate) policy: String,
    /// Per-step state.
    pub(crate) timeline: Timeline,
}

/// Everything the table and the plots are drawn from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Results {
    /// The metrics rows, in run order.
    pub(crate) rows: Vec<PolicyMetrics>,
    /// The test period.
    pub(crate) test: TestPeriod,
    /// Every model's forecasts.
    pub(crate) models: Vec<ModelForecast>,
    /// Every run's timeline.
    pub(crate) timelines: Vec<RunTimeline>,
    /// Requests one ready container serves in one step.
    pub(crate) capacity_per_step: f64,
    /// What to deploy, chosen on the validation window; `None` without one.
    pub(crate) recommendation: Option<Recommendation>,
}

impl Results {
    /// The results of an experiment that just ran.
    pub(crate) fn of(
        trace: &Trace,
        split: Split,
        models: &[ModelForecast],
        outcome: &Outcome,
        capacity_per_step: f64,
    ) -> Self {
        Self {
            rows: outcome.rows(),
            test: TestPeriod::of(trace, split),
            models: models.to_vec(),
            timelines: outcome
                .runs
                .iter()
                .map(|r| RunTimeline {
                    model: r.metrics.model.clone(),
                    policy: r.metrics.policy.clone(),
                    timeline: r.timeline.clone(),
                })
                .collect(),
            capacity_per_step,
            recommendation: None,
        }
    }
}
