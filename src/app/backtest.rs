//! `backtest`: rolling-origin folds at the end of one trace. Per fold each model is fitted
//! once on everything before the fold's validation window and forecasts the validation
//! and test windows; every (model, policy) family runs along its knob on both windows;
//! the family's pick is chosen on validation alone ([`crate::choice`]), and the
//! recommendation across folds too. Writes `backtest.csv` and `recommendation.md`.

use std::ops::Range;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::choice::trials::{self, Bench, Window};
use crate::choice::{self, FamilyRecord, Figures, Fold, Trial};
use crate::config::{ClusterConfig, ModelConfig};
use crate::experiment::ModelForecast;
use crate::forecast::fit::{self, build_models, side_by_side};
use crate::forecast::{FitInput, Forecast, Forecaster};
use crate::hold::{chance_about, chance_cell};
use crate::metrics;
use crate::plan::BacktestPlan;
use crate::serving::StepCluster;
use crate::store::shards::{Layout, Manifest, ShardDir};
use crate::store::sweep::trace_files;
use crate::store::write_all_atomic;
use crate::trace::{format_timestamp, Split, Trace};
use crate::{interrupt, progress};

/// Every trial of one fold: each family at each knob value on the validation and the
/// test window, from one fit per model; and each model's interval coverage.
#[cfg(test)]
fn run_fold(
    plan: &BacktestPlan,
    setup: &Setup,
    fold: &Fold,
    reach: usize,
    bar: &indicatif::ProgressBar,
) -> Result<(Vec<Trial>, Coverage)> {
    judge_fold(plan, setup, fold, fit_fold(plan, setup, fold, reach, bar)?)
}

/// One fold's models, fitted: each model's forecasts of the validation window and of
/// the test window, and its interval's coverage of the test window.
struct FoldFit {
    on_validation: Vec<ModelForecast>,
    on_test: Vec<ModelForecast>,
    coverage: Coverage,
}

/// Fits each model for `fold` once, on everything before the fold's validation window,
/// or reads its forecasts from the trace's chain ([`Setup::chain`]).
fn fit_fold(
    plan: &BacktestPlan,
    setup: &Setup,
    fold: &Fold,
    reach: usize,
    bar: &indicatif::ProgressBar,
) -> Result<FoldFit> {
    let grid = &plan.grid;
    let (trace, cluster) = (&setup.trace, &setup.cluster);
    let model_cfg = setup.model_cfg(plan, fold);
    let split = fold.split();
    let mut on_validation = Vec::new();
    let mut on_test = Vec::new();
    // Each model's interval coverage of the test window, as trained and calibrated.
    let mut coverage: Coverage = Vec::new();
    interrupt::check()?;
    bar.set_message(format!("fold {}: fitting", fold.index));
    let mut models = build_models(&grid.models, &model_cfg);
    let fitted = side_by_side(&mut models, |model| {
        let refits = model.refit_every().steps(trace.step_seconds).is_some();
        if !(plan.chained && (refits || model.fits_once_for_folds())) {
            return fit::fit(model, trace, split, cluster, &model_cfg);
        }
        let (chain, start) = setup.chain(model, reach)?;
        fit::from_chain(model, &chain, start, trace, split, cluster, &model_cfg)
    });
    for trained in fitted {
        let trained = trained.with_context(|| format!("fold {}", fold.index))?;
        let f = ModelForecast::of(&trained);
        let validation = match f.validation {
            Some(v) if v.range() == fold.validation => v,
            _ => bail!(
                "fold {}: {} could not spare its validation window",
                fold.index,
                f.model
            ),
        };
        if let Some(c) = trained.interval {
            let calibrated = metrics::forecast_metrics(
                &f.model,
                &trace.requests[fold.test.clone()],
                &f.forecast,
            )
            .interval_coverage
            .unwrap_or(f64::NAN);
            coverage.push((
                f.model.clone(),
                (metrics::round6(c.trained_coverage), calibrated),
            ));
        }
        // On the validation window the policies run on its forecasts (slo-targeted tuned
        // there too, as every family's pick is chosen there); on the test window on the
        // test's, tuned on the validation window before it.
        let f = ModelForecast {
            validation: Some(validation),
            ..f
        };
        on_validation.extend(f.on_validation());
        on_test.push(f);
    }
    Ok(FoldFit {
        on_validation,
        on_test,
        coverage,
    })
}

/// The fewest validation days whose spread a knob search reads (`docs/experiment.md`,
/// Backtests: knob searches): with two, one degree of freedom, the rule's verdict can
/// fall along a knob. A window of one day is read by the bare rule, and searched.
const SEARCH_DAYS: usize = 3;

/// Every trial of `fold` from its models' fit: each family at each knob value on the
/// validation and the test window; and each model's interval coverage.
fn judge_fold(
    plan: &BacktestPlan,
    setup: &Setup,
    fold: &Fold,
    fit: FoldFit,
) -> Result<(Vec<Trial>, Coverage)> {
    let grid = &plan.grid;
    let (trace, step) = (&setup.trace, &setup.step);
    let model_cfg = setup.model_cfg(plan, fold);
    let FoldFit {
        on_validation,
        on_test,
        coverage,
    } = fit;
    interrupt::check()?;
    let window = |r: &Range<usize>| Split {
        train_len: r.start,
        test_len: r.len(),
    };
    let bench = Bench {
        trace,
        settings: &grid.settings,
        model_cfg: &model_cfg,
        step,
    };
    let chosen_on = Window::new(&bench, window(&fold.validation), &on_validation)?;
    let judged_on = Window::new(&bench, window(&fold.test), &on_test)?;
    // Each family along the grid's knob values where given, else its trials;
    // slo-targeted tunes its headroom on the validation window, as the others' picks are
    // chosen there, and is judged on the test window with it.
    let jobs = trials::jobs(&grid.policies, |policy| match policy.knob() {
        Some(k) if grid.knobs.contains_key(k.name) => {
            grid.knob_values(policy).into_iter().map(Some).collect()
        }
        _ => policy.trials(),
    });
    let rule = choice::Rule::of(step);
    // A search relies on the rule's verdict rising along a knob; a spread read from
    // fewer than SEARCH_DAYS validation days is too thin a sample for that (at one
    // degree of freedom a verdict fell along a target), and every value runs. One day,
    // or no confidence, is the bare rule, which rises with the window's attainment.
    let days = fold.validation.len() / step.steps_per_day().max(1);
    let thin = rule.confidence.is_some() && (2..SEARCH_DAYS).contains(&days);
    let search = (plan.searched && !thin).then_some(&rule);
    let trials = trials::run(
        &bench,
        &jobs,
        fold.index,
        &chosen_on,
        Some(&judged_on),
        search,
    )?;
    Ok((trials, coverage))
}

/// Each model's interval coverage of a fold's test window, (as trained, as calibrated).
type Coverage = Vec<(String, (f64, f64))>;

/// One row of `backtest.csv` (and of a shard's part, with `chosen` and `recommended`
/// still 0: they are decided across folds, at the merge).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Row {
    fold: usize,
    validation_start: String,
    test_start: String,
    test_end: String,
    model: String,
    policy: String,
    knob: String,
    knob_value: Option<f64>,
    /// The validation figures: empty where the search along the family's knob did not
    /// run the value there ([`trials::run`]).
    validation_slo_pct: Option<f64>,
    validation_cost_vs_optimal: Option<f64>,
    validation_container_minutes: Option<u64>,
    /// SLO attainment on each day of the validation window, space-separated.
    validation_days_pct: String,
    test_slo_pct: f64,
    test_cost_vs_optimal: f64,
    test_container_minutes: u64,
    /// SLO attainment on each day of the test window, space-separated.
    test_days_pct: String,
    interval_coverage_trained: Option<f64>,
    interval_coverage: Option<f64>,
    tuned_value: Option<f64>,
    /// The share in time, percent, a feedback pick aims at (slo-feedback's); empty for
    /// the rest.
    aim_pct: Option<f64>,
    chosen: u8,
    recommended: u8,
}

impl Row {
    /// The row of `t`, in fold `fold` of `trace`, with its model's interval coverage.
    fn of(trace: &Trace, fold: &Fold, t: &Trial, coverage: &Coverage) -> Self {
        let test = t
            .judged_on
            .as_ref()
            .expect("a backtest's trials are judged");
        let covered = coverage
            .iter()
            .find(|(m, _)| *m == t.model)
            .map(|(_, c)| *c);
        let at = |i: usize| format_timestamp(trace.timestamp(i));
        Row {
            fold: t.window,
            validation_start: at(fold.validation.start),
            test_start: at(fold.test.start),
            test_end: at(fold.test.end),
            model: t.model.clone(),
            policy: t.policy.clone(),
            knob: t.knob.map_or(String::new(), |k| k.0.to_string()),
            knob_value: t.knob.map(|k| k.1),
            validation_slo_pct: t.chosen_on.as_ref().map(|f| f.attained_pct),
            validation_cost_vs_optimal: t.chosen_on.as_ref().map(|f| f.cost_vs_optimal),
            validation_container_minutes: t.chosen_on.as_ref().map(|f| f.container_minutes),
            validation_days_pct: t
                .chosen_on
                .as_ref()
                .map_or(String::new(), |f| choice::days_text(&f.days)),
            test_slo_pct: test.attained_pct,
            test_cost_vs_optimal: test.cost_vs_optimal,
            test_container_minutes: test.container_minutes,
            test_days_pct: choice::days_text(&test.days),
            interval_coverage_trained: covered.map(|c| c.0),
            interval_coverage: covered.map(|c| c.1),
            tuned_value: t.tuned,
            aim_pct: t.aim_pct.map(crate::metrics::round6),
            chosen: 0,
            recommended: 0,
        }
    }

    /// The trial the row records (the figures a choice reads).
    fn trial(&self) -> Trial {
        Trial {
            window: self.fold,
            model: self.model.clone(),
            policy: self.policy.clone(),
            knob: crate::settings::find(&self.knob)
                .map(|s| s.name)
                .zip(self.knob_value),
            tuned: self.tuned_value,
            aim_pct: self.aim_pct,
            chosen_on: self.validation_container_minutes.map(|minutes| Figures {
                attained_pct: self.validation_slo_pct.unwrap_or(f64::NAN),
                cost_vs_optimal: self.validation_cost_vs_optimal.unwrap_or(f64::NAN),
                container_minutes: minutes,
                days: choice::days_of(&self.validation_days_pct),
            }),
            judged_on: Some(Figures {
                attained_pct: self.test_slo_pct,
                cost_vs_optimal: self.test_cost_vs_optimal,
                container_minutes: self.test_container_minutes,
                days: choice::days_of(&self.test_days_pct),
            }),
        }
    }
}

/// What a backtest's part manifest records besides the store's fields: the SLO,
/// percent, how sure a pick must be that it holds (`--confidence`, percent), and each
/// trace's folds and SLO terms. Its units are the traces' folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BacktestMeta {
    slo_percent: f64,
    confidence_percent: f64,
    traces: Vec<TraceMeta>,
}

/// One trace of a backtest, as its manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TraceMeta {
    /// Its name (a fleet's folder of its reports).
    name: String,
    /// Its folds.
    folds: usize,
    /// Its SLO's terms (`of requests within 3 s`).
    terms: String,
    /// The attainment its service alone reaches, percent ([`crate::serving::ceiling_pct`]).
    ceiling_pct: f64,
}

/// What the choice and the report of one trace read: its folds, the SLO, its terms and
/// the attainment its service alone reaches.
struct Summary {
    folds: usize,
    slo_percent: f64,
    confidence_percent: f64,
    terms: String,
    ceiling_pct: f64,
}

/// The backtest's part files in the shard store: the trace's name, then `backtest.csv`'s
/// row, one run per (trace, fold, model, policy, knob value); serde checks each value's
/// type when they are read.
static PART: Layout = Layout {
    stem: "backtest",
    unit: "fold",
    header: part_header,
    key_columns: 9,
    check: |_, _| None,
    owner: |k, len, n| {
        (1..=n)
            .find(|&i| consecutive(len, i, n).contains(&k))
            .unwrap_or(n)
    },
};

/// A part's columns: the trace, then a row's.
fn part_header() -> Vec<&'static str> {
    std::iter::once("trace").chain(row_header()).collect()
}

/// The columns of `backtest.csv`, in [`Row`]'s order.
fn row_header() -> Vec<&'static str> {
    vec![
        "fold",
        "validation_start",
        "test_start",
        "test_end",
        "model",
        "policy",
        "knob",
        "knob_value",
        "validation_slo_pct",
        "validation_cost_vs_optimal",
        "validation_container_minutes",
        "validation_days_pct",
        "test_slo_pct",
        "test_cost_vs_optimal",
        "test_container_minutes",
        "test_days_pct",
        "interval_coverage_trained",
        "interval_coverage",
        "tuned_value",
        "aim_pct",
        "chosen",
        "recommended",
    ]
}

/// The indices of shard `i` of `n`'s units among `len`: the `i`-th of `n` runs of
/// consecutive ones, the first `len mod n` one longer.
fn consecutive(len: usize, i: usize, n: usize) -> Range<usize> {
    let (base, extra) = (len / n, len % n);
    let start = (i - 1) * base + (i - 1).min(extra);
    start..start + base + usize::from(i <= extra)
}

/// A fold's unit name in the shard store: `fold 2`, of a fleet `nyc_taxi fold 2`.
fn fold_id(trace: &str, many: bool, index: usize) -> String {
    if many {
        format!("{trace} fold {index}")
    } else {
        format!("fold {index}")
    }
}

/// Each trace's setup, in the grid's order, and the grid's and trace files'
/// fingerprint (the sweep's).
fn setup(plan: &BacktestPlan) -> Result<(String, Vec<Setup>)> {
    let grid = &plan.grid;
    let files = trace_files(grid)?;
    let units = grid.units();
    let many = units.len() > 1;
    let setups = units
        .iter()
        .map(|unit| {
            let name = &grid.traces[unit.trace].name;
            of_trace(trace_setup(plan, unit, &files[unit.trace]), many, name)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((grid.fingerprint(&files), setups))
}

/// `result`, its error naming the trace where the backtest has `many`.
fn of_trace<T>(result: Result<T>, many: bool, name: &str) -> Result<T> {
    match many {
        true => result.with_context(|| format!("trace `{name}`")),
        false => result,
    }
}

/// One trace's trace, cluster (at the plan's settings and at the trace's step) and folds.
fn trace_setup(plan: &BacktestPlan, unit: &crate::sweep::Unit, bytes: &[u8]) -> Result<Setup> {
    let grid = &plan.grid;
    let spec = &grid.traces[unit.trace];
    let points = spec.within();
    let [point] = points.as_slice() else {
        bail!("a backtest runs at one value of each axis");
    };
    let trace = grid.unit_trace(unit, bytes)?;
    let at = crate::sweep::settings_at(&unit.settings(&grid.settings), point);
    let cluster = ClusterConfig {
        min_replicas: spec.min_replicas,
        max_replicas: spec.max_replicas,
        tick_seconds: 0,
        ..at.cluster
    };
    let step = cluster.at_step(trace.step_seconds);
    let lead = step.delay_steps + 1;
    let min_train = build_models(&grid.models, &grid.settings.model)
        .iter()
        .map(|m| m.min_train_steps(&trace, lead))
        .max()
        .unwrap_or(0)
        .max(lead);
    let per_day = trace.steps_per_day() as f64;
    let steps = |days: f64| (days * per_day).round() as usize;
    let (test, validation) = (
        steps(grid.settings.split.test_days),
        steps(grid.settings.model.validation_days),
    );
    let folds = match choice::folds(trace.len(), plan.folds, test, validation, min_train) {
        // Too short for the validation days asked: the whole days it can hold, where that
        // is one or more (fewer samples for the margin, but folds all the same).
        Err(choice::FoldError::TooShort { .. }) => {
            let day = steps(1.0);
            let room = trace.len().saturating_sub(min_train + plan.folds * test);
            let fits = room / day.max(1) * day;
            if fits < day || fits >= validation {
                choice::folds(trace.len(), plan.folds, test, validation, min_train)?
            } else {
                let of = if grid.traces.len() > 1 {
                    format!(" of trace `{}`", spec.name)
                } else {
                    String::new()
                };
                eprintln!(
                    "note: validation windows of {} before each fold{of}, not {}: the trace holds no more beside {} of {} test steps and the models' {} train steps",
                    crate::words::count(fits / day, "day"),
                    crate::words::count(validation.div_ceil(day), "day"),
                    crate::words::count(plan.folds, "fold"),
                    test,
                    min_train
                );
                choice::folds(trace.len(), plan.folds, test, fits, min_train)?
            }
        }
        other => other?,
    };
    Ok(Setup {
        name: spec.name.clone(),
        trace,
        cluster,
        step,
        folds,
        chains: Default::default(),
    })
}

/// What one trace's backtest runs on.
struct Setup {
    /// The trace's name in the grid.
    name: String,
    trace: Trace,
    cluster: ClusterConfig,
    step: StepCluster,
    folds: Vec<Fold>,
    /// Each chained model's forecast of every fold's windows, by model, once made
    /// ([`Setup::chain`]).
    chains: std::sync::Mutex<std::collections::BTreeMap<String, Forecast>>,
}

impl Setup {
    /// The models' settings for `fold`: the run's, at the cluster's seed and the
    /// fold's validation window (which may be shorter than asked: [`setup`]).
    fn model_cfg(&self, plan: &BacktestPlan, fold: &Fold) -> ModelConfig {
        let mut cfg = plan.grid.settings.model.clone();
        cfg.seed = self.cluster.serving.seed;
        cfg.validation_days = fold.validation.len() as f64 / self.trace.steps_per_day() as f64;
        cfg
    }

    /// `model`'s forecast from the first fold's validation window through step `end` (the
    /// last test window's end that this run judges), by one fit before the window, and
    /// the step it starts at: made once (with `model`, the first fold's to ask), then read
    /// by every fold. A model that refits as it forecasts (Prophet) refits block by
    /// block: fold 1's windows are its own fit's where they end on a block's end; a later
    /// fold's blocks are the chain's, each fitted warm on the data before it (no block
    /// reads later data); the chain runs on to the end of the block holding `end` (or of
    /// the last fold), so its blocks are the whole backtest's chain's, block for block.
    /// One that does not (the LSTM, reading the actual context) forecasts every fold's
    /// windows at once. Either way every shard reads the same forecasts.
    fn chain(&self, model: &mut dyn Forecaster, end: usize) -> Result<(Forecast, usize)> {
        let start = self.folds[0].validation.start;
        let last = self.folds.last().map_or(end, |f| f.test.end);
        let end = match model.refit_every().steps(self.trace.step_seconds) {
            Some(every) => (start + (end - start).div_ceil(every.max(1)) * every).min(last),
            None => last,
        };
        let name = model.name().to_string();
        if let Some(f) = self.chains.lock().expect("not poisoned").get(&name) {
            if f.len() >= end - start {
                return Ok((f.clone(), start));
            }
        }
        let fitted = model.fit(&FitInput {
            trace: &self.trace,
            train_len: start,
            lead_steps: self.step.delay_steps + 1,
        });
        interrupt::check()?;
        fitted.with_context(|| format!("training {name}"))?;
        let chain = model
            .predict(&self.trace, start..end)
            .with_context(|| format!("forecasting with {name}"))?;
        self.chains
            .lock()
            .expect("not poisoned")
            .insert(name, chain.clone());
        Ok((chain, start))
    }
}

/// What a fold computes for the same flags, in a shard's fingerprint: a shard resumed or
/// merged by a binary that computes folds otherwise refuses the parts. Raise it when a
/// fold's rows change for the same flags (2: the LSTM fitted once for every fold; 3:
/// the margin read on the logarithm of the excess miss, which slo-targeted's search aims at;
/// 4: hpa-target's and kpa-target's trials from 0.3, no knob search on fewer than
/// SEARCH_DAYS validation days; 5: slo-feedback's aim tuned closed loop, and its column
/// `aim_pct`).
const FOLD_REVISION: u32 = 5;

/// Runs the backtest (or its shard) and writes its reports (or its part).
pub(super) fn run(plan: &BacktestPlan) -> Result<()> {
    let (fingerprint, setups) = setup(plan)?;
    let many = setups.len() > 1;
    // The units: every trace's folds, in the grid's order; shard i of n runs the i-th of
    // n runs of consecutive units (their lengths differ by one at most), so that a shard
    // holds few traces and makes few chains ([`Setup::chain`]).
    let units: Vec<(usize, &Fold)> = setups
        .iter()
        .enumerate()
        .flat_map(|(t, s)| s.folds.iter().map(move |f| (t, f)))
        .collect();
    let (i, n) = plan.shard;
    let mine = &units[consecutive(units.len(), i, n)];
    // Each trace's chain reaches the last test window this shard judges on it.
    let mut reach = vec![0; setups.len()];
    for &(t, f) in mine {
        reach[t] = reach[t].max(f.test.end);
    }
    let dir = &plan.reports;
    let shards = ShardDir {
        dir: dir.path(),
        layout: &PART,
    };
    // One SLO for every trace.
    let serving = &setups
        .first()
        .context("a backtest of no trace")?
        .step
        .serving;
    let fresh = Manifest::fresh(
        crate::hash::hex(
            format!(
                "{fingerprint}|{}|{}|{}|{}|{FOLD_REVISION}",
                plan.folds, plan.grid.settings.model.validation_days, plan.chained, plan.searched
            )
            .as_bytes(),
        ),
        (i, n),
        units
            .iter()
            .map(|&(t, f)| fold_id(&setups[t].name, many, f.index))
            .collect(),
        BacktestMeta {
            slo_percent: 100.0 * serving.slo_share,
            confidence_percent: serving.confidence_pct,
            traces: setups
                .iter()
                .map(|s| TraceMeta {
                    name: s.name.clone(),
                    folds: s.folds.len(),
                    terms: crate::recommend::slo_terms(&s.step),
                    ceiling_pct: crate::serving::ceiling_pct(&s.step.serving),
                })
                .collect(),
        },
    );
    let (mut manifest, mut rows) = shards.resume(fresh)?;
    let resumed = manifest.units.len();
    let started = std::time::Instant::now();
    let bar = progress::bar(mine.len() as u64, format!("backtest {i}/{n}"));
    let id = |&(t, fold): &(usize, &Fold)| fold_id(&setups[t].name, many, fold.index);
    let pending: Vec<(usize, &Fold)> = mine
        .iter()
        .filter(|u| !manifest.done(&id(u)))
        .copied()
        .collect();
    // The next fold's models are fitted while this fold's trials run (one fold ahead): a
    // fit that runs on one core (a trace's first, with Prophet's chain and the LSTM's one
    // fit: the next trace's, in a fleet) leaves cores the trials can use. Each fold is
    // what it would be one after the other.
    std::thread::scope(|scope| -> Result<()> {
        let (fits, fitted) = std::sync::mpsc::sync_channel(0);
        let (bar, fitter, setups, reach) = (&bar, &pending, &setups, &reach);
        scope.spawn(move || {
            for &(t, fold) in fitter {
                let fit = fit_fold(plan, &setups[t], fold, reach[t], bar);
                let failed = fit.is_err();
                if fits.send(fit).is_err() || failed {
                    break;
                }
            }
        });
        for u in mine {
            let (t, fold) = *u;
            let s = &setups[t];
            if !manifest.done(&id(u)) {
                let fit = fitted
                    .recv()
                    .context("the backtest's fits stopped before its folds")?;
                let ran = fit.and_then(|fit| judge_fold(plan, s, fold, fit));
                let (trials, coverage) = of_trace(ran, many, &s.name)?;
                let before = rows.len();
                rows.extend(
                    trials
                        .iter()
                        .map(|t| (&s.name, Row::of(&s.trace, fold, t, &coverage))),
                );
                rows.record(&mut manifest, &id(u), before);
                shards.write_part(&rows, &mut manifest)?;
            }
            bar.inc(1);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    let took = started.elapsed().as_secs_f64();
    let part = shards.part(i, n);
    let what = if many {
        format!(
            "{} of {}",
            crate::words::count(units.len(), "fold"),
            crate::words::count(setups.len(), "trace")
        )
    } else {
        crate::words::count(units.len(), "fold")
    };
    if n == 1 {
        merge(dir.path())?;
        eprintln!(
            "backtest: {what} ({resumed} finished before), {} in {took:.1} s -> {}",
            crate::words::count(rows.len(), "trial"),
            reports(dir, many)
        );
    } else {
        eprintln!(
            "backtest shard {i}/{n}: {} of {what} ({resumed} finished before), {} trials in {took:.1} s -> {}; `prescale merge {}` joins the parts",
            mine.len(),
            rows.len(),
            part.csv.display(),
            dir.path().display()
        );
    }
    Ok(())
}

/// Rows as CSV bytes.
fn to_csv<T: Serialize>(rows: &[T]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    w.into_inner().context("writing backtest rows")
}

/// Merges the backtest parts in `dir`: of one trace into `backtest.csv` and
/// `recommendation.md` (printed), of a fleet into those two files in a folder per trace
/// and `fleet.csv` and `fleet.md` (printed); `Ok(false)` when `dir` holds no backtest part.
pub(super) fn merge(dir: &std::path::Path) -> Result<bool> {
    let shards = ShardDir { dir, layout: &PART };
    if !shards.holds_parts()? {
        return Ok(false);
    }
    let parts = shards.checked_parts::<BacktestMeta>()?;
    // Each trace's rows, in the parts' order.
    let mut rows: std::collections::HashMap<String, Vec<Row>> = Default::default();
    for (_, _, part) in &parts {
        for (trace, row) in read_part(part)? {
            rows.entry(trace).or_default().push(row);
        }
    }
    let first = &parts[0].1;
    let meta = &first.meta;
    let out = crate::store::ReportsDir(dir.to_path_buf());
    let many = meta.traces.len() > 1;
    let mut files: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    let mut fleet: Vec<FleetRow> = Vec::new();
    let mut printed = String::new();
    for t in &meta.traces {
        // This trace's rows, back in fold order (each fold's in the order they ran).
        let mut mine = rows.remove(&t.name).unwrap_or_default();
        mine.sort_by_key(|r| r.fold);
        let summary = Summary {
            folds: t.folds,
            slo_percent: meta.slo_percent,
            confidence_percent: meta.confidence_percent,
            terms: t.terms.clone(),
            ceiling_pct: t.ceiling_pct,
        };
        let (csv, md, line) = finish(mine, &summary)?;
        let at = if many {
            out.trace(&t.name)
        } else {
            out.clone()
        };
        files.push((at.backtest(), csv));
        files.push((at.recommendation(), md.clone().into_bytes()));
        fleet.push(FleetRow {
            trace: t.name.clone(),
            ..line
        });
        printed = md;
    }
    if many {
        printed = fleet_md(&fleet, meta);
        files.push((out.fleet_csv(), to_csv(&fleet)?));
        files.push((out.fleet_md(), printed.clone().into_bytes()));
    }
    write_all_atomic(&files).context("writing the backtest's reports")?;
    print!("{}", crate::report::console::from_markdown(&printed));
    if first.of > 1 {
        let folds: usize = meta.traces.iter().map(|t| t.folds).sum();
        eprintln!(
            "merge: {}, {} -> {}",
            crate::words::count(parts.len(), "backtest part"),
            crate::words::count(folds, "fold"),
            reports(&out, many)
        );
    }
    Ok(true)
}

/// The reports a backtest writes in `dir`, for a message: a fleet's (`many`) or one
/// trace's.
fn reports(dir: &crate::store::ReportsDir, many: bool) -> String {
    let (a, b) = if many {
        (dir.fleet_csv(), dir.fleet_md())
    } else {
        (dir.backtest(), dir.recommendation())
    };
    format!("{}, {}", a.display(), b.display())
}

/// The rows of a part: each with its trace's name.
fn read_part(bytes: &[u8]) -> Result<Vec<(String, Row)>> {
    let mut r = csv::Reader::from_reader(bytes);
    let header = csv::StringRecord::from(row_header());
    r.records()
        .map(|rec| {
            let rec = rec?;
            let row: csv::StringRecord = rec.iter().skip(1).collect();
            Ok((rec[0].to_string(), row.deserialize(Some(&header))?))
        })
        .collect::<Result<Vec<_>, csv::Error>>()
        .context("reading a backtest part")
}

/// One trace's recommendation and its evidence: a row of `fleet.csv`.
#[derive(Debug, Clone, Default, Serialize)]
struct FleetRow {
    trace: String,
    model: String,
    policy: String,
    /// The pick of each fold, `; `-separated (one where every fold's is the same).
    picks: String,
    folds: usize,
    folds_held: usize,
    /// The stated chance of a day meeting the SLO, percent, the mean over the folds.
    stated_hold_pct: Option<f64>,
    test_days_met: usize,
    test_days: usize,
    /// Mean test cost over the optimum.
    test_cost_vs_optimal: Option<f64>,
    /// Mean test cost over the best in hindsight, over the folds where one met the SLO.
    regret: Option<f64>,
    /// Mean test cost over that of the best single configuration in hindsight (one that
    /// met the SLO on every fold); empty where none did.
    fixed_regret: Option<f64>,
    reactive_hpa_folds_held: Option<usize>,
    reactive_hpa_test_cost_vs_optimal: Option<f64>,
}

/// Trial `i`'s regret: its test cost over the best configuration's in hindsight on its
/// window (`None` where no configuration met the SLO there).
fn regret(rows: &[Row], trials: &[Trial], i: usize, slo: f64) -> Option<f64> {
    let h = choice::hindsight(trials, trials[i].window, slo)?;
    Some(rows[i].test_container_minutes as f64 / rows[h].test_container_minutes as f64)
}

/// The recommendation's mean test cost over that of the best single configuration in
/// hindsight ([`choice::hindsight_fixed`]), with that configuration's mean cost and its
/// first trial; `None` where no configuration met the SLO on every fold.
fn fixed_regret(
    rows: &[Row],
    trials: &[Trial],
    picks: &[usize],
    folds: usize,
    slo: f64,
) -> Option<Fixed> {
    let trials_of = choice::hindsight_fixed(trials, folds, slo)?;
    let cost = |on: &[usize]| {
        on.iter()
            .map(|&i| rows[i].test_container_minutes as f64)
            .sum::<f64>()
            / on.len().max(1) as f64
    };
    let mean_cost = cost(&trials_of);
    Some(Fixed {
        ratio: cost(picks) / mean_cost,
        mean_cost,
        first: trials_of[0],
    })
}

/// The best single configuration in hindsight ([`fixed_regret`]).
struct Fixed {
    /// The recommendation's mean test cost over its.
    ratio: f64,
    /// Its mean test container-minutes.
    mean_cost: f64,
    /// Its trial on the first fold (what it is: model, policy, knob).
    first: usize,
}

/// The mean of `x`, `None` for none.
fn mean(x: &[f64]) -> Option<f64> {
    (!x.is_empty()).then(|| x.iter().sum::<f64>() / x.len() as f64)
}

/// Rounded for a report (6 places).
fn round(x: Option<f64>) -> Option<f64> {
    x.map(crate::metrics::round6)
}

/// `backtest.csv` and `recommendation.md` from one trace's rows in fold order, and its
/// line of `fleet.csv` (its trace left for the caller): the picks and the recommendation
/// are made here, for the unsharded run and the merge alike.
fn finish(mut rows: Vec<Row>, m: &Summary) -> Result<(Vec<u8>, String, FleetRow)> {
    let trials: Vec<Trial> = rows.iter().map(Row::trial).collect();
    let rule = choice::Rule::new(m.slo_percent, m.confidence_percent, m.ceiling_pct);
    let records = choice::records(&trials, m.folds, &rule);
    let best = choice::recommend(&records);
    for r in &records {
        for &i in &r.picks {
            rows[i].chosen = 1;
        }
    }
    if let Some(b) = best {
        for &i in &records[b].picks {
            rows[i].recommended = 1;
        }
    }
    let fixed =
        best.and_then(|b| fixed_regret(&rows, &trials, &records[b].picks, m.folds, m.slo_percent));
    let md = recommendation(&rows, &trials, &records, best, fixed.as_ref(), m);
    let mut line = FleetRow {
        folds: m.folds,
        ..FleetRow::default()
    };
    if let Some(r) = best.map(|b| &records[b]) {
        let mut picks: Vec<String> = r.picks.iter().map(|&i| trials[i].setting()).collect();
        if picks.iter().all(|p| *p == picks[0]) {
            picks.truncate(1);
        }
        let regrets: Vec<f64> = r
            .picks
            .iter()
            .filter_map(|&i| regret(&rows, &trials, i, m.slo_percent))
            .collect();
        let stated: Vec<f64> = r.stated.iter().flatten().map(|p| 100.0 * p).collect();
        let reactive = records.iter().find(|r| r.policy == "reactive-hpa");
        line = FleetRow {
            model: r.model.clone(),
            policy: r.policy.clone(),
            picks: picks.join("; "),
            folds_held: r.test_met,
            stated_hold_pct: round(mean(&stated)),
            test_days_met: r.test_days.0,
            test_days: r.test_days.1,
            test_cost_vs_optimal: round(mean(&r.test_costs)),
            regret: round(mean(&regrets)),
            fixed_regret: round(fixed.as_ref().map(|f| f.ratio)),
            reactive_hpa_folds_held: reactive.map(|r| r.test_met),
            reactive_hpa_test_cost_vs_optimal: reactive.and_then(|r| round(mean(&r.test_costs))),
            ..line
        };
    }
    Ok((to_csv(&rows)?, md, line))
}

/// `fleet.md`: each trace's recommendation and how it held, and the fleet's totals.
fn fleet_md(fleet: &[FleetRow], meta: &BacktestMeta) -> String {
    let num =
        |x: Option<f64>, places: usize| x.map_or("-".to_string(), |x| format!("{x:.places$}"));
    let mut out = format!(
        "# A fleet of {}, each recommended at SLO {} %\n\nEach trace's folder holds its `backtest.csv` and `recommendation.md`; each recommendation was chosen on its trace's validation windows alone and judged on its test windows.\n\n",
        crate::words::count(fleet.len(), "trace"),
        meta.slo_percent
    );
    out.push_str("| trace | recommendation | folds held | stated chance of a day | test days met | test cost × optimal | regret × | × one config | reactive-hpa folds held | reactive-hpa cost × optimal |\n");
    out.push_str("| :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for r in fleet {
        let what = if r.model.is_empty() {
            "none".to_string()
        } else {
            format!("{} × {} ({})", r.model, r.policy, r.picks)
        };
        out.push_str(&format!(
            "| {} | {what} | {} of {} | {} | {} of {} | {} | {} | {} | {} | {} |\n",
            r.trace,
            r.folds_held,
            r.folds,
            r.stated_hold_pct.map_or("-".to_string(), chance_cell),
            r.test_days_met,
            r.test_days,
            num(r.test_cost_vs_optimal, 3),
            num(r.regret, 3),
            num(r.fixed_regret, 3),
            r.reactive_hpa_folds_held
                .map_or("-".to_string(), |k| format!("{k} of {}", r.folds)),
            num(r.reactive_hpa_test_cost_vs_optimal, 3),
        ));
    }
    let held: usize = fleet.iter().map(|r| r.folds_held).sum();
    let folds: usize = fleet.iter().map(|r| r.folds).sum();
    let stated: Vec<f64> = fleet.iter().filter_map(|r| r.stated_hold_pct).collect();
    let (days_met, days) = fleet
        .iter()
        .fold((0, 0), |a, r| (a.0 + r.test_days_met, a.1 + r.test_days));
    out.push_str(&format!(
        "\nThe recommendations held on {held} of {folds} test folds ({:.0} %){}; {days_met} of {days} test days met.\n",
        100.0 * held as f64 / folds.max(1) as f64,
        mean(&stated).map_or(String::new(), |p| format!(", stated on average a day's chance of {}", chance_about(p))),
    ));
    // Both over the same traces: those where one configuration met every fold.
    let (regret, fixed): (Vec<f64>, Vec<f64>) = fleet
        .iter()
        .filter_map(|r| r.regret.zip(r.fixed_regret))
        .unzip();
    if let (Some(a), Some(b)) = (mean(&regret), mean(&fixed)) {
        out.push_str(&format!(
            "Over the {} where one configuration met the SLO on every fold, on average: a regret of {a:.3}× (each fold's pick over the cheapest configuration that met it on that window) and {b:.3}× that one configuration's mean cost (below 1 where a recommendation missed folds it met).\n",
            crate::words::count(fixed.len(), "trace")
        ));
    }
    out
}

/// A family with its pick: `lstm × buffered (buffer 0.2)`.
fn label(t: &Trial) -> String {
    let setting = match t.setting() {
        s if s == "-" => String::new(),
        s => format!(" ({s})"),
    };
    format!("{} × {}{setting}", t.model, t.policy)
}

/// What a family's picks did on the test windows: `met the SLO on 3 of 4 test folds,
/// 1.120× the optimum on average (1.050–1.200)`.
fn evidence(r: &FamilyRecord) -> String {
    let costs = &r.test_costs;
    let mean = mean(costs).unwrap_or(0.0);
    let (lo, hi) = costs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &c| {
            (a.min(c), b.max(c))
        });
    let stated: Vec<f64> = r.stated.iter().flatten().copied().collect();
    let sure = if stated.is_empty() {
        String::new()
    } else {
        format!(
            "; stated: a day meets it with a chance of {} on average over the folds, measured: {} of {} test days ({:.0} %)",
            chance_about(100.0 * stated.iter().sum::<f64>() / stated.len() as f64),
            r.test_days.0,
            r.test_days.1,
            100.0 * r.test_days.0 as f64 / r.test_days.1.max(1) as f64
        )
    };
    format!(
        "met the SLO on {} of {} test folds, {mean:.3}× the optimum on average ({lo:.3}–{hi:.3}){sure}",
        r.test_met,
        costs.len()
    )
}

/// `recommendation.md`: the recommendation, its per-fold evidence, the runner-up and
/// reactive-hpa at their own best knobs.
fn recommendation(
    rows: &[Row],
    trials: &[Trial],
    records: &[FamilyRecord],
    best: Option<usize>,
    fixed: Option<&Fixed>,
    m: &Summary,
) -> String {
    let slo = m.slo_percent;
    let mut out = format!("# Recommended at SLO {slo} % ({})\n\n", m.terms);
    let (Some(b), Some(first)) = (best, rows.first()) else {
        out.push_str("No family ran.\n");
        return out;
    };
    out.push_str(&format!(
        "Chosen on the validation windows alone (the first from {} to {}, each just before its test window); judged on {} test windows that no choice saw, from {} on. Each family's knob is its cheapest value {}; the family is the one whose picks did so on the most validation windows, then the cheapest (where none did, the likeliest to hold, then the closest).\n\n",
        first.validation_start,
        first.test_start,
        m.folds,
        first.test_start,
        if m.confidence_percent > 0.0 {
            format!("whose validation days put a day's chance of meeting the SLO at {} % or more (`--confidence`; a window of one day: met on it)", m.confidence_percent)
        } else {
            "that met the SLO on validation (`--confidence 0`)".to_string()
        }
    ));
    let rec = &records[b];
    out.push_str(&format!(
        "**{}** — {}.\n\n",
        label(&trials[rec.picks[0]]),
        evidence(rec)
    ));
    out.push_str("| fold | test window | pick | validation SLO % | days met | a day's chance | test SLO % | test days met | test cost × optimal | regret × |\n");
    out.push_str("| ---: | :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    let rule = choice::Rule::new(slo, m.confidence_percent, m.ceiling_pct);
    let days = |f: &choice::Figures| format!("{} of {}", f.days_met(slo), f.days.len());
    for &i in &rec.picks {
        let (t, row) = (&trials[i], &rows[i]);
        let regret = regret(rows, trials, i, slo).map_or("-".to_string(), |r| format!("{r:.3}"));
        let test = t
            .judged_on
            .as_ref()
            .expect("a backtest's trials are judged");
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {} | {} | {:.2} | {} | {:.3} | {regret} |\n",
            t.window,
            row.test_start,
            t.setting(),
            t.chosen().attained_pct,
            days(t.chosen()),
            rule.stated(&t.chosen().days)
                .map_or("-".to_string(), |p| chance_cell(100.0 * p)),
            row.test_slo_pct,
            days(test),
            row.test_cost_vs_optimal,
        ));
    }
    out.push_str("\nRegret: the pick's test cost over the cheapest configuration of any family that met the SLO on that test window (the best in hindsight; `-` where none did).\n\n");
    let folds = match m.folds {
        1 => "the test window".to_string(),
        n => format!("all {n} test windows"),
    };
    match fixed {
        Some(f) => {
            let t = &trials[f.first];
            let setting = match (t.knob, t.tuned) {
                (Some(_), _) => format!(" ({})", t.setting()),
                (None, Some(_)) => " (tuned on each fold)".to_string(),
                (None, None) => String::new(),
            };
            out.push_str(&format!(
                "One configuration for every fold, chosen in hindsight: the cheapest that met the SLO on {folds}, {} × {}{setting}, costs {:.0} container-minutes a window on average; the recommendation {:.3}× that.\n\n",
                t.model,
                t.policy,
                f.mean_cost,
                f.ratio
            ));
        }
        None => out.push_str(&format!(
            "One configuration for every fold, chosen in hindsight: none met the SLO on {folds}.\n\n"
        )),
    }
    // Each model's interval on each fold's test window: as trained, and calibrated on
    // the validation window before it.
    let mut models: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| r.interval_coverage.is_some()) {
        if !models.contains(&r.model.as_str()) {
            models.push(&r.model);
        }
    }
    if !models.is_empty() {
        out.push_str("Interval coverage of each test window, as trained → calibrated (split-conformal) on the validation window before it:\n\n");
        for model in models {
            let per_fold: Vec<String> = (1..=m.folds)
                .filter_map(|k| {
                    rows.iter()
                        .find(|r| r.fold == k && r.model == model)
                        .and_then(|r| r.interval_coverage_trained.zip(r.interval_coverage))
                        .map(|(a, b)| format!("{:.1} → {:.1} %", 100.0 * a, 100.0 * b))
                })
                .collect();
            out.push_str(&format!("- {model}: {}\n", per_fold.join(", ")));
        }
        out.push('\n');
    }
    let order = choice::ranking(records);
    for (what, r) in [
        ("Runner-up", order.get(1).map(|&i| &records[i])),
        (
            "reactive-hpa at its own best knob",
            records.iter().find(|r| r.policy == "reactive-hpa"),
        ),
    ] {
        if let Some(r) = r {
            let picks: Vec<String> = r
                .picks
                .iter()
                .map(|&i| match trials[i].knob {
                    Some((_, v)) => v.to_string(),
                    None => trials[i].setting(),
                })
                .collect();
            out.push_str(&format!(
                "- {what}: {} × {} (picks {}): validation met {} of {}, {:.3}× the optimum; {}.\n",
                r.model,
                r.policy,
                picks.join(", "),
                r.validation_met,
                r.picks.len(),
                r.validation_cost,
                evidence(r)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use crate::forecast::fit::conformal_stretch;
    use crate::forecast::{FitInput, ModelKind};
    use crate::plan::{resolve, Plan};
    use crate::policy::PolicyKind;
    use crate::settings::Value;
    use crate::sim::simulate;
    use clap::Parser;

    /// A 4-day synthetic trace, 2 folds of half a day after half a day of validation,
    /// seasonal-naive only (it fits in no time), three families with knobs.
    fn plan() -> BacktestPlan {
        plan_of(&[
            "--model",
            "seasonal-naive",
            "--policy",
            "reactive-hpa,buffered,predictive-hpa,slo-targeted,optimal",
        ])
    }

    /// The 4-day synthetic trace's 2 folds of half a day after half a day of validation,
    /// with `more` flags.
    fn plan_of(more: &[&str]) -> BacktestPlan {
        let folds = ["prescale", "backtest", "--days", "4", "--folds", "2"];
        let windows = ["--test-days", "0.5", "--validation-days", "0.5"];
        let args = folds.iter().chain(&windows).chain(more);
        match resolve(Cli::try_parse_from(args).unwrap()).unwrap() {
            Plan::Backtest(p) => p,
            other => panic!("{other:?}"),
        }
    }

    /// `setup` with `fold`'s test window's demand tripled, no chain made yet.
    fn tripled(setup: &Setup, fold: &Fold) -> Setup {
        let mut trace = setup.trace.clone();
        for x in &mut trace.requests[fold.test.clone()] {
            *x *= 3.0;
        }
        Setup {
            trace,
            name: setup.name.clone(),
            cluster: setup.cluster.clone(),
            step: setup.step,
            folds: setup.folds.clone(),
            chains: Default::default(),
        }
    }

    /// Every trial's figures where it was chosen are the same `before` and `after`, and
    /// some trial's where it was judged are not.
    fn chose_alike(before: &[Trial], after: &[Trial]) {
        assert_eq!(before.len(), after.len());
        for (a, b) in before.iter().zip(after) {
            assert_eq!(a.chosen_on, b.chosen_on, "{:?}", a.knob);
        }
        assert!(before
            .iter()
            .zip(after)
            .any(|(a, b)| a.judged_on != b.judged_on));
    }

    #[test]
    fn prophets_folds_read_one_chain_of_refits_that_never_reads_ahead() {
        // Prophet refitting every 5 hours, 2 folds of half a day after half a day of
        // validation: fold 1 ends inside a block (hour 24 of 20–25). Chained, fold 1's
        // choices are its own fit's; a shard that judges fold 1 alone reads what the
        // whole run's fold 1 reads, byte for byte; fold 2's choices do not move when its
        // test window's demand triples (its chain is made again on the poisoned trace,
        // and no block of its validation window reads it).
        let chained = plan_of(&[
            "--model",
            "prophet",
            "--policy",
            "buffered",
            "--refit-every",
            "5h",
        ]);
        assert!(chained.chained);
        let scratch = BacktestPlan {
            chained: false,
            ..chained.clone()
        };
        let bar = indicatif::ProgressBar::hidden();
        let setup = only(&chained);
        let folds = setup.folds.clone();
        let end = folds[1].test.end;
        let run =
            |p: &BacktestPlan, s: &Setup, k: usize| run_fold(p, s, &folds[k], end, &bar).unwrap().0;
        let own = only(&scratch);
        let (a, b) = (run(&chained, &setup, 0), run(&scratch, &own, 0));
        for (a, b) in a.iter().zip(&b) {
            assert_eq!(a.chosen_on, b.chosen_on, "{:?}", a.knob);
        }
        // A shard of fold 1 alone: the same fold, byte for byte, its interval's coverage
        // too (a block cut short would draw its interval otherwise).
        let whole = run_fold(&chained, &setup, &folds[0], end, &bar).unwrap();
        let alone = run_fold(
            &chained,
            &only(&chained),
            &folds[0],
            folds[0].test.end,
            &bar,
        );
        assert_eq!(alone.unwrap(), whole);
        let before = run(&chained, &setup, 1);
        assert_ne!(before, run(&scratch, &own, 1), "fold 2 reads the chain");
        chose_alike(&before, &run(&chained, &tripled(&setup, &folds[1]), 1));
    }

    #[test]
    fn the_lstm_is_fitted_once_for_every_fold() {
        // A small LSTM (2 epochs, 8 hidden units), 2 folds. Fold 1 is its own fit's, byte
        // for byte; fold 2 reads fold 1's fit (it differs from fold 2 fitted afresh); a
        // shard that judges fold 2 alone fits as the whole run did and reads the same
        // fold 2; and fold 2's choices do not move when its test window's demand triples
        // (the fit ends before fold 1's validation window, and each forecast reads the
        // context its decision could have seen).
        let once = plan_of(&[
            "--model", "lstm", "--policy", "buffered", "--epochs", "2", "--hidden", "8",
        ]);
        let scratch = BacktestPlan {
            chained: false,
            ..once.clone()
        };
        let bar = indicatif::ProgressBar::hidden();
        let setup = only(&once);
        let folds = setup.folds.clone();
        let end = folds[1].test.end;
        let first = run_fold(&once, &setup, &folds[0], end, &bar).unwrap();
        assert_eq!(
            first,
            run_fold(&scratch, &only(&scratch), &folds[0], end, &bar).unwrap()
        );
        let whole = run_fold(&once, &setup, &folds[1], end, &bar).unwrap();
        let alone = run_fold(&once, &only(&once), &folds[1], end, &bar).unwrap();
        assert_eq!(alone, whole);
        let afresh = run_fold(&scratch, &only(&scratch), &folds[1], end, &bar).unwrap();
        assert_ne!(afresh.0, whole.0, "fold 2 reads fold 1's fit");
        let poisoned = tripled(&setup, &folds[1]);
        let after = run_fold(&once, &poisoned, &folds[1], end, &bar).unwrap();
        chose_alike(&whole.0, &after.0);
    }

    #[test]
    fn the_knobs_searched_rise_one_way_and_the_search_picks_as_every_value_would() {
        // The real traces of tests/data (NAB, MIT-licensed: elb at 2.5 requests a minute,
        // nyc_taxi) and the synthetic one, also at 2,000 requests a container and minute
        // (every target then costs the minimum replicas: ties in cost), 2 folds of a day
        // after 3 validation days, seasonal-naive, every policy whose knob is declared to
        // rise one way, at its trials. Run on every value, each family's validation days
        // and cost rise along its knob, the one way declared, and so does the rule's
        // verdict at SLOs of 90, 95 and 99 % (what the bisection relies on) but on one
        // pair, on two validation days, where no search runs; searched, every pick is the
        // same, every test figure too, and some values did not run on the validation
        // window.
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
        let policies: Vec<&str> = PolicyKind::ALL
            .iter()
            .filter(|p| p.knob_rises().is_some())
            .map(|p| p.name())
            .collect();
        assert_eq!(policies.len(), 5, "{policies:?}");
        let (elb, nyc) = (
            format!("{data}elb_request_count_8c0756.csv"),
            format!("{data}nyc_taxi.csv"),
        );
        let list = policies.join(",");
        // The last, 6 days, leaves 2 validation days: fewer than SEARCH_DAYS.
        let traces: [Vec<&str>; 5] = [
            vec!["--days", "7"],
            vec!["--days", "7", "--capacity", "2000"],
            vec!["--trace", &elb, "--capacity", "2.5"],
            vec!["--trace", &nyc],
            vec!["--days", "6"],
        ];
        let bar = indicatif::ProgressBar::hidden();
        let (mut pairs, mut falls) = (0, Vec::new());
        for trace in traces {
            let mut args = vec!["prescale", "backtest", "--folds", "2", "--test-days", "1"];
            args.extend(["--validation-days", "3", "--model", "seasonal-naive"]);
            args.extend(["--policy", &list]);
            args.extend(trace.iter().copied());
            let Plan::Backtest(searched) = resolve(Cli::try_parse_from(&args).unwrap()).unwrap()
            else {
                panic!("a backtest")
            };
            let every = BacktestPlan {
                searched: false,
                ..searched.clone()
            };
            let setup = only(&searched);
            let folds = setup.folds.clone();
            let ceiling = crate::serving::ceiling_pct(&setup.step.serving);
            let (mut all, mut some) = (Vec::new(), Vec::new());
            for f in &folds {
                all.extend(run_fold(&every, &setup, f, f.test.end, &bar).unwrap().0);
                some.extend(run_fold(&searched, &setup, f, f.test.end, &bar).unwrap().0);
            }
            // Along each family's knob, least capacity first.
            for p in PolicyKind::ALL.iter().filter(|p| p.knob_rises().is_some()) {
                for (fold, model) in [
                    (1, "seasonal-naive"),
                    (2, "seasonal-naive"),
                    (1, "none"),
                    (2, "none"),
                ] {
                    let mut family: Vec<&Trial> = all
                        .iter()
                        .filter(|t| t.window == fold && t.model == model && t.policy == p.name())
                        .collect();
                    family.sort_by(|a, b| a.knob.unwrap().1.total_cmp(&b.knob.unwrap().1));
                    if p.knob_rises() == Some(crate::policy::Rises::AgainstValue) {
                        family.reverse();
                    }
                    for w in family.windows(2) {
                        pairs += 1;
                        let (a, b) = (w[0].chosen(), w[1].chosen());
                        for slo in [90.0, 95.0, 99.0] {
                            let rule = choice::Rule::new(slo, 95.0, ceiling);
                            if rule.holds(a.evidence()) && !rule.holds(b.evidence()) {
                                falls.push(format!("{trace:?} {} {fold} at {slo}", p.name()));
                            }
                        }
                        let days = a.days.iter().zip(&b.days);
                        assert!(
                            days.clone().all(|(x, y)| y >= x)
                                && b.container_minutes >= a.container_minutes,
                            "{:?} {} {fold}: {:?} {:?} -> {:?} {:?}",
                            trace,
                            p.name(),
                            w[0].knob,
                            a,
                            w[1].knob,
                            b
                        );
                    }
                }
            }
            let rule = choice::Rule::of(&setup.step);
            let picks = |t: &[Trial]| -> Vec<Vec<usize>> {
                choice::records(t, folds.len(), &rule)
                    .into_iter()
                    .map(|r| r.picks)
                    .collect()
            };
            assert_eq!(picks(&all), picks(&some), "{trace:?}");
            assert_eq!(all.len(), some.len());
            for (a, b) in all.iter().zip(&some) {
                assert_eq!(a.judged_on, b.judged_on);
                assert!(b.chosen_on.is_none() || b.chosen_on == a.chosen_on);
            }
            // The synthetic 7-day traces search (the NAB ones, on 3 days at 95 %, find no
            // value likely enough, and run every value); the 6-day one has two validation
            // days, and no search.
            let skips = some.iter().filter(|t| t.chosen_on.is_none()).count();
            match trace[..] {
                ["--days", "7", ..] => assert!(skips > 0, "{trace:?}"),
                ["--days", "6"] => assert_eq!(skips, 0, "two validation days: no search"),
                _ => {}
            }
        }
        // 5 traces × 2 folds × (3 forecast families of 7, 7 and 5 values, 2 model-free
        // of 7): 5 × 2 × (6 + 6 + 4 + 6 + 6) pairs.
        assert_eq!(pairs, 280);
        // The rule's verdict falls along none of the 840 pairs (280 at three SLOs). It can
        // on two validation days (one degree of freedom), where a value whose days miss
        // alike spreads less in logarithm than the next value's: before keda read its
        // metric as an External one, the 6-day trace's keda fold 2 at 90 % did (days
        // 2.80 and 2.88 points over the ceiling of a 3.5-point budget held at 95 %, the
        // next target's 0.94 and 1.35 did not). So on two days every value runs
        // (SEARCH_DAYS), and the picks are the full scan's (above).
        assert_eq!(falls, Vec::<String>::new());
    }

    #[test]
    fn shards_are_runs_of_consecutive_units_that_cover_them_once() {
        let runs = |len, n| (1..=n).map(|i| consecutive(len, i, n)).collect::<Vec<_>>();
        assert_eq!(runs(6, 4), [0..2, 2..4, 4..5, 5..6]);
        assert_eq!(runs(4, 2), [0..2, 2..4]);
        assert_eq!(runs(2, 3), [0..1, 1..2, 2..2]);
        for (len, n) in [(20, 3), (5, 5), (7, 1), (0, 2)] {
            let all: Vec<usize> = runs(len, n).into_iter().flatten().collect();
            assert_eq!(all, (0..len).collect::<Vec<_>>(), "{len} in {n}");
        }
        // The merge names the shard of a missing unit by the same split.
        let owners: Vec<usize> = (0..6).map(|k| (PART.owner)(k, 6, 4)).collect();
        assert_eq!(owners, [1, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn the_part_header_is_the_rows_own() {
        // The store checks a part's header against PART's: it must be the one serde
        // writes for a Row.
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(Row::of(
            &Trace {
                start: chrono::DateTime::UNIX_EPOCH,
                step_seconds: 60,
                requests: vec![0.0; 3],
                in_event: None,
            },
            &Fold {
                index: 1,
                validation: 0..1,
                test: 1..3,
            },
            &Trial {
                window: 1,
                model: "m".into(),
                policy: "p".into(),
                knob: None,
                tuned: None,
                aim_pct: None,
                chosen_on: Some(Figures {
                    attained_pct: 1.0,
                    cost_vs_optimal: 1.0,
                    container_minutes: 1,
                    days: vec![1.0, 2.0],
                }),
                judged_on: Some(Figures {
                    attained_pct: 1.0,
                    cost_vs_optimal: 1.0,
                    container_minutes: 1,
                    days: vec![1.0],
                }),
            },
            &Vec::new(),
        ))
        .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), row_header().join(","));
    }

    /// The plan's one trace's setup.
    fn only(p: &BacktestPlan) -> Setup {
        let (_, mut setups) = setup(p).unwrap();
        assert_eq!(setups.len(), 1);
        setups.remove(0)
    }

    #[test]
    fn no_choice_sees_the_window_it_is_judged_on() {
        let p = plan();
        let setup = only(&p);
        let (folds, step) = (&setup.folds, &setup.step);
        assert_eq!(folds.len(), 2);
        let last = &folds[1];
        let bar = indicatif::ProgressBar::hidden();
        let (before, _) = run_fold(&p, &setup, last, last.test.end, &bar).unwrap();
        // Triple the last test window's demand: what the fold chose (every validation
        // figure, hence every pick) must not move; its test figures must.
        let poisoned = tripled(&setup, last);
        let (after, _) = run_fold(&p, &poisoned, last, last.test.end, &bar).unwrap();
        chose_alike(&before, &after);
        let rule = choice::Rule::of(step);
        let picks = |t: &[Trial]| -> Vec<Vec<usize>> {
            choice::records(t, 1, &rule)
                .into_iter()
                .map(|r| r.picks)
                .collect()
        };
        let (mut b, mut a) = (before.clone(), after.clone());
        for t in b.iter_mut().chain(a.iter_mut()) {
            t.window = 1;
        }
        assert_eq!(picks(&b[..]), picks(&a[..]));
        // The reference is no family; the four are, with their trials (slo-targeted one:
        // its headroom tuned on the validation window).
        let families: Vec<&str> = before.iter().map(|t| t.policy.as_str()).collect();
        assert!(!families.contains(&"optimal"));
        assert_eq!(families.iter().filter(|p| **p == "slo-targeted").count(), 1);
        assert_eq!(families.iter().filter(|p| **p == "buffered").count(), 7);
        assert_eq!(families.iter().filter(|p| **p == "reactive-hpa").count(), 7);
    }

    #[test]
    fn every_picks_test_figures_are_a_plain_simulation_of_it() {
        // Each family's pick on the last fold's test window (the recommendation's among
        // them), against the model fitted, its interval calibrated and the policy
        // simulated here without the backtest's code paths.
        let p = plan();
        let setup = only(&p);
        let (trace, step, folds) = (setup.trace.clone(), setup.step, setup.folds.clone());
        let bar = indicatif::ProgressBar::hidden();
        let mut trials = Vec::new();
        for f in &folds {
            trials.extend(run_fold(&p, &setup, f, f.test.end, &bar).unwrap().0);
        }
        // Half-day validation windows: one day each, so the picks are the bare rule's
        // and slo-targeted's search below aims at the SLO itself.
        let slo = 100.0 * step.serving.slo_share;
        let records = choice::records(&trials, folds.len(), &choice::Rule::of(&step));
        assert!(choice::recommend(&records).is_some());
        let fold = &folds[1];
        let mut model = ModelKind::from_name("seasonal-naive")
            .unwrap()
            .build(&p.grid.settings.model);
        model
            .fit(&FitInput {
                trace: &trace,
                train_len: fold.train_len(),
                lead_steps: step.delay_steps + 1,
            })
            .unwrap();
        let validation = model.predict(&trace, fold.validation.clone()).unwrap();
        let q = conformal_stretch(
            &trace.requests[fold.validation.clone()],
            &validation,
            p.grid.settings.model.interval_width,
        )
        .unwrap();
        let forecast = model
            .predict(&trace, fold.test.clone())
            .unwrap()
            .stretched(q);
        let validation = validation.stretched(q);
        assert_eq!(records.len(), 4);
        for r in &records {
            let pick = &trials[r.picks[1]];
            let kind = PolicyKind::from_name(&pick.policy).unwrap();
            let test = pick.judged_on.clone().unwrap();
            let mut settings = p.grid.settings.clone();
            if let (Some(k), Some((_, v))) = (kind.knob(), pick.knob) {
                (k.set)(&mut settings, Value::Number(v));
            }
            // slo-targeted's headroom: the smallest its search finds whose run on the
            // validation window met the SLO, simulated here.
            let tuned = kind.tune().map(|search| {
                let ctx = |value| crate::policy::PolicyContext {
                    cluster: &step,
                    tuned: Some(crate::policy::Tuned::trying(value, 0)),
                };
                let (value, _) = search.search(slo, |h| {
                    let mut policy = kind.build(&settings.policy, &ctx(h));
                    let v = fold.validation.clone();
                    let tl = simulate(
                        &trace.requests,
                        v,
                        Some(&validation),
                        policy.as_mut(),
                        &step,
                    );
                    crate::metrics::policy_metrics("", kind.name(), &tl.unwrap(), &step)
                        .slo_attained_pct
                });
                crate::policy::Tuned::trying(value, 0)
            });
            let ctx = crate::policy::PolicyContext {
                cluster: &step,
                tuned,
            };
            let mut policy = kind.build(&settings.policy, &ctx);
            let f = kind.uses_forecast().then_some(&forecast);
            let tl = simulate(
                &trace.requests,
                fold.test.clone(),
                f,
                policy.as_mut(),
                &step,
            )
            .unwrap();
            let m = crate::metrics::policy_metrics(&pick.model, kind.name(), &tl, &step);
            let what = format!("{} {:?}", kind.name(), pick.knob);
            assert_eq!(m.container_minutes, test.container_minutes, "{what}");
            assert_eq!(m.slo_attained_pct, test.attained_pct, "{what}");
            // The cost ratio over the optimum of the test window, simulated here too.
            let optimum = {
                let kind = PolicyKind::from_name("optimal").unwrap();
                let ctx = crate::policy::PolicyContext {
                    cluster: &step,
                    tuned: None,
                };
                let mut policy = kind.build(&settings.policy, &ctx);
                let tl = simulate(
                    &trace.requests,
                    fold.test.clone(),
                    None,
                    policy.as_mut(),
                    &step,
                );
                crate::metrics::policy_metrics("", "optimal", &tl.unwrap(), &step).container_minutes
            };
            let ratio = m.container_minutes as f64 / optimum as f64;
            assert!((test.cost_vs_optimal - ratio).abs() <= 5e-7, "{what}");
        }
    }
}
