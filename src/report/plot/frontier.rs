//! `frontier_<trace>.png`: per startup delay a panel of cost (over the optimum) against
//! SLO attainment on a "nines" scale (90, 99, 99.9, 99.99 %: each step up is ten times
//! fewer misses), one curve per (model, policy) family traced along its knob: the
//! family's points with no cheaper-and-better sibling, joined by cost. The SLO levels
//! are horizontal lines, the optimum the vertical line at 1, and the recommendation at
//! each level (chosen on the validation window, drawn at its test result) a black
//! triangle labelled with the level.

use plotters::prelude::*;

use super::{attainment_label, colour, draw_legend, font, nines, png, DrawResult};
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

/// Panels side by side (two rows from three delays on); `slo_levels` drawn as lines.
pub(crate) fn render(
    trace: &str,
    points: &[FrontierPoint],
    slo_levels: &[f64],
) -> DrawResult<Vec<u8>> {
    let mut delays: Vec<u32> = points.iter().map(|p| p.delay).collect();
    delays.sort();
    delays.dedup();
    // Families: (model, policy) in registry order of the policy, then by model.
    let mut families: Vec<(String, String)> = Vec::new();
    for p in PolicyKind::ALL.iter().filter(|p| p.realizable()) {
        let mut models: Vec<String> = points
            .iter()
            .filter(|q| q.policy == p.name())
            .map(|q| q.model.clone())
            .collect();
        models.sort();
        models.dedup();
        families.extend(models.into_iter().map(|m| (m, p.name().to_string())));
    }
    let cols = if delays.len() > 2 {
        2
    } else {
        delays.len().max(1)
    };
    let rows = delays.len().div_ceil(cols).max(1);
    let size = (900 * cols as u32, 80 + 640 * rows as u32);
    png(size, |root| {
        let root = root.titled(
            &format!(
                "{trace}: cost vs SLO attained along each family's knob (upper left is better)"
            ),
            font(26),
        )?;
        let panels = root.split_evenly((rows, cols));
        for (panel, delay) in panels.iter().zip(&delays) {
            let mine: Vec<&FrontierPoint> = points.iter().filter(|p| p.delay == *delay).collect();
            // The region where the choice is made: up to 3× the optimum, from 90 % up.
            let x_max = mine.iter().map(|p| p.cost).fold(1.2, f64::max).min(3.0);
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
                .build_cartesian_2d(0.8..x_max * 1.02, 0.0..top)?;
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
            chart
                .draw_series(LineSeries::new(
                    vec![(1.0, 0.0), (1.0, top)],
                    BLACK.stroke_width(2),
                ))?
                .label("optimal: the cost floor")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2))
                });
            for &level in slo_levels {
                let y = nines(100.0 - level);
                chart
                    .draw_series(LineSeries::new(
                        vec![(0.8, y), (x_max * 1.02, y)],
                        BLACK.mix(0.4).stroke_width(1),
                    ))?
                    .label(format!("SLO {level} %"))
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.4).stroke_width(1))
                    });
            }
            for (k, (model, policy)) in families.iter().enumerate() {
                let c = colour(k);
                // Earlier families are drawn thicker, so a family whose front coincides
                // with a later one (buffered and policy-aware often do) shows as a
                // border around it instead of vanishing.
                let width = 5u32.saturating_sub((k / 8) as u32).max(2);
                let fam: Vec<&FrontierPoint> = mine
                    .iter()
                    .copied()
                    .filter(|p| &p.policy == policy && &p.model == model && p.cost <= x_max)
                    .collect();
                if fam.is_empty() {
                    continue;
                }
                chart.draw_series(
                    fam.iter()
                        .map(|p| Circle::new((p.cost, nines(p.rate)), 3, c.mix(0.5).filled())),
                )?;
                let line: Vec<(f64, f64)> = front(&fam)
                    .into_iter()
                    .map(|(x, r)| (x, nines(r)))
                    .collect();
                chart
                    .draw_series(LineSeries::new(line, c.stroke_width(width)))?
                    .label(format!("{model} × {policy}"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(width))
                    });
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
            if !marked.is_empty() {
                chart
                    .draw_series(
                        marked
                            .iter()
                            .map(|(x, y, _)| TriangleMarker::new((*x, *y), 9, BLACK.filled())),
                    )?
                    .label(
                        "recommended at the SLO labelled (chosen on validation; its test result)",
                    )
                    .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, BLACK.filled()));
                chart.draw_series(marked.iter().map(|(x, y, text)| {
                    EmptyElement::at((*x, *y)) + Text::new(text.clone(), (10, -20), font(14))
                }))?;
            }
            draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
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
