//! The command line (clap derive). Nothing below this module sees clap types: each
//! group of flags turns itself into the plain config structs of `config.rs`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check::Tolerances;
use crate::config::{ClusterConfig, PolicyConfig, SplitConfig};
use crate::forecast::lstm::LstmConfig;
use crate::forecast::{ModelConfig, ModelKind};
use crate::policy::PolicyKind;
use crate::trace::generate::GenerateConfig;
use crate::trace::import::ImportOptions;

/// Which autoscaling policy should you use, and what does it cost you? prescale
/// forecasts demand, replays a trace minute by minute under competing scaling policies
/// and reports SLA violations, container-minutes and scaling churn.
#[derive(Debug, Parser)]
#[command(name = "prescale", version, propagate_version = true)]
pub struct Cli {
    /// The stage to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The stages.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the synthetic workload to <DATA_DIR>/workload.csv.
    Generate(GenerateCmd),
    /// Fit forecasters on the train split and write their test forecasts to <DATA_DIR>/forecasts/.
    Train(TrainCmd),
    /// Replay the test period under scaling policies and write the reports.
    Simulate(SimulateCmd),
    /// Print the summary table of <REPORTS_DIR>/metrics_summary.csv.
    Report(ReportCmd),
    /// Generate (unless --trace is given), train, simulate and report, in one go.
    RunAll(RunAllCmd),
    /// Compare a metrics_summary.csv with a baseline; exit 1 if a row regressed.
    Check(CheckCmd),
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckCmd {
    /// The accepted metrics_summary.csv.
    #[arg(long, value_name = "FILE")]
    pub baseline: PathBuf,
    /// The metrics_summary.csv to check.
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,
    /// Accept the current file: rewrite the baseline from it and print what changed.
    #[arg(long)]
    pub update: bool,
    /// Violation minutes may rise by this many minutes...
    #[arg(long, value_name = "MINUTES", default_value_t = Tolerances::default().violation_minutes_abs)]
    pub violation_abs_tol: f64,
    /// ...or by this fraction of the baseline, whichever is larger.
    #[arg(long, value_name = "FRACTION", default_value_t = Tolerances::default().violation_rel)]
    pub violation_rel_tol: f64,
    /// Unserved requests may rise by this many requests...
    #[arg(long, value_name = "REQUESTS", default_value_t = Tolerances::default().unserved_abs)]
    pub unserved_abs_tol: f64,
    /// ...or by this fraction of the baseline, whichever is larger.
    #[arg(long, value_name = "FRACTION", default_value_t = Tolerances::default().unserved_rel)]
    pub unserved_rel_tol: f64,
    /// Container-minutes may rise by this fraction of the baseline.
    #[arg(long, value_name = "FRACTION", default_value_t = Tolerances::default().cost_rel)]
    pub cost_rel_tol: f64,
}

impl CheckCmd {
    /// The tolerances.
    pub fn tolerances(&self) -> Tolerances {
        Tolerances {
            violation_minutes_abs: self.violation_abs_tol,
            violation_rel: self.violation_rel_tol,
            unserved_abs: self.unserved_abs_tol,
            unserved_rel: self.unserved_rel_tol,
            cost_rel: self.cost_rel_tol,
        }
    }
}

/// `generate`.
#[derive(Debug, Args)]
pub struct GenerateCmd {
    #[command(flatten)]
    pub generate: GenerateArgs,
    #[command(flatten)]
    pub seed: SeedArgs,
    /// Folder the trace is written to.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

/// `train`.
#[derive(Debug, Args)]
pub struct TrainCmd {
    #[command(flatten)]
    pub trace: TraceArgs,
    #[command(flatten)]
    pub models: ModelArgs,
    #[command(flatten)]
    pub seed: SeedArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `simulate`.
#[derive(Debug, Args)]
pub struct SimulateCmd {
    #[command(flatten)]
    pub trace: TraceArgs,
    #[command(flatten)]
    pub models: ModelSelect,
    #[command(flatten)]
    pub policies: PolicyArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub reports: ReportsArgs,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportCmd {
    #[command(flatten)]
    pub reports: ReportsArgs,
}

/// `run-all`.
#[derive(Debug, Args)]
pub struct RunAllCmd {
    /// The quick, deterministic CI experiment: a 5-day synthetic trace, a 2-day test period
    /// and 3 LSTM epochs (overrides --days, --test-days and --epochs).
    #[arg(long)]
    pub quick: bool,
    #[command(flatten)]
    pub trace: TraceArgs,
    #[command(flatten)]
    pub generate: GenerateArgs,
    #[command(flatten)]
    pub seed: SeedArgs,
    #[command(flatten)]
    pub models: ModelArgs,
    #[command(flatten)]
    pub policies: PolicyArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub reports: ReportsArgs,
}

/// Shape of the synthetic workload.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Length of the synthetic trace, in days.
    #[arg(long, value_name = "DAYS", default_value_t = GenerateConfig::default().days)]
    pub days: f64,
    /// First timestamp of the synthetic trace (RFC 3339).
    #[arg(long, value_name = "TIME", default_value = "2026-01-05T00:00:00Z")]
    pub start: DateTime<Utc>,
}

/// The one seed of every random source.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Seed of the generator and of model training; the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Where the trace comes from and how it is split.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// CSV trace to use instead of <DATA_DIR>/workload.csv (a timestamp and a count column; any regular step).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Timestamp column of --trace [default: detected from timestamp/ds/time].
    #[arg(long, value_name = "NAME")]
    pub time_column: Option<String>,
    /// Count column of --trace [default: detected from requests/value/y/count].
    #[arg(long, value_name = "NAME")]
    pub count_column: Option<String>,
    /// Folder of the generated trace and the trained forecasts.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Length of the test period at the end of the trace, in days.
    #[arg(long, value_name = "DAYS", default_value_t = SplitConfig::default().test_days, allow_negative_numbers = true)]
    pub test_days: f64,
}

/// The container model.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Requests one container serves per minute.
    #[arg(long, value_name = "REQ_PER_MIN", default_value_t = ClusterConfig::default().capacity_per_min, allow_negative_numbers = true)]
    pub capacity: f64,
    /// Minutes from launching a container until it serves (rounded up to whole trace steps).
    #[arg(long, value_name = "MINUTES", default_value_t = ClusterConfig::default().startup_delay_min, allow_negative_numbers = true)]
    pub startup_delay: u32,
    /// Fewest containers.
    #[arg(long, value_name = "N", default_value_t = ClusterConfig::default().min_replicas, allow_negative_numbers = true)]
    pub min_replicas: u32,
    /// Most containers.
    #[arg(long, value_name = "N", default_value_t = ClusterConfig::default().max_replicas, allow_negative_numbers = true)]
    pub max_replicas: u32,
}

/// A model name on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelChoice {
    /// Every model.
    All,
    /// The demand one day earlier, with an empirical 80 % interval.
    SeasonalNaive,
    /// Prophet: trend, daily and weekly seasonality, with an interval.
    Prophet,
    /// One-layer LSTM on the last --window steps, with a conformal interval.
    Lstm,
}

/// A policy name on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyChoice {
    /// Every policy.
    All,
    /// Always 2 containers.
    #[value(name = "static-2")]
    Static2,
    /// ceil(forecast / capacity).
    SimpleCeiling,
    /// ceil((1 + buffer) × forecast / capacity).
    Buffered,
    /// ceil(upper interval bound / capacity).
    ConfidenceAware,
    /// The buffered target, approached at most one container per minute.
    PolicyAware,
    /// Kubernetes HPA v2: 70 % target utilization, 5-minute scale-down stabilization.
    ReactiveHpa,
    /// ceil(actual / capacity): perfect foresight, the cost reference.
    Oracle,
}

/// Which models to train, and how.
#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(flatten)]
    pub select: ModelSelect,
    /// Coverage of the forecast intervals, strictly between 0 and 1.
    #[arg(long, value_name = "FRACTION", default_value_t = ModelConfig::default().interval_width, allow_negative_numbers = true)]
    pub interval_width: f64,
    /// LSTM: steps of history in one input window.
    #[arg(long, value_name = "STEPS", default_value_t = LstmConfig::default().window)]
    pub window: usize,
    /// LSTM: hidden units.
    #[arg(long, value_name = "N", default_value_t = LstmConfig::default().hidden)]
    pub hidden: usize,
    /// LSTM: passes over the train windows.
    #[arg(long, value_name = "N", default_value_t = LstmConfig::default().epochs)]
    pub epochs: usize,
    /// LSTM: windows per optimizer step.
    #[arg(long, value_name = "N", default_value_t = LstmConfig::default().batch_size)]
    pub batch_size: usize,
    /// LSTM: Adam's learning rate.
    #[arg(long, value_name = "RATE", default_value_t = LstmConfig::default().learning_rate)]
    pub learning_rate: f64,
}

/// Which models to use.
#[derive(Debug, Args)]
pub struct ModelSelect {
    /// Models, comma-separated ("all": every model; for simulate, every trained model).
    #[arg(
        long = "model",
        value_name = "NAME",
        value_enum,
        value_delimiter = ',',
        default_value = "all"
    )]
    pub model: Vec<ModelChoice>,
}

/// Which policies to replay, and their knobs.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Policies, comma-separated.
    #[arg(
        long = "policy",
        value_name = "NAME",
        value_enum,
        value_delimiter = ',',
        default_value = "all"
    )]
    pub policy: Vec<PolicyChoice>,
    /// Head-room of buffered and policy-aware over the forecast, as a fraction (0.15 = 15 %).
    #[arg(long, value_name = "FRACTION", default_value_t = PolicyConfig::default().buffer, allow_negative_numbers = true)]
    pub buffer: f64,
}

/// Where reports go.
#[derive(Debug, Args)]
pub struct ReportsArgs {
    /// Folder of the CSV reports and plots.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub reports_dir: PathBuf,
}

impl RunAllCmd {
    /// Applies `--quick`.
    pub fn resolve_quick(mut self) -> Self {
        if self.quick {
            self.generate.days = 5.0;
            self.trace.test_days = 2.0;
            self.models.epochs = 3;
        }
        self
    }
}

impl GenerateArgs {
    /// The generator's config.
    pub fn to_config(&self, seed: &SeedArgs) -> GenerateConfig {
        GenerateConfig {
            start: self.start,
            days: self.days,
            seed: seed.seed,
            ..Default::default()
        }
    }
}

impl TraceArgs {
    /// The import options.
    pub fn import_options(&self) -> ImportOptions {
        ImportOptions {
            time_column: self.time_column.clone(),
            count_column: self.count_column.clone(),
        }
    }

    /// The split.
    pub fn split(&self) -> SplitConfig {
        SplitConfig {
            test_days: self.test_days,
        }
    }
}

impl ClusterArgs {
    /// The cluster's config.
    pub fn to_config(&self) -> ClusterConfig {
        ClusterConfig {
            capacity_per_min: self.capacity,
            startup_delay_min: self.startup_delay,
            min_replicas: self.min_replicas,
            max_replicas: self.max_replicas,
        }
    }
}

impl ModelArgs {
    /// The models' shared config.
    pub fn to_config(&self, seed: &SeedArgs) -> ModelConfig {
        ModelConfig {
            interval_width: self.interval_width,
            seed: seed.seed,
            lstm: LstmConfig {
                window: self.window,
                hidden: self.hidden,
                epochs: self.epochs,
                batch_size: self.batch_size,
                learning_rate: self.learning_rate,
                ..LstmConfig::default()
            },
        }
    }
}

impl ModelSelect {
    /// The models named, or `None` for "all".
    pub fn kinds(&self) -> Option<Vec<ModelKind>> {
        let mut out = Vec::new();
        for m in &self.model {
            match m {
                ModelChoice::All => return None,
                ModelChoice::SeasonalNaive => out.push(ModelKind::SeasonalNaive),
                ModelChoice::Prophet => out.push(ModelKind::Prophet),
                ModelChoice::Lstm => out.push(ModelKind::Lstm),
            }
        }
        out.sort();
        out.dedup();
        Some(out)
    }
}

impl ModelSelect {
    /// The models to train: those named, or every model for "all".
    pub fn to_train(&self) -> Vec<ModelKind> {
        self.kinds().unwrap_or_else(|| ModelKind::ALL.to_vec())
    }
}

impl PolicyArgs {
    /// The policies named, in report order.
    pub fn kinds(&self) -> Vec<PolicyKind> {
        if self.policy.contains(&PolicyChoice::All) {
            return PolicyKind::ALL.to_vec();
        }
        let mut out: Vec<PolicyKind> = self
            .policy
            .iter()
            .map(|p| match p {
                PolicyChoice::All => unreachable!("handled above"),
                PolicyChoice::Static2 => PolicyKind::Static2,
                PolicyChoice::SimpleCeiling => PolicyKind::SimpleCeiling,
                PolicyChoice::Buffered => PolicyKind::Buffered,
                PolicyChoice::ConfidenceAware => PolicyKind::ConfidenceAware,
                PolicyChoice::PolicyAware => PolicyKind::PolicyAware,
                PolicyChoice::ReactiveHpa => PolicyKind::ReactiveHpa,
                PolicyChoice::Oracle => PolicyKind::Oracle,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The policies' config.
    pub fn to_config(&self) -> PolicyConfig {
        PolicyConfig {
            buffer: self.buffer,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn choice_names_match_the_registries() {
        for p in PolicyChoice::value_variants()
            .iter()
            .filter(|p| **p != PolicyChoice::All)
        {
            let name = p.to_possible_value().unwrap().get_name().to_string();
            assert!(PolicyKind::from_name(&name).is_some(), "{name}");
        }
        for m in ModelChoice::value_variants()
            .iter()
            .filter(|m| **m != ModelChoice::All)
        {
            let name = m.to_possible_value().unwrap().get_name().to_string();
            assert!(ModelKind::from_name(&name).is_some(), "{name}");
        }
    }

    #[test]
    fn defaults_parse_to_spec_configs() {
        let cli = Cli::try_parse_from(["prescale", "run-all"]).unwrap();
        let Command::RunAll(c) = cli.command else {
            panic!("not run-all")
        };
        assert_eq!(c.cluster.to_config(), ClusterConfig::default());
        assert_eq!(c.policies.to_config(), PolicyConfig::default());
        assert_eq!(c.generate.to_config(&c.seed), GenerateConfig::default());
        assert_eq!(c.policies.kinds(), PolicyKind::ALL.to_vec());
        assert_eq!(c.models.select.kinds(), None);
    }
}
