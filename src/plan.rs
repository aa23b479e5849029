//! The command line resolved once: clap's flags become a [`Plan`] of plain, validated
//! config, so the stages never see clap types and nothing is validated twice. Every
//! range check of every flag happens in [`resolve`], before any trace is read (a sweep's
//! grid file is read here: it is part of the command).

use std::path::PathBuf;

use crate::cli::{
    BacktestCmd, Cli, Command, DataArgs, ForBacktest, ModelSelect, PolicySelect, Scope,
    SettingArgs, SweepCmd, TraceArgs, ALL,
};
use crate::config::{ClusterConfig, GenerateConfig, PolicyConfig, Tolerances};
use crate::forecast::ModelKind;
use crate::policy::PolicyKind;
use crate::remote::RangeQuery;
use crate::serving::Unreachable;
use crate::settings::{SettingError, Settings};
use crate::store::{DataDir, ReportsDir};
use crate::sweep::{self, Grid, SweepTrace, TraceSpec};
use crate::trace::import::ImportOptions;

/// What to run.
#[derive(Debug)]
pub(crate) enum Plan {
    /// Write the synthetic workload.
    Generate {
        /// The workload.
        generate: GenerateConfig,
        /// Where it goes.
        data: DataDir,
    },
    /// Fit the models and leave their forecasts.
    Train(Experiment),
    /// Replay the policies against trained forecasts and report.
    Simulate(Experiment),
    /// Generate (or import), train, simulate, report.
    RunAll(Experiment),
    /// Redraw the plots and print the table of an earlier `simulate`.
    Report(ReportsDir),
    /// Compare a metrics file with a baseline.
    Check(CheckPlan),
    /// Run a sweep, or one shard of it.
    Sweep(SweepPlan),
    /// Merge a sweep's shards.
    Merge(PathBuf),
    /// Run a backtest.
    Backtest(BacktestPlan),
    /// Read a trace and write it normalized.
    Import {
        /// Where the trace is read from.
        source: ImportSource,
        /// How they are read.
        options: ImportOptions,
        /// Where the trace goes.
        out: PathBuf,
    },
    /// Write a run's choice as manifests.
    Export(ExportPlan),
    /// Run a policy live, or replay a past period through it.
    Serve(ServePlan),
}

/// `serve`: where the demand is read, the model, the policy, their settings, and where
/// the decisions go.
#[derive(Debug, Clone)]
pub(crate) struct ServePlan {
    /// The Prometheus base URL.
    pub(crate) url: String,
    /// The demand's PromQL.
    pub(crate) query: String,
    /// The running replicas' PromQL, for shadow mode.
    pub(crate) actual_query: Option<String>,
    /// A bearer token's file.
    pub(crate) bearer_token_file: Option<PathBuf>,
    /// A basic-auth pair's file.
    pub(crate) basic_auth_file: Option<PathBuf>,
    /// Seconds of history read to fit on.
    pub(crate) history_s: u32,
    /// How the demand is read; its step is set.
    pub(crate) options: ImportOptions,
    /// The model, for a forecast policy.
    pub(crate) model: Option<crate::forecast::ModelKind>,
    /// The policy.
    pub(crate) policy: crate::policy::PolicyKind,
    /// Every setting.
    pub(crate) settings: Settings,
    /// The address to listen on.
    pub(crate) listen: String,
    /// Now, pinned.
    pub(crate) clock: Option<chrono::DateTime<chrono::Utc>>,
    /// A replay's output file; `None`: live.
    pub(crate) replay: Option<PathBuf>,
}

/// A sweep: its grid, where it writes, which shard.
#[derive(Debug, Clone)]
pub(crate) struct SweepPlan {
    /// What to run.
    pub(crate) grid: Grid,
    /// The results folder.
    pub(crate) dir: PathBuf,
    /// Shard `i` of `n` (1 of 1 without `--shard`).
    pub(crate) shard: (usize, usize),
    /// What the user should know before it runs ([`sweep_deadlines`]).
    pub(crate) notes: Vec<String>,
}

/// A backtest: one trace's grid (knob lists), its folds, where it writes.
#[derive(Debug, Clone)]
pub(crate) struct BacktestPlan {
    /// The trace, models, policies, knob lists and settings (one unit, one capacity).
    pub(crate) grid: Grid,
    /// Folds.
    pub(crate) folds: usize,
    /// Whether a refitting model's folds read one chain of refits, and a model fitted once
    /// for all folds (the LSTM) its one fit's forecast (else each fold fits afresh:
    /// `--fit-each-fold`).
    pub(crate) chained: bool,
    /// Whether a family whose attainment and cost rise along its knob runs on the
    /// validation window only the values a bisection for its pick tries (else every
    /// value: `--full-knob-search`).
    pub(crate) searched: bool,
    /// Where the reports go.
    pub(crate) reports: ReportsDir,
    /// Shard `i` of `n` (1 of 1 without `--shard`): the `i`-th of `n` runs of consecutive
    /// units, each trace's folds in the grid's order.
    pub(crate) shard: (usize, usize),
    /// What the user should know before it runs ([`derived`]).
    pub(crate) notes: Vec<String>,
}

/// Where the trace comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TraceSource {
    /// Generated now with this config (run-all without `--trace`).
    Generated(GenerateConfig),
    /// The workload an earlier `generate` left in the data folder.
    Workload,
    /// A CSV named by `--trace`.
    File(PathBuf),
}

/// One experiment: the trace, the split, the cluster, the models and the policies.
#[derive(Debug, Clone)]
pub(crate) struct Experiment {
    /// Where the trace comes from (how it is read: `settings.import`).
    pub(crate) source: TraceSource,
    /// The data folder.
    pub(crate) data: DataDir,
    /// The reports folder.
    pub(crate) reports: ReportsDir,
    /// The models, in report order.
    pub(crate) models: Vec<ModelKind>,
    /// Whether the user named the models: a named model without forecasts is an error,
    /// while "all" takes the models that have them.
    pub(crate) models_named: bool,
    /// The policies, in report order.
    pub(crate) policies: Vec<PolicyKind>,
    /// The resolved settings: the split (`settings.split`), the container model
    /// (`settings.cluster`), how the models are built and trained (`settings.model`) and
    /// the policies' knobs (the recommendation sets each knob it tries on a copy).
    pub(crate) settings: Settings,
    /// What the user should know before it runs: a value derived from what was given
    /// ([`derived`]).
    pub(crate) notes: Vec<String>,
}

impl Experiment {
    /// The policies' config for the models as trained ([`Settings::policy_config`]).
    pub(crate) fn policy_cfg(&self) -> PolicyConfig {
        self.settings.policy_config(&self.settings.model)
    }
}

/// `check`'s inputs.
#[derive(Debug, Clone)]
pub(crate) struct CheckPlan {
    /// The accepted metrics file.
    pub(crate) baseline: PathBuf,
    /// The metrics file to check.
    pub(crate) current: PathBuf,
    /// Accept the current file as the new baseline.
    pub(crate) update: bool,
    /// How much worse a row may get.
    pub(crate) tolerances: Tolerances,
}

/// Resolves and validates the command line (reading a sweep's grid file).
pub(crate) fn resolve(cli: Cli) -> anyhow::Result<Plan> {
    let plan = match cli.command {
        Command::Generate(c) => {
            let mut s = settings(&c.settings)?;
            s.generate.start = c.start.start;
            Plan::Generate {
                generate: s.generate,
                data: DataDir(output_folder("--data-dir", c.data_dir)?),
            }
        }
        Command::Train(c) => Plan::Train(experiment(
            &c.trace,
            &c.data,
            false,
            settings(&c.settings)?,
            &c.models,
            None,
            None,
        )?),
        Command::Simulate(c) => {
            let s = settings(&c.settings)?;
            reachable(&s.cluster)?;
            let notes = derived(&c.settings.given, &s);
            let mut e = experiment(
                &c.trace,
                &c.data,
                false,
                s,
                &c.models,
                Some(&c.policies),
                Some(c.reports.reports_dir),
            )?;
            e.notes = notes;
            Plan::Simulate(e)
        }
        Command::RunAll(c) => {
            let mut s = settings(&c.settings)?;
            s.generate.start = c.start.start;
            if c.quick {
                // The quick CI experiment: a 5-day trace, a 2-day test, 3 LSTM epochs and
                // 1 validation day, each unless the command line sets it.
                let given = |name: &str| c.settings.given.iter().any(|(s, _)| s.name == name);
                if !given("days") {
                    s.generate.days = 5.0;
                }
                if !given("test-days") {
                    s.split.test_days = 2.0;
                }
                if !given("epochs") {
                    s.model.lstm.epochs = 3;
                }
                if !given("validation-days") {
                    s.model.validation_days = 1.0;
                }
            }
            reachable(&s.cluster)?;
            let notes = derived(&c.settings.given, &s);
            let mut e = experiment(
                &c.trace,
                &c.data,
                true,
                s,
                &c.models,
                Some(&c.policies),
                Some(c.reports.reports_dir),
            )?;
            e.notes = notes;
            Plan::RunAll(e)
        }
        Command::Report(c) => Plan::Report(ReportsDir(c.reports.reports_dir)),
        Command::Sweep(c) => Plan::Sweep(sweep_plan(c)?),
        Command::Merge(c) => Plan::Merge(c.dir),
        Command::Backtest(c) => Plan::Backtest(backtest_plan(c)?),
        Command::Import(c) => {
            let mut options = settings(&c.settings)?.import;
            let source = match c.prometheus {
                None => ImportSource::Files(c.files),
                Some(url) => {
                    let time = |flag: &str, text: Option<String>| -> anyhow::Result<_> {
                        let text = text.unwrap_or_default();
                        chrono::DateTime::parse_from_rfc3339(&text)
                            .map(|t| t.with_timezone(&chrono::Utc))
                            .map_err(|_| {
                                anyhow::anyhow!(
                                    "{flag} {}: not an RFC 3339 time such as 2026-01-05T00:00:00Z",
                                    crate::trace::excerpt(&text, 40)
                                )
                            })
                    };
                    // The query's step is the trace's: 1 minute unless --step says.
                    let step_seconds = *options.step_seconds.get_or_insert(60);
                    ImportSource::Prometheus {
                        query: RangeQuery {
                            url,
                            query: c.query.unwrap_or_default(),
                            start: time("--start", c.start)?,
                            end: time("--end", c.end)?,
                            step_seconds,
                        },
                        bearer_token_file: c.bearer_token_file,
                        basic_auth_file: c.basic_auth_file,
                    }
                }
            };
            Plan::Import {
                options,
                source,
                out: c.out,
            }
        }
        Command::Serve(c) => Plan::Serve(serve_plan(c)?),
        Command::Export(c) => {
            // What a trigger or `serve` would query, checked here: a manifest that
            // cannot reach it would apply cleanly and fail in the cluster.
            if let Some(url) = &c.prometheus {
                crate::remote::check_url(url)?;
            }
            if c.query.as_deref().is_some_and(|q| q.trim().is_empty()) {
                anyhow::bail!(
                    "--query is empty: give the PromQL of the service's requests per second"
                );
            }
            Plan::Export(ExportPlan {
                reports: ReportsDir(c.reports_dir),
                role: c.role,
                sweep: c.sweep_dir.zip(c.slo_level),
                out: c.out,
                target: crate::export::Target {
                    name: c.name.unwrap_or_default(),
                    namespace: c.namespace,
                    prometheus: c.prometheus,
                    query: c.query,
                    image: c.image,
                    pods_metric: c.pods_metric,
                    serve_image: c.serve_image,
                },
            })
        }
        Command::Check(c) => {
            for (flag, v) in [
                ("--violation-abs-tol", c.violation_abs_tol),
                ("--violation-rel-tol", c.violation_rel_tol),
                ("--unserved-abs-tol", c.unserved_abs_tol),
                ("--unserved-rel-tol", c.unserved_rel_tol),
                ("--cost-rel-tol", c.cost_rel_tol),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    anyhow::bail!(
                        "{flag} {v}: must be a number, at least 0 (how much worse a row may get)"
                    );
                }
            }
            Plan::Check(CheckPlan {
                tolerances: Tolerances {
                    violation_minutes_abs: c.violation_abs_tol,
                    violation_rel: c.violation_rel_tol,
                    unserved_abs: c.unserved_abs_tol,
                    unserved_rel: c.unserved_rel_tol,
                    cost_rel: c.cost_rel_tol,
                },
                baseline: c.baseline,
                current: c.current,
                update: c.update,
            })
        }
    };
    Ok(plan)
}

/// `serve`'s plan: the flags checked, each refusal one line.
fn serve_plan(c: crate::cli::ServeCmd) -> anyhow::Result<ServePlan> {
    let s = settings(&c.settings)?;
    reachable(&s.cluster)?;
    let policy = crate::policy::PolicyKind::from_name(&c.policy).expect("clap checked it");
    if !policy.realizable() {
        anyhow::bail!(
            "--policy {}: a reference that reads the future; serve runs a policy a cluster can",
            policy.name()
        );
    }
    let model = c
        .model
        .as_deref()
        .map(|m| crate::forecast::ModelKind::from_name(m).expect("clap checked it"));
    match (policy.uses_forecast(), model) {
        (true, None) => anyhow::bail!(
            "--policy {} reads a forecast: name its model with --model",
            policy.name()
        ),
        (false, Some(m)) => anyhow::bail!(
            "--policy {} reads no forecast: drop --model {}",
            policy.name(),
            m.name()
        ),
        _ => {}
    }
    if s.model.validation_days <= 0.0 && (policy.tune().is_some() || policy.needs_interval()) {
        anyhow::bail!(
            "`validation-days` = {}: --policy {} is tuned or calibrated on a validation window; give a positive number of days",
            s.model.validation_days,
            policy.name()
        );
    }
    let mut options = s.import.clone();
    let step = *options.step_seconds.get_or_insert(60);
    let history_s = crate::config::duration_seconds(&c.history)
        .map_err(|why| anyhow::anyhow!("--history: {}", crate::trace::excerpt(&why, 120)))?;
    if history_s == 0 || history_s % step != 0 {
        anyhow::bail!(
            "--history {}: serve fits on the whole steps of {} it reads; give a duration such as 14d",
            crate::trace::excerpt(&c.history, 40),
            crate::trace::step_in_words(step)
        );
    }
    let clock = c
        .clock
        .map(|text| {
            chrono::DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "--clock {}: not an RFC 3339 time such as 2026-01-19T00:00:00Z",
                        crate::trace::excerpt(&text, 40)
                    )
                })
        })
        .transpose()?;
    Ok(ServePlan {
        url: c.prometheus,
        query: c.query,
        actual_query: c.actual_query,
        bearer_token_file: c.bearer_token_file,
        basic_auth_file: c.basic_auth_file,
        history_s,
        options,
        model,
        policy,
        settings: s,
        listen: c.listen,
        clock,
        replay: c.replay.then_some(c.out).flatten(),
    })
}

/// Refuses an SLO no cluster reaches under `cluster` ([`Unreachable`]), before any
/// fitting.
fn reachable(cluster: &ClusterConfig) -> anyhow::Result<()> {
    let serving = cluster.serving.at_step(cluster.capacity_per_min, 1);
    match Unreachable::of(&serving) {
        Some(u) => anyhow::bail!("{}", u.message()),
        None => Ok(()),
    }
}

/// The defaults with every given setting parsed, checked by its own rule and set.
fn settings<S: Scope>(args: &SettingArgs<S>) -> Result<Settings, SettingError> {
    let mut s = Settings::default();
    for (setting, values) in &args.given {
        for text in values {
            let v = setting.parse(text)?;
            (setting.set)(&mut s, v);
        }
    }
    let capacity_given = args.given.iter().any(|(g, _)| g.name == "capacity");
    if let Some(c) = s.capacity_from_service_time(capacity_given)? {
        s.cluster.capacity_per_min = c;
    }
    s.check()?;
    Ok(s)
}

/// The grid every sweep starts from: the default settings, one startup delay, seed and
/// capacity (theirs), the models and policies named (all by default), the SLO levels.
fn base_grid(
    model: Option<&[String]>,
    policy: Option<&[String]>,
    slo_levels: Vec<f64>,
) -> anyhow::Result<Grid> {
    let all = [ALL.to_string()];
    let defaults = Settings::default();
    Ok(Grid {
        traces: Vec::new(),
        axes: crate::settings::AXES
            .iter()
            .map(|a| vec![(a.get)(&defaults)])
            .collect(),
        models: sweep::models("--model", model.unwrap_or(&all))?,
        policies: sweep::policies("--policy", policy.unwrap_or(&all))?,
        knobs: Default::default(),
        slo_levels,
        settings: defaults,
    })
}

/// A grid from command-line flags (a sweep's without `--grid`, a backtest's): scalars set
/// the settings, lists the axes and knobs (the grid file's rule), one trace, validated.
fn flag_grid(
    trace: Option<&PathBuf>,
    given: &[(&'static crate::settings::Setting, Vec<String>)],
    model: Option<&[String]>,
    policy: Option<&[String]>,
    slo_levels: Vec<f64>,
) -> anyhow::Result<Grid> {
    let mut base = base_grid(model, policy, slo_levels)?;
    for (setting, texts) in given {
        let values = texts
            .iter()
            .map(|t| setting.parse(t))
            .collect::<Result<Vec<_>, _>>()?;
        if sweep::is_list(setting) {
            base.set_list(setting, values)?;
        } else {
            for v in values {
                (setting.set)(&mut base.settings, v);
            }
        }
    }
    let capacity_given = given.iter().any(|(g, _)| g.name == "capacity");
    if let Some(c) = base.settings.capacity_from_service_time(capacity_given)? {
        base.axes[sweep::axis_index(&crate::settings::CAPACITY)] =
            vec![crate::settings::Value::Number(c)];
        base.settings.cluster.capacity_per_min = c;
    }
    base.settings.check()?;
    let src = match trace {
        Some(p) => SweepTrace::File(p.clone()),
        None => SweepTrace::Synthetic {
            days: base.settings.generate.days,
        },
    };
    base.traces = vec![TraceSpec {
        name: sweep::default_name(&src),
        source: src,
        import: base.settings.import.clone(),
        axes: base.axes.clone(),
        min_replicas: base.settings.cluster.min_replicas,
        max_replicas: base.settings.cluster.max_replicas,
    }];
    sweep::validate(&mut base)?;
    Ok(base)
}

/// The sweep's grid from its flags, or from its grid file (then the grid flags must be
/// unset), validated.
fn sweep_plan(c: SweepCmd) -> anyhow::Result<SweepPlan> {
    let shard = match &c.shard {
        Some(s) => sweep::parse_shard(s)?,
        None => (1, 1),
    };
    let grid = match &c.grid {
        None => flag_grid(
            c.trace.as_ref(),
            &c.settings.given,
            c.model.as_deref(),
            c.policy.as_deref(),
            c.slo_levels.clone(),
        )?,
        Some(path) => {
            let given = [
                ("--trace".to_string(), c.trace.is_some()),
                ("--model".to_string(), c.model.is_some()),
                ("--policy".to_string(), c.policy.is_some()),
            ]
            .into_iter()
            .chain(
                c.settings
                    .given
                    .iter()
                    .map(|(s, _)| (format!("--{}", s.name), true)),
            );
            let base = base_grid(
                c.model.as_deref(),
                c.policy.as_deref(),
                c.slo_levels.clone(),
            )?;
            grid_file(path, given, base)?
        }
    };
    if let Some(u) = grid.unreachable_slo() {
        anyhow::bail!("{}", u.message());
    }
    refuse_tick(&grid, "a sweep")?;
    Ok(SweepPlan {
        notes: sweep_deadlines(&grid),
        grid,
        dir: output_folder("--reports-dir", c.reports_dir)?,
        shard,
    })
}

/// The grid in the file at `path` over `base`, where none of the flags `given` (name,
/// given) was given: a grid file states what they would.
fn grid_file(
    path: &std::path::Path,
    given: impl IntoIterator<Item = (String, bool)>,
    base: Grid,
) -> anyhow::Result<Grid> {
    use anyhow::Context;
    if let Some((flag, _)) = given.into_iter().find(|g| g.1) {
        anyhow::bail!(
            "{flag} cannot be given with --grid: put it in {}",
            path.display()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading grid {}", path.display()))?;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    sweep::from_toml(&text, dir, base).with_context(|| format!("{}", path.display()))
}

/// A fleet's traces each name a folder of its reports: the names must be plain folder
/// names ([`sweep::validate`], which every grid passed first, refuses the empty name,
/// `.`, `..` and two traces of one name).
fn fleet_names(grid: &Grid) -> anyhow::Result<()> {
    for t in &grid.traces {
        let plain = t
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !plain || t.name == "fleet.csv" || t.name == "fleet.md" {
            anyhow::bail!(
                "trace name `{}`: a fleet's trace names a folder of its reports: use letters, digits, `.`, `_` and `-`, and not fleet.csv or fleet.md",
                t.name
            );
        }
    }
    Ok(())
}

/// `path`, a folder a run writes into, checked before any work: where it or a folder
/// above it is there, that one is a folder (a file in the way would fail only at the
/// end, after the run).
fn output_folder(flag: &str, path: PathBuf) -> anyhow::Result<PathBuf> {
    let there = path
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| a.exists());
    if let Some(a) = there.filter(|a| !a.is_dir()) {
        anyhow::bail!(
            "{flag} {}: {} is a file, not a folder",
            path.display(),
            a.display()
        );
    }
    Ok(path)
}

/// `--tick` is run-all's and simulate's: a sweep or backtest decides at each trace's
/// step.
fn refuse_tick(grid: &Grid, what: &str) -> anyhow::Result<()> {
    let tick = grid.settings.cluster.tick_seconds;
    if tick != 0 {
        anyhow::bail!(
            "`tick` = {}: {what} decides at each trace's step; import the trace at a finer step (`import --step`) or decide at a tick with run-all or simulate",
            crate::settings::Value::Seconds(tick)
        );
    }
    Ok(())
}

/// `export`: which run, which row, where the manifests go and what they point at.
#[derive(Debug)]
pub(crate) struct ExportPlan {
    /// The run's reports.
    pub(crate) reports: ReportsDir,
    /// The row of `recommended.csv`.
    pub(crate) role: String,
    /// A sweep's folder and the SLO level whose recommendations are exported, instead.
    pub(crate) sweep: Option<(PathBuf, f64)>,
    /// Where the YAML goes (`-`: standard output).
    pub(crate) out: PathBuf,
    /// The names and what the user adds.
    pub(crate) target: crate::export::Target,
}

/// Where `import` reads a trace from.
#[derive(Debug)]
pub(crate) enum ImportSource {
    /// Files, in order.
    Files(Vec<PathBuf>),
    /// A running Prometheus; credentials from a file, or the environment.
    Prometheus {
        /// The range query.
        query: RangeQuery,
        /// `--bearer-token-file`.
        bearer_token_file: Option<PathBuf>,
        /// `--basic-auth-file`.
        basic_auth_file: Option<PathBuf>,
    },
}

/// A backtest's plan: its flags resolved as a sweep's (one trace), after this
/// subcommand's own defaults (`ForBacktest::DEFAULTS`).
fn backtest_plan(c: BacktestCmd) -> anyhow::Result<BacktestPlan> {
    if c.folds == 0 {
        anyhow::bail!("`folds` = 0: must be a whole number, at least 1");
    }
    let defaults = <ForBacktest as Scope>::DEFAULTS
        .iter()
        .map(|(name, value)| {
            let setting = crate::settings::find(name).expect("a setting of the table");
            (setting, value.to_string())
        });
    // The backtest reads no SLO levels (it has one --slo). The flags given, where the
    // grid is the flags'.
    let mut flags = None;
    let mut grid = match &c.grid {
        None => {
            let mut given = c.settings.given;
            for (setting, value) in defaults {
                if !given.iter().any(|(s, _)| s.name == setting.name) {
                    given.push((setting, vec![value]));
                }
            }
            let grid = flag_grid(
                c.trace.as_ref(),
                &given,
                c.model.as_deref(),
                c.policy.as_deref(),
                vec![90.0],
            )?;
            flags = Some(given);
            grid
        }
        Some(path) => {
            let given = [
                ("--trace", c.trace.is_some()),
                ("--model", c.model.is_some()),
                ("--policy", c.policy.is_some()),
            ]
            .into_iter()
            .map(|(f, g)| (f.to_string(), g))
            .chain(
                c.settings
                    .given
                    .iter()
                    .map(|(s, _)| (format!("--{}", s.name), true)),
            );
            let mut base = base_grid(c.model.as_deref(), c.policy.as_deref(), vec![90.0])?;
            for (setting, value) in defaults {
                (setting.set)(&mut base.settings, setting.parse(&value)?);
            }
            let grid = grid_file(path, given, base)?;
            fleet_names(&grid)?;
            grid
        }
    };
    // `slo` is slo-targeted's knob in a sweep; a backtest judges every family by one SLO.
    if let Some(levels) = grid.knobs.remove(crate::settings::SLO.name) {
        let [level] = levels.as_slice() else {
            anyhow::bail!("a backtest judges one SLO; {} were given", levels.len());
        };
        (crate::settings::SLO.set)(&mut grid.settings, crate::settings::Value::Number(*level));
    }
    for t in &grid.traces {
        for (axis, values) in crate::settings::AXES.iter().zip(&t.axes) {
            if values.len() > 1 {
                let of = if grid.traces.len() > 1 {
                    format!(" for trace `{}`", t.name)
                } else {
                    String::new()
                };
                anyhow::bail!(
                    "a backtest runs at one `{}`; {} were given{of}",
                    axis.name,
                    values.len()
                );
            }
        }
    }
    refuse_tick(&grid, "a backtest")?;
    if grid.settings.model.validation_days <= 0.0 {
        anyhow::bail!(
            "`validation-days` = {}: a backtest chooses on a validation window; give a positive number of days",
            grid.settings.model.validation_days
        );
    }
    let shard = match &c.shard {
        Some(s) => sweep::parse_shard(s)?,
        None => (1, 1),
    };
    if let Some(u) = grid.unreachable_slo() {
        anyhow::bail!("{}", u.message());
    }
    let mut at = grid.settings.clone();
    at.cluster.capacity_per_min =
        grid.axes[sweep::axis_index(&crate::settings::CAPACITY)][0].number();
    Ok(BacktestPlan {
        notes: match &flags {
            Some(given) => derived(given, &at),
            None => sweep_deadlines(&grid),
        },
        shard,
        grid,
        folds: c.folds,
        chained: !c.fit_each_fold,
        searched: !c.full_knob_search,
        reports: ReportsDir(output_folder("--reports-dir", c.reports_dir)?),
    })
}

/// Builds an experiment from resolved settings and the flags of the trace, models and
/// policies; `generating`: run-all, which generates the trace unless one is given.
fn experiment(
    trace: &TraceArgs,
    data: &DataArgs,
    generating: bool,
    s: Settings,
    select: &ModelSelect,
    policies: Option<&PolicySelect>,
    reports_dir: Option<PathBuf>,
) -> anyhow::Result<Experiment> {
    let source = match &trace.trace {
        Some(path) => TraceSource::File(path.clone()),
        None if generating => TraceSource::Generated(s.generate.clone()),
        None => TraceSource::Workload,
    };
    let named = !select.model.iter().any(|m| m == ALL);
    let model_kinds = if named {
        sorted(select.model.iter().filter_map(|m| ModelKind::from_name(m)))
    } else {
        ModelKind::ALL.to_vec()
    };
    let policy_kinds = match policies {
        Some(p) if !p.policy.iter().any(|n| n == ALL) => {
            sorted(p.policy.iter().filter_map(|n| PolicyKind::from_name(n)))
        }
        _ => PolicyKind::ALL.to_vec(),
    };
    Ok(Experiment {
        source,
        data: DataDir(output_folder("--data-dir", data.data_dir.clone())?),
        // Train writes no reports (it is given no folder for them).
        reports: ReportsDir(match reports_dir {
            Some(dir) => output_folder("--reports-dir", dir)?,
            None => PathBuf::from("reports"),
        }),
        models: model_kinds,
        models_named: named,
        policies: policy_kinds,
        settings: s,
        notes: Vec::new(),
    })
}

/// A sweep's derived deadlines, said where they are not the defaults' 3 s: without a
/// deadline the SLO's is 2.5 mean service times, so each capacity of the grid has its own.
fn sweep_deadlines(grid: &Grid) -> Vec<String> {
    let serving = &grid.settings.cluster.serving;
    if serving.model.kind().measure() != crate::serving::SloMeasure::RequestsInTime
        || serving.deadline_s > 0.0
    {
        return Vec::new();
    }
    let mut capacities: Vec<f64> = grid
        .traces
        .iter()
        .flat_map(|t| {
            t.values(&crate::settings::CAPACITY)
                .iter()
                .map(|v| v.number())
        })
        .collect();
    capacities.sort_by(f64::total_cmp);
    capacities.dedup();
    let deadline = |c: f64| serving.at_step(c, 1).deadline_s;
    let default = Settings::default().cluster;
    let at_default = deadline(default.capacity_per_min);
    if capacities.iter().all(|&c| deadline(c) == at_default) {
        return Vec::new();
    }
    let each: Vec<String> = capacities
        .iter()
        .map(|&c| {
            format!(
                "{} s at capacity {c}",
                crate::serving::seconds(deadline(c), false)
            )
        })
        .collect();
    vec![format!(
        "note: the deadline is 2.5 mean service times, so each capacity has its own: {}; give a deadline (--deadline SECONDS, or `deadline` in the grid) to hold one",
        each.join(", ")
    )]
}

/// The values the given settings move without being named, said beside what moved them:
/// the deadline, 2.5 mean service times when `--deadline` is not given, follows
/// `--capacity`, `--service-time` and `--concurrency` (`--capacity 80`: within 1.875 s,
/// not 3 s).
fn derived(
    given: &[(&'static crate::settings::Setting, Vec<String>)],
    s: &Settings,
) -> Vec<String> {
    let given = |name: &str| given.iter().any(|(g, _)| g.name == name);
    let serving = &s.cluster.serving;
    let measures_latency =
        serving.model.kind().measure() == crate::serving::SloMeasure::RequestsInTime;
    if !measures_latency
        || given("deadline")
        || !(given("capacity") || given("concurrency") || given("service-time"))
    {
        return Vec::new();
    }
    let resolved = serving.at_step(s.cluster.capacity_per_min, 1);
    let moved: Vec<String> = ["capacity", "service-time", "concurrency"]
        .into_iter()
        .filter(|n| given(n))
        .map(|n| match n {
            "capacity" => format!("--capacity {}", s.cluster.capacity_per_min),
            "service-time" => format!("--service-time {}", serving.service_time_s),
            _ => format!("--concurrency {}", serving.concurrency),
        })
        .collect();
    vec![format!(
        "note: {} {} one request's mean service time {} s and the deadline, 2.5 of them, {} s (3 s at the defaults); give --deadline SECONDS to state it yourself",
        moved.join(" and "),
        if moved.len() > 1 { "make" } else { "makes" },
        crate::serving::seconds(resolved.service.mean_s, false),
        crate::serving::seconds(resolved.deadline_s, false)
    )]
}

fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ModelConfig, SplitConfig};
    use crate::settings;
    use clap::Parser;

    fn plan(args: &[&str]) -> anyhow::Result<Plan> {
        let cli = Cli::try_parse_from(std::iter::once("prescale").chain(args.iter().copied()));
        resolve(cli.unwrap())
    }

    fn error(args: &[&str]) -> String {
        plan(args).unwrap_err().to_string()
    }

    #[test]
    fn defaults_resolve_to_the_documented_configs() {
        let Ok(Plan::RunAll(e)) = plan(&["run-all"]) else {
            panic!("not run-all")
        };
        assert_eq!(e.settings.cluster, ClusterConfig::default());
        assert_eq!(e.policy_cfg(), PolicyConfig::default());
        assert_eq!(e.settings.model, ModelConfig::default());
        assert_eq!(e.settings.split, SplitConfig::default());
        assert_eq!(e.source, TraceSource::Generated(GenerateConfig::default()));
        assert_eq!(e.policies, PolicyKind::ALL.to_vec());
        assert_eq!(e.models, ModelKind::ALL.to_vec());
        assert!(!e.models_named);
    }

    #[test]
    fn every_flag_lands_where_its_setting_lives() {
        // Each setting of run-all given a valid value other than its default: the
        // resolved experiment holds it where the table's `get` reads it.
        for s in settings::ALL {
            let v = match s.kind {
                settings::Kind::Number | settings::Kind::Time => {
                    let d = s.default_value().number();
                    // A valid neighbour of the default.
                    [d * 0.5, d * 0.9, d + 1.0]
                        .into_iter()
                        .find(|&x| (s.valid)(x) && x != d)
                        .expect("a valid other value")
                        .to_string()
                }
                settings::Kind::Whole => (s.default_value().whole() + 1).to_string(),
                settings::Kind::Duration => "1h".to_string(),
                settings::Kind::Seconds { .. } => "30s".to_string(),
                settings::Kind::Choice(names) => names[names.len() - 1].to_string(),
                settings::Kind::Text(_) => match s.name {
                    "format" => "csv".to_string(),
                    "step" => "5m".to_string(),
                    "count-unit" => "per-second".to_string(),
                    "max-gap" => "30m".to_string(),
                    _ => "x".to_string(),
                },
            };
            let name = format!("--{}", s.name);
            // An SLO every setting's neighbour leaves reachable (a 1 s deadline serves
            // 58 % of the default service times in time), unless it is the one set.
            let low_slo: &[&str] = if s.name == "slo" {
                &[]
            } else {
                &["--slo", "50"]
            };
            let args: Vec<&str> = ["run-all", name.as_str(), v.as_str()]
                .into_iter()
                .chain(low_slo.iter().copied())
                .collect();
            let Ok(Plan::RunAll(e)) = plan(&args) else {
                panic!("{name} {v}")
            };
            let TraceSource::Generated(generate) = e.source.clone() else {
                panic!("not generated")
            };
            let resolved = Settings {
                generate,
                policy: e.policy_cfg(),
                ..e.settings.clone()
            };
            assert_eq!((s.get)(&resolved), s.parse(&v).unwrap(), "{name}");
            assert_ne!((s.get)(&resolved), s.default_value(), "{name}");
        }
    }

    #[test]
    fn named_lists_are_sorted_into_report_order_and_deduplicated() {
        let Ok(Plan::Simulate(e)) = plan(&[
            "simulate",
            "--policy",
            "oracle,buffered,oracle",
            "--model",
            "lstm,seasonal-naive",
        ]) else {
            panic!("not simulate")
        };
        let names: Vec<&str> = e.policies.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["buffered", "oracle"]);
        assert_eq!(
            e.models,
            vec![
                ModelKind::from_name("seasonal-naive").unwrap(),
                ModelKind::from_name("lstm").unwrap()
            ]
        );
        assert!(e.models_named);
        assert_eq!(e.source, TraceSource::Workload);
    }

    #[test]
    fn a_sweep_runs_each_listed_value_once() {
        let Ok(Plan::Sweep(p)) =
            plan(&["sweep", "--slo-levels", "90,85,90", "--buffer", "0.2,0.2"])
        else {
            panic!("not sweep")
        };
        assert_eq!(p.grid.slo_levels, [90.0, 85.0]);
        assert_eq!(p.grid.knobs["buffer"], [0.2]);
    }

    #[test]
    fn quick_sets_the_small_experiment() {
        // (days, test days, epochs) of run-all with `args`.
        let resolved = |args: &[&str]| {
            let Ok(Plan::RunAll(e)) = plan(args) else {
                panic!("not run-all")
            };
            let TraceSource::Generated(g) = &e.source else {
                panic!("not generated")
            };
            (
                g.days,
                e.settings.split.test_days,
                e.settings.model.lstm.epochs,
            )
        };
        assert_eq!(resolved(&["run-all", "--quick"]), (5.0, 2.0, 3));
        // A setting given beside --quick wins over the quick value.
        assert_eq!(
            resolved(&["run-all", "--quick", "--test-days", "1", "--epochs", "2"]),
            (5.0, 1.0, 2)
        );
    }

    #[test]
    fn a_service_time_states_the_capacity() {
        // "120 ms a request, 4 at once": 60 × 4 / 0.12 = 2 000 requests a minute, and the
        // deadline, 2.5 service times, 0.3 s (said, as --deadline was not given).
        let Ok(Plan::RunAll(e)) =
            plan(&["run-all", "--service-time", "0.12", "--concurrency", "4"])
        else {
            panic!("not run-all")
        };
        assert!((e.settings.cluster.capacity_per_min - 2000.0).abs() < 1e-9);
        assert!(
            e.notes[0].contains("and the deadline, 2.5 of them, 0.3 s"),
            "{:?}",
            e.notes
        );
        // The sweep's and the backtest's capacity axis too.
        let Ok(Plan::Sweep(p)) = plan(&["sweep", "--service-time", "0.6"]) else {
            panic!("not a sweep")
        };
        assert_eq!(
            p.grid.traces[0].values(&crate::settings::CAPACITY),
            [crate::settings::Value::Number(100.0)]
        );
        let Ok(Plan::Backtest(b)) = plan(&["backtest", "--service-time", "0.6"]) else {
            panic!("not a backtest")
        };
        assert_eq!(
            b.grid.traces[0].values(&crate::settings::CAPACITY),
            [crate::settings::Value::Number(100.0)]
        );
        // A sweep names each capacity's deadline: 60 / 40 × 2.5 = 3.75 s, 60 / 80 × 2.5.
        let Ok(Plan::Sweep(p)) = plan(&["sweep", "--capacity", "40,80"]) else {
            panic!("not a sweep")
        };
        assert_eq!(
            p.notes,
            vec!["note: the deadline is 2.5 mean service times, so each capacity has its own: 3.75 s at capacity 40, 1.875 s at capacity 80; give a deadline (--deadline SECONDS, or `deadline` in the grid) to hold one"]
        );
        let Ok(Plan::Sweep(p)) = plan(&["sweep", "--capacity", "40,80", "--deadline", "4"]) else {
            panic!("not a sweep")
        };
        assert!(p.notes.is_empty());
        // Both stated: refused, in one line.
        let e = plan(&["simulate", "--service-time", "1", "--capacity", "50"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "give one of `capacity` (50 requests a minute) and `service-time` (1 s a request): `service-time` sets the capacity to 60 × concurrency / it"
        );
    }

    #[test]
    fn a_deadline_moved_by_the_capacity_is_said() {
        let notes = |args: &[&str]| match plan(args) {
            Ok(Plan::RunAll(e)) | Ok(Plan::Simulate(e)) => e.notes,
            _ => panic!("{args:?}"),
        };
        // 60 / 80 = 0.75 s a request; 2.5 of them, 1.875 s.
        assert_eq!(
            notes(&["run-all", "--capacity", "80"]),
            vec!["note: --capacity 80 makes one request's mean service time 0.75 s and the deadline, 2.5 of them, 1.875 s (3 s at the defaults); give --deadline SECONDS to state it yourself"]
        );
        // 60 × 2 / 8.4 = 14.2857 s; 2.5 of them, 35.714 s.
        assert!(notes(&["simulate", "--capacity", "8.4", "--concurrency", "2"])[0]
            .starts_with("note: --capacity 8.4 and --concurrency 2 make one request's mean service time 14.286 s and the deadline, 2.5 of them, 35.714 s"));
        // A backtest says it too.
        let Ok(Plan::Backtest(b)) = plan(&["backtest", "--capacity", "80"]) else {
            panic!("not a backtest")
        };
        assert_eq!(
            b.notes,
            notes(&["run-all", "--capacity", "80"]),
            "the backtest's note"
        );
        // Stated, or not moved, or not a latency SLO: nothing to say.
        assert!(notes(&["run-all", "--capacity", "80", "--deadline", "2"]).is_empty());
        assert!(notes(&["run-all"]).is_empty());
        assert!(notes(&["run-all", "--capacity", "80", "--serving", "threshold"]).is_empty());
    }

    #[test]
    fn sweep_lists_and_knobs_resolve_into_a_grid() {
        let Ok(Plan::Sweep(p)) = plan(&[
            "sweep",
            "--startup-delay",
            "1,2,5,10",
            "--buffer",
            "0,0.15",
            "--hpa-target",
            "0.5,0.7",
            "--max-replicas",
            "40",
            "--window",
            "30",
            "--shard",
            "2/4",
        ]) else {
            panic!("not a sweep")
        };
        assert_eq!(
            p.grid.traces[0].values(&crate::settings::STARTUP_DELAY),
            [1, 2, 5, 10].map(|m| crate::settings::Value::Seconds(60 * m))
        );
        assert_eq!(p.grid.knobs["buffer"], vec![0.0, 0.15]);
        assert_eq!(p.grid.knobs["hpa-target"], vec![0.5, 0.7]);
        assert_eq!(p.grid.traces[0].max_replicas, 40);
        assert_eq!(p.grid.settings.model.lstm.window, 30);
        assert_eq!(p.shard, (2, 4));
        assert_eq!(p.grid.units().len(), 4);
        assert_eq!(
            error(&["sweep", "--shard", "5/4"]),
            "--shard 5/4: must be i/n with 1 ≤ i ≤ n, as 3/16"
        );
        assert_eq!(
            error(&["sweep", "--grid", "g.toml", "--seed", "1"]),
            "--seed cannot be given with --grid: put it in g.toml"
        );
    }

    #[test]
    fn a_bad_value_gets_the_same_line_from_every_command_and_from_a_grid() {
        let grid = |text: &str| {
            crate::sweep::from_toml(
                &format!("{text}\n[[trace]]\ndays = 3"),
                std::path::Path::new("."),
                match plan(&["sweep"]).unwrap() {
                    Plan::Sweep(p) => p.grid,
                    _ => unreachable!(),
                },
            )
            .unwrap_err()
            .to_string()
        };
        let want = "`buffer` = -0.5: must be a fraction of the forecast, at least 0";
        assert_eq!(error(&["run-all", "--buffer", "-0.5"]), want);
        assert_eq!(error(&["simulate", "--buffer", "-0.5"]), want);
        assert_eq!(error(&["sweep", "--buffer", "-0.5"]), want);
        assert_eq!(grid("buffer = [-0.5]"), want);
        for (args, toml, want) in [
            (
                ["train", "--epochs", "0"],
                "epochs = 0",
                "`epochs` = 0: must be a whole number, at least 1",
            ),
            (
                ["simulate", "--capacity", "0"],
                "capacity = [0]",
                "`capacity` = 0: must be a positive number of requests per minute",
            ),
            (
                ["train", "--interval-width", "1"],
                "interval-width = [1]",
                "`interval-width` = 1: must be strictly between 0 and 1",
            ),
            (
                ["train", "--test-days", "0"],
                "test-days = 0",
                "`test-days` = 0: must be a positive number of days",
            ),
            (
                ["run-all", "--hpa-target", "1.5"],
                "hpa-target = [1.5]",
                "`hpa-target` = 1.5: must be a utilization in (0, 1]",
            ),
            (
                ["simulate", "--slo", "0"],
                "slo = [0]",
                "`slo` = 0: must be a percent in (0, 100]",
            ),
            (
                ["train", "--validation-days", "-1"],
                "validation-days = -1",
                "`validation-days` = -1: must be 0 or a positive number of days",
            ),
            (
                ["generate", "--days", "-2"],
                "days = -2",
                "`days` = -2: must be a positive number of days",
            ),
        ] {
            assert_eq!(error(&args), want, "{args:?}");
            assert_eq!(grid(toml), want, "{toml}");
        }
        assert_eq!(
            error(&["run-all", "--min-replicas", "5", "--max-replicas", "3"]),
            "`min-replicas` = 5: must be at most `max-replicas` (3)"
        );
        // A setting the command's stages do not read is no flag of it.
        let cli = Cli::try_parse_from(["prescale", "simulate", "--epochs", "3"]);
        assert!(cli.is_err());
    }
}
