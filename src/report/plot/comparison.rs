//! `<model>_policy_comparison.png`: per policy, container-minutes beside SLA violation
//! minutes, for one model's forecast policies and the model-free ones; the reference
//! policies' costs (oracle, optimal) drawn as lines across the cost panel.

use plotters::prelude::*;

use super::{colour, draw_legend, font, model_free, png, Area, DrawResult};
use crate::metrics::{deployable, PolicyMetrics};

/// Horizontal bars of `values` labelled by `names`, with reference lines.
fn bar_panel(
    area: &Area,
    title: &str,
    x_desc: &str,
    names: &[String],
    values: &[f64],
    references: &[(f64, String)],
    bar_colour: RGBColor,
) -> DrawResult<()> {
    let max = values
        .iter()
        .chain(references.iter().map(|r| &r.0))
        .copied()
        .fold(1.0, f64::max);
    let n = names.len();
    // With reference lines, the axis runs further right so that their legend, in the
    // lower right corner, sits clear of every bar and its value.
    let x_end = if references.is_empty() { 1.25 } else { 1.9 };
    let bottom = -0.5;
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(20))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(190)
        .build_cartesian_2d(0.0..max * x_end, bottom..n as f64 - 0.5)?;
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
    for (k, (r, label)) in references.iter().enumerate() {
        // The first reference red, any other black.
        let c = if k == 0 { RED } else { BLACK };
        chart
            .draw_series(LineSeries::new(
                vec![(*r, bottom), (*r, n as f64 - 0.5)],
                c.stroke_width(2),
            ))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    if !references.is_empty() {
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    }
    Ok(())
}

/// The rows drawn for `model`: its forecast policies and the model-free ones.
pub(crate) fn rows_for<'a>(rows: &'a [PolicyMetrics], model: &str) -> Vec<&'a PolicyMetrics> {
    rows.iter()
        .filter(|r| r.model == model || model_free(&r.model))
        .collect()
}

/// The reference costs drawn as lines: every policy that reads the future.
fn references(rows: &[PolicyMetrics]) -> Vec<(f64, String)> {
    rows.iter()
        .filter(|r| !deployable(r))
        .map(|r| (r.container_minutes as f64, format!("{}'s cost", r.policy)))
        .collect()
}

/// Cost on the left, violations on the right, one bar per policy.
pub(super) fn render(rows: &[PolicyMetrics], model: &str) -> DrawResult<Vec<u8>> {
    let mine = rows_for(rows, model);
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
    let refs = references(rows);
    png((1400, 120 + 60 * names.len() as u32), |root| {
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
            &refs,
            colour(0),
        )?;
        bar_panel(
            &right,
            "SLA violations",
            "minutes with demand above ready capacity",
            &names,
            &violations,
            &[],
            colour(3),
        )
    })
}
