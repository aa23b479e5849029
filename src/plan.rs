//! The command line resolved once: clap's flags become a [`Plan`] of plain, validated
//! config, so the stages never see clap types and nothing is validated twice. Every
//! range check of every flag happens in [`resolve`], before any file is read.

use std::path::PathBuf;

use crate::check::Tolerances;
use crate::cli::{
    Cli, ClusterArgs, Command, GenerateArgs, ModelArgs, ModelSelect, PolicyArgs, TraceArgs, ALL,
};
use crate::config::{ClusterConfig, ConfigError, PolicyConfig, SplitConfig};
use crate::forecast::lstm::LstmConfig;
use crate::forecast::{ModelConfig, ModelKind};
use crate::policy::PolicyKind;
use crate::store::{DataDir, ReportsDir};
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

/// Resolves and validates the command line.
pub(crate) fn resolve(cli: Cli) -> Result<Plan, ConfigError> {
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
    });
    let (policy_kinds, policy_cfg) = match policies {
        Some(p) if !p.policy.iter().any(|n| n == ALL) => (
            sorted(p.policy.iter().filter_map(|n| PolicyKind::from_name(n))),
            policy_config(p),
        ),
        Some(p) => (PolicyKind::ALL.to_vec(), policy_config(p)),
        None => (PolicyKind::ALL.to_vec(), PolicyConfig::default()),
    };
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
        resolve(
            Cli::try_parse_from(std::iter::once("prescale").chain(args.iter().copied())).unwrap(),
        )
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
