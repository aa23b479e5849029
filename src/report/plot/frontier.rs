//! `frontier_<trace>.png`: per startup delay a panel of cost (over the optimum) against
//! SLO attainment on a "nines" scale (90, 99, 99.9, 99.99 %: each step up is ten times
//! fewer misses), one curve per (model, policy) family traced along its knob: the
//! family's points with no cheaper-and-better sibling, joined by cost; a family's colour
//! is its model's and its line its policy's. The SLO levels asked are dashed red lines,
//! the optimum the vertical line at 1, and the recommendation at each level (chosen on
//! the validation window, drawn at its test result) a black triangle labelled with the
//! level. The x axis spans the points (up to 3× the optimum); one legend, outside the
//! panels.

use plotters::prelude::*;

use super::{attainment_label, colour, font, nines, png, DrawResult};
use crate::policy::PolicyKind;

/// One point of a frontier plot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FrontierPoint {
    /// Startup delay, minutes.
    pub(crate) delay: u32,
    /// Model, or `none`.
    pub(crate) model: String,
    /// Policy.
    pub(crate) policy: String,
    /// Cost over the optimum.
    pub(crate) cost: f64,
    /// The SLO missed, percent: 100 − the SLO attainment (of requests within the
    /// deadline, or of minutes without a violation under `threshold`).
    pub(crate) rate: f64,
    /// The SLO levels, percent, at which this configuration is the recommendation
    /// (chosen on the validation window; the point is its test result).
    pub(crate) recommended_at: Vec<f64>,
}

/// The points of a family no other point of it beats on both axes, by cost.
fn front(points: &[&FrontierPoint]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = points
        .iter()
        .filter(|a| {
            !points.iter().any(|b| {
                b.cost <= a.cost && b.rate <= a.rate && (b.cost < a.cost || b.rate < a.rate)
            })
        })
        .map(|p| (p.cost, p.rate))
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    out.dedup();
    out
}

/// How a policy's curve is drawn: its line's dash and gap in pixels (`None`: solid).
/// Each model has a colour and each policy one of these, so 20 families read as a
/// model's colour crossed with a policy's line.
const DASHES: [Option<(u32, u32)>; 10] = [
    None,
    Some((14, 6)),
    Some((6, 5)),
    Some((2, 4)),
    Some((22, 5)),
    Some((10, 3)),
    Some((3, 10)),
    Some((18, 12)),
    Some((30, 8)),
    Some((1, 6)),
];

/// Draws `points` as a line of `style`, solid or dashed.
fn line<'a, 'b: 'a>(
    chart: &mut super::Chart<'a, 'b>,
    points: Vec<(f64, f64)>,
    dash: Option<(u32, u32)>,
    style: ShapeStyle,
) -> DrawResult<()> {
    match dash {
        None => {
            chart.draw_series(LineSeries::new(points, style))?;
        }
        Some((size, gap)) => {
            chart.draw_series(DashedLineSeries::new(points, size, gap, style))?;
        }
    }
    Ok(())
}

/// Panels side by side (two rows from three delays on); `slo_levels` drawn as lines; one
/// legend for all of them in a strip on the right, outside every panel.
pub(crate) fn render(
    trace: &str,
    points: &[FrontierPoint],
    slo_levels: &[f64],
) -> DrawResult<Vec<u8>> {
    let mut delays: Vec<u32> = points.iter().map(|p| p.delay).collect();
    delays.sort();
    delays.dedup();
    // A colour per model, a line per policy (in registry order).
    let mut models: Vec<String> = points.iter().map(|p| p.model.clone()).collect();
    models.sort();
    models.dedup();
    let policies: Vec<&str> = PolicyKind::ALL
        .iter()
        .filter(|p| p.realizable() && points.iter().any(|q| q.policy == p.name()))
        .map(|p| p.name())
        .collect();
    let colour_of = |m: &str| colour(models.iter().position(|x| x == m).unwrap_or(0));
    let dash_of =
        |p: &str| DASHES[policies.iter().position(|x| *x == p).unwrap_or(0) % DASHES.len()];
    let cols = if delays.len() > 2 {
        2
    } else {
        delays.len().max(1)
    };
    let rows = delays.len().div_ceil(cols).max(1);
    const LEGEND: u32 = 330;
    let size = (900 * cols as u32 + LEGEND, 80 + 640 * rows as u32);
    let any_marked = points.iter().any(|p| !p.recommended_at.is_empty());
    png(size, |root| {
        let root = root.titled(
            &format!(
                "{trace}: cost vs SLO attained along each family's knob (upper left is better)"
            ),
            font(26),
        )?;
        let (plots, legend) = root.split_horizontally(900 * cols as u32);
        let panels = plots.split_evenly((rows, cols));
        for (panel, delay) in panels.iter().zip(&delays) {
            let mine: Vec<&FrontierPoint> = points.iter().filter(|p| p.delay == *delay).collect();
            // The region where the choice is made: from the cheapest point (or the
            // floor) up to 3× the optimum, from 90 % up.
            let x_max = mine.iter().map(|p| p.cost).fold(1.2, f64::max).min(3.0);
            let x_min = mine.iter().map(|p| p.cost).fold(1.0, f64::min).max(0.0);
            let pad = (x_max - x_min) * 0.03;
            let (x0, x1) = ((x_min - pad).max(0.0), x_max + pad);
            let top = mine
                .iter()
                .map(|p| nines(p.rate))
                .chain(slo_levels.iter().map(|l| nines(100.0 - l)))
                .fold(2.0, f64::max)
                .min(5.0)
                + 0.3;
            let mut chart = ChartBuilder::on(panel)
                .caption(format!("startup delay {delay} min"), font(20))
                .margin(14)
                .x_label_area_size(45)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, 0.0..top)?;
            chart
                .configure_mesh()
                .x_desc("container-minutes / the optimum's")
                .y_desc("SLO attained, % (nines scale)")
                .x_label_formatter(&|v| format!("{v:.2}"))
                .y_labels(((top.floor() as usize) + 1).max(2))
                .y_label_formatter(&|v| attainment_label(*v))
                .label_style(font(13))
                .axis_desc_style(font(14))
                .draw()?;
            chart.draw_series(LineSeries::new(
                vec![(1.0, 0.0), (1.0, top)],
                BLACK.stroke_width(2),
            ))?;
            for &level in slo_levels {
                let y = nines(100.0 - level);
                chart.draw_series(DashedLineSeries::new(
                    vec![(x0, y), (x1, y)],
                    8,
                    5,
                    RED.mix(0.7).stroke_width(2),
                ))?;
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x0, y))
                        + Text::new(format!("SLO {level} %"), (6, -18), font(13).color(&RED)),
                ))?;
            }
            for model in &models {
                for policy in &policies {
                    let fam: Vec<&FrontierPoint> = mine
                        .iter()
                        .copied()
                        .filter(|p| p.policy == *policy && &p.model == model && p.cost <= x_max)
                        .collect();
                    if fam.is_empty() {
                        continue;
                    }
                    let c = colour_of(model);
                    chart
                        .draw_series(fam.iter().map(|p| {
                            Circle::new((p.cost, nines(p.rate)), 3, c.mix(0.5).filled())
                        }))?;
                    let curve: Vec<(f64, f64)> = front(&fam)
                        .into_iter()
                        .map(|(x, r)| (x, nines(r)))
                        .collect();
                    line(&mut chart, curve, dash_of(policy), c.stroke_width(3))?;
                }
            }
            // The recommendations, on top, labelled with their levels.
            let marked: Vec<(f64, f64, String)> = mine
                .iter()
                .filter(|p| !p.recommended_at.is_empty())
                .map(|p| {
                    let levels: Vec<String> =
                        p.recommended_at.iter().map(|l| format!("{l} %")).collect();
                    (p.cost.min(x_max), nines(p.rate), levels.join(", "))
                })
                .collect();
            chart.draw_series(
                marked
                    .iter()
                    .map(|(x, y, _)| TriangleMarker::new((*x, *y), 9, BLACK.filled())),
            )?;
            chart.draw_series(marked.iter().map(|(x, y, text)| {
                EmptyElement::at((*x, *y)) + Text::new(text.clone(), (10, -20), font(14))
            }))?;
        }
        // The legend: models by colour, policies by line, then the references.
        let mut y = 90;
        let row = 24;
        let entry = |y: i32, text: String| Text::new(text, (60, y - 8), font(15));
        legend.draw(&Text::new("model (colour)", (12, y - 30), font(16)))?;
        for m in &models {
            legend.draw(&PathElement::new(
                vec![(12, y), (50, y)],
                colour_of(m).stroke_width(4),
            ))?;
            legend.draw(&entry(y, m.clone()))?;
            y += row;
        }
        y += row;
        legend.draw(&Text::new("policy (line)", (12, y - 30), font(16)))?;
        for p in &policies {
            let points: Vec<(i32, i32)> = match dash_of(p) {
                None => vec![(12, y), (50, y)],
                Some((size, gap)) => {
                    // The dash pattern by hand, as the series draws it.
                    let mut segs = Vec::new();
                    let mut x = 12;
                    while x < 50 {
                        let end = (x + size as i32).min(50);
                        segs.push((x, end));
                        x = end + gap as i32;
                    }
                    for (a, b) in segs {
                        legend.draw(&PathElement::new(
                            vec![(a, y), (b, y)],
                            BLACK.stroke_width(3),
                        ))?;
                    }
                    Vec::new()
                }
            };
            if !points.is_empty() {
                legend.draw(&PathElement::new(points, BLACK.stroke_width(3)))?;
            }
            legend.draw(&entry(y, p.to_string()))?;
            y += row;
        }
        y += row / 2;
        legend.draw(&PathElement::new(
            vec![(12, y), (50, y)],
            BLACK.stroke_width(2),
        ))?;
        legend.draw(&entry(y, "optimal: the cost floor".to_string()))?;
        y += row;
        legend.draw(&PathElement::new(
            vec![(12, y), (50, y)],
            RED.mix(0.7).stroke_width(2),
        ))?;
        legend.draw(&entry(y, "SLO levels asked".to_string()))?;
        if any_marked {
            y += row;
            legend.draw(&TriangleMarker::new((30, y), 7, BLACK.filled()))?;
            legend.draw(&entry(y, "recommended at the level".to_string()))?;
            legend.draw(&Text::new(
                "(chosen on validation; its test result)",
                (60, y + 10),
                font(13),
            ))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_front_keeps_only_undominated_points() {
        let p = |cost, rate| FrontierPoint {
            delay: 2,
            model: "lstm".into(),
            policy: "buffered".into(),
            cost,
            rate,
            recommended_at: Vec::new(),
        };
        let pts = [p(1.1, 2.0), p(1.2, 1.0), p(1.3, 1.5), p(1.4, 0.0)];
        let refs: Vec<&FrontierPoint> = pts.iter().collect();
        // (1.3, 1.5) is beaten by (1.2, 1.0).
        assert_eq!(front(&refs), vec![(1.1, 2.0), (1.2, 1.0), (1.4, 0.0)]);
    }

    #[test]
    fn the_nines_scale_puts_each_nine_one_step_up() {
        // 90 % attained (10 % missed) is 1, 99 % is 2, 99.9 % is 3; 100 % is capped at 5.
        for (miss, y) in [(10.0, 1.0), (1.0, 2.0), (0.1, 3.0), (0.0, 5.0)] {
            assert!((nines(miss) - y).abs() < 1e-12, "{miss}");
        }
        assert_eq!(attainment_label(1.0), "90");
        assert_eq!(attainment_label(3.0), "99.9");
        assert_eq!(attainment_label(4.0), "99.99");
    }
}
