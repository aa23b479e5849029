//! The command line resolved once: clap's flags become a [`Plan`] of plain, validated
//! config, so the stages never see clap types and nothing is validated twice. Every
//! range check of every flag happens in [`resolve`], before any trace is read (a sweep's
//! grid file is read here: it is part of the command).

use std::path::PathBuf;

use crate::check::Tolerances;
use crate::cli::{
    Cli, ClusterArgs, Command, GenerateArgs, ModelArgs, ModelSelect, PolicyArgs, SweepCmd,
    TraceArgs, ALL,
};
use crate::config::{ClusterConfig, ConfigError, PolicyConfig, SplitConfig};
use crate::forecast::lstm::LstmConfig;
use crate::forecast::{ModelConfig, ModelKind};
use crate::policy::PolicyKind;
use crate::store::{DataDir, ReportsDir};
use crate::sweep::{self, Grid, SweepTrace, TraceSpec};
use crate::trace::generate::GenerateConfig;
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
    /// Where the trace comes from.
    pub(crate) source: TraceSource,
    /// Column names for an imported trace.
    pub(crate) import: ImportOptions,
    /// The data folder.
    pub(crate) data: DataDir,
    /// The reports folder.
    pub(crate) reports: ReportsDir,
    /// The train/test split.
    pub(crate) split: SplitConfig,
    /// The container model.
    pub(crate) cluster: ClusterConfig,
    /// The models, in report order.
    pub(crate) models: Vec<ModelKind>,
    /// Whether the user named the models: a named model without forecasts is an error,
    /// while "all" takes the models that have them.
    pub(crate) models_named: bool,
    /// How the models are built and trained.
    pub(crate) model_cfg: ModelConfig,
    /// The policies, in report order.
    pub(crate) policies: Vec<PolicyKind>,
    /// The policies' knobs.
    pub(crate) policy_cfg: PolicyConfig,
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
        Command::Generate(c) => Plan::Generate {
            generate: generate_config(&c.generate, c.seed.seed),
            data: DataDir(c.data_dir),
        },
        Command::Train(c) => Plan::Train(experiment(
            &c.trace,
            None,
            &c.cluster,
            Some(&c.models),
            &c.models.select,
            c.seed.seed,
            None,
            None,
        )),
        Command::Simulate(c) => Plan::Simulate(experiment(
            &c.trace,
            None,
            &c.cluster,
            None,
            &c.models,
            ModelConfig::default().seed,
            Some(&c.policies),
            Some(c.reports.reports_dir),
        )),
        Command::RunAll(mut c) => {
            if c.quick {
                // The quick CI experiment: a 5-day trace, a 2-day test, 3 LSTM epochs.
                c.generate.days = 5.0;
                c.trace.test_days = 2.0;
                c.models.epochs = 3;
            }
            Plan::RunAll(experiment(
                &c.trace,
                Some(&c.generate),
                &c.cluster,
                Some(&c.models),
                &c.models.select,
                c.seed.seed,
                Some(&c.policies),
                Some(c.reports.reports_dir),
            ))
        }
        Command::Report(c) => Plan::Report(ReportsDir(c.reports.reports_dir)),
        Command::Sweep(c) => Plan::Sweep(sweep_plan(c)?),
        Command::Merge(c) => Plan::Merge(c.dir),
        Command::Check(c) => Plan::Check(CheckPlan {
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
        }),
    };
    if let Plan::Train(e) | Plan::Simulate(e) | Plan::RunAll(e) = &plan {
        e.validate()?;
    }
    Ok(plan)
}

/// The sweep's grid from its flags, or from its grid file (then the grid flags must be
/// unset), validated.
fn sweep_plan(c: SweepCmd) -> anyhow::Result<SweepPlan> {
    use anyhow::Context;
    let shard = match &c.shard {
        Some(s) => sweep::parse_shard(s)?,
        None => (1, 1),
    };
    let defaults = ClusterConfig::default();
    let source = match &c.trace {
        Some(p) => SweepTrace::File(p.clone()),
        None => SweepTrace::Synthetic {
            days: c.days.unwrap_or(GenerateConfig::default().days),
        },
    };
    let mut model_cfg = ModelConfig::default();
    if let Some(e) = c.epochs {
        model_cfg.lstm.epochs = e;
    }
    if let Some(d) = c.calibration_days {
        model_cfg.calibration_days = d;
    }
    if let Some(r) = c.refit_every {
        model_cfg.refit_every = r;
    }
    let base = Grid {
        traces: vec![TraceSpec {
            name: sweep::default_name(&source),
            source,
            import: ImportOptions {
                time_column: c.time_column.clone(),
                count_column: c.count_column.clone(),
            },
            capacities: c
                .capacity
                .clone()
                .unwrap_or(vec![defaults.capacity_per_min]),
            min_replicas: c.min_replicas.unwrap_or(defaults.min_replicas),
            max_replicas: c.max_replicas.unwrap_or(defaults.max_replicas),
        }],
        startup_delays: c
            .startup_delay
            .clone()
            .unwrap_or(vec![defaults.startup_delay_min]),
        seeds: c.seed.clone().unwrap_or(vec![ModelConfig::default().seed]),
        models: sweep::models("--model", &c.model.clone().unwrap_or(vec![ALL.into()]))?,
        policies: sweep::policies("--policy", &c.policy.clone().unwrap_or(vec![ALL.into()]))?,
        knobs: c.knobs.values.clone(),
        test_days: c.test_days.unwrap_or(SplitConfig::default().test_days),
        slo_levels: c.slo_levels.clone(),
        model_cfg,
        policy_cfg: PolicyConfig::default(),
    };
    let grid = match &c.grid {
        None => {
            sweep::validate(&base)?;
            base
        }
        Some(path) => {
            let given = [
                ("--trace", c.trace.is_some()),
                ("--capacity", c.capacity.is_some()),
                ("--min-replicas", c.min_replicas.is_some()),
                ("--max-replicas", c.max_replicas.is_some()),
                ("--startup-delay", c.startup_delay.is_some()),
                ("--seed", c.seed.is_some()),
                ("--model", c.model.is_some()),
                ("--policy", c.policy.is_some()),
                ("--days", c.days.is_some()),
                ("--test-days", c.test_days.is_some()),
                ("a knob flag", !c.knobs.values.is_empty()),
            ];
            if let Some((flag, _)) = given.iter().find(|g| g.1) {
                anyhow::bail!(
                    "{flag} cannot be given with --grid: put it in {}",
                    path.display()
                );
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading grid {}", path.display()))?;
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            sweep::from_toml(&text, dir, base).with_context(|| format!("{}", path.display()))?
        }
    };
    Ok(SweepPlan {
        grid,
        dir: c.reports_dir,
        shard,
    })
}

fn generate_config(g: &GenerateArgs, seed: u64) -> GenerateConfig {
    GenerateConfig {
        start: g.start,
        days: g.days,
        seed,
        ..Default::default()
    }
}

/// Builds an experiment from the flag groups a command has; the ones it lacks take
/// their defaults.
#[allow(clippy::too_many_arguments)]
fn experiment(
    trace: &TraceArgs,
    generate: Option<&GenerateArgs>,
    cluster: &ClusterArgs,
    models: Option<&ModelArgs>,
    select: &ModelSelect,
    seed: u64,
    policies: Option<&PolicyArgs>,
    reports_dir: Option<PathBuf>,
) -> Experiment {
    let source = match (&trace.trace, generate) {
        (Some(path), _) => TraceSource::File(path.clone()),
        (None, Some(g)) => TraceSource::Generated(generate_config(g, seed)),
        (None, None) => TraceSource::Workload,
    };
    let named = !select.model.iter().any(|m| m == ALL);
    let model_kinds = if named {
        sorted(select.model.iter().filter_map(|m| ModelKind::from_name(m)))
    } else {
        ModelKind::ALL.to_vec()
    };
    let model_cfg = models.map_or_else(ModelConfig::default, |m| ModelConfig {
        interval_width: m.interval_width,
        seed,
        lstm: LstmConfig {
            window: m.window,
            hidden: m.hidden,
            epochs: m.epochs,
            batch_size: m.batch_size,
            learning_rate: m.learning_rate,
            ..LstmConfig::default()
        },
        calibration_days: m.calibration_days,
        refit_every: m.refit_every,
    });
    let (policy_kinds, mut policy_cfg) = match policies {
        Some(p) if !p.policy.iter().any(|n| n == ALL) => (
            sorted(p.policy.iter().filter_map(|n| PolicyKind::from_name(n))),
            policy_config(p),
        ),
        Some(p) => (PolicyKind::ALL.to_vec(), policy_config(p)),
        None => (PolicyKind::ALL.to_vec(), PolicyConfig::default()),
    };
    policy_cfg.trained_interval_width = model_cfg.interval_width;
    Experiment {
        source,
        import: ImportOptions {
            time_column: trace.time_column.clone(),
            count_column: trace.count_column.clone(),
        },
        data: DataDir(trace.data_dir.clone()),
        reports: ReportsDir(reports_dir.unwrap_or_else(|| PathBuf::from("reports"))),
        split: SplitConfig {
            test_days: trace.test_days,
        },
        cluster: ClusterConfig {
            capacity_per_min: cluster.capacity,
            startup_delay_min: cluster.startup_delay,
            min_replicas: cluster.min_replicas,
            max_replicas: cluster.max_replicas,
        },
        models: model_kinds,
        models_named: named,
        model_cfg,
        policies: policy_kinds,
        policy_cfg,
    }
}

fn policy_config(p: &PolicyArgs) -> PolicyConfig {
    PolicyConfig {
        buffer: p.buffer,
        hpa_target_utilization: p.hpa_target,
        predictive_hpa_target: p.predictive_hpa_target,
        slo_percent: p.slo,
        burst_lookback_min: p.burst_lookback,
        ..PolicyConfig::default()
    }
}

fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort();
    v.dedup();
    v
}

impl Experiment {
    /// Checks every value against its valid range.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.cluster.validate()?;
        self.policy_cfg.validate()?;
        self.model_cfg.validate()?;
        self.split.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(args: &[&str]) -> Result<Plan, ConfigError> {
        let cli = Cli::try_parse_from(std::iter::once("prescale").chain(args.iter().copied()));
        resolve(cli.unwrap()).map_err(|e| e.downcast::<ConfigError>().expect("a config error"))
    }

    #[test]
    fn defaults_resolve_to_the_documented_configs() {
        let Ok(Plan::RunAll(e)) = plan(&["run-all"]) else {
            panic!("not run-all")
        };
        assert_eq!(e.cluster, ClusterConfig::default());
        assert_eq!(e.policy_cfg, PolicyConfig::default());
        assert_eq!(e.model_cfg, ModelConfig::default());
        assert_eq!(e.split, SplitConfig::default());
        assert_eq!(e.source, TraceSource::Generated(GenerateConfig::default()));
        assert_eq!(e.policies, PolicyKind::ALL.to_vec());
        assert_eq!(e.models, ModelKind::ALL.to_vec());
        assert!(!e.models_named);
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
        assert_eq!(e.models, vec![ModelKind::SeasonalNaive, ModelKind::Lstm]);
        assert!(e.models_named);
        assert_eq!(e.source, TraceSource::Workload);
    }

    #[test]
    fn quick_sets_the_small_experiment() {
        let Ok(Plan::RunAll(e)) = plan(&["run-all", "--quick"]) else {
            panic!("not run-all")
        };
        let TraceSource::Generated(g) = &e.source else {
            panic!("not generated")
        };
        assert_eq!(
            (g.days, e.split.test_days, e.model_cfg.lstm.epochs),
            (5.0, 2.0, 3)
        );
    }

    #[test]
    fn sweep_lists_and_knobs_resolve_into_a_grid() {
        let cli = Cli::try_parse_from([
            "prescale",
            "sweep",
            "--startup-delay",
            "1,2,5,10",
            "--buffer",
            "0,0.15",
            "--hpa-target",
            "0.5,0.7",
            "--shard",
            "2/4",
        ])
        .unwrap();
        let Ok(Plan::Sweep(p)) = resolve(cli) else {
            panic!("not a sweep")
        };
        assert_eq!(p.grid.startup_delays, vec![1, 2, 5, 10]);
        assert_eq!(p.grid.knobs["buffer"], vec![0.0, 0.15]);
        assert_eq!(p.grid.knobs["hpa-target"], vec![0.5, 0.7]);
        assert_eq!(p.shard, (2, 4));
        assert_eq!(p.grid.units().len(), 4);
        let bad = |args: &[&str]| {
            let cli = Cli::try_parse_from(std::iter::once("prescale").chain(args.iter().copied()))
                .unwrap();
            resolve(cli).unwrap_err().to_string()
        };
        assert_eq!(
            bad(&["sweep", "--buffer", "-1"]),
            "`buffer` = -1: must be at least 0"
        );
        assert_eq!(
            bad(&["sweep", "--shard", "5/4"]),
            "--shard 5/4: must be i/n with 1 ≤ i ≤ n, as 3/16"
        );
        assert_eq!(
            bad(&["sweep", "--grid", "g.toml", "--seed", "1"]),
            "--seed cannot be given with --grid: put it in g.toml"
        );
    }

    #[test]
    fn every_bad_value_is_caught_here() {
        assert_eq!(
            plan(&["simulate", "--capacity", "0"]).unwrap_err(),
            ConfigError::Capacity(0.0)
        );
        assert_eq!(
            plan(&["run-all", "--buffer", "-2"]).unwrap_err(),
            ConfigError::Buffer(-2.0)
        );
        assert_eq!(
            plan(&["train", "--interval-width", "1"]).unwrap_err(),
            ConfigError::IntervalWidth(1.0)
        );
        assert_eq!(
            plan(&["train", "--test-days", "0"]).unwrap_err(),
            ConfigError::TestDays(0.0)
        );
        assert_eq!(
            plan(&["run-all", "--hpa-target", "1.5"]).unwrap_err(),
            ConfigError::HpaTarget {
                flag: "--hpa-target",
                value: 1.5
            }
        );
        assert_eq!(
            plan(&["simulate", "--slo", "0"]).unwrap_err(),
            ConfigError::Slo(0.0)
        );
        assert_eq!(
            plan(&["train", "--calibration-days", "-1"]).unwrap_err(),
            ConfigError::CalibrationDays(-1.0)
        );
        assert!(matches!(
            plan(&["run-all", "--epochs", "0"]).unwrap_err(),
            ConfigError::Positive {
                flag: "--epochs",
                ..
            }
        ));
    }
}
