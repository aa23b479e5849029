//! Metrics (`docs/experiment.md`): SLA, cost and stability per (model, policy), and forecast
//! accuracy per model. Pure functions of timelines and forecasts.
//!
//! The per-run metric columns are declared once, in [`COLUMNS`]: each column's name,
//! type, console cell and regression rule. `metrics_summary.csv` (the fields of
//! [`PolicyMetrics`], in the same order), the console and Markdown tables, the sweep's
//! schema and rows, and `check` all read that list; a new metric is a field of
//! [`PolicyMetrics`], its line in [`policy_metrics`] and one entry here.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::config::Tolerances;
use crate::forecast::Forecast;
use crate::policy::PolicyKind;
use crate::serving::SloMeasure;
use crate::serving::StepCluster;
use crate::sim::Timeline;

/// Model name of the model-free policies' rows.
pub const NO_MODEL: &str = "none";

/// One row of `metrics_summary.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyMetrics {
    /// Forecaster, or `none` for model-free policies.
    pub model: String,
    /// Policy name.
    pub policy: String,
    /// Minutes of the steps that violated the SLO (rounded to whole minutes at steps
    /// under a minute).
    pub sla_violation_minutes: u64,
    /// Violation minutes / test minutes.
    pub violation_rate: f64,
    /// Requests beyond ready capacity, summed over the test period.
    pub unserved_requests: f64,
    /// Σ over steps of ready + starting containers times the step in minutes: the cost
    /// index (rounded to whole minutes at steps under a minute).
    pub container_minutes: u64,
    /// Decisions whose target differed from the previous target.
    pub scaling_switches: u64,
    /// container_minutes / the oracle's container_minutes.
    pub cost_vs_oracle: f64,
    /// container_minutes / the optimal schedule's: the cost over the floor (1 is the
    /// cheapest any schedule without avoidable violations can be). Empty in files
    /// written before the column existed.
    #[serde(default = "not_a_number")]
    pub cost_vs_optimal: f64,
    /// The SLO the policy aimed for, in percent (of requests within the deadline under
    /// the queue models, of minutes without a violation under `threshold`); empty for
    /// policies without one.
    #[serde(default)]
    pub slo_target: Option<f64>,
    /// Percent of the test requests completed within the deadline (dropped ones count as
    /// missed; under `threshold`, those within the ready capacity).
    #[serde(default = "not_a_number")]
    pub requests_within_deadline_pct: f64,
    /// Median latency of the test requests, seconds (a dropped request counts at the
    /// timeout); empty under `threshold`.
    #[serde(default)]
    pub latency_p50_s: Option<f64>,
    /// 95th percentile latency, seconds; empty under `threshold`.
    #[serde(default)]
    pub latency_p95_s: Option<f64>,
    /// 99th percentile latency, seconds; empty under `threshold`.
    #[serde(default)]
    pub latency_p99_s: Option<f64>,
    /// Requests dropped: timed out waiting (under `threshold`, beyond the capacity).
    #[serde(default = "not_a_number")]
    pub dropped_requests: f64,
    /// Most requests waiting for a slot at the end of any test step.
    #[serde(default = "not_a_number")]
    pub peak_backlog: f64,
    /// The SLO attainment, in the SLO's terms: percent of requests within the deadline
    /// under the queue models, of minutes without a violation under `threshold`.
    #[serde(default = "not_a_number")]
    pub slo_attained_pct: f64,
    /// Times the service came back from zero ready containers in the test period (0 in
    /// files written before the column existed).
    #[serde(default)]
    pub cold_starts: u64,
    /// Requests that arrived while no container was ready: each waited for a cold start
    /// (or was dropped at the timeout).
    #[serde(default)]
    pub requests_at_zero: f64,
}

impl Default for PolicyMetrics {
    /// An empty row: no names, zero counts, no cost ratio (NaN) and no SLO.
    fn default() -> Self {
        Self {
            model: String::new(),
            policy: String::new(),
            sla_violation_minutes: 0,
            violation_rate: 0.0,
            unserved_requests: 0.0,
            container_minutes: 0,
            scaling_switches: 0,
            cost_vs_oracle: f64::NAN,
            cost_vs_optimal: f64::NAN,
            slo_target: None,
            requests_within_deadline_pct: f64::NAN,
            latency_p50_s: None,
            latency_p95_s: None,
            latency_p99_s: None,
            dropped_requests: f64::NAN,
            peak_backlog: f64::NAN,
            slo_attained_pct: f64::NAN,
            cold_starts: 0,
            requests_at_zero: 0.0,
        }
    }
}

/// One value of a metric column (or of a key column beside them, in the sweep).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text: a name.
    Text(String),
    /// A count.
    Whole(u64),
    /// A number.
    Number(f64),
    /// An empty cell (an optional number that is not there).
    Missing,
}

impl Cell {
    /// The cell as a number, where it is one.
    pub(crate) fn number(&self) -> Option<f64> {
        match self {
            Cell::Whole(n) => Some(*n as f64),
            Cell::Number(x) => Some(*x),
            Cell::Text(_) | Cell::Missing => None,
        }
    }
}

impl Serialize for Cell {
    /// As serde writes the field the cell stands for, so a record of cells is
    /// byte-identical to the struct's.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(t) => s.serialize_str(t),
            Cell::Whole(n) => s.serialize_u64(*n),
            Cell::Number(x) => s.serialize_f64(*x),
            Cell::Missing => s.serialize_none(),
        }
    }
}

/// The type a column's cells have in a data frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// Counts.
    Whole,
    /// Numbers (possibly empty).
    Number,
}

/// A column's place in the console and Markdown tables.
#[derive(Debug)]
pub(crate) struct Shown {
    /// Left to right.
    pub(crate) rank: u8,
    /// The header.
    pub(crate) header: &'static str,
    /// The cell's text.
    pub(crate) cell: fn(&PolicyMetrics) -> String,
}

/// How much a column may rise against a baseline before `check` calls it a regression.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The metric in `check`'s messages.
    pub(crate) label: &'static str,
    /// The rise allowed over a baseline value.
    pub(crate) allowed: fn(&Tolerances, f64) -> f64,
}

/// One per-run metric column.
#[derive(Debug)]
pub(crate) struct Column {
    /// Its name in `metrics_summary.csv` and `sweep.csv` (the [`PolicyMetrics`] field).
    pub(crate) name: &'static str,
    /// Its cells' type.
    pub(crate) kind: ColumnType,
    /// Its value in a row.
    pub(crate) get: fn(&PolicyMetrics) -> Cell,
    /// Its column in the console table, if shown.
    pub(crate) shown: Option<Shown>,
    /// Its regression rule, if checked.
    pub(crate) checked: Option<Checked>,
}

/// A cost ratio for the table: three decimals, `-` where there is none.
fn ratio_cell(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "-".to_string()
    }
}

/// Every per-run metric column, in `metrics_summary.csv`'s order (after `model` and
/// `policy`).
pub(crate) const COLUMNS: &[Column] = &[
    Column {
        name: "sla_violation_minutes",
        kind: ColumnType::Whole,
        get: |m| Cell::Whole(m.sla_violation_minutes),
        shown: Some(Shown {
            rank: 0,
            header: "viol. min",
            cell: |m| m.sla_violation_minutes.to_string(),
        }),
        checked: Some(Checked {
            label: "violation minutes",
            allowed: |t, base| t.violation_minutes_abs.max(t.violation_rel * base),
        }),
    },
    Column {
        name: "violation_rate",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.violation_rate),
        shown: Some(Shown {
            rank: 1,
            header: "viol. %",
            cell: |m| format!("{:.2}", 100.0 * m.violation_rate),
        }),
        checked: None,
    },
    Column {
        name: "unserved_requests",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.unserved_requests),
        shown: Some(Shown {
            rank: 2,
            header: "unserved req",
            cell: |m| format!("{:.0}", m.unserved_requests),
        }),
        checked: Some(Checked {
            label: "unserved requests",
            allowed: |t, base| t.unserved_abs.max(t.unserved_rel * base),
        }),
    },
    Column {
        name: "container_minutes",
        kind: ColumnType::Whole,
        get: |m| Cell::Whole(m.container_minutes),
        shown: Some(Shown {
            rank: 3,
            header: "container-min",
            cell: |m| m.container_minutes.to_string(),
        }),
        checked: Some(Checked {
            label: "container-minutes",
            allowed: |t, base| t.cost_rel * base,
        }),
    },
    Column {
        name: "scaling_switches",
        kind: ColumnType::Whole,
        get: |m| Cell::Whole(m.scaling_switches),
        shown: Some(Shown {
            rank: 6,
            header: "switches",
            cell: |m| m.scaling_switches.to_string(),
        }),
        checked: None,
    },
    Column {
        name: "cost_vs_oracle",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.cost_vs_oracle),
        shown: Some(Shown {
            rank: 5,
            header: "x oracle",
            cell: |m| ratio_cell(m.cost_vs_oracle),
        }),
        checked: None,
    },
    Column {
        name: "cost_vs_optimal",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.cost_vs_optimal),
        shown: Some(Shown {
            rank: 4,
            header: "x optimal",
            cell: |m| ratio_cell(m.cost_vs_optimal),
        }),
        checked: None,
    },
    Column {
        name: "slo_target",
        kind: ColumnType::Number,
        get: |m| m.slo_target.map_or(Cell::Missing, Cell::Number),
        shown: Some(Shown {
            rank: 7,
            header: "SLO % got/aim",
            cell: |m| {
                m.slo_target
                    .map(|aim| format!("{:.2}/{aim}", m.slo_attained_pct))
                    .unwrap_or_default()
            },
        }),
        checked: None,
    },
    Column {
        name: "requests_within_deadline_pct",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.requests_within_deadline_pct),
        shown: Some(Shown {
            rank: 8,
            header: "in time %",
            cell: |m| {
                if m.requests_within_deadline_pct.is_finite() {
                    format!("{:.2}", m.requests_within_deadline_pct)
                } else {
                    "-".to_string()
                }
            },
        }),
        checked: None,
    },
    Column {
        name: "latency_p50_s",
        kind: ColumnType::Number,
        get: |m| m.latency_p50_s.map_or(Cell::Missing, Cell::Number),
        shown: None,
        checked: None,
    },
    Column {
        name: "latency_p95_s",
        kind: ColumnType::Number,
        get: |m| m.latency_p95_s.map_or(Cell::Missing, Cell::Number),
        shown: None,
        checked: None,
    },
    Column {
        name: "latency_p99_s",
        kind: ColumnType::Number,
        get: |m| m.latency_p99_s.map_or(Cell::Missing, Cell::Number),
        shown: Some(Shown {
            rank: 9,
            header: "p99 s",
            cell: |m| {
                m.latency_p99_s
                    .map_or("-".to_string(), |x| format!("{x:.2}"))
            },
        }),
        checked: None,
    },
    Column {
        name: "dropped_requests",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.dropped_requests),
        shown: None,
        checked: Some(Checked {
            label: "dropped requests",
            allowed: |t, base| t.unserved_abs.max(t.unserved_rel * base),
        }),
    },
    Column {
        name: "peak_backlog",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.peak_backlog),
        shown: None,
        checked: None,
    },
    Column {
        name: "slo_attained_pct",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.slo_attained_pct),
        shown: None,
        checked: None,
    },
    Column {
        name: "cold_starts",
        kind: ColumnType::Whole,
        get: |m| Cell::Whole(m.cold_starts),
        shown: None,
        checked: None,
    },
    Column {
        name: "requests_at_zero",
        kind: ColumnType::Number,
        get: |m| Cell::Number(m.requests_at_zero),
        shown: None,
        checked: None,
    },
];

/// The shown columns, left to right.
pub(crate) fn shown_columns() -> Vec<&'static Shown> {
    let mut shown: Vec<&Shown> = COLUMNS.iter().filter_map(|c| c.shown.as_ref()).collect();
    shown.sort_by_key(|s| s.rank);
    shown
}

fn not_a_number() -> f64 {
    f64::NAN
}

/// Rounds to 6 decimals, so CSVs stay readable and byte-stable.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// SLA, latency, cost and stability of one timeline served by `cluster`. The cost
/// ratios are filled by [`fill_cost_ratios`] once the references' rows exist.
pub fn policy_metrics(
    model: &str,
    policy: &str,
    tl: &Timeline,
    cluster: &StepCluster,
) -> PolicyMetrics {
    // Steps to whole minutes (exact at whole-minute steps; rounded below a minute).
    let minutes = |steps: u64| (steps * u64::from(cluster.step_seconds) + 30) / 60;
    let violations = (0..tl.len()).filter(|&i| tl.violation(i)).count() as u64;
    let in_time = in_time_pct(tl, 0..tl.len());
    let quantile = |q: f64| Some(round6(tl.latency.quantile(q))).filter(|x| x.is_finite());
    let container_steps: u64 = tl
        .ready
        .iter()
        .zip(&tl.starting)
        .map(|(&r, &s)| u64::from(r) + u64::from(s))
        .sum();
    PolicyMetrics {
        model: model.to_string(),
        policy: policy.to_string(),
        sla_violation_minutes: minutes(violations),
        violation_rate: round6(violations as f64 / tl.len().max(1) as f64),
        unserved_requests: round6(tl.unserved.iter().sum()),
        container_minutes: minutes(container_steps),
        scaling_switches: tl.scaling_switches,
        cost_vs_oracle: f64::NAN,
        cost_vs_optimal: f64::NAN,
        slo_target: None,
        requests_within_deadline_pct: round6(in_time),
        latency_p50_s: quantile(0.50),
        latency_p95_s: quantile(0.95),
        latency_p99_s: quantile(0.99),
        dropped_requests: round6(tl.dropped.iter().sum()),
        peak_backlog: round6(tl.backlog.iter().copied().fold(0.0, f64::max)),
        slo_attained_pct: round6(attained_pct(tl, 0..tl.len(), cluster)),
        cold_starts: tl
            .ready
            .windows(2)
            .filter(|w| w[0] == 0 && w[1] > 0)
            .count() as u64,
        requests_at_zero: round6(
            tl.ready
                .iter()
                .zip(&tl.demand)
                .filter(|(&r, _)| r == 0)
                // From +0.0: an empty f64 sum is −0.0, which a CSV would print.
                .fold(0.0, |sum, (_, d)| sum + d),
        ),
    }
}

/// Percent of the requests of `steps` completed within the deadline.
fn in_time_pct(tl: &Timeline, steps: Range<usize>) -> f64 {
    let missed: f64 = tl.unserved[steps.clone()].iter().sum();
    // Every request: within or missed (under `requests`, whole requests drawn from the
    // demand, which can differ from it by a fraction a step).
    let requests = (tl.within[steps].iter().sum::<f64>() + missed).max(f64::MIN_POSITIVE);
    100.0 * (1.0 - missed / requests)
}

/// SLO attainment over `steps` of a timeline, in the SLO's own terms, percent.
fn attained_pct(tl: &Timeline, steps: Range<usize>, cluster: &StepCluster) -> f64 {
    match cluster.serving.model.kind().measure() {
        SloMeasure::MinutesWithoutViolation => {
            let violations = steps.clone().filter(|&i| tl.violation(i)).count();
            100.0 * (1.0 - violations as f64 / steps.len().max(1) as f64)
        }
        SloMeasure::RequestsInTime => in_time_pct(tl, steps),
    }
}

/// SLO attainment on each whole day of a timeline, percent (rounded as the reports
/// round it): the days a choice's margin is read from (`docs/experiment.md`, Choosing
/// with a margin). The steps after the last whole day count with it; a timeline of
/// less than two days is one value, its whole.
pub fn daily_attained_pct(tl: &Timeline, cluster: &StepCluster) -> Vec<f64> {
    let per_day = cluster.steps_per_day();
    let days = (tl.len() / per_day.max(1)).max(1);
    (0..days)
        .map(|d| {
            let end = if d + 1 == days {
                tl.len()
            } else {
                (d + 1) * per_day
            };
            round6(attained_pct(tl, d * per_day..end, cluster))
        })
        .collect()
}

/// Sets `cost_vs_oracle` and `cost_vs_optimal` to the row's container-minutes over each
/// reference's (NaN where a reference cost nothing).
pub fn fill_cost_ratios(row: &mut PolicyMetrics, oracle_minutes: u64, optimal_minutes: u64) {
    let ratio = |reference: u64| {
        if reference > 0 {
            round6(row.container_minutes as f64 / reference as f64)
        } else {
            f64::NAN
        }
    };
    row.cost_vs_oracle = ratio(oracle_minutes);
    row.cost_vs_optimal = ratio(optimal_minutes);
}

/// One row of `forecast_metrics.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastMetrics {
    /// Forecaster.
    pub model: String,
    /// Mean absolute error, requests per step.
    pub mae: f64,
    /// Root mean squared error, requests per step.
    pub rmse: f64,
    /// Mean absolute percentage error over nonzero actuals, in percent.
    pub mape_percent: f64,
    /// Share of actuals inside the interval; empty where the model has none.
    pub interval_coverage: Option<f64>,
}

/// Accuracy of `forecast` against `actual` (same length, same steps).
pub fn forecast_metrics(model: &str, actual: &[f64], forecast: &Forecast) -> ForecastMetrics {
    let n = actual.len().max(1) as f64;
    let errors: Vec<f64> = actual
        .iter()
        .zip(&forecast.yhat)
        .map(|(a, f)| a - f)
        .collect();
    let mae = errors.iter().map(|e| e.abs()).sum::<f64>() / n;
    let rmse = (errors.iter().map(|e| e * e).sum::<f64>() / n).sqrt();
    let nonzero: Vec<f64> = actual
        .iter()
        .zip(&errors)
        .filter(|(a, _)| **a != 0.0)
        .map(|(a, e)| (e / a).abs())
        .collect();
    let mape = if nonzero.is_empty() {
        f64::NAN
    } else {
        100.0 * nonzero.iter().sum::<f64>() / nonzero.len() as f64
    };
    let coverage = forecast.coverage(actual).map(round6);
    ForecastMetrics {
        model: model.to_string(),
        mae: round6(mae),
        rmse: round6(rmse),
        mape_percent: round6(mape),
        interval_coverage: coverage,
    }
}

/// Whether the policy named `policy` is one a user could deploy: not a reference that
/// reads the future (a policy this build does not know counts as deployable).
pub fn deployable_policy(policy: &str) -> bool {
    PolicyKind::from_name(policy).is_none_or(|p| p.realizable())
}

/// Whether a row's policy is one a user could deploy ([`deployable_policy`]).
pub fn deployable(row: &PolicyMetrics) -> bool {
    deployable_policy(&row.policy)
}

/// Indices of the deployable rows that no other deployable row beats on both SLO
/// attainment (the SLO's own measure) and cost: the Pareto front of cost vs the SLO
/// among the policies a user could run. The references (oracle, optimal) are never on
/// it.
pub fn pareto_front(rows: &[PolicyMetrics]) -> Vec<usize> {
    (0..rows.len())
        .filter(|&i| {
            let a = &rows[i];
            deployable(a)
                && !rows.iter().filter(|b| deployable(b)).any(|b| {
                    b.slo_attained_pct >= a.slo_attained_pct
                        && b.container_minutes <= a.container_minutes
                        && (b.slo_attained_pct > a.slo_attained_pct
                            || b.container_minutes < a.container_minutes)
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::Interval;

    #[test]
    fn the_column_list_is_the_csv_and_its_cells_are_serdes_bytes() {
        let m = PolicyMetrics {
            model: "m".into(),
            policy: "p".into(),
            sla_violation_minutes: 7,
            violation_rate: 0.125,
            unserved_requests: 1.5,
            container_minutes: 90,
            scaling_switches: 2,
            cost_vs_oracle: 1.0 / 3.0,
            cost_vs_optimal: f64::NAN,
            ..PolicyMetrics::default()
        };
        let mut serde = ::csv::Writer::from_writer(Vec::new());
        serde.serialize(&m).unwrap();
        let serde = String::from_utf8(serde.into_inner().unwrap()).unwrap();
        let mut cells = ::csv::Writer::from_writer(Vec::new());
        let mut header = vec!["model", "policy"];
        header.extend(COLUMNS.iter().map(|c| c.name));
        cells.write_record(&header).unwrap();
        let mut record = vec![Cell::Text("m".into()), Cell::Text("p".into())];
        record.extend(COLUMNS.iter().map(|c| (c.get)(&m)));
        cells.serialize(&record).unwrap();
        assert_eq!(
            String::from_utf8(cells.into_inner().unwrap()).unwrap(),
            serde
        );
        let ranks: Vec<u8> = shown_columns().iter().map(|s| s.rank).collect();
        assert_eq!(ranks, (0..ranks.len() as u8).collect::<Vec<_>>());
    }

    #[test]
    fn policy_metrics_count_minutes_at_the_step() {
        // Two 5-minute steps, one violating by 7 requests; ready 2+3, starting 1+0.
        let tl = Timeline {
            demand: vec![10.0, 100.0],
            target: vec![3, 3],
            ready: vec![2, 3],
            starting: vec![1, 0],
            within: vec![10.0, 93.0],
            unserved: vec![0.0, 7.0],
            dropped: vec![0.0, 7.0],
            backlog: vec![0.0, 0.0],
            p99_s: vec![f64::NAN; 2],
            violated: vec![false, true],
            scaling_switches: 1,
            ..Timeline::default()
        };
        let cluster = crate::config::ClusterConfig::threshold().at_step(300);
        let m = policy_metrics("m", "p", &tl, &cluster);
        assert_eq!(m.sla_violation_minutes, 5);
        assert_eq!(m.violation_rate, 0.5);
        assert_eq!(m.unserved_requests, 7.0);
        assert_eq!(m.container_minutes, 30);
        assert_eq!(m.scaling_switches, 1);
        // 7 of 110 requests missed; one of two steps violated; no latencies.
        assert_eq!(
            m.requests_within_deadline_pct,
            round6(100.0 * 103.0 / 110.0)
        );
        assert_eq!(m.slo_attained_pct, 50.0);
        assert_eq!(m.dropped_requests, 7.0);
        assert_eq!(m.latency_p99_s, None);
    }

    #[test]
    fn cost_ratios_divide_by_each_references_cost() {
        let mk = |policy: &str, cm| PolicyMetrics {
            model: NO_MODEL.into(),
            policy: policy.into(),
            sla_violation_minutes: 0,
            violation_rate: 0.0,
            unserved_requests: 0.0,
            container_minutes: cm,
            scaling_switches: 0,
            cost_vs_oracle: f64::NAN,
            cost_vs_optimal: f64::NAN,
            ..PolicyMetrics::default()
        };
        let mut rows = vec![mk("static-2", 300), mk("oracle", 200), mk("optimal", 150)];
        for r in &mut rows {
            fill_cost_ratios(r, 200, 150);
        }
        assert_eq!(rows[0].cost_vs_oracle, 1.5);
        assert_eq!(rows[0].cost_vs_optimal, 2.0);
        assert_eq!(rows[1].cost_vs_oracle, 1.0);
        assert_eq!(rows[2].cost_vs_optimal, 1.0);
        // A reference that cost nothing gives no ratio.
        fill_cost_ratios(&mut rows[0], 0, 150);
        assert!(rows[0].cost_vs_oracle.is_nan());
        assert_eq!(rows[0].cost_vs_optimal, 2.0);
    }

    #[test]
    fn forecast_metrics_by_hand() {
        // errors: 10-12=-2, 20-15=5, 0-1=-1; MAE 8/3, RMSE sqrt(30/3), MAPE over
        // nonzero actuals: (0.2 + 0.25)/2 = 22.5 %; inside [lower, upper]: 2 of 3.
        let f = Forecast {
            yhat: vec![12.0, 15.0, 1.0],
            interval: Some(Interval {
                lower: vec![9.0, 16.0, 0.2],
                upper: vec![13.0, 25.0, 0.5],
            }),
        };
        let m = forecast_metrics("m", &[10.0, 20.0, 0.0], &f);
        assert_eq!(m.mae, round6(8.0 / 3.0));
        assert_eq!(m.rmse, round6(10f64.sqrt()));
        assert_eq!(m.mape_percent, 22.5);
        assert_eq!(m.interval_coverage, Some(round6(2.0 / 3.0)));
    }

    fn point(policy: &str, v: u64, c: u64) -> PolicyMetrics {
        PolicyMetrics {
            model: "m".into(),
            policy: policy.into(),
            sla_violation_minutes: v,
            violation_rate: 0.0,
            unserved_requests: 0.0,
            container_minutes: c,
            scaling_switches: 0,
            cost_vs_oracle: 0.0,
            cost_vs_optimal: 0.0,
            slo_attained_pct: 100.0 - v as f64,
            ..PolicyMetrics::default()
        }
    }

    #[test]
    fn each_days_attainment_is_its_own_share_in_time() {
        // Three days of 1-minute steps and a tail of 10: day 1 all 10 requests a step in
        // time, day 2 9 of 10, day 3 and the tail 8 of 10; the tail counts with day 3.
        let per_day = 1440;
        let n = 3 * per_day + 10;
        let within: Vec<f64> = (0..n)
            .map(|i| match i / per_day {
                0 => 10.0,
                1 => 9.0,
                _ => 8.0,
            })
            .collect();
        let tl = Timeline {
            demand: vec![10.0; n],
            unserved: within.iter().map(|w| 10.0 - w).collect(),
            within,
            violated: vec![false; n],
            ..Timeline::default()
        };
        let cluster = crate::config::ClusterConfig::default().at_step(60);
        assert_eq!(daily_attained_pct(&tl, &cluster), vec![100.0, 90.0, 80.0]);
        // Less than two days: one value, the whole.
        let short = Timeline {
            demand: tl.demand[..per_day + 5].to_vec(),
            unserved: tl.unserved[..per_day + 5].to_vec(),
            within: tl.within[..per_day + 5].to_vec(),
            violated: vec![false; per_day + 5],
            ..Timeline::default()
        };
        let whole = 100.0 * (per_day as f64 * 10.0 + 45.0) / ((per_day + 5) as f64 * 10.0);
        assert_eq!(daily_attained_pct(&short, &cluster), vec![round6(whole)]);
    }

    #[test]
    fn pareto_front_drops_dominated_rows() {
        let mk = |v, c| point("buffered", v, c);
        // (5, 100) is beaten by (3, 90); the others trade off.
        let rows = vec![mk(0, 200), mk(5, 100), mk(3, 90), mk(10, 50)];
        assert_eq!(pareto_front(&rows), vec![0, 2, 3]);
    }

    #[test]
    fn references_are_never_on_the_front_and_hide_nothing() {
        // The oracle and the optimum beat every deployable row, yet the front is made of
        // deployable rows alone: the cheapest zero-violation one and the cheaper trade-offs.
        let rows = vec![
            point("oracle", 0, 100),
            point("optimal", 0, 80),
            point("reactive-hpa", 0, 130),
            point("buffered", 4, 110),
            point("confidence-aware", 4, 120),
        ];
        assert_eq!(pareto_front(&rows), vec![2, 3]);
    }
}
