//! The command line (clap derive). Nothing below the edge sees these types: `plan.rs`
//! resolves them once into plain, validated config. Model and policy names come from
//! the registries ([`ModelKind::ALL`], [`PolicyKind::ALL`]), so a new model or policy
//! appears here, with its help line, without an edit.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Parser, Subcommand};

use crate::check::Tolerances;
use crate::config::{ClusterConfig, PolicyConfig, SplitConfig};
use crate::forecast::lstm::LstmConfig;
use crate::forecast::{ModelConfig, ModelKind, RefitEvery};
use crate::policy::PolicyKind;
use crate::trace::generate::GenerateConfig;

/// The word that selects every model or policy.
pub const ALL: &str = "all";

/// `--model`'s values: "all" and every registered model, each with its help line.
fn model_values() -> PossibleValuesParser {
    PossibleValuesParser::new(
        std::iter::once(PossibleValue::new(ALL).help("Every model")).chain(
            ModelKind::ALL
                .iter()
                .map(|m| PossibleValue::new(m.name()).help(m.about())),
        ),
    )
}

/// `--policy`'s values: "all" and every registered policy, each with its help line.
fn policy_values() -> PossibleValuesParser {
    PossibleValuesParser::new(
        std::iter::once(PossibleValue::new(ALL).help("Every policy")).chain(
            PolicyKind::ALL
                .iter()
                .map(|p| PossibleValue::new(p.name()).help(p.about())),
        ),
    )
}

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
    /// Cost/SLA frontiers: every policy along its knob, over startup delays, seeds, capacities and traces.
    Sweep(SweepCmd),
    /// Merge the shards of a sweep in DIR into sweep.csv, slo_table.csv and the frontier plots.
    Merge(MergeCmd),
}

/// `merge`.
#[derive(Debug, Args)]
pub struct MergeCmd {
    /// The folder holding every shard's sweep.part-I-of-N.csv and .json.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `sweep`.
#[derive(Debug, Args)]
pub struct SweepCmd {
    /// A TOML grid file: several traces (each with its capacities and replica bounds), seeds and knob lists; the grid flags below then stay unset.
    #[arg(long, value_name = "FILE")]
    pub grid: Option<PathBuf>,
    /// One CSV trace to sweep [default: the synthetic workload, generated with each seed].
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Timestamp column of --trace [default: detected].
    #[arg(long, value_name = "NAME")]
    pub time_column: Option<String>,
    /// Count column of --trace [default: detected].
    #[arg(long, value_name = "NAME")]
    pub count_column: Option<String>,
    /// Capacities per container, requests per minute, comma-separated [default: 50].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub capacity: Option<Vec<f64>>,
    /// Fewest containers [default: 1].
    #[arg(long, value_name = "N")]
    pub min_replicas: Option<u32>,
    /// Most containers [default: 100].
    #[arg(long, value_name = "N")]
    pub max_replicas: Option<u32>,
    /// Startup delays in minutes, comma-separated [default: 2].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub startup_delay: Option<Vec<u32>>,
    /// Seeds of the generator and of model training, comma-separated [default: 42].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub seed: Option<Vec<u64>>,
    /// Models, comma-separated [default: all].
    #[arg(long, value_name = "NAME", value_parser = model_values(), value_delimiter = ',')]
    pub model: Option<Vec<String>>,
    /// Policies, comma-separated [default: all].
    #[arg(long, value_name = "NAME", value_parser = policy_values(), value_delimiter = ',')]
    pub policy: Option<Vec<String>>,
    /// Knob values, one flag per knob a policy declares.
    #[command(flatten)]
    pub knobs: KnobArgs,
    /// Days of the synthetic workload [default: 14].
    #[arg(long, value_name = "DAYS")]
    pub days: Option<f64>,
    /// Length of the test period, in days [default: 3].
    #[arg(long, value_name = "DAYS")]
    pub test_days: Option<f64>,
    /// LSTM: passes over the train windows [default: 10].
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Days of each model's calibration tail for slo-targeted (0: none) [default: 2].
    #[arg(long, value_name = "DAYS")]
    pub calibration_days: Option<f64>,
    /// Prophet: refit every DURATION while forecasting (30m, 6h, 1d) or `never` [default: 6h].
    #[arg(long, value_name = "DURATION")]
    pub refit_every: Option<RefitEvery>,
    /// SLO levels of the SLO table: percents of minutes without a violation.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "99,99.5,99.9"
    )]
    pub slo_levels: Vec<f64>,
    /// Folder of the results (and of the shards' parts).
    #[arg(long, value_name = "DIR", default_value = "sweep")]
    pub reports_dir: PathBuf,
    /// Run only shard I of N (1-based), as one worker of a batch job; `merge` joins them.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

/// One `--<knob> LIST` flag per knob a registered policy declares, built from the
/// registry: a new policy's knob joins the sweep's command line by being declared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnobArgs {
    /// Values given, by knob name.
    pub values: std::collections::BTreeMap<String, Vec<f64>>,
}

impl clap::FromArgMatches for KnobArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut values = std::collections::BTreeMap::new();
        for k in PolicyKind::knobs() {
            if let Some(v) = m.get_many::<f64>(k.name) {
                values.insert(k.name.to_string(), v.copied().collect());
            }
        }
        Ok(Self { values })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for KnobArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        PolicyKind::knobs().into_iter().fold(cmd, |cmd, k| {
            let users: Vec<&str> = PolicyKind::ALL
                .iter()
                .filter(|p| p.knob().is_some_and(|pk| pk.name == k.name))
                .map(|p| p.name())
                .collect();
            cmd.arg(
                clap::Arg::new(k.name)
                    .long(k.name)
                    .value_name("LIST")
                    .value_delimiter(',')
                    .action(clap::ArgAction::Append)
                    .allow_negative_numbers(true)
                    .value_parser(clap::value_parser!(f64))
                    .help(format!(
                        "Knob of {}: values to sweep, comma-separated, each {}",
                        users.join(", "),
                        k.range
                    )),
            )
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
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

/// `generate`.
#[derive(Debug, Args)]
pub struct GenerateCmd {
    /// The synthetic workload.
    #[command(flatten)]
    pub generate: GenerateArgs,
    /// The seed.
    #[command(flatten)]
    pub seed: SeedArgs,
    /// Folder the trace is written to.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

/// `train`.
#[derive(Debug, Args)]
pub struct TrainCmd {
    /// The trace and its split.
    #[command(flatten)]
    pub trace: TraceArgs,
    /// The models and their training.
    #[command(flatten)]
    pub models: ModelArgs,
    /// The seed.
    #[command(flatten)]
    pub seed: SeedArgs,
    /// The container model.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `simulate`.
#[derive(Debug, Args)]
pub struct SimulateCmd {
    /// The trace and its split.
    #[command(flatten)]
    pub trace: TraceArgs,
    /// The models whose forecasts to use.
    #[command(flatten)]
    pub models: ModelSelect,
    /// The policies and their knobs.
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// The container model.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Where the reports go.
    #[command(flatten)]
    pub reports: ReportsArgs,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportCmd {
    /// Where the reports go.
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
    /// The trace and its split.
    #[command(flatten)]
    pub trace: TraceArgs,
    /// The synthetic workload.
    #[command(flatten)]
    pub generate: GenerateArgs,
    /// The seed.
    #[command(flatten)]
    pub seed: SeedArgs,
    /// The models and their training.
    #[command(flatten)]
    pub models: ModelArgs,
    /// The policies and their knobs.
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// The container model.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Where the reports go.
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

/// Which models to train, and how.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Which models.
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
    /// Days at the end of the train period each model also forecasts, fitted without them, for slo-targeted's calibration (0: none).
    #[arg(long, value_name = "DAYS", default_value_t = ModelConfig::default().calibration_days, allow_negative_numbers = true)]
    pub calibration_days: f64,
    /// LSTM: Adam's learning rate.
    #[arg(long, value_name = "RATE", default_value_t = LstmConfig::default().learning_rate)]
    pub learning_rate: f64,
    /// Prophet: refit every DURATION while forecasting the test period (30m, 6h, 1d), each fit on all data the decision has seen; `never`: one fit on the train period.
    #[arg(long, value_name = "DURATION", default_value_t = ModelConfig::default().refit_every)]
    pub refit_every: RefitEvery,
}

/// Which models to use.
#[derive(Debug, Args)]
pub struct ModelSelect {
    /// Models, comma-separated ("all": every model; for simulate, every trained model).
    #[arg(
        long = "model",
        value_name = "NAME",
        value_parser = model_values(),
        value_delimiter = ',',
        default_value = ALL
    )]
    pub model: Vec<String>,
}

/// Which policies to replay, and their knobs.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Policies, comma-separated.
    #[arg(
        long = "policy",
        value_name = "NAME",
        value_parser = policy_values(),
        value_delimiter = ',',
        default_value = ALL
    )]
    pub policy: Vec<String>,
    /// Head-room of buffered, policy-aware and predictive-hpa over the forecast, as a fraction (0.15 = 15 %).
    #[arg(long, value_name = "FRACTION", default_value_t = PolicyConfig::default().buffer, allow_negative_numbers = true)]
    pub buffer: f64,
    /// Target utilization of reactive-hpa, in (0, 1].
    #[arg(long, value_name = "FRACTION", default_value_t = PolicyConfig::default().hpa_target_utilization, allow_negative_numbers = true)]
    pub hpa_target: f64,
    /// Target utilization of predictive-hpa's reactive side, in (0, 1] (measured: 0.7 only repeats reactive-hpa).
    #[arg(long, value_name = "FRACTION", default_value_t = PolicyConfig::default().predictive_hpa_target, allow_negative_numbers = true)]
    pub predictive_hpa_target: f64,
    /// SLO of slo-targeted: percent of minutes without a violation, in (0, 100].
    #[arg(long, value_name = "PERCENT", default_value_t = PolicyConfig::default().slo_percent, allow_negative_numbers = true)]
    pub slo: f64,
    /// Minutes of history a burst's growth is measured over (predictive-hpa, slo-targeted); 0 turns burst awareness off.
    #[arg(long, value_name = "MINUTES", default_value_t = PolicyConfig::default().burst_lookback_min)]
    pub burst_lookback: u32,
}

/// Where reports go.
#[derive(Debug, Args)]
pub struct ReportsArgs {
    /// Folder of the CSV reports and plots.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub reports_dir: PathBuf,
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
    fn every_registered_name_is_accepted_and_others_are_not() {
        for p in PolicyKind::ALL {
            let cli = Cli::try_parse_from(["prescale", "simulate", "--policy", p.name()]);
            assert!(cli.is_ok(), "{}", p.name());
        }
        for m in ModelKind::ALL {
            let cli = Cli::try_parse_from(["prescale", "train", "--model", m.name()]);
            assert!(cli.is_ok(), "{}", m.name());
        }
        assert!(Cli::try_parse_from(["prescale", "simulate", "--policy", "bufered"]).is_err());
    }
}
