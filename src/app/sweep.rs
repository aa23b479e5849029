//! `sweep` and `merge`: every policy along its knob over the grid's units, each unit's
//! models trained once and reused for every knob value. A run is shard `i` of `n` (1 of 1
//! without `--shard`): it writes `sweep.part-<i>-of-<n>.csv` and its manifest after each
//! unit, so a killed worker resumes where it stopped, and `merge` (run by itself after an
//! unsharded sweep) checks that every unit is present exactly once, from one grid, that
//! every part is what its manifest records (each unit's row count and hash, the file's
//! length and hash), and writes `sweep.csv`, `slo_table.csv` and `frontier_<trace>.png`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::config::ClusterConfig;
use crate::experiment::{self, ModelForecast, Period};
use crate::forecast::fit::{build_models, fit_all, split_for};
use crate::plan::SweepPlan;
use crate::report::plot;
use crate::serving::StepCluster;
use crate::settings::Settings;
use crate::store::shards::Manifest;
use crate::store::sweep::{trace_files, SweepDir, SweepMeta};
use crate::sweep::rows::{self, SweepRow, Validated};
use crate::sweep::{axis_columns, settings_at, shard, Grid, Unit};
use crate::trace::{Split, Trace};
use crate::words::count;
use crate::{interrupt, progress};

/// Runs one unit: trains each model once (its one fit forecasts the validation window
/// and the test period, [`crate::forecast::fit::fit`]), then replays every policy at every knob value and capacity from those forecasts.
/// Every configuration runs on the validation window too. Returns the rows, the fits and
/// the simulations on the test period and on the validation window.
fn run_unit(
    grid: &Grid,
    unit: &Unit,
    trace: &Trace,
) -> Result<(Vec<SweepRow>, usize, usize, usize)> {
    let spec = &grid.traces[unit.trace];
    // The unit's cluster under `settings` (at a point of the axes within the unit, and
    // a knob such as `slo` may change it).
    let cluster_at = |settings: &Settings| ClusterConfig {
        min_replicas: spec.min_replicas,
        max_replicas: spec.max_replicas,
        tick_seconds: 0,
        ..settings.cluster.clone()
    };
    let at_unit = unit.settings(&grid.settings);
    let points = spec.within();
    let base = cluster_at(&settings_at(&at_unit, &points[0]));
    let model_cfg = at_unit.model.clone();
    let mut models = build_models(&grid.models, &model_cfg);
    let split = split_for(trace, &grid.settings.split, &models, &base)
        .with_context(|| format!("unit {}", unit.id))?;
    // Every model on one validation window, shortened where the trace cannot spare it
    // (said once, not per unit).
    let (model_cfg, note) =
        crate::forecast::fit::common_validation(&model_cfg, &models, trace, split, &base);
    if let Some(note) = note {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| eprintln!("{note}"));
    }
    let mut fits = 0;
    let mut forecasts: Vec<ModelForecast> = Vec::new();
    for trained in fit_all(&mut models, trace, split, &base, &model_cfg) {
        let trained = trained.with_context(|| format!("unit {}", unit.id))?;
        fits += 1;
        forecasts.push(ModelForecast::of(&trained));
    }
    // Every configuration also runs on the validation window before the test period
    // (from the same fits' forecasts of it), the figures a choice reads.
    let history = base.at_step(trace.step_seconds).delay_steps + 1;
    let window = experiment::validation_window(&model_cfg, trace, split, &forecasts, history);
    let on_window = experiment::on_window(&forecasts, &window);
    let vsplit = Split {
        train_len: window.start,
        test_len: window.len(),
    };
    let mut rows = Vec::new();
    let mut simulations = 0;
    let mut validation_simulations = 0;
    for point in &points {
        let at_point = settings_at(&at_unit, point);
        let place = (spec.name.as_str(), axis_columns(&at_point));
        // The references' costs on both windows, once per cluster (a knob may change
        // its SLO).
        type Costs = (u64, u64);
        let mut references: Vec<(StepCluster, Costs, Option<Costs>)> = Vec::new();
        for &policy in &grid.policies {
            let values: Vec<Option<f64>> = match policy.knob() {
                Some(_) => grid.knob_values(policy).into_iter().map(Some).collect(),
                None => vec![None],
            };
            for value in values {
                // The knob's value set where the setting lives, on top of models trained
                // at the grid's settings.
                let (settings, knob) = policy.at_knob(&at_point, value);
                let cfg = settings.policy_config(&model_cfg);
                let step = cluster_at(&settings).at_step(trace.step_seconds);
                let (costs, validation_costs) = match references.iter().find(|(c, _, _)| *c == step)
                {
                    Some(&(_, costs, v)) => (costs, v),
                    None => {
                        let costs = experiment::reference_costs(trace, split, &step)?;
                        let v = (!window.is_empty())
                            .then(|| experiment::reference_costs(trace, vsplit, &step))
                            .transpose()?;
                        references.push((step, costs, v));
                        (costs, v)
                    }
                };
                let test = Period {
                    trace,
                    split,
                    models: &forecasts,
                    cluster: &step,
                    references: Some(costs),
                };
                let outcome = experiment::run_with(test, &[policy], &cfg)?;
                let on_validation = match validation_costs {
                    Some(v) => {
                        // Its rows read what the window's runs attain and cost alone.
                        let lean = step.attainment_only();
                        let window = Period {
                            split: vsplit,
                            models: &on_window,
                            cluster: &lean,
                            references: Some(v),
                            ..test
                        };
                        experiment::run_with(window, &[policy], &cfg)?.runs
                    }
                    None => Vec::new(),
                };
                simulations += outcome.runs.len();
                validation_simulations += on_validation.len();
                rows.extend(outcome.runs.iter().map(|r| {
                    let v = on_validation
                        .iter()
                        .find(|v| v.metrics.model == r.metrics.model)
                        .map(|v| {
                            let days = crate::metrics::daily_attained_pct(&v.timeline, &step);
                            Validated::of(v, days)
                        });
                    SweepRow::new(place.clone(), knob, &r.metrics, v)
                }));
            }
        }
    }
    Ok((rows, fits, simulations, validation_simulations))
}

/// Runs the plan's shard, writing its part after each unit; an unsharded sweep then
/// merges its one part.
pub(super) fn run(plan: &SweepPlan) -> Result<()> {
    let grid = &plan.grid;
    let (i, n) = plan.shard;
    for warning in grid.unreachable_levels() {
        eprintln!("{warning}");
    }
    let files = trace_files(grid)?;
    let fingerprint = grid.fingerprint(&files);
    let units = grid.units();
    let mine = shard(&units, i, n);
    let dir = SweepDir(plan.dir.clone());
    let shards = dir.shards();
    let part = shards.part(i, n);
    // A part of the same grid already in the folder: its finished units are kept.
    let fresh = Manifest::fresh(
        fingerprint.clone(),
        (i, n),
        units.iter().map(|u| u.id.clone()).collect(),
        SweepMeta {
            slo_levels: grid.slo_levels.clone(),
            confidence_percent: grid.settings.cluster.serving.confidence_percent,
            ceilings: grid.ceilings(),
            fits: 0,
            simulations: 0,
            validation_simulations: 0,
        },
    );
    let (mut manifest, mut rows) = shards.resume(fresh)?;
    dir.write_settings(grid)?;
    let resumed = manifest.units.len();
    let started = Instant::now();
    let bar = progress::bar(mine.len() as u64, format!("sweep shard {i}/{n}"));
    for unit in &mine {
        if manifest.done(&unit.id) {
            bar.inc(1);
            continue;
        }
        interrupt::check()?;
        bar.set_message(format!("sweep {}", unit.id));
        let trace = grid.unit_trace(unit, &files[unit.trace])?;
        let (unit_rows, fits, sims, on_validation) = run_unit(grid, unit, &trace)?;
        let before = rows.len();
        rows.extend(unit_rows.iter().map(SweepRow::cells));
        rows.record(&mut manifest, &unit.id, before);
        manifest.meta.fits += fits;
        manifest.meta.simulations += sims;
        manifest.meta.validation_simulations += on_validation;
        shards.write_part(&rows, &mut manifest)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let shard = if n == 1 {
        String::new()
    } else {
        format!(" shard {i}/{n}:")
    };
    eprintln!(
        "sweep:{shard} {} ({resumed} finished before), {}, {} (and {} on the validation windows) in {:.1} s -> {}",
        count(mine.len(), "unit"),
        count(manifest.meta.fits, "model fit"),
        count(manifest.meta.simulations, "simulation"),
        manifest.meta.validation_simulations,
        started.elapsed().as_secs_f64(),
        part.csv.display()
    );
    if n == 1 {
        merge(&plan.dir)
    } else {
        eprintln!(
            "sweep: run `prescale merge {}` once every shard is done",
            plan.dir.display()
        );
        Ok(())
    }
}

/// Checks the parts in `dir` and writes the sweep's results from them.
pub(super) fn merge(dir: &Path) -> Result<()> {
    let dir = SweepDir(dir.to_path_buf());
    let parts = dir.shards().checked_parts::<SweepMeta>()?;
    let first = &parts[0].1;
    let frames = parts
        .iter()
        .map(|(name, _, csv)| {
            rows::read_part(csv)
                .with_context(|| format!("reading {}", dir.path().join(name).display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let all = rows::combine(&frames).context("stacking the parts")?;
    let slo = rows::slo_table(
        &all,
        &first.meta.slo_levels,
        first.meta.confidence_percent,
        &first.meta.ceilings,
    )
    .context("ranking the SLO table")?;
    let mut frontiers = Vec::new();
    for trace in rows::traces(&all)? {
        let points = rows::frontier_points(&all, &slo, &trace)?;
        let png = plot::frontier_png(&trace, &points, &first.meta.slo_levels)
            .map_err(|e| anyhow::anyhow!("drawing the frontier of {trace}: {e}"))?;
        frontiers.push((trace, png));
    }
    dir.write_results(rows::to_csv(&all)?, rows::to_csv(&slo)?, frontiers)?;
    print!("{}", slo_summary(&slo)?);
    let unvalidated = rows::without_validation(&all)?;
    if unvalidated > 0 {
        println!(
            "{unvalidated} deployable configurations have no validation window (--validation-days 0, or a model whose train period could not spare it) and take no part in the recommendation"
        );
    }
    eprintln!(
        "merge: {}, {}, {} -> {}",
        count(parts.len(), "part"),
        count(first.grid_units.len(), "unit"),
        count(all.height(), "row"),
        dir.sweep_csv().display()
    );
    Ok(())
}

/// The console's SLO table: per trace, axis values (delay, capacity, seed) and level, the
/// cheapest configuration meeting it on the test period (in-sample), then the
/// recommendation chosen on the validation window with its test result.
fn slo_summary(slo: &polars::prelude::DataFrame) -> Result<String> {
    let axes = |text: &dyn Fn(&crate::settings::Axis, usize) -> String| -> String {
        crate::settings::AXES
            .iter()
            .enumerate()
            .map(|(k, s)| format!(" {:>8}", text(s.axis.as_ref().expect("an axis"), k)))
            .collect()
    };
    let line = |p: &rows::SloPick, figures: String| {
        format!(
            "{:<16}{}  {:>7}  {:<50} {figures}\n",
            p.trace,
            axes(&|a, k| a.console(p.at[k])),
            format!("{:?}", p.level),
            p.name(),
        )
    };
    let head = |last: &str| {
        format!(
            "{:<16}{}  {:>7}  {:<50} {last}\n",
            "trace",
            axes(&|a, _| a.heading.to_string()),
            "SLO %",
            "model / policy (knob or tuned value)"
        )
    };
    let mut out = String::from(
        "cheapest deployable configuration per SLO (slo_table.csv has every family), chosen and judged on the same test period: in-sample, optimistic by construction:\n",
    );
    out.push_str(&head("x optimal"));
    for p in rows::picks(slo, "overall")? {
        out.push_str(&line(&p, format!("{:>9.3}", p.cost_vs_optimal)));
    }
    let recommended = rows::picks(slo, "recommended")?;
    if !recommended.is_empty() {
        out.push_str(
            "\nrecommended per SLO, chosen on the validation window before the test period (each family's cheapest configuration whose validation days make a day meeting the SLO at least --confidence likely, then the family whose pick does, cheapest first) and judged on the test period, which no choice saw:\n",
        );
        out.push_str(&head("validation SLO %  test SLO %  x optimal"));
        let unmet = recommended
            .iter()
            .filter(|p| {
                !p.validation
                    .is_some_and(|v| crate::choice::attains(v.0, p.level))
            })
            .count();
        for p in &recommended {
            let validation = p
                .validation
                .map_or("-".to_string(), |v| format!("{:.2}", v.0));
            let held = if crate::choice::attains(p.attained_pct, p.level) {
                "met"
            } else {
                "missed"
            };
            out.push_str(&line(
                p,
                format!(
                    "{validation:>16}  {:>10.2}  {:>9.3}  {held}",
                    p.attained_pct, p.cost_vs_optimal
                ),
            ));
        }
        if unmet > 0 {
            out.push_str(&format!(
                "{unmet} of {} recommendations: no configuration of the grid met the SLO on the validation window, so the closest is shown (widen a knob's range, or check the deadline and the capacity)\n",
                recommended.len()
            ));
        }
    }
    Ok(out)
}
