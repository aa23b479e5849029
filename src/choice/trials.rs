//! The one runner of trials: each family along its knob's values on the window it is
//! chosen on and, where there is one, on the window it is judged on, every run from the
//! same forecasts and references a deployed policy would have had there.

use super::{Figures, Trial};
use crate::config::ModelConfig;
use crate::experiment::{self, ModelForecast, Period, Run};
use crate::policy::PolicyKind;
use crate::serving::StepCluster;
use crate::settings::Settings;
use crate::sim::SimError;
use crate::trace::{Split, Trace};

/// What every trial shares.
#[derive(Clone, Copy)]
pub struct Bench<'a> {
    /// The trace.
    pub trace: &'a Trace,
    /// The resolved settings; each trial sets its knob on a copy.
    pub settings: &'a Settings,
    /// How the models were trained.
    pub model_cfg: &'a ModelConfig,
    /// The cluster in steps (its SLO judges).
    pub step: &'a StepCluster,
}

/// A window trials run on.
#[derive(Clone, Copy)]
pub struct Window<'a> {
    /// Its steps, as a split whose test period is the window.
    pub split: Split,
    /// The models' forecasts of it (each [`ModelForecast`] on this window).
    pub models: &'a [ModelForecast],
    /// The references' container-minutes on it, (oracle, optimal).
    pub references: (u64, u64),
}

impl<'a> Window<'a> {
    /// The window `split` with `models`' forecasts of it, its references simulated.
    pub fn new(bench: &Bench, split: Split, models: &'a [ModelForecast]) -> Result<Self, SimError> {
        Ok(Self {
            split,
            models,
            references: experiment::reference_costs(bench.trace, split, bench.step)?,
        })
    }
}

/// One policy at one knob value: `None` for the policy's default (no knob, or its
/// setting as resolved).
pub type Job = (PolicyKind, Option<f64>);

/// Every deployable policy of `policies` (the families a choice is among: the references
/// read the future) at each of the values `values` gives it, in the order given.
pub fn jobs(policies: &[PolicyKind], values: impl Fn(PolicyKind) -> Vec<Option<f64>>) -> Vec<Job> {
    policies
        .iter()
        .filter(|p| crate::metrics::deployable_policy(p.name()))
        .flat_map(|&p| values(p).into_iter().map(move |v| (p, v)))
        .collect()
}

/// Runs `job` on `window` for every model (once with model `none` for a model-free
/// policy).
pub fn run_job(bench: &Bench, job: Job, window: &Window) -> Result<Vec<Run>, SimError> {
    let (policy, value) = job;
    let (settings, _) = policy.at_knob(bench.settings, value);
    let cfg = settings.policy_config(bench.model_cfg);
    let period = Period {
        trace: bench.trace,
        split: window.split,
        models: window.models,
        cluster: bench.step,
        references: Some(window.references),
    };
    Ok(experiment::run_with(period, &[policy], &cfg)?.runs)
}

/// Every job on `chosen_on` and, given one, on `judged_on` (the same models, each on that
/// window), side by side; the trials in job order, then model order, numbered `window`.
/// A trial's tuned value is the judged run's (tuned on the window chosen on, as every
/// run on either window is), else the chosen run's. A trial is read for what it attains
/// and costs alone ([`Figures`]), so its runs keep no latencies
/// ([`StepCluster::attainment_only`]).
pub fn run(
    bench: &Bench,
    jobs: &[Job],
    window: usize,
    chosen_on: &Window,
    judged_on: Option<&Window>,
) -> Result<Vec<Trial>, SimError> {
    let lean = bench.step.attainment_only();
    let bench = &Bench {
        step: &lean,
        ..*bench
    };
    let per_job = crate::fanout::map_in_order(jobs, |&job| -> Result<Vec<Trial>, SimError> {
        let (_, knob) = job.0.at_knob(bench.settings, job.1);
        let chosen = run_job(bench, job, chosen_on)?;
        let judged = match judged_on {
            Some(w) => run_job(bench, job, w)?.into_iter().map(Some).collect(),
            None => vec![None; chosen.len()],
        };
        Ok(chosen
            .into_iter()
            .zip(judged)
            .map(|(c, j): (Run, Option<Run>)| Trial {
                window,
                model: c.metrics.model.clone(),
                policy: c.metrics.policy.clone(),
                knob,
                tuned: j.as_ref().map_or(c.tuned, |j| j.tuned),
                chosen_on: Figures::of(&c.metrics, &c.timeline, bench.step),
                judged_on: j.map(|j| Figures::of(&j.metrics, &j.timeline, bench.step)),
            })
            .collect())
    });
    let mut trials = Vec::new();
    for part in per_job {
        trials.extend(part?);
    }
    Ok(trials)
}
