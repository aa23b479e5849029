//! The one runner of trials: each family along its knob's values on the window it is
//! chosen on and, where there is one, on the window it is judged on, every run from the
//! same forecasts and references a deployed policy would have had there.

use super::{Figures, Rule, Trial};
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
///
/// With `search` (the rule picks are made by) and a window to judge on, a family whose
/// attainment and cost rise one way along its knob ([`PolicyKind::knob_rises`]), at
/// three values or more, runs on the window chosen on only the values a bisection for
/// its pick tries ([`bisect`]): its other trials have no figures there. Every value
/// still runs on the window judged on, so the best in hindsight is the full lists'.
pub fn run(
    bench: &Bench,
    jobs: &[Job],
    window: usize,
    chosen_on: &Window,
    judged_on: Option<&Window>,
    search: Option<&Rule>,
) -> Result<Vec<Trial>, SimError> {
    let lean = bench.step.attainment_only();
    let bench = &Bench {
        step: &lean,
        ..*bench
    };
    // The policies searched, each once, in job order.
    let mut policies: Vec<PolicyKind> = Vec::new();
    for &(p, _) in jobs {
        let searches = search.is_some()
            && judged_on.is_some()
            && p.knob_rises().is_some()
            && jobs.iter().filter(|j| j.0 == p).count() >= 3;
        if searches && !policies.contains(&p) {
            policies.push(p);
        }
    }
    let searched = |p: PolicyKind| policies.contains(&p);
    // Every job, and a search per searched policy and model (once for a model-free
    // policy), side by side.
    let mut tasks: Vec<Task> = (0..jobs.len()).map(Task::Job).collect();
    for &p in &policies {
        match p.uses_forecast() {
            true => tasks.extend((0..chosen_on.models.len()).map(|k| Task::Search(p, Some(k)))),
            false => tasks.push(Task::Search(p, None)),
        }
    }
    let done = crate::fanout::map_in_order(&tasks, |&task| -> Result<Done, SimError> {
        match task {
            Task::Job(j) => {
                let job = jobs[j];
                let chosen = match searched(job.0) {
                    true => Vec::new(),
                    false => run_job(bench, job, chosen_on)?,
                };
                let judged = match judged_on {
                    Some(w) => run_job(bench, job, w)?.into_iter().map(Some).collect(),
                    None => vec![None; chosen.len()],
                };
                Ok(Done::Job(chosen, judged))
            }
            Task::Search(p, k) => {
                let models = k.map_or(&[][..], |k| &chosen_on.models[k..=k]);
                let mine = Window {
                    models,
                    ..*chosen_on
                };
                let rule = search.expect("a search has its rule");
                let rises = p.knob_rises().expect("a searched knob rises one way");
                let rank = |j: usize| rises.rank(jobs[j].1.unwrap_or(f64::NAN));
                let mut order: Vec<usize> = (0..jobs.len()).filter(|&j| jobs[j].0 == p).collect();
                order.sort_by(|&a, &b| rank(a).total_cmp(&rank(b)));
                let mut failed = None;
                // Each run's figures once: the search reads them, the trial keeps them.
                let ran = bisect(
                    &order,
                    |j| match run_job(bench, jobs[j], &mine) {
                        Ok(runs) => runs.into_iter().next().map(|r| {
                            let f = Figures::of(&r.metrics, &r.timeline, bench.step);
                            (r.metrics.model, f)
                        }),
                        Err(e) => {
                            failed.get_or_insert(e);
                            None
                        }
                    },
                    |(_, f): &(String, Figures)| rule.holds(f.evidence()),
                );
                if let Some(e) = failed {
                    return Err(e);
                }
                Ok(Done::Search(
                    ran.into_iter().map(|(j, (m, f))| (j, m, f)).collect(),
                ))
            }
        }
    });
    let mut searches: Vec<(usize, String, Figures)> = Vec::new();
    let mut per_job = Vec::new();
    for d in done {
        match d? {
            Done::Job(chosen, judged) => per_job.push((chosen, judged)),
            Done::Search(found) => searches.extend(found),
        }
    }
    let mut trials = Vec::new();
    for (j, (chosen, judged)) in per_job.into_iter().enumerate() {
        let (_, knob) = jobs[j].0.at_knob(bench.settings, jobs[j].1);
        let trial = |c: Option<Figures>, r: &Run, j_run: Option<&Run>| Trial {
            window,
            model: r.metrics.model.clone(),
            policy: r.metrics.policy.clone(),
            knob,
            tuned: j_run.map_or(r.tuned, |j| j.tuned),
            aim_pct: j_run.map_or(r.aim_pct, |j| j.aim_pct),
            chosen_on: c,
            judged_on: j_run.map(|j| Figures::of(&j.metrics, &j.timeline, bench.step)),
        };
        if searched(jobs[j].0) {
            // Judged on every value; chosen on where the search ran it (a value a
            // list repeats, which a grid's lists no longer do, finds its twin's run).
            for r in judged.iter().flatten() {
                let found = searches
                    .iter()
                    .find(|(k, m, _)| jobs[*k] == jobs[j] && *m == r.metrics.model)
                    .map(|f| f.2.clone());
                trials.push(trial(found, r, Some(r)));
            }
        } else {
            for (c, jr) in chosen.iter().zip(&judged) {
                let figures = Figures::of(&c.metrics, &c.timeline, bench.step);
                trials.push(trial(Some(figures), c, jr.as_ref()));
            }
        }
    }
    Ok(trials)
}

/// A unit of [`run`]'s work.
#[derive(Clone, Copy)]
enum Task {
    /// A job (an index into the jobs) on both windows, or where its policy is searched,
    /// on the window judged on.
    Job(usize),
    /// A policy's search on the window chosen on, for one model (an index into the
    /// window's models; `None` for a model-free policy).
    Search(PolicyKind, Option<usize>),
}

/// What a [`Task`] ran.
enum Done {
    /// A job's runs on the window chosen on (none where it is searched) and judged on.
    Job(Vec<Run>, Vec<Option<Run>>),
    /// A search's runs: (job, model, figures on the window chosen on).
    Search(Vec<(usize, String, Figures)>),
}

/// A bisection along a knob's values `order` (job indices, least capacity first) for the
/// first whose run (`run`; `None`: the policy does not run there) `holds`, as the pick
/// rule reads a run: where attainment and cost rise along `order`, the first that holds
/// is the cheapest that does, the pick a run of every value would make, found in
/// ⌈log₂(n + 1)⌉ runs of n. Where none holds, the pick is the likeliest, then the
/// closest, which it does not bisect for: every value runs. The runs made, in order.
pub fn bisect<R>(
    order: &[usize],
    mut run: impl FnMut(usize) -> Option<R>,
    holds: impl Fn(&R) -> bool,
) -> Vec<(usize, R)> {
    let mut ran: Vec<(usize, R)> = Vec::new();
    // The first value that holds lies at a position in lo..=hi (hi = n: none does).
    let (mut lo, mut hi) = (0, order.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let Some(r) = run(order[mid]) else {
            return ran;
        };
        let ok = holds(&r);
        ran.push((order[mid], r));
        if ok {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if lo == order.len() {
        for &k in order {
            if !ran.iter().any(|(j, _)| *j == k) {
                if let Some(r) = run(k) {
                    ran.push((k, r));
                }
            }
        }
    }
    ran
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values `bisect` runs and the first that holds, for 7 values of which those at
    /// `from` on hold.
    fn search(from: usize) -> (Vec<usize>, Option<usize>) {
        let order: Vec<usize> = (10..17).collect();
        let ran = bisect(&order, Some, |&j| j >= 10 + from);
        let runs: Vec<usize> = ran.iter().map(|r| r.0).collect();
        let first = ran.iter().filter(|r| r.1 >= 10 + from).map(|r| r.0).min();
        (runs, first)
    }

    #[test]
    fn a_bisection_runs_the_few_values_that_find_the_first_that_holds() {
        // 7 values: ⌈log₂ 8⌉ = 3 runs wherever the first that holds is, and it is found.
        for from in 0..7 {
            let (runs, first) = search(from);
            assert_eq!(runs.len(), 3, "{from}: {runs:?}");
            assert_eq!(first, Some(10 + from));
        }
        // The middle first, then the halves: the first holding at position 4 takes
        // 13 (fails), 15 (holds), 14 (holds).
        assert_eq!(search(4).0, vec![13, 15, 14]);
        // None holds: the three that showed it, then every other value.
        let (runs, first) = search(7);
        assert_eq!(runs, vec![13, 15, 16, 10, 11, 12, 14]);
        assert_eq!(first, None);
        // A policy that does not run there: nothing.
        assert!(bisect(&[1, 2, 3], |_| None::<usize>, |_| true).is_empty());
    }
}
