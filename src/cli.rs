//! The command line (clap derive). Nothing below the edge sees these types: `plan.rs`
//! resolves them once into plain, validated config. Model and policy names come from
//! the registries ([`ModelKind::ALL`], [`PolicyKind::ALL`]) and every numeric setting's
//! flag from the settings table ([`crate::settings::ALL`]), so a new model, policy or
//! setting appears here, with its help line, without an edit.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Parser, Subcommand};

use crate::config::Tolerances;
use crate::forecast::ModelKind;
use crate::policy::PolicyKind;
use crate::settings::{self, Setting, Stage, MODELS, OUTPUT, POLICIES, TRACE};

/// The `--help` heading of `import --prometheus` and its flags.
const PROMETHEUS: &str = "From a running Prometheus";

/// The word that selects every model or policy.
pub const ALL: &str = "all";

/// The registered models' names, each with its help line; "all" first where `all`.
fn models(all: bool) -> PossibleValuesParser {
    let every = all.then(|| PossibleValue::new(ALL).help("Every model"));
    PossibleValuesParser::new(
        every.into_iter().chain(
            ModelKind::ALL
                .iter()
                .map(|m| PossibleValue::new(m.name()).help(m.about())),
        ),
    )
}

/// The registered policies' names, each with its help line; "all" first where `all`.
fn policies(all: bool) -> PossibleValuesParser {
    let every = all.then(|| PossibleValue::new(ALL).help("Every policy"));
    PossibleValuesParser::new(
        every.into_iter().chain(
            PolicyKind::ALL
                .iter()
                .map(|p| PossibleValue::new(p.name()).help(p.about())),
        ),
    )
}

/// `--model`'s values: "all" and every registered model.
fn model_values() -> PossibleValuesParser {
    models(true)
}

/// `--policy`'s values: "all" and every registered policy.
fn policy_values() -> PossibleValuesParser {
    policies(true)
}

/// One model's name.
fn single_model_values() -> PossibleValuesParser {
    models(false)
}

/// One policy's name.
fn single_policy_values() -> PossibleValuesParser {
    policies(false)
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
    /// Read a trace from where it lives (CSV, Prometheus JSON, access log, per-request CSV, Azure Functions; gzip too), say what was found, write it to --out (data/workload.csv by default).
    Import(ImportCmd),
    /// Fit forecasters on the train split and write their test forecasts to <DATA_DIR>/forecasts/.
    Train(TrainCmd),
    /// Replay the test period under scaling policies and write the reports.
    Simulate(SimulateCmd),
    /// Redraw the plots and summary.md and print the table from the CSV reports an earlier simulate left in <REPORTS_DIR>.
    Report(ReportCmd),
    /// Generate (unless --trace is given), train, simulate and report, in one go.
    RunAll(RunAllCmd),
    /// Compare a metrics_summary.csv with a baseline; exit 1 if a row regressed.
    Check(CheckCmd),
    /// Cost/SLA frontiers: every policy along its knob, over startup delays, seeds, capacities and traces.
    Sweep(SweepCmd),
    /// Merge the shards of a sweep in DIR into sweep.csv, slo_table.csv and the frontier plots (or a backtest's into backtest.csv and recommendation.md).
    Merge(MergeCmd),
    /// Choose on one window, judge on the next: rolling-origin folds, each family's knob chosen on a validation window, the recommendation judged on test windows no choice saw.
    Backtest(BacktestCmd),
    /// Write a run's choice as manifests `kubectl apply` takes: an autoscaling/v2 HPA, a KEDA ScaledObject or a Knative Service, with the settings the run simulated.
    Export(ExportCmd),
    /// Run a policy live against a running Prometheus, as a scaler KEDA reads (GET /desired, /metrics, /healthz); or with --replay, step a past period through it and write each step's target.
    Serve(ServeCmd),
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeCmd {
    /// The Prometheus the service's demand is read from (its base URL, http://host:9090).
    #[arg(long, value_name = "URL", help_heading = PROMETHEUS)]
    pub prometheus: String,
    /// The PromQL of the service's demand: requests per step (or a rate, with --count-unit per-second).
    #[arg(long, value_name = "PROMQL", help_heading = PROMETHEUS)]
    pub query: String,
    /// The PromQL of the replicas actually running: each decision is logged beside it (shadow mode).
    #[arg(long, value_name = "PROMQL", help_heading = PROMETHEUS)]
    pub actual_query: Option<String>,
    /// A file holding a bearer token [default: $PRESCALE_PROMETHEUS_TOKEN where set].
    #[arg(long, value_name = "FILE", conflicts_with = "basic_auth_file", help_heading = PROMETHEUS)]
    pub bearer_token_file: Option<PathBuf>,
    /// A file holding `user:password` for basic authentication [default: $PRESCALE_PROMETHEUS_BASIC_AUTH where set].
    #[arg(long, value_name = "FILE", help_heading = PROMETHEUS)]
    pub basic_auth_file: Option<PathBuf>,
    /// History read at the start to fit the model and tune the policy on, a duration with a unit (11d, 36h; a replay reads it before the days it replays).
    #[arg(long, value_name = "DURATION", default_value = "11d", help_heading = PROMETHEUS)]
    pub history: String,
    /// The model whose forecasts the policy reads (a forecast policy's).
    #[arg(long, value_name = "NAME", value_parser = single_model_values(), help_heading = MODELS)]
    pub model: Option<String>,
    /// The policy.
    #[arg(long, value_name = "NAME", value_parser = single_policy_values(), help_heading = POLICIES)]
    pub policy: String,
    /// The run's settings.
    #[command(flatten)]
    pub settings: SettingArgs<ForServe>,
    /// Where to listen for GET /desired, /metrics and /healthz.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464", help_heading = OUTPUT)]
    pub listen: String,
    /// Now, pinned (RFC 3339): the clock runs on from it (tests; re-running a past moment) [default: the system clock].
    #[arg(long, value_name = "TIME", help_heading = OUTPUT)]
    pub clock: Option<String>,
    /// Step a clock through the last --test-days of the data Prometheus holds for the query (ending at its last sample, or at --clock) as fast as it can, deciding at each step as live, and write `timestamp,target,forecast` to --out; serves nothing.
    #[arg(long, requires = "out", help_heading = OUTPUT)]
    pub replay: bool,
    /// Where a replay writes its steps.
    #[arg(long, value_name = "FILE", requires = "replay", help_heading = OUTPUT)]
    pub out: Option<PathBuf>,
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportCmd {
    /// Folder of the run whose recommended.csv and settings.toml are read.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub reports_dir: PathBuf,
    /// Which row of recommended.csv: recommended, runner-up or reactive-hpa.
    #[arg(long, value_name = "ROLE", default_value = "recommended", value_parser = ["recommended", "runner-up", "reactive-hpa"])]
    pub role: String,
    /// The Deployment (or Knative Service) the scaler scales [a sweep's: each trace's name].
    #[arg(long, value_name = "NAME", required_unless_present = "sweep_dir")]
    pub name: Option<String>,
    /// A sweep's folder instead: one set of manifests per trace, its recommendation at --slo-level (each trace's name names its Deployment).
    #[arg(long, value_name = "DIR", requires = "slo_level", conflicts_with_all = ["reports_dir", "role"])]
    pub sweep_dir: Option<PathBuf>,
    /// With --sweep-dir: the SLO level of slo_table.csv whose recommendations are exported.
    #[arg(long, value_name = "PERCENT", requires = "sweep_dir")]
    pub slo_level: Option<f64>,
    /// Its namespace.
    #[arg(long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// Where the manifests go (YAML); `-` for standard output.
    #[arg(long, value_name = "FILE", default_value = "-", help_heading = OUTPUT)]
    pub out: PathBuf,
    /// keda, or a forecast policy: the Prometheus its trigger (or `prescale serve`) queries.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// keda, or a forecast policy: the PromQL of the service's requests per second (summed over its pods).
    #[arg(long, value_name = "PROMQL")]
    pub query: Option<String>,
    /// knative-kpa: the container image of the Knative Service.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// reactive-hpa at --hpa-metric rps: the per-pod requests-per-second metric's name.
    #[arg(long, value_name = "NAME")]
    pub pods_metric: Option<String>,
    /// A forecast policy: the container image whose `prescale` runs `serve` (its query: --query on --prometheus, in requests per second).
    #[arg(long, value_name = "IMAGE")]
    pub serve_image: Option<String>,
}

/// `backtest`.
#[derive(Debug, Args)]
pub struct BacktestCmd {
    /// A TOML grid file of a fleet: one `[[trace]]` table per service, each at one value of each axis, backtested alike (a sweep's grid file, with one `slo`); the grid flags below then stay unset.
    #[arg(long, value_name = "FILE", help_heading = TRACE)]
    pub grid: Option<PathBuf>,
    /// The trace: any format `prescale import` reads (CSV, Prometheus JSON, access log, per-request CSV, Azure Functions; gzip too) [default: the synthetic workload, generated with --seed].
    #[arg(long, value_name = "FILE", help_heading = TRACE)]
    pub trace: Option<PathBuf>,
    /// Folds: test windows of --test-days each, back to back at the trace's end.
    #[arg(long, value_name = "K", default_value_t = 4, help_heading = TRACE)]
    pub folds: usize,
    /// Fit every model afresh in each fold. By default a model that refits as it forecasts (Prophet) runs one chain of refits from the first fold's validation window to the trace's end, and each fold reads its windows from it: each forecast still reads only the data before its block, at a third of the fits; and the LSTM is fitted once, before the first fold's validation window, and forecasts every fold's windows, as run-all's one fit forecasts its validation window and test period (it reads the actual context).
    #[arg(long, help_heading = TRACE)]
    pub fit_each_fold: bool,
    /// Run every knob value on each validation window. By default a family whose SLO attainment and cost rise along its knob (buffer, interval-width, hpa-target) runs there (on 1 validation day, or 3 or more) only the values a bisection for its pick tries (about log2 of them, or all where none holds): the same pick where they rise, at a fraction of the runs; every value still runs on each test window, so regret is against the full lists.
    #[arg(long, help_heading = TRACE)]
    pub full_knob_search: bool,
    /// Every setting's flag; knobs take comma-separated lists (each knob's trials by default).
    #[command(flatten)]
    pub settings: SettingArgs<ForBacktest>,
    /// Models, comma-separated [default: all].
    #[arg(long, value_name = "NAME", value_parser = model_values(), value_delimiter = ',', help_heading = MODELS)]
    pub model: Option<Vec<String>>,
    /// Policies, comma-separated [default: all].
    #[arg(long, value_name = "NAME", value_parser = policy_values(), value_delimiter = ',', help_heading = POLICIES)]
    pub policy: Option<Vec<String>>,
    /// Folder of backtest.csv and recommendation.md (of a fleet: fleet.csv and fleet.md, and each trace's two files in a folder of its name), and of the shards' parts.
    #[arg(long, value_name = "DIR", default_value = "reports", help_heading = OUTPUT)]
    pub reports_dir: PathBuf,
    /// Run only shard I of N (1-based: the units are each trace's folds in the grid's order, and shard I runs the I-th of N runs of consecutive units), as one worker of a batch job; `merge` joins the parts.
    #[arg(long, value_name = "I/N", help_heading = OUTPUT)]
    pub shard: Option<String>,
}

/// `merge`.
#[derive(Debug, Args)]
pub struct MergeCmd {
    /// The folder holding every shard's part, sweep.part-I-of-N.csv (or backtest.part-I-of-N.csv) and its .json.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `sweep`.
#[derive(Debug, Args)]
pub struct SweepCmd {
    /// A TOML grid file: several traces (each with its capacities and replica bounds), seeds and knob lists; the grid flags below then stay unset.
    #[arg(long, value_name = "FILE", help_heading = TRACE)]
    pub grid: Option<PathBuf>,
    /// One trace to sweep: any format `prescale import` reads (CSV, Prometheus JSON, access log, per-request CSV, Azure Functions; gzip too) [default: the synthetic workload, generated with each seed].
    #[arg(long, value_name = "FILE", help_heading = TRACE)]
    pub trace: Option<PathBuf>,
    /// Every setting's flag; axes and knobs take comma-separated lists.
    #[command(flatten)]
    pub settings: SettingArgs<ForSweep>,
    /// Models, comma-separated [default: all].
    #[arg(long, value_name = "NAME", value_parser = model_values(), value_delimiter = ',', help_heading = MODELS)]
    pub model: Option<Vec<String>>,
    /// Policies, comma-separated [default: all].
    #[arg(long, value_name = "NAME", value_parser = policy_values(), value_delimiter = ',', help_heading = POLICIES)]
    pub policy: Option<Vec<String>>,
    /// SLO levels of the SLO table: percents of requests within the deadline (of minutes without a violation under --serving threshold); the default brackets the default SLO (90) below the 93.5 % the service alone reaches at the default deadline.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "85,90,93",
        help_heading = OUTPUT
    )]
    pub slo_levels: Vec<f64>,
    /// Folder of the results (and of the shards' parts).
    #[arg(long, value_name = "DIR", default_value = "sweep", help_heading = OUTPUT)]
    pub reports_dir: PathBuf,
    /// Run only shard I of N (1-based), as one worker of a batch job; `merge` joins them.
    #[arg(long, value_name = "I/N", help_heading = OUTPUT)]
    pub shard: Option<String>,
}

/// Which settings a subcommand takes: those of the stages it runs.
pub trait Scope {
    /// The stages the subcommand runs.
    const STAGES: &'static [Stage];
    /// Whether it is a sweep: its axes and knobs take lists.
    const SWEEP: bool = false;
    /// Settings whose default differs in this subcommand: (name, value as typed).
    const DEFAULTS: &'static [(&'static str, &'static str)] = &[];
    /// Whether a knob given no values takes its backtest trials ([`Setting::trials`]).
    const TRIALS: bool = false;
    /// Whether it runs at one value of each axis and judges one SLO (a backtest): their
    /// flags still read a list, which the plan refuses beyond one value in its own words,
    /// but say one.
    const ONE_VALUE: bool = false;
    /// Settings whose help differs in this subcommand: (name, help).
    const HELP: &'static [(&'static str, &'static str)] = &[];
    /// Settings its stages read that it does not take (`serve` reads Prometheus only,
    /// at its trace's step).
    const SKIPS: &'static [&'static str] = &[];
}

/// `generate`'s settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForGenerate;
impl Scope for ForGenerate {
    const STAGES: &'static [Stage] = &[Stage::Generate];
    const HELP: &'static [(&'static str, &'static str)] = &[(
        "step",
        "Step of the synthetic trace (15s, 1m, 5m; a bare number counts seconds): below a minute, the scalers that act in seconds (the HPA's 15 s sync) are modelled at their own tick",
    )];
}

/// `train`'s settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForTrain;
impl Scope for ForTrain {
    const STAGES: &'static [Stage] = &[Stage::Import, Stage::Train];
}

/// `simulate`'s settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForSimulate;
impl Scope for ForSimulate {
    const STAGES: &'static [Stage] = &[Stage::Import, Stage::Simulate];
}

/// `run-all`'s settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForRunAll;
impl Scope for ForRunAll {
    const STAGES: &'static [Stage] = &[
        Stage::Generate,
        Stage::Import,
        Stage::Train,
        Stage::Simulate,
    ];
}

/// `sweep`'s settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForSweep;
impl Scope for ForSweep {
    const STAGES: &'static [Stage] = &[
        Stage::Generate,
        Stage::Import,
        Stage::Train,
        Stage::Simulate,
    ];
    const SWEEP: bool = true;
}

/// `serve`'s settings: the models' and the policies' (the test period: a replay's days).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForServe;
impl Scope for ForServe {
    const STAGES: &'static [Stage] = &[Stage::Import, Stage::Train, Stage::Simulate];
    const HELP: &'static [(&'static str, &'static str)] = &[(
        "step",
        "Step of the demand read from Prometheus, the step serve decides at (15s, 1m; a bare number counts seconds) [default: 1m]",
    ), (
        "max-gap",
        "Longest gap in Prometheus' data filled by linear interpolation unremarked, in whole minutes with a unit (30m, 2h, 1d); serve bridges a longer one too, once, with a warning line [default: 1h]",
    )];
    const SKIPS: &'static [&'static str] = &[
        "format",
        "time-column",
        "count-column",
        "weight-column",
        "function",
        "app",
        "tick",
    ];
}

/// `import`'s settings: how a trace is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForImport;
impl Scope for ForImport {
    const STAGES: &'static [Stage] = &[Stage::Import];
}

/// `backtest`'s settings: a sweep's, one fold a day by default, knobs along their trials.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForBacktest;
impl Scope for ForBacktest {
    const STAGES: &'static [Stage] = &[
        Stage::Generate,
        Stage::Import,
        Stage::Train,
        Stage::Simulate,
    ];
    const SWEEP: bool = true;
    const DEFAULTS: &'static [(&'static str, &'static str)] = &[("test-days", "1")];
    const TRIALS: bool = true;
    const ONE_VALUE: bool = true;
    const HELP: &'static [(&'static str, &'static str)] =
        &[("test-days", "Length of each fold's test window, in days")];
}

/// One flag per setting of the table that a subcommand's stages read, generated from
/// [`settings::ALL`]: the values given, as text, for `plan.rs` to parse and check with
/// the setting's own rule (the same as a grid file's).
#[derive(Debug, Clone, Default)]
pub struct SettingArgs<S> {
    /// The settings given, in table order, with their values as typed.
    pub given: Vec<(&'static Setting, Vec<String>)>,
    scope: std::marker::PhantomData<S>,
}

impl<S: Scope> SettingArgs<S> {
    /// Settings given as typed (for a subcommand that hands its flags on to another's
    /// resolution).
    pub fn from_given(given: Vec<(&'static Setting, Vec<String>)>) -> Self {
        Self {
            given,
            scope: std::marker::PhantomData,
        }
    }

    /// The table's settings this subcommand takes.
    pub fn settings() -> impl Iterator<Item = &'static Setting> {
        settings::ALL
            .iter()
            .copied()
            .filter(|s| S::STAGES.iter().any(|&st| s.read_by(st)) && !S::SKIPS.contains(&s.name))
    }
}

impl<S: Scope> clap::FromArgMatches for SettingArgs<S> {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let given = Self::settings()
            .filter_map(|s| {
                m.get_many::<String>(s.name)
                    .map(|v| (s, v.cloned().collect()))
            })
            .collect();
        Ok(Self {
            given,
            scope: std::marker::PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl<S: Scope> clap::Args for SettingArgs<S> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        // One flag per name: `--step` is the synthetic trace's and an imported one's
        // (both take its value, `from_arg_matches`); the first in the table says so.
        let mut named: Vec<&str> = Vec::new();
        Self::settings().fold(cmd, |cmd, s| {
            if named.contains(&s.name) {
                return cmd;
            }
            named.push(s.name);
            let default = match S::DEFAULTS.iter().find(|(n, _)| *n == s.name) {
                Some((_, v)) => v.to_string(),
                None if S::TRIALS && !s.trials.is_empty() => s
                    .trials
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                None => s.default_value().to_string(),
            };
            let list = S::SWEEP && crate::sweep::is_list(s);
            let one = S::ONE_VALUE && (s.axis.is_some() || s.name == crate::settings::SLO.name);
            let shown = list && !one;
            let own = S::HELP.iter().find(|(n, _)| *n == s.name).map(|(_, h)| *h);
            let minutes = S::SWEEP
                && s.axis
                    .as_ref()
                    .is_some_and(|a| a.holds == crate::settings::Holds::Minutes);
            let text = match (own, minutes) {
                (Some(h), _) => h.to_string(),
                (None, true) => format!("{}; whole minutes here, as its rows name it", s.help),
                (None, false) => s.help.to_string(),
            };
            let users: Vec<&str> = PolicyKind::ALL
                .iter()
                .filter(|p| p.knob().is_some_and(|k| k.name == s.name))
                .map(|p| p.name())
                .collect();
            let help = match (shown, users.is_empty()) {
                (true, true) => format!("{text}; comma-separated values [default: {default}]"),
                (true, false) => format!(
                    "{text}; comma-separated values, the knob of {} [default: {default}]",
                    users.join(", ")
                ),
                // How a trace is read says its default in words (the file's own step).
                (false, _) if matches!(s.kind, crate::settings::Kind::Text(_)) => text,
                (false, _) => format!("{text} [default: {default}]"),
            };
            let arg = clap::Arg::new(s.name)
                .long(s.name)
                .value_name(if shown { "LIST" } else { s.value_name })
                .help(help)
                .help_heading(s.heading)
                .allow_negative_numbers(true)
                .value_parser(clap::value_parser!(String));
            cmd.arg(if list {
                arg.value_delimiter(',').action(clap::ArgAction::Append)
            } else {
                arg.action(clap::ArgAction::Set)
            })
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
    /// Unserved requests may rise by this many requests (dropped requests are checked apart, against the same tolerances)...
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
    /// First timestamp of the synthetic trace.
    #[command(flatten)]
    pub start: StartArgs,
    /// The settings: days and seed.
    #[command(flatten)]
    pub settings: SettingArgs<ForGenerate>,
    /// Folder the trace is written to.
    #[arg(long, value_name = "DIR", default_value = "data", help_heading = OUTPUT)]
    pub data_dir: PathBuf,
}

/// `train`.
#[derive(Debug, Args)]
pub struct TrainCmd {
    /// The trace.
    #[command(flatten)]
    pub trace: TraceArgs,
    /// The settings of training.
    #[command(flatten)]
    pub settings: SettingArgs<ForTrain>,
    /// Which models.
    #[command(flatten)]
    pub models: ModelSelect,
    /// Where the trace and the forecasts live.
    #[command(flatten)]
    pub data: DataArgs,
}

/// `simulate`.
#[derive(Debug, Args)]
pub struct SimulateCmd {
    /// The trace.
    #[command(flatten)]
    pub trace: TraceArgs,
    /// The settings of the replay.
    #[command(flatten)]
    pub settings: SettingArgs<ForSimulate>,
    /// The models whose forecasts to use.
    #[command(flatten)]
    pub models: ModelSelect,
    /// The policies.
    #[command(flatten)]
    pub policies: PolicySelect,
    /// Where the trace and the forecasts live.
    #[command(flatten)]
    pub data: DataArgs,
    /// Where the reports go.
    #[command(flatten)]
    pub reports: ReportsArgs,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportCmd {
    /// Where the reports are.
    #[command(flatten)]
    pub reports: ReportsArgs,
}

/// `run-all`.
#[derive(Debug, Args)]
pub struct RunAllCmd {
    /// The quick, deterministic CI experiment: a 5-day synthetic trace, a 2-day test
    /// period, 3 LSTM epochs and 1 validation day (the defaults of --days, --test-days,
    /// --epochs and --validation-days; any of them given wins).
    #[arg(long)]
    pub quick: bool,
    /// The trace.
    #[command(flatten)]
    pub trace: TraceArgs,
    /// First timestamp of the synthetic trace.
    #[command(flatten)]
    pub start: StartArgs,
    /// Every setting.
    #[command(flatten)]
    pub settings: SettingArgs<ForRunAll>,
    /// Which models.
    #[command(flatten)]
    pub models: ModelSelect,
    /// The policies.
    #[command(flatten)]
    pub policies: PolicySelect,
    /// Where the trace and the forecasts live.
    #[command(flatten)]
    pub data: DataArgs,
    /// Where the reports go.
    #[command(flatten)]
    pub reports: ReportsArgs,
}

/// When the synthetic workload starts.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// First timestamp of the synthetic trace (RFC 3339).
    #[arg(long, value_name = "TIME", default_value = "2026-01-05T00:00:00Z", help_heading = TRACE)]
    pub start: DateTime<Utc>,
}

/// Where the trace comes from.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Trace to use instead of <DATA_DIR>/workload.csv: any format `prescale import` reads (CSV, Prometheus JSON, access log, per-request CSV, Azure Functions; gzip too).
    #[arg(long, value_name = "FILE", help_heading = TRACE)]
    pub trace: Option<PathBuf>,
}

/// `import`.
#[derive(Debug, Args)]
pub struct ImportCmd {
    /// The files of one trace, in order (several day files of a log or of Azure Functions).
    #[arg(
        value_name = "FILE",
        required_unless_present = "prometheus",
        conflicts_with = "prometheus"
    )]
    pub files: Vec<PathBuf>,
    /// Read the trace from a running Prometheus at this base URL instead of files:
    /// query_range split into requests under its 11,000-point limit, at --step (1m).
    #[arg(long, value_name = "URL", requires_all = ["query", "start", "end"], help_heading = PROMETHEUS)]
    pub prometheus: Option<String>,
    /// The PromQL expression (its series are summed, or chosen with --series).
    #[arg(long, value_name = "PROMQL", requires = "prometheus", help_heading = PROMETHEUS)]
    pub query: Option<String>,
    /// First step, RFC 3339 (2026-01-05T00:00:00Z), included.
    #[arg(long, value_name = "TIME", requires = "prometheus", help_heading = PROMETHEUS)]
    pub start: Option<String>,
    /// Last step, RFC 3339, included.
    #[arg(long, value_name = "TIME", requires = "prometheus", help_heading = PROMETHEUS)]
    pub end: Option<String>,
    /// A file holding a bearer token [default: $PRESCALE_PROMETHEUS_TOKEN where set].
    #[arg(long, value_name = "FILE", requires = "prometheus", conflicts_with = "basic_auth_file", help_heading = PROMETHEUS)]
    pub bearer_token_file: Option<PathBuf>,
    /// A file holding `user:password` for basic authentication [default:
    /// $PRESCALE_PROMETHEUS_BASIC_AUTH where set].
    #[arg(long, value_name = "FILE", requires = "prometheus", help_heading = PROMETHEUS)]
    pub basic_auth_file: Option<PathBuf>,
    /// How they are read.
    #[command(flatten)]
    pub settings: SettingArgs<ForImport>,
    /// Where the normalized trace goes (timestamp,requests), for every other command.
    #[arg(long, value_name = "FILE", default_value = "data/workload.csv", help_heading = OUTPUT)]
    pub out: PathBuf,
}

/// Where the generated trace and the trained forecasts live.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Folder of the generated trace and the trained forecasts.
    #[arg(long, value_name = "DIR", default_value = "data", help_heading = OUTPUT)]
    pub data_dir: PathBuf,
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
        default_value = ALL,
        help_heading = MODELS
    )]
    pub model: Vec<String>,
}

/// Which policies to replay.
#[derive(Debug, Args)]
pub struct PolicySelect {
    /// Policies, comma-separated.
    #[arg(
        long = "policy",
        value_name = "NAME",
        value_parser = policy_values(),
        value_delimiter = ',',
        default_value = ALL,
        help_heading = POLICIES
    )]
    pub policy: Vec<String>,
}

/// Where reports go.
#[derive(Debug, Args)]
pub struct ReportsArgs {
    /// Folder of the CSV reports and plots.
    #[arg(long, value_name = "DIR", default_value = "reports", help_heading = OUTPUT)]
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
    fn the_names_the_readme_lists_are_accepted_and_others_are_not() {
        // Written out, not read from the registries the parsers are built from.
        let policies = [
            "static-2",
            "reactive-hpa",
            "knative-kpa",
            "keda",
            "simple-ceiling",
            "buffered",
            "confidence-aware",
            "policy-aware",
            "predictive-hpa",
            "slo-targeted",
            "slo-feedback",
            "oracle",
            "optimal",
        ];
        for p in policies {
            let cli = Cli::try_parse_from(["prescale", "simulate", "--policy", p]);
            assert!(cli.is_ok(), "{p}");
        }
        for m in ["seasonal-naive", "prophet", "lstm"] {
            let cli = Cli::try_parse_from(["prescale", "train", "--model", m]);
            assert!(cli.is_ok(), "{m}");
        }
        assert_eq!(PolicyKind::ALL.len(), policies.len());
        assert_eq!(ModelKind::ALL.len(), 3);
        for bad in ["bufered", "hpa", "Buffered"] {
            assert!(Cli::try_parse_from(["prescale", "simulate", "--policy", bad]).is_err());
        }
        assert!(Cli::try_parse_from(["prescale", "train", "--model", "arima"]).is_err());
    }
}
