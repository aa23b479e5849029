//! The PNG plots, one file per figure, drawn with plotters from a [`Results`] into PNG
//! bytes (the caller writes them through the store's atomic writer). This module holds
//! what the figures share: the font, the palette, the legend, the time axis.
//!
//! Text uses DejaVu Sans embedded in the binary and plotters' pure-Rust (ab_glyph) text
//! path: no fontconfig or freetype at build or run time, and the same inputs give the
//! same PNG bytes.

mod comparison;
mod forecast;
pub(crate) mod frontier;
mod pareto;
mod timeline;

use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::metrics::NO_MODEL;
use crate::results::Results;
use crate::results::TestPeriod;

/// DejaVu Sans (Bitstream Vera licence, `../fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
/// Shading of synthetic event windows.
const EVENT: RGBColor = RGBColor(252, 218, 218);

/// What went wrong while drawing.
type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The drawing area every figure draws on.
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// A chart with f64 axes.
type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TTF; a failure here is a build defect.
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("embedded font is not a valid TTF"));
    });
}

/// A distinct, print-friendly colour per series index.
pub(crate) fn colour(i: usize) -> RGBColor {
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

/// Draws a figure of `size` pixels and encodes it as PNG.
fn png(size: (u32, u32), draw: impl FnOnce(&Area) -> DrawResult<()>) -> DrawResult<Vec<u8>> {
    register_font();
    let mut pixels = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        &pixels,
        size.0,
        size.1,
        image::ColorType::Rgb8,
    )?;
    Ok(out)
}

/// The legend box every plot uses.
fn draw_legend<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    position: SeriesLabelPosition,
) -> DrawResult<()> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(font(14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Axes of a time plot: x in hours since the first test step labelled with UTC
/// timestamps, y in requests per step.
fn time_mesh<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, test: &TestPeriod) -> DrawResult<()> {
    let start = test.start;
    let label = move |h: &f64| {
        (start + chrono::Duration::seconds((h * 3600.0).round() as i64))
            .format("%a %m-%d %H:%M")
            .to_string()
    };
    chart
        .configure_mesh()
        .x_desc("time (UTC)")
        .y_desc(format!(
            "requests per {}",
            crate::trace::step_in_words(test.step_seconds)
        ))
        .x_labels(8)
        .x_label_formatter(&label)
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

/// A figure of the reports folder: what it shows (the store names its file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Figure {
    /// A model's forecast of the test period.
    Forecast(String),
    /// The policies driven by one model, by cost and violations.
    Comparison(String),
    /// Every run by cost and SLO attainment, the Pareto front joined.
    Pareto,
    /// The busiest day's capacity under the best runs.
    Timeline,
}

/// Draws every plot of `results`: (figure, PNG bytes) in drawing order.
pub(crate) fn render_all(results: &Results) -> DrawResult<Vec<(Figure, Vec<u8>)>> {
    let mut out = Vec::new();
    for m in &results.models {
        out.push((
            Figure::Forecast(m.model.clone()),
            forecast::render(&results.test, m)?,
        ));
        if results.rows.iter().any(|r| r.model == m.model) {
            out.push((
                Figure::Comparison(m.model.clone()),
                comparison::render(&results.rows, &m.model)?,
            ));
        }
    }
    if !results.rows.is_empty() {
        // The SLO the run states: the recommendation's, or an SLO policy's.
        let slo = results
            .recommendation
            .as_ref()
            .and_then(|r| r.choices.first().map(|c| c.slo_pct))
            .or_else(|| results.rows.iter().find_map(|r| r.slo_target));
        out.push((Figure::Pareto, pareto::render(&results.rows, slo)?));
    }
    let picked = timeline::pick(results);
    if !picked.is_empty() {
        out.push((Figure::Timeline, timeline::render(results, &picked)?));
    }
    Ok(out)
}

/// A sweep's frontier plot of one trace, with its SLO levels, as PNG bytes.
pub(crate) fn frontier_png(
    trace: &str,
    points: &[frontier::FrontierPoint],
    slo_levels: &[f64],
) -> DrawResult<Vec<u8>> {
    frontier::render(trace, points, slo_levels)
}

/// The nines of a miss rate in percent: `−log10(miss / 100)`, so 90 % attained is 1,
/// 99 % is 2, 99.9 % is 3; a miss below 0.001 % counts as 0.001 % (5 nines).
pub(crate) fn nines(miss_pct: f64) -> f64 {
    -(miss_pct.max(1e-3) / 100.0).log10()
}

/// The attainment a height on the nines scale stands for, for the axis labels.
pub(crate) fn attainment_label(y: f64) -> String {
    let a = 100.0 - 100.0 * 10f64.powf(-y);
    let decimals = (y.ceil() as usize).saturating_sub(2).min(4);
    format!("{a:.decimals$}")
}

/// Whether a row belongs to the model-free policies.
fn model_free(model: &str) -> bool {
    model == NO_MODEL
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
