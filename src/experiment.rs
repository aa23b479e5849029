//! One experiment in memory: every selected policy replayed against every model's
//! forecasts and the metrics of each (`results` gathers what the reports are drawn
//! from). Pure;
//! `app` does the files and the console.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use thiserror::Error;

use crate::config::ModelConfig;
use crate::config::PolicyConfig;
use crate::forecast::{fit, Forecast, Validation};
use crate::metrics::{self, ForecastMetrics, PolicyMetrics, NO_MODEL};
use crate::policy::{Aim, AimWhy, Policy, PolicyContext, PolicyKind, Tuned};
use crate::serving::StepCluster;
use crate::sim::{simulate, SimError, Timeline};
use crate::trace::{Split, Trace};

/// A model's forecasts for the test period, one per test step.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelForecast {
    /// The model's name.
    pub model: String,
    /// Its forecasts.
    pub forecast: Forecast,
    /// Its forecasts of the validation window before the test period, made by the same
    /// fit; `None` when it was fitted on the whole train period.
    pub validation: Option<Validation>,
    /// Values tuned on that window so far, shared by the clones of this forecast.
    pub tunings: Tunings,
}

impl ModelForecast {
    /// The forecasts on the trace spread over `k` ticks a step
    /// ([`crate::trace::Trace::spread`]), with nothing tuned yet.
    pub fn spread(&self, k: usize) -> ModelForecast {
        ModelForecast {
            model: self.model.clone(),
            forecast: self.forecast.spread(k),
            validation: self.validation.as_ref().map(|v| v.spread(k)),
            tunings: Tunings::default(),
        }
    }
}

/// Why a tick cannot be taken.
#[derive(Debug, Error, PartialEq)]
#[error("--tick {tick}: it must divide the trace's step of {step} (a trace is decided at its step or finer)")]
pub struct TickError {
    /// The tick, in words.
    pub tick: String,
    /// The trace's step, in words.
    pub step: String,
}

/// The trace, its split and the models' forecasts decided at a tick of `tick_seconds`
/// (0: the trace's step), each step spread evenly over its ticks
/// (`docs/experiment.md`, The trace); as they are where the tick is the step.
pub fn at_tick(
    trace: &Trace,
    split: Split,
    models: Vec<ModelForecast>,
    tick_seconds: u32,
) -> Result<(Trace, Split, Vec<ModelForecast>), TickError> {
    let step = trace.step_seconds;
    if tick_seconds == 0 || tick_seconds == step {
        return Ok((trace.clone(), split, models));
    }
    if tick_seconds > step || !step.is_multiple_of(tick_seconds) {
        return Err(TickError {
            tick: crate::trace::step_in_words(tick_seconds),
            step: crate::trace::step_in_words(step),
        });
    }
    let k = (step / tick_seconds) as usize;
    Ok((
        trace.spread(k),
        split.spread(k),
        models.iter().map(|m| m.spread(k)).collect(),
    ))
}

/// What a tuned value depends on besides the model's window: what is tuned, the
/// policy's settings and the cluster.
type TuneKey = (Tuning, PolicyConfig, StepCluster);

/// What one memoized tuning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tuning {
    /// A value, by the policy its search runs (`Tune::runs`): one for the policies tuned
    /// as one.
    Value(&'static str),
    /// The aim of the named policy, from its value (`Tune::aims`).
    Aim(&'static str),
}

/// Values tuned on one model's validation window ([`tune`], then [`aim`]), by
/// [`TuneKey`]: a memo its clones share (an `Arc`), so the runs of the test period, the
/// recommendation's trials on the window and its runs of the test period, and a sweep's
/// or backtest's runs on both windows tune each policy once per setting. Tuning is
/// deterministic, so a value is the same whoever computed it; a caller that finds
/// another thread tuning the same key waits for its result. A cache, no part of the
/// forecast's value: every two compare equal.
#[derive(Clone, Default)]
pub struct Tunings(Arc<Mutex<Vec<(TuneKey, TuneSlot)>>>);

/// One key's value, once tuned; locked while it is being tuned.
type TuneSlot = Arc<Mutex<Option<Tuned>>>;

impl Tunings {
    /// The value tuned for `key`, tuning it with `f` the first time.
    fn get_or_tune(
        &self,
        key: TuneKey,
        f: impl FnOnce() -> Result<Tuned, SimError>,
    ) -> Result<Tuned, SimError> {
        let slot = {
            let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
            match all.iter().find(|(k, _)| *k == key) {
                Some((_, slot)) => Arc::clone(slot),
                None => {
                    let slot = TuneSlot::default();
                    all.push((key, Arc::clone(&slot)));
                    slot
                }
            }
        };
        let mut value = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = *value {
            return Ok(t);
        }
        let t = f()?;
        *value = Some(t);
        Ok(t)
    }
}

impl PartialEq for Tunings {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Tunings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tunings")
    }
}

impl ModelForecast {
    /// A fitted model's forecasts ([`fit::Trained`]), with no value tuned yet.
    pub fn of(trained: &fit::Trained) -> Self {
        Self {
            model: trained.model.clone(),
            forecast: trained.forecast.clone(),
            validation: trained.validation.clone(),
            tunings: Tunings::default(),
        }
    }

    /// The model on its validation window: the window's forecasts in place of the test
    /// period's (a policy tuned there is tuned and run on the same window); `None`
    /// without one.
    pub fn on_validation(&self) -> Option<ModelForecast> {
        let v = self.validation.as_ref()?;
        Some(ModelForecast {
            model: self.model.clone(),
            forecast: v.forecast.clone(),
            validation: Some(v.clone()),
            tunings: self.tunings.clone(),
        })
    }
}

/// The validation window choices are made on: the models' (each trained with the same
/// `--validation-days`; where a model could spare fewer days, the window most models
/// hold, then the longest), or without a model that has one the last `--validation-days`
/// of the train period, short of its first `history` steps (model-free policies need no
/// fit to run there, only the steps their first decision looks back on).
pub fn validation_window(
    cfg: &ModelConfig,
    trace: &Trace,
    split: Split,
    models: &[ModelForecast],
    history: usize,
) -> Range<usize> {
    let held: Vec<Range<usize>> = models
        .iter()
        .filter_map(|m| m.validation.as_ref().map(Validation::range))
        .collect();
    if let Some(v) = held
        .iter()
        .max_by_key(|r| (held.iter().filter(|h| h == r).count(), r.len()))
    {
        return v.clone();
    }
    let v = fit::validation_steps(cfg, trace).min(split.train_len.saturating_sub(history));
    split.train_len - v..split.train_len
}

/// The models whose validation window is `window`, on it ([`ModelForecast::on_validation`]);
/// a model that could not spare the window is left out.
pub fn on_window(models: &[ModelForecast], window: &std::ops::Range<usize>) -> Vec<ModelForecast> {
    models
        .iter()
        .filter(|m| m.validation.as_ref().is_some_and(|v| v.range() == *window))
        .filter_map(ModelForecast::on_validation)
        .collect()
}

/// One simulated (model, policy).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Its metrics row.
    pub metrics: PolicyMetrics,
    /// Its per-step timeline.
    pub timeline: Timeline,
    /// The value a tuned policy chose on the validation window ([`Tuned`]), for one that
    /// tunes one (slo-targeted's headroom).
    pub tuned: Option<f64>,
    /// The share in time, percent, a policy that holds one by feedback aims at, tuned on
    /// the validation window after its value ([`Tuned::aim`]: slo-feedback's).
    pub aim_pct: Option<f64>,
}

/// Everything an experiment produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// One per (model, policy): model-free policies once with model `none`, then each
    /// forecast policy per model.
    pub runs: Vec<Run>,
    /// Accuracy of each model on the test period.
    pub forecast_metrics: Vec<ForecastMetrics>,
    /// Combinations left out, with the reason (a policy needing an interval the model lacks).
    pub skipped: Vec<String>,
    /// What policies chose while being built ("slo-targeted on lstm: headroom …").
    pub notes: Vec<String>,
    /// The container-minutes of the references on this period, (oracle, optimal): the
    /// denominators of every run's cost ratios ([`reference_costs`]).
    pub references: (u64, u64),
}

impl Outcome {
    /// The metrics rows, in run order.
    pub fn rows(&self) -> Vec<PolicyMetrics> {
        self.runs.iter().map(|r| r.metrics.clone()).collect()
    }
}

/// Replays `policies` on the test period of `trace`. The oracle and the optimal schedule
/// are always simulated as the references of `cost_vs_oracle` and `cost_vs_optimal`;
/// their rows appear only if selected.
pub fn run(
    trace: &Trace,
    split: Split,
    models: &[ModelForecast],
    policies: &[PolicyKind],
    policy_cfg: &PolicyConfig,
    cluster: &StepCluster,
) -> Result<Outcome, SimError> {
    let period = Period {
        trace,
        split,
        models,
        cluster,
        references: None,
    };
    run_with(period, policies, policy_cfg)
}

/// The container-minutes of the two references on the test period: (oracle, optimal).
/// They depend on the trace, the split and the cluster alone, so a caller running many
/// policy settings on one of these computes them once ([`run_with`]).
pub fn reference_costs(
    trace: &Trace,
    split: Split,
    cluster: &StepCluster,
) -> Result<(u64, u64), SimError> {
    let free = PolicyContext {
        cluster,
        tuned: None,
    };
    let cost = |name: &str| -> Result<u64, SimError> {
        let kind = PolicyKind::from_name(name).expect("the references are registered");
        let mut policy = kind.build(&PolicyConfig::default(), &free);
        let tl = simulate(
            &trace.requests,
            split.test_range(),
            None,
            policy.as_mut(),
            cluster,
        )?;
        Ok(metrics::policy_metrics(NO_MODEL, name, &tl, cluster).container_minutes)
    };
    Ok((cost("oracle")?, cost("optimal")?))
}

/// A period to replay: the steps of a trace (the test range of a split), the models'
/// forecasts of them, the cluster, and the references' costs there where the caller has
/// them ([`reference_costs`]).
#[derive(Clone, Copy)]
pub struct Period<'a> {
    /// The trace.
    pub trace: &'a Trace,
    /// The period: the split's test range.
    pub split: Split,
    /// Each model's forecasts of the period.
    pub models: &'a [ModelForecast],
    /// The cluster in steps.
    pub cluster: &'a StepCluster,
    /// The references' container-minutes, (oracle, optimal); `None` takes them from the
    /// runs or simulates them.
    pub references: Option<(u64, u64)>,
}

/// [`run`] on a [`Period`]: `policies` at `policy_cfg`.
pub fn run_with(
    period: Period,
    policies: &[PolicyKind],
    policy_cfg: &PolicyConfig,
) -> Result<Outcome, SimError> {
    let Period {
        trace,
        split,
        models,
        cluster,
        references,
    } = period;
    let test = split.test_range();
    let sim = |policy: &mut dyn Policy, forecast: Option<&Forecast>| {
        simulate(&trace.requests, test.clone(), forecast, policy, cluster)
    };
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    let mut notes = Vec::new();
    let mut record =
        |model: &str, kind: PolicyKind, policy: &dyn Policy, tl: Timeline, tuned: Option<Tuned>| {
            let mut metrics = metrics::policy_metrics(model, kind.name(), &tl, cluster);
            metrics.slo_target = policy.slo_target();
            if let Some(note) = policy.note() {
                notes.push(format!("{} on {model}: {note}", kind.name()));
            }
            runs.push(Run {
                metrics,
                timeline: tl,
                tuned: tuned.map(|t| t.value),
                aim_pct: tuned.and_then(|t| t.aim).map(|a| a.pct),
            });
        };
    let free = PolicyContext {
        cluster,
        tuned: None,
    };
    for &kind in policies.iter().filter(|p| !p.uses_forecast()) {
        let mut policy = kind.build(policy_cfg, &free);
        let tl = sim(policy.as_mut(), None)?;
        record(NO_MODEL, kind, policy.as_ref(), tl, None);
    }
    for m in models {
        for &kind in policies.iter().filter(|p| p.uses_forecast()) {
            match build_on(trace, m, kind, policy_cfg, cluster)? {
                Built::Skipped(why) => skipped.push(why),
                Built::Policy(mut policy, tuned) => {
                    let tl = sim(policy.as_mut(), Some(&m.forecast))?;
                    record(&m.model, kind, policy.as_ref(), tl, tuned);
                }
            }
        }
    }
    // The references' costs: given, or read from their rows, or simulated.
    let (oracle, optimal) = match references {
        Some(costs) => costs,
        None => {
            let row = |name: &str| {
                runs.iter()
                    .find(|r| r.metrics.policy == name)
                    .map(|r| r.metrics.container_minutes)
            };
            match (row("oracle"), row("optimal")) {
                (Some(o), Some(p)) => (o, p),
                _ => reference_costs(trace, split, cluster)?,
            }
        }
    };
    for r in &mut runs {
        metrics::fill_cost_ratios(&mut r.metrics, oracle, optimal);
    }
    let actual = &trace.requests[test];
    let forecast_metrics = models
        .iter()
        .map(|m| metrics::forecast_metrics(&m.model, actual, &m.forecast))
        .collect();
    Ok(Outcome {
        runs,
        forecast_metrics,
        skipped,
        notes,
        references: (oracle, optimal),
    })
}

/// A forecast policy built on a model's forecasts, or why it cannot run on them.
pub enum Built {
    /// The policy, and the value it tuned on the model's validation window (a tuned
    /// policy's).
    Policy(Box<dyn Policy>, Option<Tuned>),
    /// Why not, in one line naming the model and the policy.
    Skipped(String),
}

/// `kind` built to run on `m`'s forecasts: tuned on `m`'s validation window where it
/// tunes (once per policy, config and cluster: the tunings are shared), as every replay
/// of it builds it, the simulator's and `serve`'s.
pub fn build_on(
    trace: &Trace,
    m: &ModelForecast,
    kind: PolicyKind,
    policy_cfg: &PolicyConfig,
    cluster: &StepCluster,
) -> Result<Built, SimError> {
    if kind.needs_interval() && m.forecast.interval.is_none() {
        return Ok(Built::Skipped(format!(
            "{} x {}: the model has no interval",
            m.model,
            kind.name()
        )));
    }
    let tuned = match (kind.tune(), &m.validation) {
        (Some(_), None) => {
            return Ok(Built::Skipped(format!(
                "{} x {}: the model has no validation window (train with --validation-days above 0 and a train period long enough for it)",
                m.model,
                kind.name()
            )));
        }
        (Some(_), Some(v)) => {
            // One tuning per search (shared by the policies tuned as one), and for a
            // cluster with and without latencies: its search keeps none.
            let search = kind.tune().expect("a tuned policy");
            let key = (
                Tuning::Value(search.runs),
                policy_cfg.clone(),
                cluster.with_latencies(),
            );
            let start = m
                .tunings
                .get_or_tune(key, || tune(trace, v, kind, policy_cfg, cluster))?;
            Some(if search.aims {
                let key = (
                    Tuning::Aim(kind.name()),
                    policy_cfg.clone(),
                    cluster.with_latencies(),
                );
                m.tunings
                    .get_or_tune(key, || aim(trace, v, kind, policy_cfg, cluster, start))?
            } else {
                start
            })
        }
        (None, _) => None,
    };
    let ctx = PolicyContext { cluster, tuned };
    Ok(Built::Policy(kind.build(policy_cfg, &ctx), tuned))
}

/// `kind`'s tuned value on the validation window `v`: the smallest its search finds
/// whose run of the whole policy on the window, from `v`'s forecasts, meets the cluster's
/// SLO with the confidence asked ([`crate::hold::Rule`]: expected to hold on a day after
/// the window, or with one day or `--confidence 0`, met on the window;
/// [`crate::policy::Tune`]).
fn tune(
    trace: &Trace,
    v: &Validation,
    kind: PolicyKind,
    policy_cfg: &PolicyConfig,
    cluster: &StepCluster,
) -> Result<Tuned, SimError> {
    let search = kind.tune().expect("a tuned policy");
    // The runs are the search's policy's (slo-feedback's are slo-targeted's).
    let kind = PolicyKind::from_name(search.runs).expect("a search runs a registered policy");
    let runs = ValidationRuns::new(trace, v, kind, policy_cfg, cluster);
    let steps = v.forecast.len();
    let (value, (attained_pct, days)) =
        runs.search((search.low, search.high), search.tolerance, |value| {
            Tuned::trying(value, steps)
        })?;
    Ok(Tuned {
        value,
        attained_pct,
        steps,
        days_met: (crate::hold::days_met(&days, runs.rule.slo), days.len()),
        chance: runs.rule.stated(&days),
        aim: None,
    })
}

/// The step between the aims tried, in points of a share.
const AIM_STEP_PCT: f64 = 0.01;

/// `start` (`kind`'s value tuned on the validation window `v`) with the share in time
/// `kind` holds by feedback from it ([`crate::policy::Tune::aims`]): the least, to a
/// hundredth of a point from the SLO up to what `start` reached open loop, whose run
/// of `kind` itself on the window, closed loop from `start`, meets the rule `start` was
/// tuned by; found by bisection (the verdict is taken to rise with the aim: on two
/// validation days it need not, and the aim found then meets the rule where a hundredth
/// less does not, but may not be the least). Where even that share's run does not meet
/// it, or less than a hundredth lies between, what `start` reached; where `start`
/// reached no more than the SLO, the SLO (`docs/experiment.md`, slo-feedback).
fn aim(
    trace: &Trace,
    v: &Validation,
    kind: PolicyKind,
    policy_cfg: &PolicyConfig,
    cluster: &StepCluster,
    start: Tuned,
) -> Result<Tuned, SimError> {
    let runs = ValidationRuns::new(trace, v, kind, policy_cfg, cluster);
    let rule = runs.rule;
    let at = |pct: f64, why: AimWhy| Tuned {
        aim: Some(Aim { pct, why }),
        ..start
    };
    let reached = start.attained_pct;
    if reached <= rule.slo {
        return Ok(at(rule.slo, AimWhy::Slo));
    }
    // No step may lie between the SLO and a share less than one above it.
    if reached < rule.slo + AIM_STEP_PCT {
        return Ok(at(reached, AimWhy::Reached));
    }
    let (aim, last) = runs.search(
        (rule.slo / 100.0, reached / 100.0),
        AIM_STEP_PCT / 100.0,
        |aim| at(100.0 * aim, AimWhy::Least),
    )?;
    Ok(if runs.meets(&last) {
        at(100.0 * aim, AimWhy::Least)
    } else {
        at(reached, AimWhy::Reached)
    })
}

/// A policy's runs on a model's validation window, as a search makes them: what each
/// attains (never its latencies), and the rule they are judged by.
struct ValidationRuns<'a> {
    trace: &'a Trace,
    v: &'a Validation,
    kind: PolicyKind,
    policy_cfg: &'a PolicyConfig,
    cluster: StepCluster,
    /// What a run must show ([`crate::hold::Rule::of`] the cluster).
    rule: crate::hold::Rule,
}

impl<'a> ValidationRuns<'a> {
    /// `kind`'s runs on `v` under `cluster`'s SLO and `--confidence`.
    fn new(
        trace: &'a Trace,
        v: &'a Validation,
        kind: PolicyKind,
        policy_cfg: &'a PolicyConfig,
        cluster: &StepCluster,
    ) -> Self {
        let cluster = cluster.attainment_only();
        let rule = crate::hold::Rule::of(&cluster);
        Self {
            trace,
            v,
            kind,
            policy_cfg,
            cluster,
            rule,
        }
    }

    /// The policy at `tuned`, run on the window from its forecasts: its SLO attainment
    /// over the window and on each whole day of it, percent.
    fn run(&self, tuned: Tuned) -> Result<(f64, Vec<f64>), SimError> {
        let ctx = PolicyContext {
            cluster: &self.cluster,
            tuned: Some(tuned),
        };
        let mut policy = self.kind.build(self.policy_cfg, &ctx);
        let tl = simulate(
            &self.trace.requests,
            self.v.range(),
            Some(&self.v.forecast),
            policy.as_mut(),
            &self.cluster,
        )?;
        Ok((
            metrics::policy_metrics(NO_MODEL, self.kind.name(), &tl, &self.cluster)
                .slo_attained_pct,
            metrics::daily_attained_pct(&tl, &self.cluster),
        ))
    }

    /// The least value in `bounds`, a multiple of `step`, whose run, the policy at
    /// `at(value)`, meets the rule ([`crate::policy::bisect`]), and that run; the first
    /// run's error, if one failed.
    fn search(
        &self,
        bounds: (f64, f64),
        step: f64,
        at: impl Fn(f64) -> Tuned,
    ) -> Result<(f64, (f64, Vec<f64>)), SimError> {
        let mut failed = None;
        let found = crate::policy::bisect(
            bounds,
            step,
            |value| {
                self.run(at(value)).unwrap_or_else(|e| {
                    failed.get_or_insert(e);
                    (f64::NAN, Vec::new())
                })
            },
            |r| self.meets(r),
        );
        failed.map_or(Ok(found), Err)
    }

    /// Whether a run ([`Self::run`]) meets the rule.
    fn meets(&self, (pooled, days): &(f64, Vec<f64>)) -> bool {
        self.rule.holds(crate::hold::Evidence {
            pooled: *pooled,
            days,
        })
    }
}

/// What the experiment's and the recommendation's tests run on.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;

    /// The demand a step late over `r`: a naive forecast, which a policy needs a headroom
    /// over.
    pub(crate) fn late(trace: &Trace, r: std::ops::Range<usize>) -> Forecast {
        Forecast {
            yhat: r.map(|j| trace.requests[j - 1]).collect(),
            interval: None,
        }
    }

    /// `kind` at `tuned`, simulated over the steps `r` of `trace` from the forecast
    /// [`late`] makes for them.
    pub(crate) fn run_late(
        trace: &Trace,
        r: std::ops::Range<usize>,
        kind: PolicyKind,
        tuned: Tuned,
        cfg: &PolicyConfig,
        cluster: &StepCluster,
    ) -> Timeline {
        let ctx = PolicyContext {
            cluster,
            tuned: Some(tuned),
        };
        let mut p = kind.build(cfg, &ctx);
        let forecast = late(trace, r.clone());
        simulate(&trace.requests, r, Some(&forecast), p.as_mut(), cluster).unwrap()
    }

    /// Two generated days: the second the test period, the `validation` steps before it
    /// the validation window, and model `late` ([`late`]) forecasting both.
    pub(crate) fn two_days_late(
        validation: usize,
    ) -> (Trace, std::ops::Range<usize>, Split, Vec<ModelForecast>) {
        days_late(2, validation)
    }

    /// `days` generated days: the last the test period, the `validation` steps before it
    /// the validation window, and model `late` ([`late`]) forecasting both.
    pub(crate) fn days_late(
        days: usize,
        validation: usize,
    ) -> (Trace, std::ops::Range<usize>, Split, Vec<ModelForecast>) {
        let (trace, _) = crate::trace::generate::generate(&crate::config::GenerateConfig {
            days: days as f64,
            ..Default::default()
        })
        .unwrap();
        let n = trace.len();
        let last = n - n / days;
        let (v, t) = (last - validation..last, last..n);
        let split = Split {
            train_len: t.start,
            test_len: t.len(),
        };
        let models = vec![ModelForecast {
            model: "late".into(),
            forecast: late(&trace, t),
            validation: Some(Validation {
                start: v.start,
                forecast: late(&trace, v.clone()),
            }),
            tunings: Default::default(),
        }];
        (trace, v, split, models)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClusterConfig;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_value_is_tuned_once_per_key_whoever_asks_first() {
        let tunings = Tunings::default();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let tuned = |value| {
            runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(Tuned {
                value,
                attained_pct: 90.0,
                steps: 10,
                days_met: (0, 0),
                chance: None,
                aim: None,
            })
        };
        let key = |target: f64| {
            let cluster = crate::serving::test_cluster(2);
            let cfg = PolicyConfig {
                hpa_target_utilization: target,
                ..PolicyConfig::default()
            };
            (Tuning::Value("slo-targeted"), cfg, cluster)
        };
        // Two threads at once, one of them on a clone: one tuning, both get its value.
        let copy = tunings.clone();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| tunings.get_or_tune(key(0.7), || tuned(0.25)).unwrap());
            let b = s.spawn(|| copy.get_or_tune(key(0.7), || tuned(0.25)).unwrap());
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_eq!((a.value, b.value), (0.25, 0.25));
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another setting is another key; a failed tuning is not kept.
        assert_eq!(
            tunings.get_or_tune(key(0.8), || tuned(0.5)).unwrap().value,
            0.5
        );
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 2);
        let failed = tunings.get_or_tune(key(0.9), || {
            Err(SimError::NoHistory {
                test_start: 0,
                need: 1,
            })
        });
        assert!(failed.is_err());
        assert_eq!(
            tunings.get_or_tune(key(0.9), || tuned(0.75)).unwrap().value,
            0.75
        );
    }

    #[test]
    fn model_free_policies_once_forecast_policies_per_model() {
        let trace = Trace {
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            step_seconds: 60,
            requests: (0..40).map(|i| (i % 7) as f64 * 30.0).collect(),
            in_event: None,
        };
        let split = Split {
            train_len: 30,
            test_len: 10,
        };
        let perfect = Forecast {
            yhat: trace.requests[30..].to_vec(),
            interval: None,
        };
        let models = vec![ModelForecast {
            model: "perfect".into(),
            forecast: perfect,
            validation: None,
            tunings: Default::default(),
        }];
        // The threshold rule: a perfect forecast sized by capacity is then the oracle.
        let cluster = ClusterConfig::threshold().at_step(60);
        let out = run(
            &trace,
            split,
            &models,
            PolicyKind::ALL,
            &PolicyConfig::default(),
            &cluster,
        )
        .unwrap();
        let names: Vec<(String, String)> = out
            .runs
            .iter()
            .map(|r| (r.metrics.model.clone(), r.metrics.policy.clone()))
            .collect();
        // Counts derived from the registry: model-free policies once, forecast policies
        // once for the one model, minus those that need the interval it lacks.
        let free = PolicyKind::ALL
            .iter()
            .filter(|p| !p.uses_forecast())
            .count();
        let lacking = PolicyKind::ALL
            .iter()
            .filter(|p| p.needs_interval() || p.needs_validation())
            .count();
        let per_model = PolicyKind::ALL.len() - free - lacking;
        assert_eq!(names.iter().filter(|n| n.0 == "none").count(), free);
        assert_eq!(names.iter().filter(|n| n.0 == "perfect").count(), per_model);
        assert_eq!(out.skipped.len(), lacking);
        // A perfect forecast under simple-ceiling is the oracle, cost ratio exactly 1.
        let sc = out
            .runs
            .iter()
            .find(|r| r.metrics.policy == "simple-ceiling")
            .unwrap();
        assert_eq!(sc.metrics.cost_vs_oracle, 1.0);
        assert_eq!(sc.metrics.sla_violation_minutes, 0);
        // The optimum is never dearer than any zero-violation row, the oracle included.
        let optimal = out
            .runs
            .iter()
            .find(|r| r.metrics.policy == "optimal")
            .unwrap();
        assert_eq!(optimal.metrics.cost_vs_optimal, 1.0);
        for r in out
            .runs
            .iter()
            .filter(|r| r.metrics.sla_violation_minutes == 0)
        {
            assert!(r.metrics.cost_vs_optimal >= 1.0, "{:?}", r.metrics);
        }
        // The references computed on their own are the references' rows.
        let cost = |p: &str| {
            out.runs
                .iter()
                .find(|r| r.metrics.policy == p)
                .unwrap()
                .metrics
                .container_minutes
        };
        assert_eq!(
            reference_costs(&trace, split, &cluster).unwrap(),
            (cost("oracle"), cost("optimal"))
        );
        assert_eq!(out.forecast_metrics[0].mae, 0.0);
    }

    /// A day's chance of meeting 90 % by the spread of `tl`'s three days (of `day` steps
    /// each), computed by hand: the share of each day's requests in time, its miss over
    /// the ceiling c the service alone reaches (at least a hundredth of the budget
    /// c − 90), and with two degrees of freedom F(t) = 1/2 + t / (2 √(2 + t²)) at
    /// t = (ln(c − 90) − m) / (s √(4/3)), m and s the misses' logarithms' mean and
    /// deviation.
    fn chance_of_three_days(tl: &crate::sim::Timeline, day: usize, cluster: &StepCluster) -> f64 {
        let days: Vec<f64> = (0..3)
            .map(|d| {
                let r = d * day..(d + 1) * day;
                let missed: f64 = tl.unserved[r.clone()].iter().sum();
                let within: f64 = tl.within[r].iter().sum();
                100.0 * within / (within + missed)
            })
            .collect();
        let c = crate::serving::ceiling_pct(&cluster.serving);
        let budget = c - 90.0;
        let logs: Vec<f64> = days
            .iter()
            .map(|d| (c - d).max(0.01 * budget).ln())
            .collect();
        let mean = logs.iter().sum::<f64>() / 3.0;
        let s = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        let t = (budget.ln() - mean) / (s * (4.0f64 / 3.0).sqrt());
        0.5 + t / (2.0 * (2.0 + t * t).sqrt())
    }

    /// Five generated days: the 2nd to 4th the validation window, the 5th the test; the
    /// forecast is the demand a step late. 90 % held with `--confidence 90`.
    fn five_days_at_90() -> (
        Trace,
        std::ops::Range<usize>,
        Split,
        Vec<ModelForecast>,
        StepCluster,
    ) {
        let (trace, v, split, models) = fixture::days_late(5, 3 * 1440);
        let mut cluster = crate::config::ClusterConfig::default().at_step(60);
        cluster.serving.slo_share = 0.9;
        cluster.serving.confidence_pct = 90.0;
        (trace, v, split, models, cluster)
    }

    #[test]
    fn slo_targeted_aims_at_the_margin_its_validation_days_ask_for() {
        // Tuned with --confidence 90, the headroom found puts a day's chance of meeting
        // 90 % at 0.9 or more by the validation days' own spread (by hand:
        // chance_of_three_days). 0.2 % less headroom falls short, and the bare rule's
        // headroom is lower.
        let (trace, v, split, models, cluster) = five_days_at_90();
        let kind = PolicyKind::from_name("slo-targeted").unwrap();
        let cfg = PolicyConfig::default();
        let tuned_at = |cluster: &StepCluster| {
            let out = run(&trace, split, &models, &[kind], &cfg, cluster).unwrap();
            out.runs[0].tuned.unwrap()
        };
        let chance = |h: f64| {
            let tuned = Tuned::trying(h, 0);
            let tl = fixture::run_late(&trace, v.clone(), kind, tuned, &cfg, &cluster);
            chance_of_three_days(&tl, 1440, &cluster)
        };
        let h = tuned_at(&cluster);
        assert!(chance(h) >= 0.9 - 1e-6, "{h}: {}", chance(h));
        assert!(chance(h - 0.002) < 0.9, "{h}: {}", chance(h - 0.002));
        let mut bare = cluster;
        bare.serving.confidence_pct = 0.0;
        let b = tuned_at(&bare);
        assert!(b < h, "bare {b}, with the margin {h}");
    }

    #[test]
    fn slo_feedback_aims_at_the_least_share_its_own_closed_loop_days_hold_with() {
        // slo-feedback starts at slo-targeted's headroom (the test above's) and aims, by
        // feedback, at the least share, to a hundredth of a point, whose run of itself on
        // the validation window, closed loop from that headroom, puts a day's chance of
        // meeting 90 % at 0.9 or more (by hand: chance_of_three_days); a hundredth less
        // falls short. 90.16 %, below the 90.63 % the start reached open loop (the aim
        // before the search; docs/experiment.md quotes both), so it serves the test day
        // with fewer containers. Its run reports the aim; slo-targeted's none.
        let (trace, v, split, models, cluster) = five_days_at_90();
        let kind = PolicyKind::from_name("slo-feedback").unwrap();
        let cfg = PolicyConfig::default();
        let Built::Policy(_, Some(tuned)) =
            build_on(&trace, &models[0], kind, &cfg, &cluster).unwrap()
        else {
            panic!("slo-feedback tunes on the validation window");
        };
        let aim = tuned.aim.expect("an aim");
        assert_eq!(aim.why, AimWhy::Least);
        assert!((aim.pct - 90.16).abs() < 1e-9, "{}", aim.pct);
        let targeted = PolicyKind::from_name("slo-targeted").unwrap();
        let out = run(&trace, split, &models, &[targeted, kind], &cfg, &cluster).unwrap();
        let aims: Vec<Option<f64>> = out.runs.iter().map(|r| r.aim_pct).collect();
        assert_eq!(aims, [None, Some(aim.pct)]);
        assert!(
            (tuned.attained_pct - 90.63).abs() < 0.005,
            "{}",
            tuned.attained_pct
        );
        // Its run, closed loop from the start, on `range` aiming at `pct`.
        let run_at = |pct: f64, range: std::ops::Range<usize>| {
            let at = Tuned {
                aim: Some(Aim { pct, ..aim }),
                ..tuned
            };
            fixture::run_late(&trace, range, kind, at, &cfg, &cluster)
        };
        let chance = |pct: f64| chance_of_three_days(&run_at(pct, v.clone()), 1440, &cluster);
        assert!(chance(aim.pct) >= 0.9 - 1e-6, "{}", chance(aim.pct));
        assert!(chance(aim.pct - 0.01) < 0.9, "{}", chance(aim.pct - 0.01));
        let test = v.end..trace.len();
        let cost = |pct: f64| {
            let tl = run_at(pct, test.clone());
            metrics::policy_metrics("late", kind.name(), &tl, &cluster).container_minutes
        };
        assert!(
            cost(aim.pct) < cost(tuned.attained_pct),
            "{} {}",
            cost(aim.pct),
            cost(tuned.attained_pct)
        );
    }

    #[test]
    fn slo_feedback_aims_at_the_slo_or_the_start_where_no_search_can_run() {
        // A start that reached less than the SLO aims at the SLO; one that reached less
        // than a hundredth of a point above it, at what it reached: no share a hundredth
        // apart lies between. Neither runs the policy: the window here has no forecast,
        // so a start a hundredth above the SLO, which searches, fails.
        let (trace, v, _, _, cluster) = five_days_at_90();
        let kind = PolicyKind::from_name("slo-feedback").unwrap();
        let cfg = PolicyConfig::default();
        let v = Validation {
            start: v.start,
            forecast: Forecast {
                yhat: Vec::new(),
                interval: None,
            },
        };
        let aim_of = |reached: f64| {
            let start = Tuned {
                attained_pct: reached,
                ..Tuned::trying(0.5, 0)
            };
            aim(&trace, &v, kind, &cfg, &cluster, start).map(|t| t.aim)
        };
        let slo = Some(Aim {
            pct: 90.0,
            why: AimWhy::Slo,
        });
        assert_eq!(aim_of(89.0).unwrap(), slo);
        assert_eq!(aim_of(90.0).unwrap(), slo);
        let reached = Some(Aim {
            pct: 90.005,
            why: AimWhy::Reached,
        });
        assert_eq!(aim_of(90.005).unwrap(), reached);
        assert!(aim_of(90.01).is_err());
    }

    #[test]
    fn slo_feedback_aims_at_what_its_start_reached_where_no_share_holds() {
        // A start far below what the window needs (headroom −50 %), said to have reached
        // 95 %: closed loop from it, the first day misses by far whatever the aim, so no
        // share from 90 % to 95 % meets the rule, and the aim is the 95 % the start
        // reached, as it stands (not the hundredth the search ran below it).
        let (trace, _, _, models, cluster) = five_days_at_90();
        let kind = PolicyKind::from_name("slo-feedback").unwrap();
        let cfg = PolicyConfig::default();
        let v = models[0].validation.clone().unwrap();
        let reached = 95.004;
        let start = Tuned {
            attained_pct: reached,
            ..Tuned::trying(-0.5, v.forecast.len())
        };
        let tuned = aim(&trace, &v, kind, &cfg, &cluster, start).unwrap();
        assert_eq!(
            tuned.aim,
            Some(Aim {
                pct: reached,
                why: AimWhy::Reached,
            })
        );
    }

    #[test]
    fn slo_targeted_and_slo_feedback_share_the_headroom_whichever_is_built_first() {
        // One search for the headroom, memoized as slo-targeted's value; the aim as
        // slo-feedback's: slo-targeted never aims, both start alike in either order, and
        // the model's memo holds those two tunings.
        let (trace, _, _, _, cluster) = five_days_at_90();
        let cfg = PolicyConfig::default();
        let tuned = |first: &str, second: &str| {
            let (_, _, _, models) = fixture::days_late(5, 3 * 1440);
            let built = |name: &str| {
                let kind = PolicyKind::from_name(name).unwrap();
                match build_on(&trace, &models[0], kind, &cfg, &cluster).unwrap() {
                    Built::Policy(_, Some(t)) => t,
                    _ => panic!("{name} tunes"),
                }
            };
            let both = (built(first), built(second));
            let memo = models[0].tunings.0.lock().unwrap();
            let tuned: Vec<Tuning> = memo.iter().map(|((t, _, _), _)| *t).collect();
            assert_eq!(tuned.len(), 2, "{tuned:?}");
            assert!(tuned.contains(&Tuning::Value("slo-targeted")), "{tuned:?}");
            assert!(tuned.contains(&Tuning::Aim("slo-feedback")), "{tuned:?}");
            both
        };
        let (targeted, feedback) = tuned("slo-targeted", "slo-feedback");
        let (feedback_first, targeted_second) = tuned("slo-feedback", "slo-targeted");
        assert_eq!(targeted.aim, None);
        assert_eq!(targeted_second.aim, None);
        assert_eq!(targeted, targeted_second);
        assert_eq!(feedback, feedback_first);
        assert_eq!(feedback.value, targeted.value);
        assert_eq!(feedback.aim.map(|a| a.why), Some(AimWhy::Least));
    }

    #[test]
    fn slo_targeted_runs_at_the_smallest_headroom_that_met_the_slo_on_the_validation_window() {
        // The first day but its first 600 steps the validation window, the second day the
        // test period; the forecast is the demand a step late, so a headroom is needed.
        let (trace, v, split, models) = fixture::two_days_late(840);
        let t = split.test_range();
        let mut cluster = crate::config::ClusterConfig::default().at_step(60);
        cluster.serving.slo_share = 0.9;
        let kind = PolicyKind::from_name("slo-targeted").unwrap();
        let cfg = PolicyConfig::default();
        let out = run(&trace, split, &models, &[kind], &cfg, &cluster).unwrap();
        // Replayed here, apart from the experiment's code: the headroom the search finds
        // on runs simulated here meets 90 % on the validation window, one 0.2 % lower
        // does not, and the policy at it on the test period is the experiment's row.
        let replay = |h: f64, r: std::ops::Range<usize>| {
            let tl = fixture::run_late(&trace, r, kind, Tuned::trying(h, 0), &cfg, &cluster);
            metrics::policy_metrics("late", kind.name(), &tl, &cluster)
        };
        let attained = |h: f64| replay(h, v.clone()).slo_attained_pct;
        let (h, at) = kind.tune().unwrap().search(90.0, attained);
        assert!(h > -0.9 && h < 10.0 && at >= 90.0, "{h} {at}");
        assert!(attained(h - 0.002) < 90.0);
        let mut row = out.runs[0].metrics.clone();
        row.cost_vs_oracle = f64::NAN;
        row.cost_vs_optimal = f64::NAN;
        let mut mine = replay(h, t);
        mine.slo_target = Some(90.0);
        mine.cost_vs_oracle = f64::NAN;
        mine.cost_vs_optimal = f64::NAN;
        assert_eq!(format!("{row:?}"), format!("{mine:?}"));
        assert_eq!(
            out.notes[0],
            format!(
                "slo-targeted on late: headroom {:+.1} % reaches {at:.2} % on the {} validation steps (SLO 90 %)",
                100.0 * h,
                v.len()
            )
        );
    }
}
