//! The sweep's long table: one row per (trace, axis values ([`settings::AXES`]: startup
//! delay, capacity, seed), model, policy, knob value) with every metric of `metrics_summary.csv`. Rows are written to
//! part files as they come; polars reads the parts back, stacks and sorts them into
//! `sweep.csv`, and ranks them into the SLO table, so an unsharded sweep and merged shards
//! take the same path to the same bytes.

use std::io::Cursor;
use std::sync::Arc;

use polars::prelude::*;
use polars_io::prelude::*;

use crate::choice;
use crate::metrics::{self, deployable_policy, Cell, ColumnType, PolicyMetrics, COLUMNS};
use crate::report::plot::frontier::FrontierPoint;
use crate::settings;
#[cfg(test)]
use crate::store::shards::{PartError, PartRows};
#[cfg(test)]
use crate::store::sweep::PART;

/// One row of `sweep.csv`: where it ran, the knob, and the run's metrics (whose
/// columns are [`COLUMNS`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SweepRow {
    /// The trace's name.
    pub(crate) trace: String,
    /// Its axes' key column values, in [`settings::AXES`] order (the startup delay in
    /// minutes, the capacity, the seed).
    pub(crate) at: Vec<f64>,
    /// The knob turned, empty for a policy without one.
    pub(crate) knob: String,
    /// Its value.
    pub(crate) value: Option<f64>,
    /// The run's metrics (model and policy included).
    pub(crate) metrics: PolicyMetrics,
    /// The same configuration's run on the validation window before the test period
    /// (what a choice may read); `None` without one (`--validation-days 0`, or a model
    /// that could not spare it).
    pub(crate) validation: Option<Validated>,
}

/// A configuration's figures on the validation window, and the value it tuned there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Validated {
    /// SLO attainment there, percent.
    pub(crate) slo_attained_pct: f64,
    /// Cost over the window's optimum.
    pub(crate) cost_vs_optimal: f64,
    /// Container-minutes there.
    pub(crate) container_minutes: u64,
    /// The value a tuned policy chose there (slo-targeted's headroom).
    pub(crate) tuned: Option<f64>,
    /// The share in time, percent, a feedback policy aims at, tuned there after its
    /// value (slo-feedback's).
    pub(crate) aim_pct: Option<f64>,
    /// SLO attainment on each day there, percent.
    pub(crate) days: Vec<f64>,
}

impl Validated {
    /// The figures of a run on the validation window, with its days' attainment.
    pub(crate) fn of(run: &crate::experiment::Run, days: Vec<f64>) -> Self {
        let m = &run.metrics;
        Self {
            slo_attained_pct: m.slo_attained_pct,
            cost_vs_optimal: m.cost_vs_optimal,
            container_minutes: m.container_minutes,
            tuned: run.tuned,
            aim_pct: run.aim_pct.map(crate::metrics::round6),
            days,
        }
    }
}

/// The axes' key columns and their types, in [`settings::AXES`] order.
fn axis_key() -> impl Iterator<Item = (&'static str, DataType)> {
    settings::AXES.iter().map(|s| {
        let axis = s.axis.as_ref().expect("an axis");
        let t = match axis.whole() {
            true => DataType::Int64,
            false => DataType::Float64,
        };
        (axis.column, t)
    })
}

/// The axes' key column names.
fn axis_columns() -> Vec<&'static str> {
    axis_key().map(|(name, _)| name).collect()
}

/// How many columns [`key`] has.
pub(crate) const KEY_LEN: usize = 1 + settings::AXES.len() + 4;

/// The columns before the metrics: where a row ran (the trace, then each axis), the
/// model, the policy and its knob. The sort key of `sweep.csv`.
pub(crate) fn key() -> Vec<(&'static str, DataType)> {
    std::iter::once(("trace", DataType::String))
        .chain(axis_key())
        .chain([
            ("model", DataType::String),
            ("policy", DataType::String),
            ("knob", DataType::String),
            ("value", DataType::Float64),
        ])
        .collect()
}

/// The columns after the metrics: the configuration on the validation window (empty
/// where it has none). A choice reads these, never the test period's.
pub(crate) const VALIDATION: [(&str, DataType); 6] = [
    ("validation_slo_attained_pct", DataType::Float64),
    ("validation_cost_vs_optimal", DataType::Float64),
    ("validation_container_minutes", DataType::Int64),
    ("tuned_value", DataType::Float64),
    ("aim_pct", DataType::Float64),
    ("validation_days_pct", DataType::String),
];

impl SweepRow {
    /// A row from a run's metrics, its run on the validation window and where it ran.
    pub(crate) fn new(
        (trace, at): (&str, Vec<f64>),
        knob: Option<(&str, f64)>,
        m: &PolicyMetrics,
        validation: Option<Validated>,
    ) -> Self {
        Self {
            trace: trace.to_string(),
            at,
            knob: knob.map_or(String::new(), |k| k.0.to_string()),
            value: knob.map(|k| k.1),
            metrics: m.clone(),
            validation,
        }
    }

    /// The row's cells, in [`header`] order.
    pub(crate) fn cells(&self) -> Vec<Cell> {
        let m = &self.metrics;
        let mut out = vec![Cell::Text(self.trace.clone())];
        out.extend(settings::AXES.iter().zip(&self.at).map(|(s, &x)| {
            match s.axis.as_ref().is_some_and(|a| a.whole()) {
                true => Cell::Whole(x as u64),
                false => Cell::Number(x),
            }
        }));
        out.extend([
            Cell::Text(m.model.clone()),
            Cell::Text(m.policy.clone()),
            Cell::Text(self.knob.clone()),
            self.value.map_or(Cell::Missing, Cell::Number),
        ]);
        out.extend(COLUMNS.iter().map(|c| (c.get)(m)));
        let v = self.validation.as_ref();
        out.extend([
            v.map_or(Cell::Missing, |v| Cell::Number(v.slo_attained_pct)),
            v.map_or(Cell::Missing, |v| Cell::Number(v.cost_vs_optimal)),
            v.map_or(Cell::Missing, |v| Cell::Whole(v.container_minutes)),
            v.and_then(|v| v.tuned).map_or(Cell::Missing, Cell::Number),
            v.and_then(|v| v.aim_pct)
                .map_or(Cell::Missing, Cell::Number),
            v.map_or(Cell::Missing, |v| Cell::Text(choice::days_text(&v.days))),
        ]);
        out
    }
}

/// The column names of a part and of `sweep.csv`.
pub(crate) fn header() -> Vec<&'static str> {
    key()
        .into_iter()
        .map(|(name, _)| name)
        .chain(COLUMNS.iter().map(|c| c.name))
        .chain(VALIDATION.iter().map(|(name, _)| *name))
        .collect()
}

/// The columns, in order, with their types: parts are read with exactly this schema, so
/// a column that happens to be empty in one part stacks with another's.
pub(crate) fn schema() -> Schema {
    let metric = |c: &metrics::Column| match c.kind {
        ColumnType::Whole => DataType::Int64,
        ColumnType::Number => DataType::Float64,
    };
    Schema::from_iter(
        key()
            .into_iter()
            .map(|(name, t)| Field::new(name.into(), t))
            .chain(COLUMNS.iter().map(|c| Field::new(c.name.into(), metric(c))))
            .chain(
                VALIDATION
                    .iter()
                    .map(|(name, t)| Field::new((*name).into(), t.clone())),
            ),
    )
}

/// A part file as a data frame with the sweep's schema.
pub(crate) fn read_part(bytes: &[u8]) -> PolarsResult<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema())))
        .into_reader_with_file_handle(Cursor::new(bytes.to_vec()))
        .finish()
}

/// The parts stacked and sorted by the key columns: the content of `sweep.csv`.
pub(crate) fn combine(parts: &[DataFrame]) -> PolarsResult<DataFrame> {
    let mut all = DataFrame::empty_with_schema(&schema());
    for p in parts {
        all.vstack_mut(p)?;
    }
    all.sort(
        key().into_iter().map(|(name, _)| name).collect::<Vec<_>>(),
        SortMultipleOptions::default()
            .with_maintain_order(true)
            .with_nulls_last(false),
    )
}

/// A data frame as CSV bytes.
pub(crate) fn to_csv(df: &DataFrame) -> PolarsResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut df = df.clone();
    CsvWriter::new(&mut out)
        .include_header(true)
        .finish(&mut df)?;
    Ok(out)
}

/// The SLO table: for each SLO level and each (trace, axis values), the
/// cheapest configuration of each deployable policy family (model, knob value) whose SLO
/// attainment (`slo_attained_pct`: requests within the deadline under the queue models,
/// minutes without a violation under `threshold`) meets the level, and the cheapest
/// overall (`family` = "overall"). Chosen and judged on the same test period: in-sample.
///
/// The recommended rows are picked with `confidence` (`--confidence`, percent; 0: bare)
/// from the validation days ([`recommended_rows`]), against the attainment the service
/// alone reaches at a row's capacity (`ceilings`: `(capacity, percent)` pairs; a
/// capacity not among them is an error).
pub(crate) fn slo_table(
    df: &DataFrame,
    levels: &[f64],
    confidence: f64,
    ceilings: &[(f64, f64)],
) -> PolarsResult<DataFrame> {
    let group: Vec<String> = std::iter::once("trace")
        .chain(axis_columns())
        .map(|s| s.to_string())
        .collect();
    let deployable: BooleanChunked = df
        .column("policy")?
        .str()?
        .iter()
        .map(|p| p.is_none_or(deployable_policy))
        .collect();
    let candidates = df.filter(&deployable)?;
    let mut out: Option<DataFrame> = None;
    for &level in levels {
        // Meets the level (rounded to the column's 6 decimals).
        let mask = candidates
            .column("slo_attained_pct")?
            .f64()?
            .gt_eq(level - 1e-6);
        let meeting = candidates.filter(&mask)?;
        let by_cost = meeting.sort(
            ["container_minutes"],
            SortMultipleOptions::default().with_maintain_order(true),
        )?;
        let mut family_key = group.clone();
        family_key.push("policy".into());
        let families = by_cost.unique_stable(Some(&family_key), UniqueKeepStrategy::First, None)?;
        let mut overall = by_cost.unique_stable(Some(&group), UniqueKeepStrategy::First, None)?;
        let n = overall.height();
        overall.with_column(Column::new("family".into(), vec!["overall"; n]))?;
        let mut families = families;
        let policies = families
            .column("policy")?
            .clone()
            .with_name("family".into());
        families.with_column(policies)?;
        let mut both = families.vstack(&overall)?;
        let n = both.height();
        both.with_column(Column::new("chosen_on".into(), vec!["test"; n]))?;
        let picked = IdxCa::from_vec(
            "".into(),
            recommended_rows(&candidates, level, confidence, ceilings)?,
        );
        let mut recommended = candidates.take(&picked)?;
        let n = recommended.height();
        recommended.with_column(Column::new("family".into(), vec!["recommended"; n]))?;
        recommended.with_column(Column::new("chosen_on".into(), vec!["validation"; n]))?;
        let mut both = both.vstack(&recommended)?;
        let m = both.height();
        both.with_column(Column::new("slo_level".into(), vec![level; m]))?;
        out = Some(match out {
            None => both,
            Some(acc) => acc.vstack(&both)?,
        });
    }
    let table = out.unwrap_or_else(|| DataFrame::empty_with_schema(&schema()));
    let cols = ["slo_level", "trace"]
        .into_iter()
        .chain(axis_columns())
        .chain([
            "family",
            "chosen_on",
            "model",
            "policy",
            "knob",
            "value",
            "slo_attained_pct",
            "violation_rate",
            "sla_violation_minutes",
            "container_minutes",
            "cost_vs_optimal",
            "validation_slo_attained_pct",
            "validation_cost_vs_optimal",
            "validation_container_minutes",
            "tuned_value",
            "aim_pct",
            "validation_days_pct",
        ]);
    if table.height() == 0 {
        return Ok(DataFrame::empty());
    }
    let by: Vec<&str> = ["slo_level", "trace"]
        .into_iter()
        .chain(axis_columns())
        .chain(["family"])
        .collect();
    table
        .select(cols)?
        .sort(by, SortMultipleOptions::default().with_maintain_order(true))
}

/// The recommended configuration of each (trace, axis values) at SLO
/// `level`, chosen from the validation columns alone as a one-fold backtest chooses
/// (`docs/experiment.md`, Backtests): each (model, policy) family's pick is its cheapest
/// configuration that met the level on the validation window, or the closest
/// ([`choice::pick`]); the families are ranked by whether their pick met it there
/// (among those that did not, the closest first), then by its cost over the optimum
/// there ([`choice::ranking`]). Rows without validation
/// figures take no part. Indices into `df`, one per group that has any, in the order the
/// groups first appear.
fn recommended_rows(
    df: &DataFrame,
    level: f64,
    confidence: f64,
    ceilings: &[(f64, f64)],
) -> PolarsResult<Vec<IdxSize>> {
    let text = |name: &str| -> PolarsResult<StringChunked> { Ok(df.column(name)?.str()?.clone()) };
    let (trace, model, policy) = (text("trace")?, text("model")?, text("policy")?);
    let at = axis_values(df)?;
    let attained = df.column("validation_slo_attained_pct")?.f64()?.clone();
    let minutes = df.column("validation_container_minutes")?.i64()?.clone();
    let cost = df.column("validation_cost_vs_optimal")?.f64()?.clone();
    let days = text("validation_days_pct")?;
    let capacity = df.column("capacity_per_min")?.cast(&DataType::Float64)?;
    let capacity = capacity.f64()?;
    let ceiling = |i: usize| -> PolarsResult<f64> {
        let c = capacity.get(i).unwrap_or(f64::NAN);
        ceilings
            .iter()
            .find(|&&(at, _)| (at - c).abs() <= 1e-9 * at.abs())
            .map(|&(_, pct)| pct)
            .ok_or_else(|| {
                polars_err!(ComputeError: "no ceiling recorded for capacity {c}: rerun the sweep")
            })
    };
    // Groups and, in each, families, in first-appearance order; each family's rows.
    // Indexed, so a sweep of many units stays linear in its rows.
    type Group = (Option<String>, Vec<Option<u64>>);
    type Family = ((String, String), Vec<usize>);
    let mut groups: Vec<Vec<Family>> = Vec::new();
    let mut group_at: std::collections::HashMap<Group, usize> = Default::default();
    for i in 0..df.height() {
        if attained.get(i).is_none() || minutes.get(i).is_none() || cost.get(i).is_none() {
            continue;
        }
        let g: Group = (
            trace.get(i).map(String::from),
            at.iter().map(|c| c.get(i).map(f64::to_bits)).collect(),
        );
        let f = (
            model.get(i).unwrap_or_default().to_string(),
            policy.get(i).unwrap_or_default().to_string(),
        );
        let at = *group_at.entry(g).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        let families = &mut groups[at];
        match families.iter_mut().find(|(h, _)| *h == f) {
            Some((_, rows)) => rows.push(i),
            None => families.push((f, vec![i])),
        }
    }
    let mut out = Vec::new();
    for families in groups {
        let mut rows_of = Vec::new();
        let mut trials = Vec::new();
        for ((model, policy), rows) in families {
            for i in rows {
                rows_of.push(i);
                trials.push(choice::Trial {
                    window: 1,
                    model: model.clone(),
                    policy: policy.clone(),
                    knob: None,
                    tuned: None,
                    aim_pct: None,
                    chosen_on: Some(choice::Figures {
                        attained_pct: attained.get(i).unwrap_or(f64::NAN),
                        cost_vs_optimal: cost.get(i).unwrap_or(f64::NAN),
                        container_minutes: minutes.get(i).unwrap_or_default() as u64,
                        days: choice::days_of(days.get(i).unwrap_or_default()),
                    }),
                    judged_on: None,
                });
            }
        }
        // A group is one capacity (an axis), so one ceiling.
        let rule = choice::Rule::new(level, confidence, ceiling(rows_of[0])?);
        let records = choice::records(&trials, 1, &rule);
        if let Some(first) = choice::recommend(&records) {
            out.push(rows_of[records[first].picks[0]] as IdxSize);
        }
    }
    Ok(out)
}

/// The axes' key columns of `df` as numbers, in [`settings::AXES`] order.
fn axis_values(df: &DataFrame) -> PolarsResult<Vec<Float64Chunked>> {
    axis_columns()
        .into_iter()
        .map(|name| Ok(df.column(name)?.cast(&DataType::Float64)?.f64()?.clone()))
        .collect()
}

/// One configuration of the SLO table at one level: the cheapest meeting it on the test
/// period (an "overall" row, in-sample) or the one chosen on the validation window (a
/// "recommended" row).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SloPick {
    /// The SLO level, percent.
    pub(crate) level: f64,
    /// Trace.
    pub(crate) trace: String,
    /// Its axes' key column values, in [`settings::AXES`] order.
    pub(crate) at: Vec<f64>,
    /// Model, or `none`.
    pub(crate) model: String,
    /// Policy.
    pub(crate) policy: String,
    /// The knob and its value, for policies with one.
    pub(crate) knob: Option<(String, f64)>,
    /// Cost over the optimum on the test period.
    pub(crate) cost_vs_optimal: f64,
    /// SLO attainment on the test period, percent.
    pub(crate) attained_pct: f64,
    /// SLO attainment and cost over the optimum on the validation window.
    pub(crate) validation: Option<(f64, f64)>,
    /// The value a tuned policy chose on the validation window.
    pub(crate) tuned: Option<f64>,
    /// The share in time, percent, a feedback policy aims at, tuned there after it.
    pub(crate) aim_pct: Option<f64>,
}

impl SloPick {
    /// The configuration as a user reads it: `lstm / buffered (buffer 0.2)`.
    pub(crate) fn name(&self) -> String {
        let knob = self.knob.as_ref().map(|(k, v)| (k.as_str(), *v));
        let setting = crate::policy::setting_label(&self.policy, knob, self.tuned, self.aim_pct)
            .map_or(String::new(), |s| format!(" ({s})"));
        format!("{} / {}{setting}", self.model, self.policy)
    }
}

/// The rows of `family` ("overall" or "recommended") of an SLO table, read by column
/// name, in table order.
pub(crate) fn picks(slo: &DataFrame, of: &str) -> PolarsResult<Vec<SloPick>> {
    if slo.height() == 0 {
        return Ok(Vec::new());
    }
    let text = |name: &str| -> PolarsResult<StringChunked> { Ok(slo.column(name)?.str()?.clone()) };
    let float =
        |name: &str| -> PolarsResult<Float64Chunked> { Ok(slo.column(name)?.f64()?.clone()) };
    let (family, trace, model, policy, knob) = (
        text("family")?,
        text("trace")?,
        text("model")?,
        text("policy")?,
        text("knob")?,
    );
    let (level, value, cost, attained) = (
        float("slo_level")?,
        float("value")?,
        float("cost_vs_optimal")?,
        float("slo_attained_pct")?,
    );
    let (v_attained, v_cost, tuned, aim) = (
        float("validation_slo_attained_pct")?,
        float("validation_cost_vs_optimal")?,
        float("tuned_value")?,
        float("aim_pct")?,
    );
    let at = axis_values(slo)?;
    let mut out = Vec::new();
    for i in 0..slo.height() {
        if family.get(i) != Some(of) {
            continue;
        }
        out.push(SloPick {
            level: level.get(i).unwrap_or(f64::NAN),
            trace: trace.get(i).unwrap_or_default().to_string(),
            at: at.iter().map(|c| c.get(i).unwrap_or(f64::NAN)).collect(),
            model: model.get(i).unwrap_or_default().to_string(),
            policy: policy.get(i).unwrap_or_default().to_string(),
            knob: knob
                .get(i)
                .filter(|k| !k.is_empty())
                .zip(value.get(i))
                .map(|(k, v)| (k.to_string(), v)),
            cost_vs_optimal: cost.get(i).unwrap_or(f64::NAN),
            attained_pct: attained.get(i).unwrap_or(f64::NAN),
            validation: v_attained.get(i).zip(v_cost.get(i)),
            tuned: tuned.get(i),
            aim_pct: aim.get(i),
        });
    }
    Ok(out)
}

/// The points of `trace` at the first value of every axis but the startup delay (its
/// first capacity and seed), one line per delay, for its frontier plot, each with the
/// SLO levels at which the SLO table `slo` recommends it.
pub(crate) fn frontier_points(
    df: &DataFrame,
    slo: &DataFrame,
    trace: &str,
) -> PolarsResult<Vec<FrontierPoint>> {
    let all_picks = picks(slo, "recommended")?;
    let mine = df.filter(&df.column("trace")?.str()?.equal(trace))?;
    if mine.height() == 0 {
        return Ok(Vec::new());
    }
    let delay_at = crate::sweep::axis_index(&settings::STARTUP_DELAY);
    let at = axis_values(&mine)?;
    let row_at =
        |i: usize| -> Vec<f64> { at.iter().map(|c| c.get(i).unwrap_or(f64::NAN)).collect() };
    // Every axis but the delay at the trace's first row's value.
    let first = row_at(0);
    let on_plot = |x: &[f64]| {
        x.iter()
            .zip(&first)
            .enumerate()
            .all(|(k, (a, b))| k == delay_at || a.to_bits() == b.to_bits())
    };
    // The plot's recommendations: this trace's, at the plot's values.
    let recommended: Vec<&SloPick> = all_picks
        .iter()
        .filter(|k| k.trace == trace && on_plot(&k.at))
        .collect();
    let models = mine.column("model")?.str()?.clone();
    let policies = mine.column("policy")?.str()?.clone();
    let costs = mine.column("cost_vs_optimal")?.f64()?.clone();
    let attained = mine.column("slo_attained_pct")?.f64()?.clone();
    let values = mine.column("value")?.f64()?.clone();
    let mut out = Vec::new();
    for i in 0..mine.height() {
        let x = row_at(i);
        if !on_plot(&x) {
            continue;
        }
        let d = x[delay_at];
        if let (Some(m), Some(p), Some(c), Some(r)) = (
            models.get(i),
            policies.get(i),
            costs.get(i),
            attained.get(i),
        ) {
            let value = values.get(i);
            let recommended_at = recommended
                .iter()
                .filter(|k| {
                    k.at[delay_at] == d
                        && k.model == m
                        && k.policy == p
                        && k.knob.as_ref().map(|k| k.1) == value
                })
                .map(|k| k.level)
                .collect();
            out.push(FrontierPoint {
                delay: d as u32,
                model: m.to_string(),
                policy: p.to_string(),
                cost: c,
                rate: 100.0 - r,
                recommended_at,
            });
        }
    }
    Ok(out)
}

/// Rows of deployable policies without figures on a validation window.
pub(crate) fn without_validation(df: &DataFrame) -> PolarsResult<usize> {
    let policies = df.column("policy")?.str()?.clone();
    let attained = df.column("validation_slo_attained_pct")?.f64()?.clone();
    Ok((0..df.height())
        .filter(|&i| policies.get(i).is_some_and(deployable_policy) && attained.get(i).is_none())
        .count())
}

/// The trace names of `df`, sorted.
pub(crate) fn traces(df: &DataFrame) -> PolarsResult<Vec<String>> {
    let mut names: Vec<String> = df
        .column("trace")?
        .str()?
        .iter()
        .flatten()
        .map(String::from)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as part-file CSV bytes.
    fn part_csv(rows: &[SweepRow]) -> Vec<u8> {
        let mut part = PartRows::new(&PART);
        part.extend(rows.iter().map(SweepRow::cells));
        part.to_csv()
    }

    fn row(
        trace: &str,
        delay: u32,
        policy: &str,
        value: Option<f64>,
        v: u64,
        cost: u64,
    ) -> SweepRow {
        SweepRow {
            trace: trace.into(),
            at: vec![f64::from(delay), 50.0, 42.0],
            knob: value.map_or(String::new(), |_| "buffer".into()),
            value,
            metrics: PolicyMetrics {
                model: "lstm".into(),
                policy: policy.into(),
                sla_violation_minutes: v,
                violation_rate: v as f64 / 1000.0,
                slo_attained_pct: 100.0 - v as f64 / 10.0,
                unserved_requests: 0.5,
                container_minutes: cost,
                scaling_switches: 3,
                cost_vs_oracle: cost as f64 / 100.0,
                cost_vs_optimal: cost as f64 / 90.0,
                ..PolicyMetrics::default()
            },
            validation: None,
        }
    }

    /// `r` with its figures on a validation window of 1,000 minutes: `v` violating
    /// minutes at `cost` container-minutes (the window's optimum 90).
    fn validated(mut r: SweepRow, v: u64, cost: u64) -> SweepRow {
        r.validation = Some(Validated {
            slo_attained_pct: 100.0 - v as f64 / 10.0,
            cost_vs_optimal: cost as f64 / 90.0,
            container_minutes: cost,
            tuned: None,
            aim_pct: None,
            days: vec![100.0 - v as f64 / 10.0],
        });
        r
    }

    #[test]
    fn a_resumed_part_is_the_bytes_of_one_written_at_once() {
        let a = row("t,x", 5, "buffered", Some(0.2), 1, 120);
        let b = row("t", 2, "oracle", None, 0, 100);
        let once = part_csv(&[a.clone(), b.clone()]);
        let mut resumed = PartRows::read(&PART, &part_csv(&[a])).unwrap();
        resumed.extend([b.cells()]);
        assert_eq!(resumed.to_csv(), once);
        // The header is the key columns, then the metric columns; the comma in the
        // trace name is quoted.
        let text = String::from_utf8(once).unwrap();
        assert!(text.starts_with("trace,startup_delay_min,capacity_per_min,seed,model,policy,knob,value,sla_violation_minutes,"), "{text}");
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .starts_with("\"t,x\",5,50.0,42,lstm,buffered,buffer,0.2,1,0.001,0.5,120,3,1.2,"),
            "{text}"
        );
        assert_eq!(
            PartRows::read(&PART, b"trace,other\n").unwrap_err(),
            PartError::Header
        );
    }

    #[test]
    fn parts_combine_sorted_whatever_their_order() {
        let a = vec![
            row("t", 5, "buffered", Some(0.2), 1, 120),
            row("t", 2, "oracle", None, 0, 100),
        ];
        let b = vec![row("t", 2, "buffered", Some(0.1), 4, 110)];
        let one = combine(&[
            read_part(&part_csv(&a)).unwrap(),
            read_part(&part_csv(&b)).unwrap(),
        ])
        .unwrap();
        let other = combine(&[
            read_part(&part_csv(&b)).unwrap(),
            read_part(&part_csv(&a)).unwrap(),
        ])
        .unwrap();
        assert_eq!(to_csv(&one).unwrap(), to_csv(&other).unwrap());
        let text = String::from_utf8(to_csv(&one).unwrap()).unwrap();
        let policies: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(5).unwrap())
            .collect();
        assert_eq!(policies, ["buffered", "oracle", "buffered"]);
        // An empty part stacks too.
        assert_eq!(
            combine(&[read_part(&part_csv(&[])).unwrap()])
                .unwrap()
                .height(),
            0
        );
    }

    #[test]
    fn the_recommended_rows_read_the_ceiling_recorded_for_their_capacity() {
        // SLO 90, --confidence 95, three validation days each. buffered at 0.1 (100
        // container-minutes) attains 91.5, 92, 92.5; at 0.3 (130) 93.3, 93.35, 93.4.
        // Under a ceiling of 100 % 0.1's misses over it, 8.5, 8 and 7.5 of a budget of
        // 10, put a day's chance at F(3.106; 2) = 0.955: 0.1 is the pick. Under the
        // 93.5 % a service reaches within 2.5 mean service times its misses 2, 1.5 and 1
        // of a budget of 3.5 spread more in logarithm: F(2.205; 2) = 0.921, and 0.3
        // (misses 0.2, 0.15, 0.1: F(7.93; 2) = 0.992) is the pick.
        let mut cheap = validated(row("t", 2, "buffered", Some(0.1), 0, 100), 0, 100);
        let mut dear = validated(row("t", 2, "buffered", Some(0.3), 0, 130), 0, 130);
        cheap.validation.as_mut().unwrap().days = vec![91.5, 92.0, 92.5];
        dear.validation.as_mut().unwrap().days = vec![93.3, 93.35, 93.4];
        let df = combine(&[read_part(&part_csv(&[cheap, dear])).unwrap()]).unwrap();
        let pick = |ceiling: f64| {
            let t = slo_table(&df, &[90.0], 95.0, &[(50.0, ceiling)]).unwrap();
            let rec = picks(&t, "recommended").unwrap();
            assert_eq!(rec.len(), 1);
            rec[0].knob.clone().unwrap().1
        };
        assert_eq!(pick(100.0), 0.1);
        assert_eq!(pick(93.5), 0.3);
    }

    #[test]
    fn the_recommendation_is_chosen_on_the_validation_columns_and_judged_on_the_test() {
        // SLO 99 (at most 10 violating minutes of 1,000). On the test period buffered at
        // 0 is the cheapest that met it (8 minutes, 100): the in-sample pick. On the
        // validation window buffered at 0 missed (14 minutes) and 0.2 met (6 minutes,
        // 125), so buffered's pick is 0.2; reactive-hpa met there at 0.7 (9 minutes,
        // 140): buffered at 0.2 is recommended (met, 125 < 140), and its test figures
        // (1 minute, 130) are what the row reports. The optimum takes no part.
        // lstm × confidence-aware has no validation window: no part either, though it is
        // the cheapest on test.
        let rows = vec![
            validated(row("t", 2, "optimal", None, 0, 90), 0, 90),
            validated(row("t", 2, "buffered", Some(0.0), 8, 100), 14, 95),
            validated(row("t", 2, "buffered", Some(0.2), 1, 130), 6, 125),
            validated(row("t", 2, "reactive-hpa", Some(0.7), 0, 150), 9, 140),
            row("t", 2, "confidence-aware", Some(0.8), 0, 99),
        ];
        let df = combine(&[read_part(&part_csv(&rows)).unwrap()]).unwrap();
        // Minutes without a violation: the service alone reaches 100 % at capacity 50.
        let err = slo_table(&df, &[99.0, 99.5], 90.0, &[(60.0, 100.0)]).unwrap_err();
        assert!(
            err.to_string()
                .contains("no ceiling recorded for capacity 50: rerun the sweep"),
            "{err}"
        );
        let t = slo_table(&df, &[99.0, 99.5], 90.0, &[(50.0, 100.0)]).unwrap();
        let overall = picks(&t, "overall").unwrap();
        assert_eq!(
            (overall[0].policy.as_str(), overall[0].knob.clone()),
            ("confidence-aware", Some(("buffer".to_string(), 0.8)))
        );
        let rec = picks(&t, "recommended").unwrap();
        assert_eq!(rec.len(), 2);
        assert_eq!(rec[0].level, 99.0);
        assert_eq!(
            (rec[0].policy.as_str(), rec[0].knob.clone()),
            ("buffered", Some(("buffer".to_string(), 0.2)))
        );
        assert_eq!(rec[0].attained_pct, 99.9);
        assert_eq!(rec[0].validation, Some((99.4, 125.0 / 90.0)));
        assert_eq!(rec[0].name(), "lstm / buffered (buffer 0.2)");
        // At 99.5 % (5 minutes) nobody met it on validation: each family's closest
        // (buffered 0.2 at 99.4, reactive-hpa at 99.1), and of those the closer:
        // buffered 0.2 again.
        assert_eq!(rec[1].level, 99.5);
        assert_eq!(rec[1].knob, Some(("buffer".to_string(), 0.2)));
        // The frontier marks that point at both levels, and no other.
        let points = frontier_points(&df, &t, "t").unwrap();
        let marked: Vec<(&str, Option<f64>, &[f64])> = points
            .iter()
            .filter(|p| !p.recommended_at.is_empty())
            .map(|p| {
                (
                    p.policy.as_str(),
                    Some(p.cost * 90.0),
                    p.recommended_at.as_slice(),
                )
            })
            .collect();
        assert_eq!(marked.len(), 1, "{marked:?}");
        assert_eq!(marked[0].0, "buffered");
        assert_eq!(marked[0].2, [99.0, 99.5]);
        assert!((marked[0].1.unwrap() - 130.0).abs() < 1e-9);
    }

    #[test]
    fn slo_table_takes_the_cheapest_meeting_each_level_and_skips_references() {
        // 1,000 test minutes: at 99 % up to 10 may violate, at 99.9 % only 1.
        let rows = vec![
            row("t", 2, "optimal", None, 0, 90),
            row("t", 2, "buffered", Some(0.0), 8, 100),
            row("t", 2, "buffered", Some(0.2), 1, 130),
            row("t", 2, "reactive-hpa", Some(0.7), 0, 150),
        ];
        let df = combine(&[read_part(&part_csv(&rows)).unwrap()]).unwrap();
        let t = slo_table(&df, &[99.0, 99.9], 90.0, &[(50.0, 100.0)]).unwrap();
        let text = String::from_utf8(to_csv(&t).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("slo_level,trace,startup_delay_min"),
            "{text}"
        );
        // 99: buffered at 0 (100), reactive-hpa (150), overall buffered; the optimum is a
        // reference and never listed. 99.9: buffered at 0.2 (130).
        let picks: Vec<(String, String, String)> = lines[1..]
            .iter()
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                (c[0].to_string(), c[5].to_string(), c[14].to_string())
            })
            .collect();
        let want = [
            ("99.0", "buffered", "100"),
            ("99.0", "overall", "100"),
            ("99.0", "reactive-hpa", "150"),
            ("99.9", "buffered", "130"),
            ("99.9", "overall", "130"),
            ("99.9", "reactive-hpa", "150"),
        ];
        assert_eq!(picks.len(), want.len(), "{text}");
        for (got, w) in picks.iter().zip(want) {
            assert_eq!(
                (got.0.as_str(), got.1.as_str(), got.2.as_str()),
                w,
                "{text}"
            );
        }
    }
}
