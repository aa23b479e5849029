//! The PNG plots, drawn with plotters from the CSV reports (so `report` can redraw them
//! in a later process): per-model forecasts and policy comparisons, the Pareto front of
//! cost vs violations, and a one-day timeline of provisioned capacity.
//!
//! Text uses DejaVu Sans embedded in the binary and plotters' pure-Rust (ab_glyph) text
//! path: no fontconfig or freetype at build or run time, and the same inputs give the
//! same PNG bytes.

use std::path::{Path, PathBuf};
use std::sync::Once;

use chrono::DateTime;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use serde::Deserialize;

use super::csv::{from_csv, ReadError};
use crate::metrics::{pareto_front, PolicyMetrics};

/// DejaVu Sans (Bitstream Vera licence, `fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
/// Shading of synthetic event windows.
const EVENT: RGBColor = RGBColor(252, 218, 218);

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TTF; a failure here is a build defect.
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("embedded font is not a valid TTF"));
    });
}

/// One model's columns of `forecasts.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSeries {
    /// The model.
    pub model: String,
    /// Point forecast per step.
    pub yhat: Vec<f64>,
    /// Lower and upper bounds, where the model has an interval.
    pub interval: Option<(Vec<f64>, Vec<f64>)>,
}

/// `forecasts.csv`, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastsTable {
    /// Epoch seconds of each test step.
    pub timestamps: Vec<i64>,
    /// Demand per step.
    pub actual: Vec<f64>,
    /// Event flags, for generated traces.
    pub in_event: Option<Vec<bool>>,
    /// Every model's columns.
    pub models: Vec<ModelSeries>,
}

impl ForecastsTable {
    /// Minutes between test steps (1 for a one-step table).
    pub fn step_minutes(&self) -> f64 {
        match self.timestamps.as_slice() {
            [a, b, ..] => (b - a) as f64 / 60.0,
            _ => 1.0,
        }
    }
}

/// One `timelines/<model>_<policy>.csv`, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineTable {
    /// Model.
    pub model: String,
    /// Policy.
    pub policy: String,
    /// Demand per step.
    pub demand: Vec<f64>,
    /// Requests the ready containers can serve per step.
    pub capacity: Vec<f64>,
    /// Steps that violated the SLA.
    pub violation: Vec<bool>,
}

/// Everything the plots are drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotInput {
    /// The metrics rows.
    pub rows: Vec<PolicyMetrics>,
    /// The forecasts.
    pub forecasts: ForecastsTable,
    /// Every timeline.
    pub timelines: Vec<TimelineTable>,
}

fn parse_f64(s: &str, line: usize) -> Result<f64, ReadError> {
    s.parse().map_err(|_| ReadError::Csv {
        line: line as u64,
        message: format!("not a number: {s:?}"),
    })
}

/// Reads `forecasts.csv`.
pub fn read_forecasts(bytes: &[u8]) -> Result<ForecastsTable, ReadError> {
    let mut r = ::csv::Reader::from_reader(bytes);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| ReadError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(String::from)
        .collect();
    let event_col = header.iter().position(|h| h == "in_event");
    let model_names: Vec<String> = header
        .iter()
        .filter_map(|h| h.strip_suffix("_forecast"))
        .map(String::from)
        .collect();
    let col = |name: String| header.iter().position(|h| *h == name);
    let mut table = ForecastsTable {
        timestamps: vec![],
        actual: vec![],
        in_event: event_col.map(|_| vec![]),
        models: model_names
            .iter()
            .map(|m| ModelSeries {
                model: m.clone(),
                yhat: vec![],
                interval: Some((vec![], vec![])),
            })
            .collect(),
    };
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| ReadError::Csv {
            line: line as u64,
            message: e.to_string(),
        })?;
        let ts = DateTime::parse_from_rfc3339(&rec[0]).map_err(|e| ReadError::Csv {
            line: line as u64,
            message: format!("timestamp: {e}"),
        })?;
        table.timestamps.push(ts.timestamp());
        table.actual.push(parse_f64(&rec[1], line)?);
        if let (Some(c), Some(ev)) = (event_col, table.in_event.as_mut()) {
            ev.push(&rec[c] == "1");
        }
        for m in &mut table.models {
            let get =
                |suffix: &str| col(format!("{}_{suffix}", m.model)).map(|c| rec[c].to_string());
            m.yhat
                .push(parse_f64(&get("forecast").unwrap_or_default(), line)?);
            let (lo, hi) = (
                get("lower").unwrap_or_default(),
                get("upper").unwrap_or_default(),
            );
            if lo.is_empty() || hi.is_empty() {
                m.interval = None;
            } else if let Some((l, u)) = m.interval.as_mut() {
                l.push(parse_f64(&lo, line)?);
                u.push(parse_f64(&hi, line)?);
            }
        }
    }
    if table.timestamps.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(table)
}

#[derive(Deserialize)]
struct TimelineRow {
    demand: f64,
    capacity: f64,
    violation: u8,
}

/// Reads a timeline CSV.
pub fn read_timeline(model: &str, policy: &str, bytes: &[u8]) -> Result<TimelineTable, ReadError> {
    let rows: Vec<TimelineRow> = from_csv(bytes)?;
    Ok(TimelineTable {
        model: model.to_string(),
        policy: policy.to_string(),
        demand: rows.iter().map(|r| r.demand).collect(),
        capacity: rows.iter().map(|r| r.capacity).collect(),
        violation: rows.iter().map(|r| r.violation == 1).collect(),
    })
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A distinct, print-friendly colour per series index.
fn colour(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(23, 190, 207),
    ];
    PALETTE[i % PALETTE.len()]
}

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

fn time_label(t0: i64, hours: f64) -> String {
    DateTime::from_timestamp(t0 + (hours * 3600.0).round() as i64, 0)
        .map(|t| t.format("%a %m-%d %H:%M").to_string())
        .unwrap_or_default()
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The legend box every plot uses.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    position: SeriesLabelPosition,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font(font(14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Axes of a time plot: x in hours since `t0` labelled with UTC timestamps, y in requests
/// per step.
fn time_mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    t0: i64,
    step_minutes: f64,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .x_desc("time (UTC)")
        .y_desc(format!("requests per {step_minutes} min"))
        .x_labels(8)
        .x_label_formatter(&|h| time_label(t0, *h))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(font(14))
        .axis_desc_style(font(16))
        .draw()?;
    Ok(())
}

/// The `len`-step window with the largest total demand.
fn busiest(actual: &[f64], len: usize) -> std::ops::Range<usize> {
    let len = len.clamp(1, actual.len());
    let mut sum: f64 = actual[..len].iter().sum();
    let (mut best, mut best_start) = (sum, 0);
    for s in 1..=actual.len() - len {
        sum += actual[s + len - 1] - actual[s - 1];
        if sum > best {
            best = sum;
            best_start = s;
        }
    }
    best_start..best_start + len
}

/// Draws one time panel of the forecast plot over the steps `range`.
fn forecast_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    f: &ForecastsTable,
    m: &ModelSeries,
    range: std::ops::Range<usize>,
    title: &str,
    step_minutes: f64,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let t0 = f.timestamps[0];
    let hours = |i: usize| (f.timestamps[i] - t0) as f64 / 3600.0;
    let mut y_max = range
        .clone()
        .map(|i| f.actual[i].max(m.yhat[i]))
        .fold(0.0, f64::max);
    if let Some((_, u)) = &m.interval {
        y_max = range.clone().map(|i| u[i]).fold(y_max, f64::max);
    }
    let (x0, x1) = (
        hours(range.start),
        hours(range.end - 1).max(hours(range.start) + 1e-6),
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, 0.0..y_max * 1.05)?;
    time_mesh(&mut chart, t0, step_minutes)?;
    if let Some(ev) = &f.in_event {
        let mut i = range.start;
        let mut first = true;
        while i < range.end {
            if ev[i] {
                let s = i;
                while i < range.end && ev[i] {
                    i += 1;
                }
                let rect = Rectangle::new(
                    [(hours(s), 0.0), (hours(i - 1), y_max * 1.05)],
                    EVENT.filled(),
                );
                let drawn = chart.draw_series(std::iter::once(rect))?;
                if first {
                    drawn.label("event window").legend(|(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 20, y + 5)], EVENT.filled())
                    });
                    first = false;
                }
            }
            i += 1;
        }
    }
    if let Some((lo, up)) = &m.interval {
        let band: Vec<(f64, f64)> = range
            .clone()
            .map(|i| (hours(i), up[i]))
            .chain(range.clone().rev().map(|i| (hours(i), lo[i])))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                colour(0).mix(0.25).filled(),
            )))?
            .label("interval")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], colour(0).mix(0.25).filled())
            });
    }
    chart
        .draw_series(LineSeries::new(
            range.clone().map(|i| (hours(i), f.actual[i])),
            BLACK.mix(0.6),
        ))?
        .label("actual")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
    chart
        .draw_series(LineSeries::new(
            range.clone().map(|i| (hours(i), m.yhat[i])),
            colour(0).stroke_width(2),
        ))?
        .label(format!("{} forecast", m.model))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour(0).stroke_width(2)));
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

/// `<model>_forecast.png`: the whole test period, and the busiest 6 hours zoomed.
pub fn forecast_png(path: &Path, f: &ForecastsTable, m: &ModelSeries) -> DrawResult<()> {
    register_font();
    let step_minutes = f.step_minutes();
    let root = BitMapBackend::new(path, (1400, 1000)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(520);
    let all = 0..f.actual.len();
    forecast_panel(
        &top,
        f,
        m,
        all,
        &format!(
            "{}: forecast at the decision horizon vs actual demand, test period",
            m.model
        ),
        step_minutes,
    )?;
    let six_hours = ((6.0 * 60.0) / step_minutes).round() as usize;
    let zoom = busiest(&f.actual, six_hours);
    forecast_panel(&bottom, f, m, zoom, "busiest 6 hours", step_minutes)?;
    root.present()?;
    Ok(())
}

/// Horizontal bars of `values` labelled by `names`, with an optional reference line.
fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_desc: &str,
    names: &[String],
    values: &[f64],
    reference: Option<(f64, &str)>,
    bar_colour: RGBColor,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let max = values
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .max(reference.map_or(0.0, |r| r.0))
        .max(1.0);
    let n = names.len();
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(20))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(190)
        .build_cartesian_2d(0.0..max * 1.25, -0.5..n as f64 - 0.5)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_labels(6)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_labels(n)
        .y_label_formatter(&|y| {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                names[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        })
        .label_style(font(14))
        .axis_desc_style(font(15))
        .disable_y_mesh()
        .draw()?;
    for (k, v) in values.iter().enumerate() {
        let y = (n - 1 - k) as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.35), (*v, y + 0.35)],
            bar_colour.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{v:.0}"),
            (*v + max * 0.01, y + 0.15),
            font(13),
        )))?;
    }
    if let Some((r, label)) = reference {
        chart
            .draw_series(LineSeries::new(
                vec![(r, -0.5), (r, n as f64 - 0.5)],
                RED.stroke_width(2),
            ))?
            .label(label.to_string())
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    }
    Ok(())
}

/// `<model>_policy_comparison.png`: cost and SLA violations of every policy for `model`,
/// the model-free baselines included.
pub fn policy_comparison_png(path: &Path, rows: &[PolicyMetrics], model: &str) -> DrawResult<()> {
    register_font();
    let mine: Vec<&PolicyMetrics> = rows
        .iter()
        .filter(|r| r.model == model || r.model == crate::metrics::NO_MODEL)
        .collect();
    let names: Vec<String> = mine
        .iter()
        .map(|r| {
            if r.model == model {
                r.policy.clone()
            } else {
                format!("{} (no model)", r.policy)
            }
        })
        .collect();
    let cost: Vec<f64> = mine.iter().map(|r| r.container_minutes as f64).collect();
    let violations: Vec<f64> = mine
        .iter()
        .map(|r| r.sla_violation_minutes as f64)
        .collect();
    let oracle = rows
        .iter()
        .find(|r| r.policy == "oracle")
        .map(|r| r.container_minutes as f64);
    let root = BitMapBackend::new(path, (1400, 120 + 60 * names.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!("{model}: what each policy costs, and what it misses"),
        font(24),
    )?;
    let (left, right) = root.split_horizontally(700);
    bar_panel(
        &left,
        "cost",
        "container-minutes",
        &names,
        &cost,
        oracle.map(|o| (o, "oracle's cost")),
        colour(0),
    )?;
    bar_panel(
        &right,
        "SLA violations",
        "minutes with demand above ready capacity",
        &names,
        &violations,
        None,
        colour(3),
    )?;
    root.present()?;
    Ok(())
}

/// Points of the Pareto plot: one per distinct (model, cost, rate), naming every policy
/// that lands there ("buffered = policy-aware").
fn pareto_points(rows: &[PolicyMetrics]) -> Vec<(String, f64, f64, String)> {
    let mut points: Vec<(String, f64, f64, String)> = Vec::new();
    for r in rows {
        let (x, y) = (r.container_minutes as f64, 100.0 * r.violation_rate);
        match points
            .iter_mut()
            .find(|p| p.0 == r.model && p.1 == x && p.2 == y)
        {
            Some(p) => p.3 = format!("{} = {}", p.3, r.policy),
            None => points.push((r.model.clone(), x, y, r.policy.clone())),
        }
    }
    points
}

/// One panel of the Pareto plot over the given ranges.
fn pareto_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    rows: &[PolicyMetrics],
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    title: &str,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(20))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(x.clone(), y.clone())?;
    chart
        .configure_mesh()
        .x_desc("container-minutes (cost)")
        .y_desc("SLA violation rate (% of test minutes)")
        .x_labels(6)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .label_style(font(14))
        .axis_desc_style(font(15))
        .draw()?;
    let mut front: Vec<&PolicyMetrics> = pareto_front(rows).into_iter().map(|i| &rows[i]).collect();
    front.sort_by_key(|r| r.container_minutes);
    chart
        .draw_series(LineSeries::new(
            front
                .iter()
                .map(|r| (r.container_minutes as f64, 100.0 * r.violation_rate)),
            BLACK.mix(0.5).stroke_width(2),
        ))?
        .label("Pareto front: nothing else is both cheaper and better")
        .legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5).stroke_width(2))
        });
    let mut models: Vec<&str> = rows.iter().map(|r| r.model.as_str()).collect();
    models.sort();
    models.dedup();
    let mut points = pareto_points(rows);
    points.retain(|p| x.contains(&p.1) && y.contains(&p.2));
    points.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (k, model) in models.iter().enumerate() {
        let c = colour(k);
        chart
            .draw_series(
                points
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.0 == *model)
                    .map(|(n, p)| {
                        // Neighbours in x alternate above and below their point.
                        let dy = if n % 2 == 0 { -20 } else { 8 };
                        EmptyElement::at((p.1, p.2))
                            + Circle::new((0, 0), 6, c.filled())
                            + Text::new(p.3.clone(), (8, dy), font(13))
                    }),
            )?
            .label(format!("model: {model}"))
            .legend(move |(x, y)| Circle::new((x + 10, y), 6, c.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

/// `pareto.png`: every (model, policy) by cost and violation rate, the front joined;
/// on the right, a zoom on the low-violation corner where the choice is made.
pub fn pareto_png(path: &Path, rows: &[PolicyMetrics]) -> DrawResult<()> {
    register_font();
    let cost = |r: &PolicyMetrics| r.container_minutes as f64;
    let rate = |r: &PolicyMetrics| 100.0 * r.violation_rate;
    let x_max = rows.iter().map(cost).fold(1.0, f64::max);
    let y_max = rows.iter().map(rate).fold(1.0, f64::max);
    let root = BitMapBackend::new(path, (1800, 850)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Which policy? Cost vs SLA violations (lower left is better)",
        font(26),
    )?;
    let (left, right) = root.split_horizontally(760);
    pareto_panel(
        &left,
        rows,
        0.0..x_max * 1.15,
        -y_max * 0.03..y_max * 1.12,
        "all runs",
    )?;
    let mut rates: Vec<f64> = rows.iter().map(rate).collect();
    rates.sort_by(f64::total_cmp);
    let y_zoom = (crate::forecast::quantile(&rates, 0.75) * 1.3).max(1.0);
    let near: Vec<f64> = rows
        .iter()
        .filter(|r| rate(r) <= y_zoom)
        .map(cost)
        .collect();
    let (x0, x1) = (
        near.iter().copied().fold(f64::INFINITY, f64::min),
        near.iter().copied().fold(0.0, f64::max),
    );
    let pad = (x1 - x0).max(1.0) * 0.08;
    pareto_panel(
        &right,
        rows,
        (x0 - pad).max(0.0)..x1 + 2.5 * pad,
        -y_zoom * 0.04..y_zoom,
        "zoom: the low-violation corner",
    )?;
    root.present()?;
    Ok(())
}

/// `timeline.png`: demand vs provisioned capacity over the busiest day, for the best
/// few policies and reactive-hpa, violations marked.
pub fn timeline_png(
    path: &Path,
    f: &ForecastsTable,
    timelines: &[&TimelineTable],
) -> DrawResult<()> {
    register_font();
    let step_minutes = f.step_minutes();
    let day = busiest(&f.actual, (24.0 * 60.0 / step_minutes).round() as usize);
    let t0 = f.timestamps[0];
    let hours = |i: usize| (f.timestamps[i] - t0) as f64 / 3600.0;
    let y_max = day
        .clone()
        .map(|i| {
            timelines
                .iter()
                .map(|t| t.capacity[i])
                .fold(f.actual[i], f64::max)
        })
        .fold(1.0, f64::max);
    let root = BitMapBackend::new(path, (1400, 760)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Busiest day: demand vs provisioned capacity (dots: SLA violations)",
            font(24),
        )
        .margin(16)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(hours(day.start)..hours(day.end - 1), 0.0..y_max * 1.05)?;
    time_mesh(&mut chart, t0, step_minutes)?;
    chart
        .draw_series(LineSeries::new(
            day.clone().map(|i| (hours(i), f.actual[i])),
            BLACK.stroke_width(2),
        ))?
        .label("demand")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    for (k, t) in timelines.iter().enumerate() {
        let c = colour(k);
        chart
            .draw_series(LineSeries::new(
                day.clone().map(|i| (hours(i), t.capacity[i])),
                c.stroke_width(2),
            ))?
            .label(format!("{} / {} capacity", t.model, t.policy))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart.draw_series(
            day.clone()
                .filter(|&i| t.violation[i])
                .map(|i| Circle::new((hours(i), t.demand[i]), 3, c.filled())),
        )?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present()?;
    Ok(())
}

/// The timelines worth showing: the three best forecast-driven (model, policy) by
/// violations then cost, skipping any that provisioned exactly like one already picked
/// (it would hide under it), and reactive-hpa.
pub fn pick_timelines<'a>(
    rows: &[PolicyMetrics],
    timelines: &'a [TimelineTable],
) -> Vec<&'a TimelineTable> {
    let mut ranked: Vec<&PolicyMetrics> = rows
        .iter()
        .filter(|r| r.model != crate::metrics::NO_MODEL)
        .collect();
    ranked.sort_by_key(|r| (r.sla_violation_minutes, r.container_minutes));
    let find = |m: &str, p: &str| timelines.iter().find(|t| t.model == m && t.policy == p);
    let mut picked: Vec<&TimelineTable> = Vec::new();
    for r in ranked {
        if picked.len() == 3 {
            break;
        }
        if let Some(t) = find(&r.model, &r.policy) {
            if !picked.iter().any(|q| q.capacity == t.capacity) {
                picked.push(t);
            }
        }
    }
    picked.extend(find(crate::metrics::NO_MODEL, "reactive-hpa"));
    picked
}

/// Draws every plot into `dir`, each to a temporary file renamed into place. Returns the
/// files written.
pub fn write_all(dir: &Path, input: &PlotInput) -> DrawResult<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut draw = |name: String, f: &dyn Fn(&Path) -> DrawResult<()>| -> DrawResult<()> {
        let target = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp-{}.png", std::process::id()));
        let result = f(&tmp).and_then(|()| Ok(std::fs::rename(&tmp, &target)?));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
        written.push(target);
        Ok(())
    };
    for m in &input.forecasts.models {
        draw(format!("{}_forecast.png", m.model), &|p| {
            forecast_png(p, &input.forecasts, m)
        })?;
        if input.rows.iter().any(|r| r.model == m.model) {
            draw(format!("{}_policy_comparison.png", m.model), &|p| {
                policy_comparison_png(p, &input.rows, &m.model)
            })?;
        }
    }
    if !input.rows.is_empty() {
        draw("pareto.png".to_string(), &|p| pareto_png(p, &input.rows))?;
    }
    let picked = pick_timelines(&input.rows, &input.timelines);
    if !picked.is_empty() {
        draw("timeline.png".to_string(), &|p| {
            timeline_png(p, &input.forecasts, &picked)
        })?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busiest_window_finds_the_peak() {
        let xs = [1.0, 1.0, 5.0, 6.0, 1.0, 9.0, 0.0];
        assert_eq!(busiest(&xs, 2), 2..4);
        assert_eq!(busiest(&xs, 1), 5..6);
        assert_eq!(busiest(&xs, 10), 0..7);
    }
}
