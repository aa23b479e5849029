//! The sweep's grid: which traces, axis values ([`settings::AXES`]: startup delays,
//! capacities, seeds), models, policies and knob values to run, from command-line lists
//! or a TOML file, validated up front; its work units (a trace at one value of each axis
//! the training reads: the models are trained once per unit) and their deterministic
//! split into shards. Pure: files are read by the caller.

pub(crate) mod rows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::forecast::ModelKind;
use crate::policy::PolicyKind;
use crate::settings::{self, Setting, SettingError, Settings, Value};
use anyhow::Context;

use crate::config::GenerateConfig;
use crate::serving::Unreachable;
use crate::trace::generate::generate;
use crate::trace::import::{self, ImportOptions};
use crate::trace::Trace;

/// A grid that cannot run, with the key and value at fault.
#[derive(Debug, Error, PartialEq)]
pub(crate) enum GridError {
    /// The TOML does not parse.
    #[error("{0}")]
    Toml(String),
    /// A key no part of the grid knows, and what it may have meant.
    #[error("unknown key `{0}`: {1}")]
    UnknownKey(String, String),
    /// A key with the wrong kind of value.
    #[error("`{key}` must be {want}")]
    Type {
        /// The key.
        key: String,
        /// What it must be.
        want: &'static str,
    },
    /// A list with nothing in it.
    #[error("`{0}` is an empty list")]
    Empty(String),
    /// A setting's value out of its range, in the setting's own words.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// A value out of its range (of a key that is no setting: an SLO level).
    #[error("`{key}` = {value}: must be {range}")]
    Range {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// The valid range.
        range: &'static str,
    },
    /// A name that is not a model or a policy.
    #[error("`{key}`: no {what} named {name:?}")]
    Name {
        /// The key.
        key: String,
        /// "model" or "policy".
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// A trace's name that cannot name its files (`settings-<name>.toml`).
    #[error("trace name `{0}`: a trace's name names its reports (a sweep's settings-NAME.toml, a fleet's folder): no `/`, `\\` or control characters, and not `.` or `..`")]
    TraceName(String),
    /// Two traces of one name.
    #[error(
        "two traces are named `{0}`: a trace's name names its reports; give each its own `name`"
    )]
    TwiceNamed(String),
    /// `--shard` is not `i/n` with 1 ≤ i ≤ n.
    #[error("--shard {0}: must be i/n with 1 ≤ i ≤ n, as 3/16")]
    Shard(String),
}

/// `values` with each value once, where it first appears: a value listed twice is one
/// run (its rows would share a key).
fn distinct<T: PartialEq>(values: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Whether a sweep takes a list of `s`'s values: an axis ([`settings::AXES`]), or some
/// policy's knob.
pub(crate) fn is_list(s: &Setting) -> bool {
    s.axis.is_some() || PolicyKind::knobs().iter().any(|k| k.name == s.name)
}

/// Where axis `s` stands in [`settings::AXES`] (and in a grid's and a trace's lists).
pub(crate) fn axis_index(s: &Setting) -> usize {
    settings::AXES
        .iter()
        .position(|a| a.name == s.name)
        .expect("a sweep axis")
}

/// A setting's value at one point of the grid.
pub(crate) type At = (&'static Setting, Value);

/// Every combination of one value of each list, the first list slowest.
fn product(lists: &[(&'static Setting, &[Value])]) -> Vec<Vec<At>> {
    lists.iter().fold(vec![Vec::new()], |points, (s, values)| {
        points
            .iter()
            .flat_map(|p| {
                values.iter().map(move |&v| {
                    let mut p = p.clone();
                    p.push((*s, v));
                    p
                })
            })
            .collect()
    })
}

/// `base` with each of `at`'s values set.
pub(crate) fn settings_at(base: &Settings, at: &[At]) -> Settings {
    let mut s = base.clone();
    for (setting, v) in at {
        (setting.set)(&mut s, *v);
    }
    s
}

/// The key columns' values of a row run at `s`, in [`settings::AXES`] order.
pub(crate) fn axis_columns(s: &Settings) -> Vec<f64> {
    settings::AXES
        .iter()
        .map(|a| {
            let axis = a.axis.as_ref().expect("an axis");
            axis.column_value((a.get)(s)).unwrap_or(f64::NAN)
        })
        .collect()
}

/// Where one of the grid's traces comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SweepTrace {
    /// A CSV file.
    File(PathBuf),
    /// The synthetic workload of this many days, generated with each unit's seed.
    Synthetic {
        /// Days generated.
        days: f64,
    },
}

/// One trace of the grid, with the cluster settings it is replayed at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TraceSpec {
    /// Its name in the results (the file stem, or "synthetic").
    pub(crate) name: String,
    /// Where it comes from.
    pub(crate) source: SweepTrace,
    /// Column names for a CSV.
    pub(crate) import: ImportOptions,
    /// Each axis's values for this trace, in [`settings::AXES`] order: the grid's, or
    /// the trace's own for an axis a `[[trace]]` table may set.
    pub(crate) axes: Vec<Vec<Value>>,
    /// Fewest containers.
    pub(crate) min_replicas: u32,
    /// Most containers.
    pub(crate) max_replicas: u32,
}

impl TraceSpec {
    /// The values of axis `s` for this trace.
    pub(crate) fn values(&self, s: &Setting) -> &[Value] {
        &self.axes[axis_index(s)]
    }

    /// The points of the axes with (`unit`) or without a unit of their own, each the
    /// values to set, in [`settings::AXES`] order, the first axis slowest.
    fn points(&self, unit: bool) -> Vec<Vec<At>> {
        let lists: Vec<(&'static Setting, &[Value])> = settings::AXES
            .iter()
            .zip(&self.axes)
            .filter(|(a, _)| a.axis.as_ref().is_some_and(|x| x.unit.is_some()) == unit)
            .map(|(a, v)| (*a, v.as_slice()))
            .collect();
        product(&lists)
    }

    /// The points one unit of this trace runs from its fits: every combination of the
    /// axes without a unit of their own (the capacities).
    pub(crate) fn within(&self) -> Vec<Vec<At>> {
        self.points(false)
    }
}

/// Everything a sweep runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Grid {
    /// The traces.
    pub(crate) traces: Vec<TraceSpec>,
    /// Each axis's values, in [`settings::AXES`] order: every trace's, unless it states
    /// its own.
    pub(crate) axes: Vec<Vec<Value>>,
    /// The models.
    pub(crate) models: Vec<ModelKind>,
    /// The policies.
    pub(crate) policies: Vec<PolicyKind>,
    /// Values of each knob the grid turns, by knob name; a policy whose knob is not here
    /// runs at its default.
    pub(crate) knobs: BTreeMap<String, Vec<f64>>,
    /// SLO levels of the SLO table, percent (of `slo_attained_pct`: requests in time, or minutes without a violation under `threshold`).
    pub(crate) slo_levels: Vec<f64>,
    /// Every other setting (the test period, the models' training, the policies'
    /// settings besides the knobs, a trace's defaults); the seed is each unit's.
    pub(crate) settings: Settings,
}

/// One work unit: a trace at one value of each axis with a unit of its own (a startup
/// delay, a seed).
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// Index into [`Grid::traces`].
    pub(crate) trace: usize,
    /// Its axes' values.
    pub(crate) at: Vec<At>,
    /// Its name: `<trace>/d<delay>/s<seed>`, each axis's prefix and column value.
    pub(crate) id: String,
}

impl PartialEq for Unit {
    fn eq(&self, other: &Self) -> bool {
        let names = |u: &Unit| u.at.iter().map(|(s, v)| (s.name, *v)).collect::<Vec<_>>();
        self.trace == other.trace && self.id == other.id && names(self) == names(other)
    }
}

impl Unit {
    /// `base` at the unit's values.
    pub(crate) fn settings(&self, base: &Settings) -> Settings {
        settings_at(base, &self.at)
    }
}

impl Grid {
    /// Each capacity of each trace's serving at the grid's settings, with SLO `slo_pct`.
    fn servings(&self, slo_pct: f64) -> Vec<crate::serving::Serving> {
        let mut serving = self.settings.cluster.serving.clone();
        serving.slo_percent = slo_pct;
        self.traces
            .iter()
            .flat_map(|t| t.values(&settings::CAPACITY))
            .map(|c| serving.at_step(c.number(), 60))
            .collect()
    }

    /// The attainment the service alone reaches at each capacity of the grid, percent
    /// ([`crate::serving::ceiling_pct`]): `(capacity, ceiling)` pairs, what the SLO
    /// table's recommended rows read their days' margin against.
    pub(crate) fn ceilings(&self) -> Vec<(f64, f64)> {
        self.traces
            .iter()
            .flat_map(|t| t.values(&settings::CAPACITY))
            .map(|c| {
                let serving = self.settings.cluster.serving.at_step(c.number(), 60);
                (c.number(), crate::serving::ceiling_pct(&serving))
            })
            .collect()
    }

    /// The settings' SLO, or a value of the `slo` knob (slo-targeted's, in a sweep), where
    /// no cluster reaches it at some capacity of the grid ([`Unreachable`]): a sweep and a
    /// backtest refuse it before any fitting.
    pub(crate) fn unreachable_slo(&self) -> Option<Unreachable> {
        let knob = self.knobs.get(crate::settings::SLO.name);
        std::iter::once(self.settings.cluster.serving.slo_percent)
            .chain(knob.into_iter().flatten().copied())
            .find_map(|slo| self.servings(slo).iter().find_map(Unreachable::of))
    }

    /// One warning line per SLO level of the SLO table that no cluster reaches at some
    /// capacity of the grid: named, not refused (the table says no configuration met it).
    pub(crate) fn unreachable_levels(&self) -> Vec<String> {
        self.slo_levels
            .iter()
            .filter_map(|&level| self.servings(level).iter().find_map(Unreachable::of))
            .map(|u| format!("warning: --slo-levels: {}", u.message()))
            .collect()
    }

    /// The settings trace `t` is swept at: the grid's, with its replica bounds and the
    /// first value of each axis (a row names its own).
    pub(crate) fn trace_settings(&self, t: usize) -> Settings {
        let spec = &self.traces[t];
        let mut s = self.settings.clone();
        s.cluster.min_replicas = spec.min_replicas;
        s.cluster.max_replicas = spec.max_replicas;
        for (axis, values) in settings::AXES.iter().zip(&spec.axes) {
            if let Some(&v) = values.first() {
                (axis.set)(&mut s, v);
            }
        }
        s
    }

    /// The unit's trace from its file's bytes ([`crate::store::sweep::trace_files`]): the file parsed, or the workload generated with the unit's seed.
    pub(crate) fn unit_trace(&self, unit: &Unit, bytes: &[u8]) -> anyhow::Result<Trace> {
        let spec = &self.traces[unit.trace];
        match &spec.source {
            SweepTrace::File(p) => Ok(import::read(&[bytes], &spec.import)
                .with_context(|| format!("reading trace {}", p.display()))?
                .trace),
            SweepTrace::Synthetic { days } => Ok(generate(&GenerateConfig {
                days: *days,
                seed: unit.settings(&self.settings).generate.seed,
                ..GenerateConfig::default()
            })?
            .0),
        }
    }

    /// Every unit, in a fixed order: trace, then its axes' values ([`settings::AXES`]
    /// order, the first slowest).
    pub(crate) fn units(&self) -> Vec<Unit> {
        let mut out = Vec::new();
        for (t, spec) in self.traces.iter().enumerate() {
            for at in spec.points(true) {
                let mut id = spec.name.clone();
                for (s, v) in &at {
                    let axis = s.axis.as_ref().expect("an axis");
                    let column = axis.column_value(*v).unwrap_or(f64::NAN);
                    id.push_str(&format!(
                        "/{}{}",
                        axis.unit.unwrap_or(""),
                        axis.text(column)
                    ));
                }
                out.push(Unit { trace: t, at, id });
            }
        }
        out
    }

    /// The values `policy`'s knob takes: the grid's list, or its default alone. Empty
    /// for a policy without a knob.
    pub(crate) fn knob_values(&self, policy: PolicyKind) -> Vec<f64> {
        match policy.knob() {
            Some(k) => self
                .knobs
                .get(k.name)
                .cloned()
                .unwrap_or_else(|| vec![(k.get)(&self.settings).number()]),
            None => Vec::new(),
        }
    }

    /// Sets the values of a list setting (an axis or a knob), each already checked.
    pub(crate) fn set_list(
        &mut self,
        setting: &'static Setting,
        values: Vec<Value>,
    ) -> Result<(), GridError> {
        if values.is_empty() {
            return Err(GridError::Empty(setting.name.to_string()));
        }
        if let Some(axis) = &setting.axis {
            // A sweep's rows name the value in its column (a delay in whole minutes).
            if let Some(v) = values.iter().find(|v| axis.column_value(**v).is_none()) {
                return Err(GridError::Range {
                    key: setting.name.to_string(),
                    value: v.to_string(),
                    range: "whole minutes in a sweep or backtest (its rows name it in minutes); run-all and simulate take seconds",
                });
            }
            self.axes[axis_index(setting)] = values;
        } else {
            self.knobs.insert(
                setting.name.to_string(),
                values.iter().map(|v| v.number()).collect(),
            );
        }
        Ok(())
    }

    /// A fingerprint of the grid and of the content of its trace files (`contents`, in
    /// trace order): parts of one sweep share it, parts of another do not.
    pub(crate) fn fingerprint(&self, contents: &[Vec<u8>]) -> String {
        let mut h = crate::hash::Fnv::new();
        // Names, not the registry entries' Debug (which prints function addresses).
        let models: Vec<&str> = self.models.iter().map(|m| m.name()).collect();
        let policies: Vec<&str> = self.policies.iter().map(|p| p.name()).collect();
        let canonical = format!(
            "{:?}|{:?}|{models:?}|{policies:?}|{:?}|{:?}|{:?}|{UNIT_REVISION}",
            self.traces, self.axes, self.knobs, self.slo_levels, self.settings
        );
        h.eat(canonical.as_bytes());
        for c in contents {
            h.eat(c);
        }
        h.hex()
    }
}

/// What a unit computes for the same grid, in a shard's fingerprint: a shard resumed or
/// merged by a binary that computes units otherwise refuses the parts. Raise it when a
/// unit's rows change for the same grid (1: the margin read on the logarithm of the
/// excess miss, which slo-targeted's search aims at; 2: hpa-target's and kpa-target's
/// trials from 0.3; 3: slo-feedback's aim tuned closed loop, and its column `aim_pct`).
const UNIT_REVISION: u32 = 3;

/// The units of shard `i` of `n` (1-based): every n-th unit from the i-th, so shards
/// differ in size by one unit at most.
pub(crate) fn shard(units: &[Unit], i: usize, n: usize) -> Vec<Unit> {
    units
        .iter()
        .enumerate()
        .filter(|(k, _)| k % n == i - 1)
        .map(|(_, u)| u.clone())
        .collect()
}

/// Parses `--shard i/n`.
pub(crate) fn parse_shard(text: &str) -> Result<(usize, usize), GridError> {
    let bad = || GridError::Shard(text.to_string());
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Checks every list of the grid: not empty, every value in range, every knob valid.
/// (Each setting's value was checked by the setting when it was read; what is left are
/// the lists, the SLO levels and the replica bounds of each trace.) First each list keeps
/// each value once, where it first appears: a value listed twice is one run, whose rows
/// would otherwise share a key.
pub(crate) fn validate(grid: &mut Grid) -> Result<(), GridError> {
    let once = |list: &mut Vec<Value>| *list = distinct(std::mem::take(list));
    grid.axes.iter_mut().for_each(once);
    for t in &mut grid.traces {
        t.axes.iter_mut().for_each(once);
    }
    for values in grid.knobs.values_mut() {
        *values = distinct(std::mem::take(values));
    }
    grid.slo_levels = distinct(std::mem::take(&mut grid.slo_levels));
    let nonempty = |key: &str, len: usize| {
        if len == 0 {
            Err(GridError::Empty(key.to_string()))
        } else {
            Ok(())
        }
    };
    nonempty("trace", grid.traces.len())?;
    nonempty("model", grid.models.len())?;
    nonempty("policy", grid.policies.len())?;
    nonempty("slo-levels", grid.slo_levels.len())?;
    let mut seen = std::collections::BTreeSet::new();
    for t in &grid.traces {
        let n = t.name.as_str();
        if n.is_empty()
            || n == "."
            || n == ".."
            || n.chars().any(|c| "/\\".contains(c) || c.is_control())
        {
            return Err(GridError::TraceName(t.name.clone()));
        }
        if !seen.insert(n) {
            return Err(GridError::TwiceNamed(t.name.clone()));
        }
    }
    for t in &grid.traces {
        for (axis, values) in settings::AXES.iter().zip(&t.axes) {
            nonempty(axis.name, values.len())?;
        }
        let mut s = grid.settings.clone();
        s.cluster.min_replicas = t.min_replicas;
        s.cluster.max_replicas = t.max_replicas;
        s.check()?;
    }
    for &l in &grid.slo_levels {
        if !(l > 0.0 && l <= 100.0) {
            return Err(GridError::Range {
                key: "slo-levels".into(),
                value: l.to_string(),
                range: "a percent in (0, 100]",
            });
        }
    }
    for name in grid.knobs.keys() {
        if !PolicyKind::knobs().iter().any(|k| k.name == name) {
            return Err(unknown_key(name, &known_keys()));
        }
    }
    Ok(())
}

/// The keys a grid file may hold, for the unknown-key error.
fn known_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = vec!["trace", "model", "policy", "slo-levels"];
    keys.extend(settings::ALL.iter().map(|s| s.name));
    keys
}

/// The keys a `[[trace]]` table may hold.
fn trace_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = vec!["name", "file"];
    keys.extend(settings::ALL.iter().filter(|s| s.per_trace).map(|s| s.name));
    keys
}

/// Sets every setting named `name` (among those `which` takes) to `value`, the TOML
/// value of `key`: one key may set two (`step`: the synthetic trace's and an imported
/// one's, which read the same values), the first refusal an error.
fn set_named(
    settings: &mut Settings,
    name: &str,
    key: &str,
    value: &toml::Value,
    which: impl Fn(&Setting) -> bool,
) -> Result<(), GridError> {
    for s in settings::named(name).filter(|s| which(s)) {
        let v = setting_value(key, s, value)?;
        (s.set)(settings, v);
    }
    Ok(())
}

/// The unknown-key error for `key` (as written, `trace.` prefix and all) among `known`:
/// the closest known key where one is a few edits away, else where the keys are listed.
fn unknown_key(key: &str, known: &[&str]) -> GridError {
    let bare = key.strip_prefix("trace.").unwrap_or(key);
    let closest = known
        .iter()
        .map(|k| (edit_distance(bare, k), *k))
        .min()
        .filter(|(d, k)| *d <= (k.len() / 3).max(2));
    let hint = match closest {
        Some((_, k)) => format!("did you mean `{k}`?"),
        None => "`prescale sweep --help` lists the keys, as flags".to_string(),
    };
    GridError::UnknownKey(key.to_string(), hint)
}

/// Levenshtein distance: the fewest insertions, deletions and substitutions from `a` to
/// `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A setting's value in a TOML file, as `key` (a `trace.` key names its table).
fn setting_value(key: &str, s: &Setting, v: &toml::Value) -> Result<Value, GridError> {
    s.from_toml(v).map_err(|e| match e {
        Some(e) => GridError::Setting(e),
        None => GridError::Type {
            key: key.to_string(),
            want: s.want(),
        },
    })
}

/// A list setting's values in a TOML file: a list, or one value (`slo = 99`: `[99]`).
fn setting_values(key: &str, s: &Setting, v: &toml::Value) -> Result<Vec<Value>, GridError> {
    v.as_array()
        .map_or(std::slice::from_ref(v), Vec::as_slice)
        .iter()
        .map(|x| {
            setting_value(key, s, x).map_err(|e| match e {
                GridError::Type { key, .. } => GridError::Type {
                    key,
                    want: match s.kind {
                        settings::Kind::Whole => "a list of whole numbers",
                        _ => "a list of numbers",
                    },
                },
                e => e,
            })
        })
        .collect()
}

fn list<'a>(key: &str, v: &'a toml::Value) -> Result<&'a Vec<toml::Value>, GridError> {
    v.as_array().ok_or_else(|| GridError::Type {
        key: key.to_string(),
        want: "a list",
    })
}

fn numbers(key: &str, v: &toml::Value) -> Result<Vec<f64>, GridError> {
    list(key, v)?
        .iter()
        .map(|x| {
            x.as_float()
                .or_else(|| x.as_integer().map(|i| i as f64))
                .ok_or_else(|| GridError::Type {
                    key: key.to_string(),
                    want: "a list of numbers",
                })
        })
        .collect()
}

fn names(key: &str, v: &toml::Value) -> Result<Vec<String>, GridError> {
    list(key, v)?
        .iter()
        .map(|x| {
            x.as_str().map(String::from).ok_or_else(|| GridError::Type {
                key: key.to_string(),
                want: "a list of names",
            })
        })
        .collect()
}

/// Names resolved against a registry (`all`: every entry), in report order.
fn named<T: Copy + Ord>(
    key: &str,
    list: &[String],
    what: &'static str,
    all: &[T],
    from_name: fn(&str) -> Option<T>,
) -> Result<Vec<T>, GridError> {
    if list.iter().any(|n| n == "all") {
        return Ok(all.to_vec());
    }
    let mut out = list
        .iter()
        .map(|n| {
            from_name(n).ok_or_else(|| GridError::Name {
                key: key.to_string(),
                what,
                name: n.clone(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// Model names ("all" for every model) in report order.
pub(crate) fn models(key: &str, list: &[String]) -> Result<Vec<ModelKind>, GridError> {
    named(key, list, "model", ModelKind::ALL, ModelKind::from_name)
}

/// Policy names ("all" for every policy) in report order.
pub(crate) fn policies(key: &str, list: &[String]) -> Result<Vec<PolicyKind>, GridError> {
    named(key, list, "policy", PolicyKind::ALL, PolicyKind::from_name)
}

/// Reads a TOML grid file's text into `base` (which holds the defaults), resolving trace
/// paths against `dir`, the file's folder. Every key is checked; the result is validated.
/// A setting at the top level applies to the whole grid (and is the default of each
/// trace's own); a `[[trace]]` table may set the per-trace ones for itself.
pub(crate) fn from_toml(text: &str, dir: &Path, mut base: Grid) -> Result<Grid, GridError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // Where the parser stopped, as a line number (a file cut short stops at its
        // end: the last line).
        let at = e.span().map(|s| s.start.min(text.len())).unwrap_or(0);
        let line = text[..at].matches('\n').count() + 1;
        GridError::Toml(format!("line {line}: {}", e.message().replace('\n', " ")))
    })?;
    for (key, value) in &table {
        match key.as_str() {
            "trace" => {}
            "model" => base.models = models(key, &names(key, value)?)?,
            "policy" => base.policies = policies(key, &names(key, value)?)?,
            // `slo-level`: the key before it was the flag's name.
            "slo-levels" | "slo-level" => base.slo_levels = numbers(key, value)?,
            k => match settings::find(k) {
                Some(s) if is_list(s) => base.set_list(s, setting_values(key, s, value)?)?,
                Some(_) => set_named(&mut base.settings, k, key, value, |_| true)?,
                None => return Err(unknown_key(k, &known_keys())),
            },
        }
    }
    // `service-time` states the capacity (one value) where `capacity` is not given.
    if let Some(c) = base
        .settings
        .capacity_from_service_time(table.contains_key(settings::CAPACITY.name))?
    {
        base.axes[axis_index(&settings::CAPACITY)] = vec![Value::Number(c)];
        base.settings.cluster.capacity_per_min = c;
    }
    base.traces.clear();
    if let Some(traces) = table.get("trace") {
        for entry in list("trace", traces)? {
            let spec = trace_entry(entry, dir, &base)?;
            base.traces.push(spec);
        }
    }
    validate(&mut base)?;
    Ok(base)
}

fn trace_entry(v: &toml::Value, dir: &Path, grid: &Grid) -> Result<TraceSpec, GridError> {
    let t = v.as_table().ok_or_else(|| GridError::Type {
        key: "trace".into(),
        want: "a list of tables ([[trace]])",
    })?;
    let mut own = grid.settings.clone();
    let mut spec = TraceSpec {
        name: String::new(),
        source: SweepTrace::Synthetic {
            days: own.generate.days,
        },
        import: ImportOptions::default(),
        axes: grid.axes.clone(),
        min_replicas: 0,
        max_replicas: 0,
    };
    let mut file = None;
    for (key, value) in t {
        let text = |want| {
            value.as_str().map(String::from).ok_or(GridError::Type {
                key: format!("trace.{key}"),
                want,
            })
        };
        match key.as_str() {
            "name" => spec.name = text("a name")?,
            "file" => file = Some(dir.join(text("a file path")?)),
            k => match settings::find(k).filter(|s| s.per_trace) {
                Some(s)
                    if s.name == settings::CAPACITY.name
                        && grid.settings.cluster.serving.service_time_s > 0.0 =>
                {
                    return Err(settings::SettingError::TwoSpeeds {
                        capacity: setting_values(&format!("trace.{k}"), s, value)?
                            .first()
                            .map_or(f64::NAN, |v| v.number()),
                        service_s: grid.settings.cluster.serving.service_time_s,
                    }
                    .into())
                }
                Some(s) if s.axis.is_some() => {
                    let values = setting_values(&format!("trace.{k}"), s, value)?;
                    if values.is_empty() {
                        return Err(GridError::Empty(format!("trace.{k}")));
                    }
                    spec.axes[axis_index(s)] = values;
                }
                // Every per-trace setting of the name (`step`: both).
                Some(_) => set_named(&mut own, k, &format!("trace.{k}"), value, |s| s.per_trace)?,
                None => return Err(unknown_key(&format!("trace.{k}"), &trace_keys())),
            },
        }
    }
    spec.import = own.import.clone();
    spec.source = match file {
        Some(p) => SweepTrace::File(p),
        None => SweepTrace::Synthetic {
            days: own.generate.days,
        },
    };
    spec.min_replicas = own.cluster.min_replicas;
    spec.max_replicas = own.cluster.max_replicas;
    if spec.name.is_empty() {
        spec.name = default_name(&spec.source);
    }
    Ok(spec)
}

/// A trace's name when none is given: the file's stem, or "synthetic".
pub(crate) fn default_name(source: &SweepTrace) -> String {
    match source {
        SweepTrace::File(p) => p
            .file_stem()
            .map_or("trace".to_string(), |s| s.to_string_lossy().into_owned()),
        SweepTrace::Synthetic { .. } => "synthetic".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RefitEvery;

    /// Delay 2 min, capacity 50, seed 42.
    fn axes() -> Vec<Vec<Value>> {
        vec![
            vec![Value::Seconds(120)],
            vec![Value::Number(50.0)],
            vec![Value::Whole(42)],
        ]
    }

    fn base() -> Grid {
        Grid {
            traces: vec![TraceSpec {
                name: "synthetic".into(),
                source: SweepTrace::Synthetic { days: 14.0 },
                import: ImportOptions::default(),
                axes: axes(),
                min_replicas: 1,
                max_replicas: 100,
            }],
            axes: axes(),
            models: ModelKind::ALL.to_vec(),
            policies: PolicyKind::ALL.to_vec(),
            knobs: BTreeMap::new(),
            slo_levels: vec![99.0, 99.5, 99.9],
            settings: Settings::default(),
        }
    }

    #[test]
    fn a_grid_files_service_time_states_the_capacity() {
        // 60 × 2 slots / 0.6 s = 200 requests a minute, for every trace that does not
        // state its own; stating both is refused, at the top or in a trace.
        let g = from_toml(
            "service-time = 0.6\nconcurrency = 2\n[[trace]]\ndays = 3",
            Path::new("."),
            base(),
        )
        .unwrap();
        assert_eq!(
            g.traces[0].values(&settings::CAPACITY),
            [Value::Number(200.0)]
        );
        let err = |text: &str| {
            from_toml(text, Path::new("."), base())
                .unwrap_err()
                .to_string()
        };
        assert!(
            err("service-time = 0.6\ncapacity = [50]\n[[trace]]\ndays = 3")
                .starts_with("give one of `capacity`")
        );
        assert!(
            err("service-time = 0.6\n[[trace]]\ndays = 3\ncapacity = [40]")
                .starts_with("give one of `capacity` (40 requests a minute)")
        );
    }

    #[test]
    fn a_grid_file_with_two_traces() {
        let text = r#"
            startup-delay = [1, 5]
            seed = [1, 2]
            model = ["lstm"]
            buffer = [0, 0.1]
            [[trace]]
            file = "traces/checkout.csv"
            capacity = [40, 80]
            [[trace]]
            name = "gen"
            days = 5
        "#;
        let g = from_toml(text, Path::new("/grids"), base()).unwrap();
        assert_eq!(g.traces[0].name, "checkout");
        assert_eq!(
            g.traces[0].source,
            SweepTrace::File("/grids/traces/checkout.csv".into())
        );
        assert_eq!(
            g.traces[0].values(&settings::CAPACITY),
            [Value::Number(40.0), Value::Number(80.0)]
        );
        assert_eq!(g.traces[1].source, SweepTrace::Synthetic { days: 5.0 });
        assert_eq!(g.knobs["buffer"], vec![0.0, 0.1]);
        assert_eq!(g.settings.model.refit_every, RefitEvery::DEFAULT);
        let hourly = from_toml(
            &format!("refit-every = \"1h\"\n{text}"),
            Path::new("/grids"),
            base(),
        )
        .unwrap();
        assert_eq!(hourly.settings.model.refit_every.as_minutes(), Some(60));
        assert_ne!(hourly.fingerprint(&[]), g.fingerprint(&[]));
        // One value where a list goes is a list of one.
        let one = from_toml(
            "buffer = 0.2\nslo = 99\n[[trace]]\ndays = 5\n",
            Path::new("/grids"),
            base(),
        )
        .unwrap();
        assert_eq!(one.knobs["buffer"], vec![0.2]);
        // A value listed twice is one run, where it first appears.
        let twice = from_toml(
            "buffer = [0.3, 0.1, 0.3, 0.10]\n[[trace]]\ndays = 5\ncapacity = [50, 40, 50]\n",
            Path::new("/grids"),
            base(),
        )
        .unwrap();
        assert_eq!(twice.knobs["buffer"], vec![0.3, 0.1]);
        let levels = from_toml(
            "slo-levels = [90, 85, 90]\n[[trace]]\ndays = 5\n",
            Path::new("/grids"),
            base(),
        )
        .unwrap();
        assert_eq!(levels.slo_levels, [90.0, 85.0]);
        assert_eq!(
            twice.traces[0].values(&settings::CAPACITY),
            [Value::Number(50.0), Value::Number(40.0)]
        );
        assert_eq!(one.knobs["slo"], vec![99.0]);
        // The SLO table's levels under the flag's name, and under the key's old name.
        for key in ["slo-levels", "slo-level"] {
            let levels = from_toml(
                &format!("{key} = [85, 99]\n[[trace]]\ndays = 5\n"),
                Path::new("/grids"),
                base(),
            )
            .unwrap();
            assert_eq!(levels.slo_levels, [85.0, 99.0], "{key}");
        }
        // 2 traces × 2 delays × 2 seeds, trace-major.
        let ids: Vec<String> = g.units().into_iter().map(|u| u.id).collect();
        assert_eq!(ids.len(), 8);
        assert_eq!(ids[0], "checkout/d1/s1");
        assert_eq!(ids[7], "gen/d5/s2");
    }

    #[test]
    fn bad_grids_name_the_key() {
        let err = |text: &str| {
            from_toml(text, Path::new("."), base())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("bufer = [0.1]\n[[trace]]\ndays = 3"),
            "unknown key `bufer`: did you mean `buffer`?"
        );
        // Delays are whole minutes in a sweep: strings of seconds that are, pass.
        assert_eq!(
            err("startup-delay = [\"90s\"]\n[[trace]]\ndays = 3"),
            "`startup-delay` = 90s: must be whole minutes in a sweep or backtest (its rows name it in minutes); run-all and simulate take seconds"
        );
        assert_eq!(
            from_toml(
                "startup-delay = [\"120s\", 5]\n[[trace]]\ndays = 3",
                Path::new("."),
                base()
            )
            .unwrap()
            .traces[0]
                .values(&settings::STARTUP_DELAY),
            [Value::Seconds(120), Value::Seconds(300)]
        );
        assert_eq!(
            err("startup-delai = [1]\n[[trace]]\ndays = 3"),
            "unknown key `startup-delai`: did you mean `startup-delay`?"
        );
        assert_eq!(
            err("[[trace]]\ndays = 3\ntime-colum = \"t\""),
            "unknown key `trace.time-colum`: did you mean `time-column`?"
        );
        assert_eq!(
            err("colour = 1\n[[trace]]\ndays = 3"),
            "unknown key `colour`: `prescale sweep --help` lists the keys, as flags"
        );
        // Levenshtein by hand: kitten → sitting is 3 edits.
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            err("seed = []\n[[trace]]\ndays = 3"),
            "`seed` is an empty list"
        );
        assert_eq!(
            err("buffer = [-0.1]\n[[trace]]\ndays = 3"),
            "`buffer` = -0.1: must be a fraction of the forecast, at least 0"
        );
        assert_eq!(
            err("hpa-target = [1.2]\n[[trace]]\ndays = 3"),
            "`hpa-target` = 1.2: must be a utilization in (0, 1]"
        );
        assert_eq!(
            err("interval-width = [1]\n[[trace]]\ndays = 3"),
            "`interval-width` = 1: must be strictly between 0 and 1"
        );
        assert!(err("[[trace]]\nfile = 3").contains("`trace.file` must be a file path"));
        // A trace's name names its files: no way out of the folder, one name each.
        for name in ["../../escaped", "team/api", ".."] {
            let e = err(&format!("[[trace]]\nname = {name:?}\ndays = 3"));
            assert!(e.starts_with(&format!("trace name `{name}`: ")), "{e}");
        }
        assert!(from_toml(
            "[[trace]]\nname = \"a b.v2\"\ndays = 3",
            Path::new("."),
            base()
        )
        .is_ok());
        assert_eq!(
            err("[[trace]]\nname = \"a\"\ndays = 3\n[[trace]]\nname = \"a\"\ndays = 4"),
            "two traces are named `a`: a trace's name names its reports; give each its own `name`"
        );
        assert_eq!(
            err("refit-every = \"6 hours\"\n[[trace]]\ndays = 3"),
            "`refit-every` = \"6 hours\": must be `never` or a duration such as \"30m\", \"6h\" or \"1d\""
        );
        assert!(err("refit-every = 6\n[[trace]]\ndays = 3").starts_with("`refit-every` must be"));
        assert!(!err("seed = [1,").contains('\n'));
        // A file cut short names the line the parser stopped on: the array opened on
        // line 2 runs to the end of line 3.
        let cut = err("seed = [1]\nbuffer = [0.1,\n  0.2\n");
        assert!(cut.contains("line 4: "), "{cut}");
        let bad = err("seed = [1]\nbuffer = 0.1.2\n");
        assert!(bad.contains("line 2: "), "{bad}");
    }

    #[test]
    fn the_fingerprint_sees_the_grid_and_the_files() {
        let g = base();
        assert_eq!(g.fingerprint(&[]), base().fingerprint(&[]));
        assert_ne!(g.fingerprint(&[]), g.fingerprint(&[b"a".to_vec()]));
        let mut other = base();
        other.axes[axis_index(&settings::SEED)] = vec![Value::Whole(43)];
        assert_ne!(g.fingerprint(&[]), other.fingerprint(&[]));
    }

    #[test]
    fn one_step_key_sets_the_generated_and_the_read_step_alike() {
        for text in [
            "step = 300\n[[trace]]\ndays = 3",
            "[[trace]]\ndays = 3\nstep = \"5m\"",
        ] {
            let g = from_toml(text, Path::new("."), base()).unwrap();
            assert_eq!(g.traces[0].import.step_seconds, Some(300), "{text}");
        }
        let g = from_toml("step = 300\n[[trace]]\ndays = 3", Path::new("."), base()).unwrap();
        assert_eq!(g.settings.generate.step_seconds, 300);
        // A value one of them refuses is an error, not half set.
        let err = from_toml("step = \"7s\"\n[[trace]]\ndays = 3", Path::new("."), base())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`step` = "), "{err}");
    }

    #[test]
    fn the_axes_make_the_units_and_the_points_within_them() {
        // Delays 1 and 2 min and seed 7 make 2 units; capacities 40 and 80 run within
        // each from its fits, so every row is one of 2 × 2 points.
        let g = from_toml(
            "startup-delay = [1, 2]\nseed = [7]\ncapacity = [40, 80]\n[[trace]]\nname = \"t\"\ndays = 3",
            Path::new("."),
            base(),
        )
        .unwrap();
        let units = g.units();
        let ids: Vec<&str> = units.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["t/d1/s7", "t/d2/s7"]);
        let at = units[1].settings(&g.settings);
        assert_eq!(at.cluster.startup_delay_s, 120);
        assert_eq!(
            (at.model.seed, at.generate.seed, at.cluster.serving.seed),
            (7, 7, 7)
        );
        let points = g.traces[0].within();
        assert_eq!(points.len(), 2);
        let row = settings_at(&at, &points[1]);
        // The key columns: the delay in minutes, the capacity, the seed.
        assert_eq!(axis_columns(&row), vec![2.0, 80.0, 7.0]);
        // Every combination, the first list slowest.
        let a = [Value::Whole(1), Value::Whole(2)];
        let b = [Value::Number(0.5), Value::Number(1.5), Value::Number(2.5)];
        let p = product(&[(&settings::SEED, &a), (&settings::CAPACITY, &b)]);
        let flat: Vec<(u64, f64)> = p
            .iter()
            .map(|x| (x[0].1.whole(), x[1].1.number()))
            .collect();
        assert_eq!(
            flat,
            [(1, 0.5), (1, 1.5), (1, 2.5), (2, 0.5), (2, 1.5), (2, 2.5)]
        );
    }

    #[test]
    fn shards_split_units_evenly_and_cover_them_once() {
        let mut g = base();
        g.traces[0].axes[axis_index(&settings::STARTUP_DELAY)] =
            [1, 2, 5, 10].map(|m| Value::Seconds(60 * m)).to_vec();
        g.traces[0].axes[axis_index(&settings::SEED)] = vec![Value::Whole(1), Value::Whole(2)];
        let units = g.units();
        let mut seen: Vec<String> = Vec::new();
        for i in 1..=3 {
            let mine = shard(&units, i, 3);
            assert!((2..=3).contains(&mine.len()), "shard {i}: {}", mine.len());
            seen.extend(mine.into_iter().map(|u| u.id));
        }
        seen.sort();
        let mut all: Vec<String> = units.into_iter().map(|u| u.id).collect();
        all.sort();
        assert_eq!(seen, all);
        assert_eq!(parse_shard("3/16"), Ok((3, 16)));
        for bad in ["0/4", "5/4", "1", "a/b"] {
            assert_eq!(parse_shard(bad), Err(GridError::Shard(bad.into())));
        }
    }
}
