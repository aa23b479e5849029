//! Every numeric setting of the experiment, declared once: its name (the flag without
//! dashes and the grid file's key), unit, default, valid range in words, help line, and
//! where it lives in the resolved [`Settings`]. The clap arguments of every subcommand
//! (`cli.rs`), the grid file's keys (`sweep/mod.rs`), validation and the error wording
//! are generated from [`ALL`], so a flag and a grid file refuse a bad value with the
//! same line. A new setting is one entry here (plus the field it sets); the defaults and
//! their reasons are in `docs/experiment.md`.

use thiserror::Error;

use crate::config::GenerateConfig;
use crate::config::ImportOptions;
use crate::config::ModelConfig;
use crate::config::RefitEvery;

use crate::config::{ClusterConfig, HpaMetric, PolicyConfig, SplitConfig};

/// A value given for a setting that it cannot take.
#[derive(Debug, Error, PartialEq)]
pub enum SettingError {
    /// Not of the setting's kind, or out of its range.
    #[error("`{name}` = {value}: must be {range}")]
    Range {
        /// The setting.
        name: &'static str,
        /// The value, as given.
        value: String,
        /// The valid range, in words.
        range: String,
    },
    /// Both ways of stating a container's speed.
    #[error("give one of `capacity` ({capacity} requests a minute) and `service-time` ({service_s} s a request): `service-time` sets the capacity to 60 × concurrency / it")]
    TwoSpeeds {
        /// The capacity given.
        capacity: f64,
        /// The service time given.
        service_s: f64,
    },
    /// A value of how a trace is read that its parser refused, in its words.
    #[error("`{name}` = {value}: {why}")]
    Read {
        /// The setting.
        name: &'static str,
        /// The value, as given.
        value: String,
        /// What is wrong with it.
        why: String,
    },
    /// `min-replicas` above `max-replicas`.
    #[error("`min-replicas` = {min}: must be at most `max-replicas` ({max})")]
    MinAboveMax {
        /// The minimum given.
        min: u32,
        /// The maximum given.
        max: u32,
    },
}

/// Every setting's home: the plain configs of the stages, resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// The synthetic workload.
    pub generate: GenerateConfig,
    /// The train/test split.
    pub split: SplitConfig,
    /// The container model.
    pub cluster: ClusterConfig,
    /// The models and their training.
    pub model: ModelConfig,
    /// The policies.
    pub policy: PolicyConfig,
    /// How the trace is read.
    pub import: ImportOptions,
}

impl Settings {
    /// Checks what no single setting can: the replica bounds against each other.
    pub fn check(&self) -> Result<(), SettingError> {
        let c = &self.cluster;
        if c.min_replicas > c.max_replicas {
            return Err(SettingError::MinAboveMax {
                min: c.min_replicas,
                max: c.max_replicas,
            });
        }
        Ok(())
    }

    /// The policies' config for models trained with `trained`: their interval's width is
    /// the trained one, and where this config asks for another width (a sweep's
    /// `interval-width` knob over models already trained), `confidence-aware` rescales.
    pub fn policy_config(&self, trained: &ModelConfig) -> PolicyConfig {
        let mut p = self.policy.clone();
        p.trained_interval_width = trained.interval_width;
        if self.model.interval_width != trained.interval_width {
            p.interval_width = Some(self.model.interval_width);
        }
        p
    }
}

/// The `--help` heading a setting is listed under.
pub const TRACE: &str = "Trace and split";
/// The `--help` heading of the container model.
pub const CLUSTER: &str = "Cluster and serving";
/// The `--help` heading of the models.
pub const MODELS: &str = "Models";
/// The `--help` heading of the policies.
pub const POLICIES: &str = "Policies";
/// The `--help` heading of where files go.
pub const OUTPUT: &str = "Output";

/// A pipeline stage that reads settings; a subcommand takes the settings of the stages
/// it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading a trace from where it lives (a file's format, columns, step, gaps).
    Import,
    /// Generating the synthetic workload.
    Generate,
    /// Fitting the models.
    Train,
    /// Replaying the policies.
    Simulate,
}

/// What a setting's values are.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A number (f64).
    Number,
    /// A whole number, 0 or more.
    Whole,
    /// `never` or a duration such as `6h`.
    Duration,
    /// A span of whole seconds: `15s`, `2m`, `1h`, or a bare whole number in `bare`
    /// seconds each (60: a bare number counts minutes).
    Seconds {
        /// Seconds in one unit of a bare number.
        bare: u32,
    },
    /// A time in seconds, fractions allowed: a bare number of seconds, or a number with
    /// a unit (`500ms`, `2.5s`, `2m`); its value is a [`Value::Number`] of seconds.
    Time,
    /// One of a list of names.
    Choice(&'static [&'static str]),
    /// Text, read by its own parser into how a trace is read (`Err`: what is wrong with
    /// it, in words); its value is a [`Value::Text`].
    Text(fn(&mut ImportOptions, &str) -> Result<(), String>),
}

/// One value of a setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Of a [`Kind::Number`] setting.
    Number(f64),
    /// Of a [`Kind::Whole`] setting.
    Whole(u64),
    /// Of a [`Kind::Duration`] setting.
    Duration(RefitEvery),
    /// Of a [`Kind::Seconds`] setting: the span in seconds.
    Seconds(u32),
    /// Of a [`Kind::Choice`] setting: the name chosen.
    Choice(&'static str),
    /// Of a [`Kind::Text`] setting: the text (empty: unset).
    Text(&'static str),
}

impl Value {
    /// The value as a number (a duration has none: NaN).
    pub fn number(self) -> f64 {
        match self {
            Value::Number(x) => x,
            Value::Whole(n) => n as f64,
            Value::Seconds(s) => f64::from(s),
            Value::Duration(_) | Value::Choice(_) | Value::Text(_) => f64::NAN,
        }
    }

    /// The value as a whole number (a number is truncated; validated values are whole).
    pub fn whole(self) -> u64 {
        match self {
            Value::Number(x) => x as u64,
            Value::Whole(n) => n,
            Value::Seconds(s) => u64::from(s),
            Value::Duration(_) | Value::Choice(_) | Value::Text(_) => 0,
        }
    }

    /// The value as a refit interval (never for a number).
    pub fn duration(self) -> RefitEvery {
        match self {
            Value::Duration(d) => d,
            Value::Number(_)
            | Value::Whole(_)
            | Value::Seconds(_)
            | Value::Choice(_)
            | Value::Text(_) => RefitEvery::NEVER,
        }
    }

    /// The name chosen (empty for other kinds).
    pub fn choice(self) -> &'static str {
        match self {
            Value::Choice(c) => c,
            Value::Number(_)
            | Value::Whole(_)
            | Value::Duration(_)
            | Value::Seconds(_)
            | Value::Text(_) => "",
        }
    }

    /// The text given (empty for other kinds).
    pub fn text(self) -> &'static str {
        match self {
            Value::Text(t) => t,
            _ => "",
        }
    }
}

/// `text` as a `'static` str, each distinct text stored once for the process (a few
/// column names and durations from a command line or a grid file).
fn intern(text: &str) -> &'static str {
    static SEEN: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    match seen.iter().find(|t| **t == text) {
        Some(t) => t,
        None => {
            let t: &'static str = Box::leak(text.to_string().into_boxed_str());
            seen.push(t);
            t
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Number(x) => write!(f, "{x}"),
            Value::Whole(n) => write!(f, "{n}"),
            Value::Duration(d) => write!(f, "{d}"),
            Value::Seconds(s) => write!(f, "{}", seconds_text(*s)),
            Value::Choice(c) | Value::Text(c) => write!(f, "{c}"),
        }
    }
}

/// `text` cut to at most `max` characters (an ellipsis where cut): an error quotes what
/// it was given, not a whole file pasted into a flag.
fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A span of seconds as a flag takes it: `15s`, `2m`, `1h` (`0s` for none).
fn seconds_text(s: u32) -> String {
    match s {
        0 => "0s".into(),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A time given as text, in seconds: a bare number, or a number with a unit (`ms`, `s`,
/// `m`/`min`, `h`); `None` for anything else.
fn parse_time(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let n: f64 = t[..split].parse().ok()?;
    let unit = match &t[split..] {
        "" => 1.0,
        "ms" => 1e-3,
        unit => unit_seconds(unit)? as f64,
    };
    Some(n * unit)
}

/// A span given as text: a whole number with a unit (`s`, `m`/`min`, `h`, `d`), or a
/// bare whole number of `bare` seconds each; `None` for anything else.
fn parse_seconds(text: &str, bare: u32) -> Option<u32> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits].parse().ok()?;
    let unit = match &t[digits..] {
        "" => u64::from(bare),
        unit => unit_seconds(unit)?,
    };
    u32::try_from(n.checked_mul(unit)?).ok()
}

pub(crate) use crate::config::unit_seconds;

/// How a sweep runs a setting's list of values and names them in its rows.
#[derive(Debug)]
pub struct Axis {
    /// Its key column in `sweep.csv`, its parts and the SLO table.
    pub column: &'static str,
    /// Its heading in the console's SLO table.
    pub heading: &'static str,
    /// `Some(prefix)`: each value is a work unit of its own, named `<prefix><value>` in
    /// the unit's id (what the training or the trace reads: the models are fitted per
    /// value); `None`: every value runs from one unit's fits (what only the replay reads).
    pub unit: Option<&'static str>,
    /// What the column holds.
    pub holds: Holds,
}

/// What an axis's key column holds for a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// The number.
    Number,
    /// The whole number.
    Whole,
    /// A span of seconds in whole minutes (a value that is none is refused).
    Minutes,
}

impl Axis {
    /// The column's value for `v`: `None` where the column cannot hold it (seconds that
    /// are no whole minutes).
    pub fn column_value(&self, v: Value) -> Option<f64> {
        match self.holds {
            Holds::Number => Some(v.number()),
            Holds::Whole => Some(v.whole() as f64),
            Holds::Minutes => v
                .whole()
                .is_multiple_of(60)
                .then(|| (v.whole() / 60) as f64),
        }
    }

    /// Whether the column holds whole numbers (else any number).
    pub fn whole(&self) -> bool {
        self.holds != Holds::Number
    }

    /// The value a column's value stands for: [`Self::column_value`]'s inverse.
    pub fn value_of(&self, x: f64) -> Value {
        match self.holds {
            Holds::Number => Value::Number(x),
            Holds::Whole => Value::Whole(x as u64),
            Holds::Minutes => Value::Seconds((x * 60.0).round() as u32),
        }
    }

    /// A column's value as text, in a unit's id.
    pub fn text(&self, v: f64) -> String {
        match self.holds {
            Holds::Number => format!("{v:?}"),
            Holds::Whole | Holds::Minutes => format!("{}", v as u64),
        }
    }

    /// A column's value as the console shows it: `3 min`, `50.0`, `42`.
    pub fn console(&self, v: f64) -> String {
        match self.holds {
            Holds::Minutes => format!("{} min", v as u64),
            Holds::Number | Holds::Whole => self.text(v),
        }
    }
}

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// The flag without its dashes, and the grid file's key.
    pub name: &'static str,
    /// The `--help` heading.
    pub heading: &'static str,
    /// The stages that read it: the subcommands that run one of them take its flag.
    pub stages: &'static [Stage],
    /// The value's placeholder in `--help`, which names the unit (`MINUTES`, `FRACTION`).
    pub value_name: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// Its kind of value.
    pub kind: Kind,
    /// The valid range, in words, for errors and `--help` (empty for a choice: its names
    /// say it).
    pub range: &'static str,
    /// Whether a value of the right kind lies in the range.
    pub valid: fn(f64) -> bool,
    /// Where it lives: reads it.
    pub get: fn(&Settings) -> Value,
    /// Where it lives: sets it (to a valid value).
    pub set: fn(&mut Settings, Value),
    /// A sweep axis: the sweep takes a list of values, runs each and names it in a key
    /// column of its rows (a policy's knob is a list too, by being its knob). An axis is
    /// this and a line in [`AXES`].
    pub axis: Option<Axis>,
    /// A sweep's `[[trace]]` table may set it for that trace.
    pub per_trace: bool,
    /// The values a backtest tries for a policy's knob when none are given (empty for
    /// settings that are no knob, and for `slo`, which states the SLO itself).
    pub trials: &'static [f64],
}

impl Setting {
    /// The default value.
    pub fn default_value(&self) -> Value {
        (self.get)(&Settings::default())
    }

    fn out_of_range(&self, value: impl ToString) -> SettingError {
        SettingError::Range {
            name: self.name,
            value: value.to_string(),
            range: match self.kind {
                Kind::Choice(names) => format!("one of {}", names.join(", ")),
                _ => self.range.to_string(),
            },
        }
    }

    /// Checks a value of the right kind against the range.
    pub fn check(&self, value: Value) -> Result<Value, SettingError> {
        let ok = match (self.kind, value) {
            (Kind::Number | Kind::Time, Value::Number(x)) => (self.valid)(x),
            (Kind::Whole, Value::Whole(n)) => (self.valid)(n as f64),
            (Kind::Duration, Value::Duration(_)) => true,
            (Kind::Seconds { .. }, Value::Seconds(s)) => (self.valid)(f64::from(s)),
            (Kind::Choice(names), Value::Choice(c)) => names.contains(&c),
            // Its parser checked it ([`Self::parse`]); empty: unset, the default.
            (Kind::Text(_), Value::Text(_)) => true,
            _ => false,
        };
        if ok {
            Ok(value)
        } else {
            Err(self.out_of_range(value))
        }
    }

    /// Parses and checks a value given as text (a flag's).
    pub fn parse(&self, text: &str) -> Result<Value, SettingError> {
        let t = text.trim();
        let value = match self.kind {
            Kind::Number => t.parse().ok().map(Value::Number),
            Kind::Time => parse_time(t).map(Value::Number),
            Kind::Whole => t.parse().ok().map(Value::Whole),
            Kind::Duration => t.parse().ok().map(Value::Duration),
            Kind::Seconds { bare } => parse_seconds(t, bare).map(Value::Seconds),
            Kind::Choice(names) => names.iter().find(|n| **n == t).map(|n| Value::Choice(n)),
            Kind::Text(read) => {
                return read(&mut ImportOptions::default(), t)
                    .map(|()| Value::Text(intern(t)))
                    .map_err(|why| SettingError::Read {
                        name: self.name,
                        value: short(t, 40),
                        why: short(&why, 160),
                    })
            }
        };
        self.check(value.ok_or_else(|| self.out_of_range(t))?)
    }

    /// Parses and checks a value given in a TOML file; `Err(None)` when the TOML value is
    /// of another type (the caller names what it wanted, [`Self::want`]).
    pub fn from_toml(&self, v: &toml::Value) -> Result<Value, Option<SettingError>> {
        let value = match (self.kind, v) {
            (Kind::Number | Kind::Time, toml::Value::Float(x)) => Value::Number(*x),
            (Kind::Number | Kind::Time, toml::Value::Integer(i)) => Value::Number(*i as f64),
            (Kind::Whole, toml::Value::Integer(i)) => {
                Value::Whole(u64::try_from(*i).map_err(|_| Some(self.out_of_range(i)))?)
            }
            (Kind::Whole, toml::Value::Float(x)) if x.fract() == 0.0 && *x >= 0.0 => {
                Value::Whole(*x as u64)
            }
            (Kind::Whole, toml::Value::Float(x)) => return Err(Some(self.out_of_range(x))),
            (Kind::Choice(_), toml::Value::String(s)) => {
                return self
                    .parse(s)
                    .map_err(|_| Some(self.out_of_range(format!("{s:?}"))))
            }
            (Kind::Duration | Kind::Seconds { .. } | Kind::Time, toml::Value::String(s)) => {
                return self
                    .parse(s)
                    .map_err(|_| Some(self.out_of_range(format!("{s:?}"))))
            }
            (Kind::Text(_), toml::Value::String(_) | toml::Value::Integer(_)) => {
                let s = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(i) => i.to_string(),
                    _ => String::new(),
                };
                return self.parse(&s).map_err(|e| match e {
                    SettingError::Read { name, why, .. } => Some(SettingError::Read {
                        name,
                        value: format!("{s:?}"),
                        why,
                    }),
                    e => Some(e),
                });
            }
            (Kind::Seconds { bare }, toml::Value::Integer(i)) => Value::Seconds(
                u32::try_from(*i)
                    .ok()
                    .and_then(|n| n.checked_mul(bare))
                    .ok_or_else(|| Some(self.out_of_range(i)))?,
            ),
            _ => return Err(None),
        };
        self.check(value).map_err(Some)
    }

    /// What a TOML value of this setting must be, for a type error.
    pub fn want(&self) -> &'static str {
        match self.kind {
            Kind::Number => "a number",
            Kind::Whole => "a whole number",
            Kind::Duration => "a duration such as \"6h\", or \"never\"",
            Kind::Seconds { .. } => "a duration such as \"15s\" or \"2m\"",
            Kind::Time => "a number of seconds, or a time such as \"500ms\"",
            Kind::Choice(_) => "a name",
            Kind::Text(_) => "a string",
        }
    }

    /// Whether `stage` reads it.
    pub fn read_by(&self, stage: Stage) -> bool {
        self.stages.contains(&stage)
    }
}

impl Settings {
    /// Every setting as `name = value`, one a line, in the grid file's syntax: what a run
    /// was simulated with (`reports/settings.toml`), read back by [`Self::from_toml`].
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# The settings this run was simulated with (prescale's flags and grid keys).\n",
        );
        // How the trace was read is not how it was simulated: its options stay out.
        for s in ALL.iter().filter(|s| !s.read_by(Stage::Import)) {
            let v = (s.get)(self);
            let text = match v {
                Value::Number(x) if !x.is_finite() => continue,
                Value::Number(x) => format!("{x:?}"),
                Value::Whole(n) => n.to_string(),
                Value::Duration(_) | Value::Seconds(_) | Value::Choice(_) | Value::Text(_) => {
                    format!("{:?}", v.to_string())
                }
            };
            out.push_str(&format!("{} = {text}\n", s.name));
        }
        out
    }

    /// Settings from [`Self::to_toml`]'s text: the defaults, then each key's value.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            // One line: toml's message may run over several.
            e.message().split_whitespace().collect::<Vec<_>>().join(" ")
        })?;
        let mut out = Settings::default();
        for (key, v) in &table {
            let s = find(key).ok_or_else(|| format!("unknown key `{key}`"))?;
            let value = s.from_toml(v).map_err(|e| match e {
                Some(e) => e.to_string(),
                None => format!("`{key}` must be {}", s.want()),
            })?;
            (s.set)(&mut out, value);
        }
        Ok(out)
    }
}

/// Looks a setting up by name (the first of that name: `step` is the synthetic trace's
/// and an imported one's, one flag for both, [`named`]).
pub fn find(name: &str) -> Option<&'static Setting> {
    ALL.iter().copied().find(|s| s.name == name)
}

/// Every setting of this name: one flag or key may set two (`step`: the synthetic
/// trace's and an imported one's).
pub fn named(name: &str) -> impl Iterator<Item = &'static Setting> + '_ {
    ALL.iter().copied().filter(move |s| s.name == name)
}

const GEN: &[Stage] = &[Stage::Generate];
const SPLIT: &[Stage] = &[Stage::Train, Stage::Simulate];
const SEEDED: &[Stage] = &[Stage::Generate, Stage::Train, Stage::Simulate];
const TRAIN: &[Stage] = &[Stage::Train];
const SIM: &[Stage] = &[Stage::Simulate];

/// A positive, finite number.
fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// A fraction in (0, 1].
fn utilization(x: f64) -> bool {
    x > 0.0 && x <= 1.0
}

/// A whole number that fits a u32.
fn small(x: f64) -> bool {
    x <= f64::from(u32::MAX)
}

/// A whole number from 1 that fits a u32.
fn at_least_one(x: f64) -> bool {
    (1.0..=f64::from(u32::MAX)).contains(&x)
}

/// Length of the synthetic trace.
pub const DAYS: Setting = Setting {
    name: "days",
    heading: TRACE,
    stages: GEN,
    value_name: "DAYS",
    help: "Length of the synthetic trace, in days",
    kind: Kind::Number,
    range: "a positive number of days",
    valid: positive,
    get: |s| Value::Number(s.generate.days),
    set: |s, v| s.generate.days = v.number(),
    axis: None,
    per_trace: true,
    trials: &[],
};

/// The synthetic trace's step.
pub const STEP: Setting = Setting {
    name: "step",
    heading: TRACE,
    stages: GEN,
    value_name: "DURATION",
    help: "Step of the synthetic trace (15s, 1m, 5m; a bare number counts seconds): below a minute, the scalers that act in seconds (the HPA's 15 s sync) are modelled at their own tick; an imported trace (--trace) keeps its own step unless this is given, its finer samples then summed into it",
    kind: Kind::Seconds { bare: 1 },
    range: "a step of whole seconds that divides a day",
    valid: |s| s >= 1.0 && f64::from(crate::config::SECONDS_PER_DAY) % s == 0.0,
    get: |s| Value::Seconds(s.generate.step_seconds),
    set: |s, v| s.generate.step_seconds = v.whole() as u32,
    axis: None,
    per_trace: true,
    trials: &[],
};

/// How often the scalers decide, where finer than the trace's step.
pub const TICK: Setting = Setting {
    name: "tick",
    heading: CLUSTER,
    stages: SIM,
    value_name: "DURATION",
    help: "Decide a trace at a finer tick than its step (15s on a trace of minutes; a bare number counts seconds), each step's requests spread evenly over its ticks; 0: the trace's step",
    kind: Kind::Seconds { bare: 1 },
    range: "0, or a tick of whole seconds that divides a day",
    valid: |s| s == 0.0 || f64::from(crate::config::SECONDS_PER_DAY) % s == 0.0,
    get: |s| Value::Seconds(s.cluster.tick_seconds),
    set: |s, v| s.cluster.tick_seconds = v.whole() as u32,
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Length of the test period.
pub const TEST_DAYS: Setting = Setting {
    name: "test-days",
    heading: TRACE,
    stages: SPLIT,
    value_name: "DAYS",
    help: "Length of the test period at the end of the trace, in days",
    kind: Kind::Number,
    range: "a positive number of days",
    valid: positive,
    get: |s| Value::Number(s.split.test_days),
    set: |s, v| s.split.test_days = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// The one seed.
pub const SEED: Setting = Setting {
    name: "seed",
    heading: TRACE,
    stages: SEEDED,
    value_name: "N",
    help: "Seed of the generator, of model training and of the requests model; the same seed gives the same files",
    kind: Kind::Whole,
    range: "a whole number from 0 to 2^53 (9007199254740992)",
    valid: |x| x <= 9_007_199_254_740_992.0,
    get: |s| Value::Whole(s.model.seed),
    set: |s, v| {
        s.generate.seed = v.whole();
        s.model.seed = v.whole();
        s.cluster.serving.seed = v.whole();
    },
    axis: Some(Axis {
        column: "seed",
        heading: "seed",
        unit: Some("s"),
        holds: Holds::Whole,
    }),
    per_trace: false,
    trials: &[],
};

/// Requests one container serves per minute.
pub const CAPACITY: Setting = Setting {
    name: "capacity",
    heading: CLUSTER,
    stages: SIM,
    value_name: "REQ_PER_MIN",
    help: "Requests one container serves per minute",
    kind: Kind::Number,
    range: "a positive number of requests per minute",
    valid: positive,
    get: |s| Value::Number(s.cluster.capacity_per_min),
    set: |s, v| s.cluster.capacity_per_min = v.number(),
    axis: Some(Axis {
        column: "capacity_per_min",
        heading: "capacity",
        unit: None,
        holds: Holds::Number,
    }),
    per_trace: true,
    trials: &[],
};

/// A request's mean service time, the other way to state the capacity.
pub const SERVICE_TIME: Setting = Setting {
    name: "service-time",
    heading: CLUSTER,
    stages: SIM,
    value_name: "SECONDS",
    help: "Mean seconds one request takes on one slot, as a service states it (queue, requests): sets --capacity to 60 × --concurrency / it (give one of the two); 0: from --capacity, 1.2 s at the defaults",
    kind: Kind::Number,
    range: "0 or a positive number of seconds",
    valid: |x| x.is_finite() && x >= 0.0,
    get: |s| Value::Number(s.cluster.serving.service_time_s),
    set: |s, v| s.cluster.serving.service_time_s = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

impl Settings {
    /// The capacity `service-time` states, where it was given (positive): 60 × concurrency
    /// / service time requests a minute. An error where the capacity was given too.
    pub fn capacity_from_service_time(
        &self,
        capacity_given: bool,
    ) -> Result<Option<f64>, SettingError> {
        let st = self.cluster.serving.service_time_s;
        if st <= 0.0 {
            return Ok(None);
        }
        if capacity_given {
            return Err(SettingError::TwoSpeeds {
                capacity: self.cluster.capacity_per_min,
                service_s: st,
            });
        }
        Ok(Some(
            60.0 * f64::from(self.cluster.serving.concurrency.max(1)) / st,
        ))
    }
}

/// Time from launch until a container serves.
pub const STARTUP_DELAY: Setting = Setting {
    name: "startup-delay",
    heading: CLUSTER,
    stages: SPLIT,
    value_name: "DURATION",
    help: "Time from launching a container until it serves, the cold start (90s, 2m; a bare number counts minutes), rounded up to whole trace steps",
    kind: Kind::Seconds { bare: 60 },
    range: "a duration (90s, 2m; a bare number counts minutes)",
    valid: |_| true,
    get: |s| Value::Seconds(s.cluster.startup_delay_s),
    set: |s, v| s.cluster.startup_delay_s = v.whole() as u32,
    axis: Some(Axis {
        column: "startup_delay_min",
        heading: "delay",
        unit: Some("d"),
        holds: Holds::Minutes,
    }),
    per_trace: false,
    trials: &[],
};

/// Spread of the startup delay.
pub const STARTUP_SPREAD: Setting = Setting {
    name: "startup-spread",
    heading: CLUSTER,
    stages: SPLIT,
    value_name: "SIGMA",
    help: "Cold starts as a distribution: σ of a lognormal whose median is --startup-delay, each launch drawing its own (seeded); policies plan with its 90th percentile. 0: every launch takes --startup-delay",
    kind: Kind::Number,
    range: "a number from 0 to 3",
    valid: |x| (0.0..=3.0).contains(&x),
    get: |s| Value::Number(s.cluster.startup_spread),
    set: |s, v| s.cluster.startup_spread = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Fewest containers.
pub const MIN_REPLICAS: Setting = Setting {
    name: "min-replicas",
    heading: CLUSTER,
    stages: SIM,
    value_name: "N",
    help: "Fewest containers",
    kind: Kind::Whole,
    range: "a whole number, 0 or more",
    valid: small,
    get: |s| Value::Whole(u64::from(s.cluster.min_replicas)),
    set: |s, v| s.cluster.min_replicas = v.whole() as u32,
    axis: None,
    per_trace: true,
    trials: &[],
};

/// The most containers a cluster may have: Kubernetes' documented limit on the pods of
/// one cluster (its large-cluster guide: no more than 150,000 pods). The queue model's
/// Erlang tables take time in proportion to the count (one run at 10^6 took 23 s).
pub const MAX_CLUSTER: u32 = 150_000;

/// Most containers.
pub const MAX_REPLICAS: Setting = Setting {
    name: "max-replicas",
    heading: CLUSTER,
    stages: SIM,
    value_name: "N",
    help: "Most containers (at most 150,000, Kubernetes' limit on a cluster's pods: the queue model's tables grow with it)",
    kind: Kind::Whole,
    range: "a whole number from 1 to 150000 (Kubernetes' limit on a cluster's pods)",
    valid: |x| (1.0..=MAX_CLUSTER as f64).contains(&x),
    get: |s| Value::Whole(u64::from(s.cluster.max_replicas)),
    set: |s, v| s.cluster.max_replicas = v.whole() as u32,
    axis: None,
    per_trace: true,
    trials: &[],
};

/// The serving model.
pub const SERVING: Setting = Setting {
    name: "serving",
    heading: CLUSTER,
    stages: SIM,
    value_name: "MODEL",
    help: "How the ready containers serve: queue (a FIFO backlog carried from step to step, timeouts, latency against --deadline; a fluid approximation), requests (the same world request by request: a seeded discrete-event simulation, slower) or threshold (a step is served when its requests fit the capacity, the excess dropped: the model of earlier versions)",
    kind: Kind::Choice(&crate::serving::NAMES),
    range: "",
    valid: |_| true,
    get: |s| Value::Choice(s.cluster.serving.model.name()),
    set: |s, v| {
        if let Some(m) = crate::serving::model_named(v.choice()) {
            s.cluster.serving.model = m;
        }
    },
    axis: None,
    per_trace: false,
    trials: &[],
};

/// The SLO.
pub const SLO: Setting = Setting {
    name: "slo",
    heading: CLUSTER,
    stages: SIM,
    value_name: "PERCENT",
    help: "The SLO: percent of requests completed within --deadline (queue, requests) or of minutes without a violation (threshold); slo-targeted aims for it, a violation minute is one whose requests miss it",
    kind: Kind::Number,
    range: "a percent in (0, 100]",
    valid: |x| x > 0.0 && x <= 100.0,
    get: |s| Value::Number(s.cluster.serving.slo_percent),
    set: |s, v| s.cluster.serving.slo_percent = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// How sure a choice must be that the SLO holds.
pub const CONFIDENCE: Setting = Setting {
    name: "confidence",
    heading: CLUSTER,
    stages: SIM,
    value_name: "PERCENT",
    help: "How sure a choice must be that --slo holds on a day after the validation window: each family's pick (slo-targeted's headroom and slo-feedback's aim too) is the cheapest whose validation days put the chance of a day meeting the SLO at this or more (a Student-t prediction from the spread of their miss over what the service alone reaches, in logarithms); 0, or one validation day: the cheapest that met the SLO on the window as a whole",
    kind: Kind::Number,
    range: "0 or a percent in (0, 100)",
    valid: |x| (0.0..100.0).contains(&x),
    get: |s| Value::Number(s.cluster.serving.confidence_percent),
    set: |s, v| s.cluster.serving.confidence_percent = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// The deadline of the SLO.
pub const DEADLINE: Setting = Setting {
    name: "deadline",
    heading: CLUSTER,
    stages: SIM,
    value_name: "SECONDS",
    help: "Latency a request must complete within (queue, requests; a bare number counts seconds, or 500ms, 2m); 0: 2.5 mean service times, 3 s at the default capacity and concurrency",
    kind: Kind::Time,
    range: "0 or a positive number of seconds, as 3, 2.5, 500ms or 2m",
    valid: |x| x.is_finite() && x >= 0.0,
    get: |s| Value::Number(s.cluster.serving.deadline_s),
    set: |s, v| s.cluster.serving.deadline_s = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// How long a request waits before it is dropped.
pub const TIMEOUT: Setting = Setting {
    name: "timeout",
    heading: CLUSTER,
    stages: SIM,
    value_name: "SECONDS",
    help: "Time a request waits for a free slot before it is dropped (queue, requests; a bare number counts seconds, or 2m)",
    kind: Kind::Time,
    range: "a positive number of seconds, as 30, 1.5, 500ms or 2m",
    valid: positive,
    get: |s| Value::Number(s.cluster.serving.timeout_s),
    set: |s, v| s.cluster.serving.timeout_s = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Slots per container.
pub const CONCURRENCY: Setting = Setting {
    name: "concurrency",
    heading: CLUSTER,
    stages: SIM,
    value_name: "N",
    help: "Requests one container serves at once (queue, requests): one slot's mean service time is 60 × --concurrency / --capacity seconds",
    kind: Kind::Whole,
    range: "a whole number, at least 1",
    valid: |x| (1.0..=10_000.0).contains(&x),
    get: |s| Value::Whole(u64::from(s.cluster.serving.concurrency)),
    set: |s, v| s.cluster.serving.concurrency = v.whole() as u32,
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Spread of the service time.
pub const SERVICE_CV: Setting = Setting {
    name: "service-cv",
    heading: CLUSTER,
    stages: SIM,
    value_name: "CV",
    help: "Coefficient of variation of the service time, lognormal (queue, requests); 0: constant",
    kind: Kind::Number,
    range: "a number from 0 to 10",
    valid: |x| (0.0..=10.0).contains(&x),
    get: |s| Value::Number(s.cluster.serving.service_cv),
    set: |s, v| s.cluster.serving.service_cv = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Coverage of the forecast intervals.
pub const INTERVAL_WIDTH: Setting = Setting {
    name: "interval-width",
    heading: MODELS,
    stages: TRAIN,
    value_name: "FRACTION",
    help: "Coverage of the forecast intervals (a sweep keeps the trained 0.8 and rescales confidence-aware's interval to each value)",
    kind: Kind::Number,
    range: "strictly between 0 and 1",
    valid: |x| x > 0.0 && x < 1.0,
    get: |s| Value::Number(s.model.interval_width),
    set: |s, v| s.model.interval_width = v.number(),
    axis: None,
    per_trace: false,
    trials: &[0.5, 0.8, 0.9, 0.95, 0.99],
};

/// LSTM input window.
pub const WINDOW: Setting = Setting {
    name: "window",
    heading: MODELS,
    stages: TRAIN,
    value_name: "STEPS",
    help: "LSTM: steps of history in one input window",
    kind: Kind::Whole,
    range: "a whole number, at least 1",
    valid: at_least_one,
    get: |s| Value::Whole(s.model.lstm.window as u64),
    set: |s, v| s.model.lstm.window = v.whole() as usize,
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Days of recent history the LSTM trains on.
pub const LSTM_SPAN: Setting = Setting {
    name: "lstm-span",
    heading: MODELS,
    stages: TRAIN,
    value_name: "DAYS",
    help: "LSTM: days of the most recent history whose windows it trains on, so a fit costs the same however long the history (0: every window)",
    kind: Kind::Number,
    range: "0 or a positive number of days",
    valid: |x| x.is_finite() && x >= 0.0,
    get: |s| Value::Number(s.model.lstm.train_span_days),
    set: |s, v| s.model.lstm.train_span_days = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Days of recent history Prophet fits on.
pub const PROPHET_SPAN: Setting = Setting {
    name: "prophet-span",
    heading: MODELS,
    stages: TRAIN,
    value_name: "DAYS",
    help: "Prophet: days of the most recent history each fit and refit reads, so a fit costs the same however long the history (0: all of it)",
    kind: Kind::Number,
    range: "0 or a positive number of days",
    valid: |x| x.is_finite() && x >= 0.0,
    get: |s| Value::Number(s.model.prophet_span_days),
    set: |s, v| s.model.prophet_span_days = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// The most points a Prophet fit reads.
pub const PROPHET_MAX_POINTS: Setting = Setting {
    name: "prophet-max-points",
    heading: MODELS,
    stages: TRAIN,
    value_name: "N",
    help: "Prophet: the most points a first fit reads; longer data is averaged in groups of whole steps (its refits group as it did), so a fit's cost stops growing with the history: its terms are functions of time, read as well from the means (0: one point per step)",
    kind: Kind::Whole,
    // A fit of one point fails inside Prophet, after the other models have trained.
    range: "0 (every step) or a whole number from 2",
    valid: |x| small(x) && x != 1.0,
    get: |s| Value::Whole(s.model.prophet_max_points as u64),
    set: |s, v| s.model.prophet_max_points = v.whole() as usize,
    axis: None,
    per_trace: false,
    trials: &[],
};

/// LSTM hidden units.
pub const HIDDEN: Setting = Setting {
    name: "hidden",
    help: "LSTM: hidden units",
    value_name: "N",
    get: |s| Value::Whole(s.model.lstm.hidden as u64),
    set: |s, v| s.model.lstm.hidden = v.whole() as usize,
    ..WINDOW
};

/// LSTM epochs.
pub const EPOCHS: Setting = Setting {
    name: "epochs",
    help: "LSTM: passes over the train windows",
    value_name: "N",
    get: |s| Value::Whole(s.model.lstm.epochs as u64),
    set: |s, v| s.model.lstm.epochs = v.whole() as usize,
    ..WINDOW
};

/// LSTM early stopping's patience.
pub const PATIENCE: Setting = Setting {
    name: "patience",
    help: "LSTM: epochs without a validation improvement of --min-delta before training stops and the best epoch's weights are kept (0: every epoch, the last kept)",
    value_name: "EPOCHS",
    range: "a whole number, 0 or more",
    valid: small,
    get: |s| Value::Whole(s.model.lstm.patience as u64),
    set: |s, v| s.model.lstm.patience = v.whole() as usize,
    ..WINDOW
};

/// LSTM early stopping's smallest improvement.
pub const MIN_DELTA: Setting = Setting {
    name: "min-delta",
    heading: MODELS,
    stages: TRAIN,
    value_name: "MSE",
    help: "LSTM: the smallest fall of the validation MSE (standardized) that counts as an improvement for early stopping",
    kind: Kind::Number,
    range: "0 or a positive number",
    valid: |x| x.is_finite() && x >= 0.0,
    get: |s| Value::Number(s.model.lstm.min_delta),
    set: |s, v| s.model.lstm.min_delta = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// LSTM batch size.
pub const BATCH_SIZE: Setting = Setting {
    name: "batch-size",
    help: "LSTM: windows per optimizer step",
    value_name: "N",
    get: |s| Value::Whole(s.model.lstm.batch_size as u64),
    set: |s, v| s.model.lstm.batch_size = v.whole() as usize,
    ..WINDOW
};

/// LSTM learning rate.
pub const LEARNING_RATE: Setting = Setting {
    name: "learning-rate",
    heading: MODELS,
    stages: TRAIN,
    value_name: "RATE",
    help: "LSTM: Adam's learning rate",
    kind: Kind::Number,
    range: "a positive number",
    valid: positive,
    get: |s| Value::Number(s.model.lstm.learning_rate),
    set: |s, v| s.model.lstm.learning_rate = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Days of the validation window before the test period (and before each backtest fold's
/// test window).
pub const VALIDATION_DAYS: Setting = Setting {
    name: "validation-days",
    heading: MODELS,
    stages: TRAIN,
    value_name: "DAYS",
    help: "Days at the end of the train period held out of each model's fit, which forecasts them along with the test period: slo-targeted's headroom, the interval's calibration and the recommendation are chosen there, each day one sample for --confidence's margin (0: none; a backtest needs one)",
    kind: Kind::Number,
    range: "0 or a positive number of days",
    valid: |x| x.is_finite() && x >= 0.0,
    get: |s| Value::Number(s.model.validation_days),
    set: |s, v| s.model.validation_days = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Prophet's refit interval.
pub const REFIT_EVERY: Setting = Setting {
    name: "refit-every",
    heading: MODELS,
    stages: TRAIN,
    value_name: "DURATION",
    help: "Prophet: refit every DURATION while forecasting the test period (30m, 6h, 1d), each fit on all data the decision has seen; `never`: one fit on the train period",
    kind: Kind::Duration,
    range: "`never` or a duration such as \"30m\", \"6h\" or \"1d\"",
    valid: |_| true,
    get: |s| Value::Duration(s.model.refit_every),
    set: |s, v| s.model.refit_every = v.duration(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// Head-room over the forecast.
pub const BUFFER: Setting = Setting {
    name: "buffer",
    heading: POLICIES,
    stages: SIM,
    value_name: "FRACTION",
    help: "Head-room of buffered, policy-aware and predictive-hpa over the forecast, as a fraction (0.15 = 15 %)",
    kind: Kind::Number,
    range: "a fraction of the forecast, at least 0",
    valid: |x| x.is_finite() && x >= 0.0,
    get: |s| Value::Number(s.policy.buffer),
    set: |s, v| s.policy.buffer = v.number(),
    axis: None,
    per_trace: false,
    trials: &[0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0],
};

/// reactive-hpa's target utilization.
pub const HPA_TARGET: Setting = Setting {
    name: "hpa-target",
    heading: POLICIES,
    stages: SIM,
    value_name: "FRACTION",
    help: "Target utilization of reactive-hpa and of keda's HPA",
    kind: Kind::Number,
    range: "a utilization in (0, 1]",
    valid: utilization,
    get: |s| Value::Number(s.policy.hpa_target_utilization),
    set: |s, v| s.policy.hpa_target_utilization = v.number(),
    axis: None,
    per_trace: false,
    // Down to 0.3 so that the grid reaches the targets a 99 % SLO needs: from 0.5 up,
    // no target was likely enough to hold there (docs/experiment.md, Choosing with a
    // margin), and reactive-hpa's own pick fell to the likeliest, 0.5, that held 2 of 4.
    trials: &[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
};

/// predictive-hpa's target utilization.
pub const PREDICTIVE_HPA_TARGET: Setting = Setting {
    name: "predictive-hpa-target",
    help: "Target utilization of predictive-hpa's reactive side (measured: 0.7 only repeats reactive-hpa)",
    get: |s| Value::Number(s.policy.predictive_hpa_target),
    set: |s, v| s.policy.predictive_hpa_target = v.number(),
    trials: &[0.6, 0.7, 0.8, 0.9],
    ..HPA_TARGET
};

/// The HPA controller's sync period.
pub const HPA_SYNC: Setting = Setting {
    name: "hpa-sync",
    heading: POLICIES,
    stages: SIM,
    value_name: "DURATION",
    help: "The HPA controller's sync period (a bare number counts seconds): reactive-hpa (and keda's HPA) decides once a sync, holding between syncs where the step is finer, and scales up by at most the larger of +100 % and +4 pods a sync",
    kind: Kind::Seconds { bare: 1 },
    range: "a period of 1 s or more",
    valid: |s| s >= 1.0,
    get: |s| Value::Seconds(s.policy.hpa_sync_s),
    set: |s, v| s.policy.hpa_sync_s = v.whole() as u32,
    axis: None,
    per_trace: false,
    trials: &[],
};

/// knative-kpa's stable window.
pub const KPA_WINDOW: Setting = Setting {
    name: "kpa-window",
    help: "knative-kpa's stable window, over which it averages concurrency (its panic window is 10 % of it; a bare number counts seconds)",
    range: "6s to 1h, as Knative allows",
    valid: |s| (6.0..=3600.0).contains(&s),
    get: |s| Value::Seconds(s.policy.kpa_window_s),
    set: |s, v| s.policy.kpa_window_s = v.whole() as u32,
    ..HPA_SYNC
};

/// knative-kpa's scale-down delay.
pub const KPA_SCALE_DOWN_DELAY: Setting = Setting {
    name: "kpa-scale-down-delay",
    help: "knative-kpa's scale-down delay: it keeps the highest count it decided within it (a bare number counts seconds; 0, Knative's default: none)",
    range: "0 to 1h, as Knative allows",
    valid: |s| (0.0..=3600.0).contains(&s),
    get: |s| Value::Seconds(s.policy.kpa_scale_down_delay_s),
    set: |s, v| s.policy.kpa_scale_down_delay_s = v.whole() as u32,
    ..HPA_SYNC
};

/// knative-kpa's target concurrency share.
pub const KPA_TARGET: Setting = Setting {
    name: "kpa-target",
    help: "knative-kpa's target: the share of --concurrency a pod keeps in flight, a fraction (0.7: Knative's container-concurrency-target-percentage of 70)",
    get: |s| Value::Number(s.policy.kpa_target),
    set: |s, v| s.policy.kpa_target = v.number(),
    ..HPA_TARGET
};

/// The burst ramp's lookback.
pub const BURST_LOOKBACK: Setting = Setting {
    name: "burst-lookback",
    heading: POLICIES,
    stages: SIM,
    value_name: "MINUTES",
    help: "Minutes of history a burst's growth is measured over (predictive-hpa, slo-targeted, slo-feedback); 0 turns burst awareness off",
    kind: Kind::Whole,
    range: "a whole number of minutes, 0 or more",
    valid: small,
    get: |s| Value::Whole(u64::from(s.policy.burst_lookback_min)),
    set: |s, v| s.policy.burst_lookback_min = v.whole() as u32,
    axis: None,
    per_trace: false,
    trials: &[],
};

/// slo-feedback's gain.
pub const FEEDBACK_GAIN: Setting = Setting {
    name: "feedback-gain",
    heading: POLICIES,
    stages: SIM,
    value_name: "GAIN",
    help: "slo-feedback: how far its headroom moves per step for each step's worth of requests that missed the deadline beyond its aim's share (adaptive conformal inference's γ)",
    kind: Kind::Number,
    range: "a positive number",
    valid: |x| x.is_finite() && x > 0.0,
    get: |s| Value::Number(s.policy.feedback_gain),
    set: |s, v| s.policy.feedback_gain = v.number(),
    axis: None,
    per_trace: false,
    trials: &[],
};

/// The HPA policies' metric.
pub const HPA_METRIC: Setting = Setting {
    name: "hpa-metric",
    heading: POLICIES,
    stages: SIM,
    value_name: "METRIC",
    help: "What reactive-hpa and predictive-hpa scale on: utilization (busy share of the ready containers, at most 100 %, as CPU), rps (arrivals per ready container, as an ingress metric) or demand (last step's true demand: the idealized view of earlier versions)",
    kind: Kind::Choice(HpaMetric::NAMES),
    range: "",
    valid: |_| true,
    get: |s| Value::Choice(s.policy.hpa_metric.name()),
    set: |s, v| {
        if let Some(m) = HpaMetric::from_name(v.choice()) {
            s.policy.hpa_metric = m;
        }
    },
    axis: None,
    per_trace: false,
    trials: &[],
};

/// How old the HPA's metrics are.
pub const METRICS_LAG: Setting = Setting {
    name: "metrics-lag",
    heading: POLICIES,
    stages: SIM,
    value_name: "MINUTES",
    help: "Age of the HPA's metrics: a decision at t reads step t − 1 − lag (rounded up to whole steps)",
    kind: Kind::Whole,
    range: "a whole number of minutes, 0 or more",
    valid: small,
    get: |s| Value::Whole(u64::from(s.policy.metrics_lag_min)),
    set: |s, v| s.policy.metrics_lag_min = v.whole() as u32,
    axis: None,
    per_trace: false,
    trials: &[],
};

const IMPORT: &[Stage] = &[Stage::Import];

/// An entry of how a trace is read: a flag of every command that reads one (under the
/// trace heading, its default in its help) and a key of a grid file, top-level or of a
/// `[[trace]]` table. `read` parses a value into the field it sets (`Err`: what is
/// wrong, in words), `get` shows the field, `set` is `read` on the settings (given a
/// value `read` accepted).
const fn import_option(
    name: &'static str,
    value_name: &'static str,
    help: &'static str,
    read: Read,
    get: fn(&Settings) -> Value,
    set: fn(&mut Settings, Value),
) -> Setting {
    Setting {
        name,
        heading: TRACE,
        stages: IMPORT,
        value_name,
        help,
        kind: Kind::Text(read),
        range: "",
        valid: |_| true,
        get,
        set,
        axis: None,
        per_trace: true,
        trials: &[],
    }
}

/// A parser of how a trace is read: sets its field from a value, or says what is wrong.
type Read = fn(&mut ImportOptions, &str) -> Result<(), String>;

/// `read` on the settings' import options, where the value was checked by it (an unset
/// one, empty, leaves the field).
fn read_into(s: &mut Settings, v: Value, read: Read) {
    if !v.text().is_empty() {
        let _ = read(&mut s.import, v.text());
    }
}

/// An optional text as a value (empty: unset).
fn text_value(t: &Option<String>) -> Value {
    Value::Text(intern(t.as_deref().unwrap_or("")))
}

fn read_format(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    o.format = v.parse()?;
    Ok(())
}

/// The trace file's format.
pub const FORMAT: Setting = import_option(
    "format",
    "FORMAT",
    "The file's format: auto, csv, prometheus, access-log, requests or azure-functions [default: auto: told from the content]",
    read_format,
    |s| Value::Text(s.import.format.name()),
    |s, v| read_into(s, v, read_format),
);

fn read_time_column(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    crate::config::text(&mut o.time_column, v)
}

/// The timestamp column.
pub const TIME_COLUMN: Setting = import_option(
    "time-column",
    "NAME",
    "Timestamp column (csv, requests) [default: detected from timestamp/ds/time]",
    read_time_column,
    |s| text_value(&s.import.time_column),
    |s, v| read_into(s, v, read_time_column),
);

fn read_count_column(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    crate::config::text(&mut o.count_column, v)
}

/// The count column.
pub const COUNT_COLUMN: Setting = import_option(
    "count-column",
    "NAME",
    "Count column (csv) [default: detected from requests/value/y/count]",
    read_count_column,
    |s| text_value(&s.import.count_column),
    |s, v| read_into(s, v, read_count_column),
);

fn read_step(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    // A bare whole number counts seconds, as the synthetic trace's step has it (one
    // `--step` sets both).
    let text = match v.trim().parse::<u32>() {
        Ok(n) if n > 0 => format!("{n}s"),
        _ => v.to_string(),
    };
    o.step_seconds = Some(crate::config::step_seconds(&text)?);
    Ok(())
}

/// The trace's step.
pub const IMPORT_STEP: Setting = import_option(
    "step",
    "DURATION",
    "Step of the trace (15s, 1m, 5m, 1h; a bare number counts seconds; whole seconds that divide a day): finer samples are summed into it, requests binned [default: the file's own step, requests 1m]",
    read_step,
    |s| match s.import.step_seconds {
        Some(step) => Value::Text(intern(&seconds_text(step))),
        None => Value::Text(""),
    },
    |s, v| read_into(s, v, read_step),
);

fn read_count_unit(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    o.count_unit = v.parse()?;
    Ok(())
}

/// What a series' values count.
pub const COUNT_UNIT: Setting = import_option(
    "count-unit",
    "UNIT",
    "What a series' values count: per-step (counts) or per-second (a rate, as Prometheus' rate() gives) [default: per-step]",
    read_count_unit,
    |s| {
        Value::Text(match s.import.count_unit {
            crate::config::CountUnit::PerStep => "per-step",
            crate::config::CountUnit::PerSecond => "per-second",
        })
    },
    |s, v| read_into(s, v, read_count_unit),
);

fn read_max_gap(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    o.max_gap_minutes = crate::config::minutes(v)?;
    Ok(())
}

/// The longest gap filled.
pub const MAX_GAP: Setting = import_option(
    "max-gap",
    "DURATION",
    "Longest gap filled by linear interpolation, in whole minutes with a unit (30m, 2h, 1d); a longer one is an error naming it (0: none) [default: 1h]",
    read_max_gap,
    |s| Value::Text(intern(&format!("{}m", s.import.max_gap_minutes))),
    |s, v| read_into(s, v, read_max_gap),
);

fn read_series(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    crate::config::text(&mut o.series, v)
}

/// A Prometheus series.
pub const SERIES: Setting = import_option(
    "series",
    "LABELS",
    "Prometheus: take the series with these labels, label=\"value\"[,…] [default: all, summed]",
    read_series,
    |s| text_value(&s.import.series),
    |s, v| read_into(s, v, read_series),
);

fn read_weight_column(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    crate::config::text(&mut o.weight_column, v)
}

/// A per-request CSV's weight column.
pub const WEIGHT_COLUMN: Setting = import_option(
    "weight-column",
    "NAME",
    "requests: sum this column per step instead of counting rows (GeneratedTokens: work, not requests)",
    read_weight_column,
    |s| text_value(&s.import.weight_column),
    |s, v| read_into(s, v, read_weight_column),
);

fn read_function(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    crate::config::text(&mut o.function, v)
}

/// An Azure Functions function.
pub const FUNCTION: Setting = import_option(
    "function",
    "HASH",
    "azure-functions: the functions whose hash starts with this",
    read_function,
    |s| text_value(&s.import.function),
    |s, v| read_into(s, v, read_function),
);

fn read_app(o: &mut ImportOptions, v: &str) -> Result<(), String> {
    crate::config::text(&mut o.app, v)
}

/// An Azure Functions app.
pub const APP: Setting = import_option(
    "app",
    "HASH",
    "azure-functions: every function of the apps whose hash starts with this [default: the busiest app]",
    read_app,
    |s| text_value(&s.import.app),
    |s, v| read_into(s, v, read_app),
);

/// The sweep's axes, in the order of their key columns (and of a unit's id). A new axis
/// is its setting's [`Axis`] and a line here.
pub const AXES: &[&Setting] = &[&STARTUP_DELAY, &CAPACITY, &SEED];

/// Every setting, in `--help` order within each heading.
pub const ALL: &[&Setting] = &[
    &DAYS,
    &STEP,
    &FORMAT,
    &TIME_COLUMN,
    &COUNT_COLUMN,
    &IMPORT_STEP,
    &COUNT_UNIT,
    &MAX_GAP,
    &SERIES,
    &WEIGHT_COLUMN,
    &FUNCTION,
    &APP,
    &TEST_DAYS,
    &SEED,
    &CAPACITY,
    &SERVICE_TIME,
    &STARTUP_DELAY,
    &STARTUP_SPREAD,
    &TICK,
    &MIN_REPLICAS,
    &MAX_REPLICAS,
    &SERVING,
    &SLO,
    &CONFIDENCE,
    &DEADLINE,
    &TIMEOUT,
    &CONCURRENCY,
    &SERVICE_CV,
    &INTERVAL_WIDTH,
    &WINDOW,
    &LSTM_SPAN,
    &HIDDEN,
    &EPOCHS,
    &PATIENCE,
    &MIN_DELTA,
    &BATCH_SIZE,
    &LEARNING_RATE,
    &VALIDATION_DAYS,
    &REFIT_EVERY,
    &PROPHET_SPAN,
    &PROPHET_MAX_POINTS,
    &BUFFER,
    &HPA_TARGET,
    &PREDICTIVE_HPA_TARGET,
    &KPA_TARGET,
    &HPA_SYNC,
    &KPA_WINDOW,
    &KPA_SCALE_DOWN_DELAY,
    &BURST_LOOKBACK,
    &FEEDBACK_GAIN,
    &HPA_METRIC,
    &METRICS_LAG,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A value of `s` other than its default, of its kind.
    fn example(s: &Setting) -> Value {
        match s.kind {
            Kind::Number | Kind::Time => Value::Number(0.5),
            Kind::Whole => Value::Whole(7),
            Kind::Duration => Value::Duration(RefitEvery::minutes(90).unwrap()),
            Kind::Seconds { .. } => Value::Seconds(30),
            Kind::Choice(names) => Value::Choice(names[names.len() - 1]),
            Kind::Text(_) => Value::Text(text_example(s.name)),
        }
    }

    /// A valid text of a setting of how a trace is read, other than its default.
    pub(crate) fn text_example(name: &str) -> &'static str {
        match name {
            "format" => "csv",
            "step" => "5m",
            "count-unit" => "per-second",
            "max-gap" => "30m",
            _ => "x",
        }
    }

    #[test]
    fn how_a_trace_is_read_is_ten_settings_each_refusing_in_its_own_words() {
        use crate::config::{CountUnit, Format};
        let mut s = Settings::default();
        for (name, value) in [
            ("format", "csv"),
            ("time-column", "when"),
            ("count-column", "hits"),
            ("step", "5m"),
            ("count-unit", "per-second"),
            ("max-gap", "0m"),
            ("series", "job=\"a\""),
            ("weight-column", "tokens"),
            ("function", "ab"),
            ("app", "cd"),
        ] {
            let option = named(name).find(|o| o.read_by(Stage::Import)).unwrap();
            (option.set)(&mut s, option.parse(value).unwrap());
            // What it shows reads back as what it holds.
            assert_eq!(
                option.parse(&(option.get)(&s).to_string()).unwrap(),
                (option.get)(&s),
                "{name}"
            );
        }
        assert_eq!(
            s.import,
            ImportOptions {
                format: Format::Csv,
                time_column: Some("when".into()),
                count_column: Some("hits".into()),
                step_seconds: Some(300),
                count_unit: CountUnit::PerSecond,
                max_gap_minutes: 0,
                series: Some("job=\"a\"".into()),
                weight_column: Some("tokens".into()),
                function: Some("ab".into()),
                app: Some("cd".into()),
            }
        );
        assert_eq!(ALL.iter().filter(|o| o.read_by(Stage::Import)).count(), 10);
        assert_eq!(
            FORMAT.parse("xml").unwrap_err().to_string(),
            "`format` = xml: no format \"xml\" (known: auto, csv, prometheus, access-log, requests, azure-functions)"
        );
        assert_eq!(
            IMPORT_STEP.parse("7s").unwrap_err().to_string(),
            "`step` = 7s: `7s` does not divide a day: a day must hold whole steps"
        );
        assert_eq!(
            COUNT_COLUMN.parse("").unwrap_err().to_string(),
            "`count-column` = : empty"
        );
        // The format's help names every format.
        assert!(
            Format::ALL.iter().all(|f| FORMAT.help.contains(f.name())),
            "{}",
            FORMAT.help
        );
        // A bare number counts seconds, as the synthetic trace's step has it.
        let mut bare = Settings::default();
        (IMPORT_STEP.set)(&mut bare, IMPORT_STEP.parse("30").unwrap());
        assert_eq!(bare.import.step_seconds, Some(30));
        // `step` names two settings, the synthetic trace's and an imported one's: one
        // flag sets both.
        let both: Vec<Stage> = named("step")
            .flat_map(|s| s.stages.iter().copied())
            .collect();
        assert_eq!(both, [Stage::Generate, Stage::Import]);
        // How the trace was read stays out of the settings a run was simulated with.
        assert!(!s.to_toml().contains("time-column"));
    }

    #[test]
    fn an_axis_column_reads_back_as_its_value() {
        for (axis, v, column) in [
            (&STARTUP_DELAY, Value::Seconds(180), 3.0),
            (&CAPACITY, Value::Number(62.5), 62.5),
            (&SEED, Value::Whole(7), 7.0),
        ] {
            let a = axis.axis.as_ref().unwrap();
            assert_eq!(a.column_value(v), Some(column), "{}", axis.name);
            assert_eq!(a.value_of(column), v, "{}", axis.name);
        }
        // A delay the minutes column cannot hold.
        assert_eq!(
            STARTUP_DELAY
                .axis
                .as_ref()
                .unwrap()
                .column_value(Value::Seconds(90)),
            None
        );
    }

    #[test]
    fn names_are_unique_and_every_default_is_valid() {
        for (i, s) in ALL.iter().enumerate() {
            // One name, one setting; but `step`, the synthetic trace's and an imported
            // one's, taken by one flag.
            assert!(
                ALL[..i].iter().all(|o| o.name != s.name
                    || (o.read_by(Stage::Generate) && s.read_by(Stage::Import))),
                "{}",
                s.name
            );
            assert_eq!(
                s.check(s.default_value()),
                Ok(s.default_value()),
                "{}",
                s.name
            );
            // A default printed and parsed back is itself: the help shows what it runs
            // (an option of how a trace is read that is unset says so in words).
            if s.default_value() != Value::Text("") {
                assert_eq!(
                    s.parse(&s.default_value().to_string()),
                    Ok(s.default_value())
                );
            }
        }
    }

    #[test]
    fn times_take_durations_and_a_bare_number_keeps_its_unit() {
        // The startup delay: a bare number counts minutes, as before.
        assert_eq!(STARTUP_DELAY.parse("2"), Ok(Value::Seconds(120)));
        assert_eq!(STARTUP_DELAY.parse("90s"), Ok(Value::Seconds(90)));
        assert_eq!(STARTUP_DELAY.parse("2m"), Ok(Value::Seconds(120)));
        assert_eq!(STARTUP_DELAY.parse("1h"), Ok(Value::Seconds(3600)));
        assert!(STARTUP_DELAY.parse("1.5").is_err());
        assert!(STARTUP_DELAY.parse("90x").is_err());
        assert_eq!(STARTUP_DELAY.default_value().to_string(), "2m");
        // The deadline and the timeout: a bare number counts seconds.
        assert_eq!(DEADLINE.parse("3"), Ok(Value::Number(3.0)));
        assert_eq!(DEADLINE.parse("500ms"), Ok(Value::Number(0.5)));
        assert_eq!(DEADLINE.parse("2.5s"), Ok(Value::Number(2.5)));
        assert_eq!(TIMEOUT.parse("2m"), Ok(Value::Number(120.0)));
        assert!(TIMEOUT.parse("-1").is_err());
        assert!(DEADLINE.parse("5 parsecs").is_err());
        // A grid file's integers keep the bare unit; its strings are durations.
        assert_eq!(
            STARTUP_DELAY.from_toml(&toml::Value::Integer(5)),
            Ok(Value::Seconds(300))
        );
        assert_eq!(
            STARTUP_DELAY.from_toml(&toml::Value::String("45s".into())),
            Ok(Value::Seconds(45))
        );
    }

    #[test]
    fn a_runs_settings_round_trip_through_their_toml() {
        // Every setting away from its default (as set_then_get_round_trips sets them),
        // written and read back equal; the defaults likewise.
        let mut s = Settings::default();
        // How a trace is read stays out of the file (its own test says so).
        for setting in ALL.iter().filter(|x| !x.read_by(Stage::Import)) {
            (setting.set)(&mut s, example(setting));
        }
        assert_eq!(Settings::from_toml(&s.to_toml()), Ok(s));
        let d = Settings::default();
        assert_eq!(Settings::from_toml(&d.to_toml()), Ok(d.clone()));
        assert!(d.to_toml().contains("\nstartup-delay = \"2m\"\n"));
        assert_eq!(
            Settings::from_toml("nope = 1"),
            Err("unknown key `nope`".to_string())
        );
        // A file that is no TOML: one line.
        let e = Settings::from_toml("garbage = = 1").unwrap_err();
        assert!(!e.contains('\n') && !e.is_empty(), "{e}");
    }

    #[test]
    fn set_then_get_round_trips() {
        for s in ALL {
            let v = example(s);
            let mut all = Settings::default();
            (s.set)(&mut all, v);
            assert_eq!((s.get)(&all), v, "{}", s.name);
        }
    }

    #[test]
    fn text_and_toml_give_the_same_error() {
        let text = BUFFER.parse("-0.5").unwrap_err();
        let toml = BUFFER.from_toml(&toml::Value::Float(-0.5)).unwrap_err();
        assert_eq!(Some(text), toml);
        assert_eq!(
            BUFFER.parse("-0.5").unwrap_err().to_string(),
            "`buffer` = -0.5: must be a fraction of the forecast, at least 0"
        );
        assert_eq!(
            EPOCHS.parse("0").unwrap_err().to_string(),
            "`epochs` = 0: must be a whole number, at least 1"
        );
        assert_eq!(
            EPOCHS.parse("2.5").unwrap_err().to_string(),
            "`epochs` = 2.5: must be a whole number, at least 1"
        );
        assert_eq!(
            EPOCHS.from_toml(&toml::Value::Integer(-3)).unwrap_err(),
            Some(EPOCHS.parse("-3").unwrap_err())
        );
        assert_eq!(
            BUFFER.from_toml(&toml::Value::String("x".into())),
            Err(None)
        );
        assert_eq!(
            REFIT_EVERY.parse("6 hours").unwrap_err().to_string(),
            "`refit-every` = 6 hours: must be `never` or a duration such as \"30m\", \"6h\" or \"1d\""
        );
        let mut s = Settings::default();
        s.cluster.min_replicas = 5;
        s.cluster.max_replicas = 3;
        assert_eq!(
            s.check().unwrap_err().to_string(),
            "`min-replicas` = 5: must be at most `max-replicas` (3)"
        );
    }
}
