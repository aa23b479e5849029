//! Runs the stages: owns the paths, the files, the progress output and the console.
//!
//! Each stage is a function that reads what earlier stages wrote, so `train`,
//! `simulate` and `report` can run in separate processes; `run-all` chains them in one.
//! Errors get their context (file, stage) here, at the edge.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::check::{self, Tolerances};
use crate::cli::{CheckCmd, Cli, Command, ModelSelect, PolicyArgs, ReportsArgs, TraceArgs};
use crate::config::{ClusterConfig, ConfigError, PolicyConfig, SplitConfig, StepCluster};
use crate::experiment::{self, ModelForecast, Outcome};
use crate::forecast::{self, lstm, FitInput, Forecaster, ModelConfig, ModelKind};
use crate::interrupt;
use crate::metrics::PolicyMetrics;
use crate::policy::PolicyKind;
use crate::progress;
use crate::report::{self, csv as rcsv, plot, table, write_atomic};
use crate::trace::generate::{generate, GenerateConfig};
use crate::trace::{format_timestamp, import, Split, Trace};

/// File name of the trace `generate` writes in the data folder.
pub const WORKLOAD_FILE: &str = "workload.csv";
/// Folder, inside the data folder, of the saved models.
pub const MODELS_DIR: &str = "models";
/// File name of the metrics summary in the reports folder.
pub const METRICS_FILE: &str = "metrics_summary.csv";

/// Runs the command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate(c) => {
            generate_stage(&c.generate.to_config(&c.seed), &c.data_dir)?;
        }
        Command::Train(c) => {
            let cluster = validated_cluster(&c.cluster.to_config())?;
            let model_cfg = validated_models(&c.models.to_config(&c.seed))?;
            let trace = load_trace(&c.trace)?;
            let kinds = c.models.select.to_train();
            train_stage(
                &trace,
                &c.trace.split(),
                &kinds,
                &model_cfg,
                &cluster,
                &c.trace.data_dir,
            )?;
        }
        Command::Simulate(c) => {
            let cluster = validated_cluster(&c.cluster.to_config())?;
            let policy_cfg = validated_policies(&c.policies)?;
            let trace = load_trace(&c.trace)?;
            simulate_stage(
                &trace,
                &c.trace,
                &c.models,
                &c.policies.kinds(),
                &policy_cfg,
                &cluster,
                &c.reports,
            )?;
        }
        Command::Report(c) => {
            report_stage(&c.reports.reports_dir)?;
        }
        Command::Check(c) => check_stage(&c)?,
        Command::RunAll(c) => {
            let c = c.resolve_quick();
            let cluster = validated_cluster(&c.cluster.to_config())?;
            let policy_cfg = validated_policies(&c.policies)?;
            let model_cfg = validated_models(&c.models.to_config(&c.seed))?;
            c.trace.split().validate()?;
            let trace = if c.trace.trace.is_some() {
                load_trace(&c.trace)?
            } else {
                generate_stage(&c.generate.to_config(&c.seed), &c.trace.data_dir)?
            };
            let kinds = c.models.select.to_train();
            train_stage(
                &trace,
                &c.trace.split(),
                &kinds,
                &model_cfg,
                &cluster,
                &c.trace.data_dir,
            )?;
            simulate_stage(
                &trace,
                &c.trace,
                &c.models.select,
                &c.policies.kinds(),
                &policy_cfg,
                &cluster,
                &c.reports,
            )?;
        }
    }
    Ok(())
}

fn validated_cluster(c: &ClusterConfig) -> Result<ClusterConfig> {
    c.validate()?;
    Ok(c.clone())
}

fn validated_policies(p: &PolicyArgs) -> Result<PolicyConfig> {
    let cfg = p.to_config();
    cfg.validate()?;
    Ok(cfg)
}

fn validated_models(m: &ModelConfig) -> Result<ModelConfig> {
    if !(m.interval_width > 0.0 && m.interval_width < 1.0) {
        return Err(ConfigError::IntervalWidth(m.interval_width).into());
    }
    let l = &m.lstm;
    for (flag, value) in [
        ("--window", l.window),
        ("--hidden", l.hidden),
        ("--epochs", l.epochs),
        ("--batch-size", l.batch_size),
    ] {
        if value == 0 {
            return Err(ConfigError::Positive {
                flag,
                value: value.to_string(),
            }
            .into());
        }
    }
    if !(l.learning_rate.is_finite() && l.learning_rate > 0.0) {
        return Err(ConfigError::Positive {
            flag: "--learning-rate",
            value: l.learning_rate.to_string(),
        }
        .into());
    }
    Ok(m.clone())
}

/// Generates the synthetic workload and writes it to `<data_dir>/workload.csv`.
pub fn generate_stage(cfg: &GenerateConfig, data_dir: &Path) -> Result<Trace> {
    let (trace, events) = generate(cfg)?;
    let path = data_dir.join(WORKLOAD_FILE);
    write_atomic(&path, &trace.to_csv()).context("writing the trace")?;
    eprintln!(
        "generate: {} steps of {} min from {} with {} events (seed {}) -> {}",
        trace.len(),
        trace.step_minutes,
        format_timestamp(trace.start),
        events.len(),
        cfg.seed,
        path.display()
    );
    Ok(trace)
}

/// The trace file a stage reads: `--trace`, else the generated workload.
fn trace_path(args: &TraceArgs) -> PathBuf {
    args.trace
        .clone()
        .unwrap_or_else(|| args.data_dir.join(WORKLOAD_FILE))
}

/// Reads and checks the trace, warning about filled gaps.
pub fn load_trace(args: &TraceArgs) -> Result<Trace> {
    let path = trace_path(args);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.trace.is_none() => {
            bail!(
                "no trace at {}: run `prescale generate` first, or pass --trace FILE",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("reading trace {}", path.display())),
    };
    let imported = import::parse_csv(&bytes, &args.import_options())
        .with_context(|| format!("reading trace {}", path.display()))?;
    if imported.filled_steps > 0 {
        eprintln!(
            "warning: {}: {} missing steps filled by linear interpolation",
            path.display(),
            imported.filled_steps
        );
    }
    Ok(imported.trace)
}

fn forecast_paths(data_dir: &Path, model: &str) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("forecasts");
    (
        dir.join(format!("{model}.csv")),
        dir.join(format!("{model}.json")),
    )
}

fn split_for(
    trace: &Trace,
    split: &SplitConfig,
    cluster: &StepCluster,
    min_train: usize,
) -> Result<Split> {
    split.validate()?;
    // The first decision looks back one step before t0 − d.
    Ok(trace.split(split, min_train.max(cluster.delay_steps + 1))?)
}

fn meta_for(
    model: &str,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
) -> rcsv::ForecastMeta {
    let step = cluster.at_step(trace.step_minutes);
    rcsv::ForecastMeta {
        model: model.to_string(),
        trace_fingerprint: rcsv::trace_fingerprint(trace),
        trace_steps: trace.len(),
        step_minutes: trace.step_minutes,
        test_start: format_timestamp(trace.timestamp(split.train_len)),
        test_steps: split.test_len,
        lead_steps: step.delay_steps + 1,
        startup_delay_min: cluster.startup_delay_min,
    }
}

/// Fits each model on the train split, predicts the test period and writes
/// `<data_dir>/forecasts/<model>.csv` with its `.json` sidecar.
pub fn train_stage(
    trace: &Trace,
    split_cfg: &SplitConfig,
    kinds: &[ModelKind],
    model_cfg: &ModelConfig,
    cluster: &ClusterConfig,
    data_dir: &Path,
) -> Result<Vec<ModelForecast>> {
    let step = cluster.at_step(trace.step_minutes);
    let lead = step.delay_steps + 1;
    let mut models: Vec<_> = kinds
        .iter()
        .map(|&k| forecast::build(k, model_cfg))
        .collect();
    // The model that needs the longest train period, named in the error if it is too short.
    let (min_train, neediest) = models
        .iter()
        .map(|m| (m.min_train_steps(trace, lead), m.name()))
        .max()
        .unwrap_or((0, ""));
    let split = split_for(trace, split_cfg, &step, min_train)
        .with_context(|| format!("{neediest} needs at least {min_train} train steps"))?;
    let mut out = Vec::new();
    for model in &mut models {
        let name = model.name();
        let spinner = progress::spinner(format!("train {name}"));
        let started = Instant::now();
        let input = FitInput {
            trace,
            train_len: split.train_len,
            lead_steps: lead,
        };
        let fitted = model.fit(&input);
        // An interrupt wins over whatever the fit returned.
        interrupt::check()?;
        fitted.with_context(|| format!("training {name}"))?;
        let forecast = model
            .predict(trace, split.test_range())
            .with_context(|| format!("forecasting with {name}"))?;
        spinner.finish_and_clear();
        for note in model.notes() {
            eprintln!("{note}");
        }
        let models_dir = data_dir.join(MODELS_DIR);
        for saved in model
            .save(&models_dir)
            .with_context(|| format!("saving {name}"))?
        {
            eprintln!("train: saved {}", saved.display());
        }
        let (csv_path, meta_path) = forecast_paths(data_dir, name);
        // The forecasts and their sidecar land together: never one without the other.
        report::write_all_atomic(&[
            (&csv_path, rcsv::forecast_file(trace, split, &forecast)),
            (&meta_path, meta_for(name, trace, split, cluster).to_json()),
        ])
        .with_context(|| format!("writing {name}'s forecasts"))?;
        eprintln!(
            "train: {name} fitted on {} steps, forecast {} test steps in {:.2} s -> {}",
            split.train_len,
            split.test_len,
            started.elapsed().as_secs_f64(),
            csv_path.display()
        );
        out.push(ModelForecast {
            model: name.to_string(),
            forecast,
        });
    }
    Ok(out)
}

/// Reads the forecasts `train` wrote, refusing any made for another trace, split or
/// startup delay. For "all", the models with forecast files.
fn load_forecasts(
    trace: &Trace,
    split: Split,
    select: &ModelSelect,
    cluster: &ClusterConfig,
    data_dir: &Path,
) -> Result<Vec<ModelForecast>> {
    let named = select.kinds();
    let kinds = select.to_train();
    let expected_all = meta_for("", trace, split, cluster);
    let mut out = Vec::new();
    for kind in kinds {
        let name = kind.name();
        if kind == ModelKind::Lstm {
            if let Some(forecast) =
                predict_with_saved_lstm(trace, split, cluster, data_dir, named.is_some())?
            {
                out.push(ModelForecast {
                    model: name.to_string(),
                    forecast,
                });
            }
            continue;
        }
        let (csv_path, meta_path) = forecast_paths(data_dir, name);
        if !csv_path.exists() || !meta_path.exists() {
            if named.is_some() {
                bail!(
                    "no forecasts for {name} in {}: run `prescale train --model {name}` first",
                    data_dir.join("forecasts").display()
                );
            }
            continue;
        }
        let meta = fs::read(&meta_path)
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(rcsv::ForecastMeta::from_json(&b)?))
            .with_context(|| format!("reading {}", meta_path.display()))?;
        let expected = rcsv::ForecastMeta {
            model: name.to_string(),
            ..expected_all.clone()
        };
        if meta.lead_steps != expected.lead_steps {
            bail!(
                "{} was trained for a {} min startup delay, this run uses {} min: run `prescale train --model {name} --startup-delay {}` again",
                csv_path.display(),
                meta.startup_delay_min,
                cluster.startup_delay_min,
                cluster.startup_delay_min
            );
        }
        if meta != expected {
            bail!(
                "{} was made for another trace or split (test from {} for {} steps, this run: from {} for {} steps): run `prescale train` again",
                csv_path.display(),
                meta.test_start,
                meta.test_steps,
                expected.test_start,
                expected.test_steps
            );
        }
        let (timestamps, forecast) = fs::read(&csv_path)
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(rcsv::read_forecast_file(&b)?))
            .with_context(|| format!("reading {}", csv_path.display()))?;
        let aligned = timestamps.len() == split.test_len
            && split
                .test_range()
                .zip(&timestamps)
                .all(|(j, ts)| *ts == format_timestamp(trace.timestamp(j)));
        if !aligned {
            bail!(
                "{}: its timestamps do not match the test period of this trace: run `prescale train` again",
                csv_path.display()
            );
        }
        out.push(ModelForecast {
            model: name.to_string(),
            forecast,
        });
    }
    Ok(out)
}

/// Forecasts the test period with the LSTM saved by `train`, if there is one (an error
/// when `required`). A model trained for another startup delay or step must be retrained.
fn predict_with_saved_lstm(
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    data_dir: &Path,
    required: bool,
) -> Result<Option<forecast::Forecast>> {
    let dir = data_dir.join(MODELS_DIR);
    if !dir.join(lstm::META_FILE).exists() {
        if required {
            bail!(
                "no trained lstm in {}: run `prescale train --model lstm` first",
                dir.display()
            );
        }
        return Ok(None);
    }
    let model = lstm::LstmModel::load(&dir).context("loading the saved lstm")?;
    let meta = model.meta().expect("a loaded model is fitted");
    let lead = cluster.at_step(trace.step_minutes).delay_steps + 1;
    if meta.step_minutes != trace.step_minutes || meta.lead_steps != lead {
        bail!(
            "the saved lstm in {} was trained for {}-minute steps and a startup delay of {} steps; this run has {}-minute steps and a delay of {} steps: the model must be retrained (`prescale train --model lstm --startup-delay {}`)",
            dir.display(),
            meta.step_minutes,
            meta.lead_steps - 1,
            trace.step_minutes,
            lead - 1,
            cluster.startup_delay_min
        );
    }
    Ok(Some(
        model
            .predict(trace, split.test_range())
            .context("forecasting with the saved lstm")?,
    ))
}

/// Replays the policies against the trained forecasts, writes every report and prints
/// the summary table. Stops before writing if Ctrl-C was pressed.
pub fn simulate_stage(
    trace: &Trace,
    trace_args: &TraceArgs,
    models: &ModelSelect,
    policies: &[PolicyKind],
    policy_cfg: &PolicyConfig,
    cluster: &ClusterConfig,
    reports: &ReportsArgs,
) -> Result<Outcome> {
    let step = cluster.at_step(trace.step_minutes);
    let split = split_for(trace, &trace_args.split(), &step, 0)?;
    let forecasts = load_forecasts(trace, split, models, cluster, &trace_args.data_dir)?;
    if forecasts.is_empty() && policies.iter().any(|p| p.uses_forecast()) {
        eprintln!(
            "warning: no trained forecasts in {}: forecast policies skipped (run `prescale train`)",
            trace_args.data_dir.join("forecasts").display()
        );
    }
    let started = Instant::now();
    let outcome = experiment::run(trace, split, &forecasts, policies, policy_cfg, &step)?;
    for s in &outcome.skipped {
        eprintln!("note: skipped {s}");
    }
    eprintln!(
        "simulate: {} runs over {} test steps of {} min in {:.3} s",
        outcome.runs.len(),
        split.test_len,
        trace.step_minutes,
        started.elapsed().as_secs_f64()
    );
    interrupt::check()?;
    write_reports(
        &reports.reports_dir,
        trace,
        split,
        &forecasts,
        &outcome,
        &step,
    )?;
    print!("{}", table::render(&outcome.rows()));
    Ok(outcome)
}

/// Writes the CSV reports. Every file is rendered first, then each renamed into place.
fn write_reports(
    dir: &Path,
    trace: &Trace,
    split: Split,
    models: &[ModelForecast],
    outcome: &Outcome,
    cluster: &StepCluster,
) -> Result<()> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        (dir.join(METRICS_FILE), rcsv::to_csv(&outcome.rows())),
        (
            dir.join("forecast_metrics.csv"),
            rcsv::to_csv(&outcome.forecast_metrics),
        ),
    ];
    let named: Vec<(String, forecast::Forecast)> = models
        .iter()
        .map(|m| (m.model.clone(), m.forecast.clone()))
        .collect();
    files.push((
        dir.join("forecasts.csv"),
        rcsv::forecasts_wide(trace, split, &named),
    ));
    for r in &outcome.runs {
        let name = format!("{}_{}.csv", r.metrics.model, r.metrics.policy);
        files.push((
            dir.join("timelines").join(name),
            rcsv::timeline(trace, split, &r.timeline, cluster.capacity_per_step),
        ));
    }
    report::write_all_atomic(&files).context("writing reports")?;
    eprintln!("reports: {} files in {}", files.len(), dir.display());
    plot_stage(dir)
}

/// Reads the CSV reports in `dir` back and draws every plot from them.
fn plot_stage(dir: &Path) -> Result<()> {
    let read = |name: &str| -> Result<Vec<u8>> {
        let path = dir.join(name);
        fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    let rows = read_metrics(&dir.join(METRICS_FILE))?;
    let forecasts = plot::read_forecasts(&read("forecasts.csv")?)
        .with_context(|| format!("reading {}", dir.join("forecasts.csv").display()))?;
    let mut timelines = Vec::new();
    for r in &rows {
        let name = format!("timelines/{}_{}.csv", r.model, r.policy);
        let path = dir.join(&name);
        if path.exists() {
            timelines.push(
                plot::read_timeline(&r.model, &r.policy, &read(&name)?)
                    .with_context(|| format!("reading {}", path.display()))?,
            );
        }
    }
    let input = plot::PlotInput {
        rows,
        forecasts,
        timelines,
    };
    let written = plot::write_all(dir, &input)
        .map_err(|e| anyhow::anyhow!("drawing plots in {}: {e}", dir.display()))?;
    eprintln!("plots: {} PNG files in {}", written.len(), dir.display());
    Ok(())
}

/// Reads a `metrics_summary.csv`.
fn read_metrics(path: &Path) -> Result<Vec<PolicyMetrics>> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    report::csv::from_csv(&bytes).with_context(|| format!("reading {}", path.display()))
}

/// Prints the summary table of an earlier `simulate`.
pub fn report_stage(dir: &Path) -> Result<Vec<PolicyMetrics>> {
    let path = dir.join(METRICS_FILE);
    if !path.exists() {
        bail!("no {} yet: run `prescale simulate` first", path.display());
    }
    let rows = read_metrics(&path)?;
    plot_stage(dir)?;
    print!("{}", table::render(&rows));
    Ok(rows)
}

/// Compares the current metrics with the baseline (or, with `--update`, accepts them).
pub fn check_stage(c: &CheckCmd) -> Result<()> {
    let current = read_metrics(&c.current)?;
    if c.update {
        let changes = match read_metrics(&c.baseline) {
            Ok(old) => check::render(&check::check(
                &old,
                &current,
                &Tolerances {
                    violation_minutes_abs: 0.0,
                    violation_rel: 0.0,
                    unserved_abs: 0.0,
                    unserved_rel: 0.0,
                    cost_rel: 0.0,
                },
            )),
            Err(e) => format!("(no readable baseline before: {e:#})\n"),
        };
        let bytes =
            fs::read(&c.current).with_context(|| format!("reading {}", c.current.display()))?;
        write_atomic(&c.baseline, &bytes).context("updating the baseline")?;
        print!("{changes}");
        println!(
            "check: baseline {} updated from {} ({} rows)",
            c.baseline.display(),
            c.current.display(),
            current.len()
        );
        return Ok(());
    }
    let baseline = read_metrics(&c.baseline)?;
    let rows = check::check(&baseline, &current, &c.tolerances());
    print!("{}", check::render(&rows));
    let failed = rows.iter().filter(|r| r.fails()).count();
    if failed > 0 {
        bail!(
            "{failed} of {} rows regressed against {} (accept an intended change with `prescale check --update`)",
            baseline.len(),
            c.baseline.display()
        );
    }
    let improved = rows
        .iter()
        .filter(|r| matches!(r.verdict, check::Verdict::Improved(_)))
        .count();
    let new = rows
        .iter()
        .filter(|r| r.verdict == check::Verdict::New)
        .count();
    println!(
        "check: OK, {} rows within tolerance of {} ({improved} improved, {new} new)",
        baseline.len(),
        c.baseline.display()
    );
    Ok(())
}
