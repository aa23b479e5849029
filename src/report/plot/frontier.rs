//! `frontier_<trace>.png`: per startup delay a panel of cost (over the optimum) against
//! the SLO missed (100 − its attainment), one curve per policy family traced along its knob: the family's
//! points with no cheaper-and-better sibling, joined by cost. The optimum is the
//! vertical line at 1; a family's points left of it violate.

use plotters::prelude::*;

use super::{colour, draw_legend, font, png, DrawResult};
use crate::policy::PolicyKind;

/// One point of a frontier plot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FrontierPoint {
    /// Startup delay, minutes.
    pub(crate) delay: u32,
    /// Policy family.
    pub(crate) policy: String,
    /// Cost over the optimum.
    pub(crate) cost: f64,
    /// The SLO missed, percent: 100 − the SLO attainment (of requests within the
    /// deadline, or of minutes without a violation under `threshold`).
    pub(crate) rate: f64,
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

/// Panels side by side (two rows from three delays on).
pub(crate) fn render(trace: &str, points: &[FrontierPoint]) -> DrawResult<Vec<u8>> {
    let mut delays: Vec<u32> = points.iter().map(|p| p.delay).collect();
    delays.sort();
    delays.dedup();
    let families: Vec<&str> = PolicyKind::ALL
        .iter()
        .filter(|p| p.realizable() && points.iter().any(|q| q.policy == p.name()))
        .map(|p| p.name())
        .collect();
    let cols = if delays.len() > 2 {
        2
    } else {
        delays.len().max(1)
    };
    let rows = delays.len().div_ceil(cols).max(1);
    let size = (800 * cols as u32, 80 + 600 * rows as u32);
    png(size, |root| {
        let root = root.titled(
            &format!("{trace}: cost vs SLA along each policy's knob (lower left is better)"),
            font(26),
        )?;
        let panels = root.split_evenly((rows, cols));
        for (panel, delay) in panels.iter().zip(&delays) {
            let mine: Vec<&FrontierPoint> = points.iter().filter(|p| p.delay == *delay).collect();
            // The region where the choice is made: up to 3× the optimum and 5 % of
            // minutes in violation (points beyond are left out).
            let x_max = mine.iter().map(|p| p.cost).fold(1.2, f64::max).min(3.0);
            let y_max = mine.iter().map(|p| p.rate).fold(0.5, f64::max).min(5.0);
            let mut chart = ChartBuilder::on(panel)
                .caption(format!("startup delay {delay} min"), font(20))
                .margin(14)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(0.8..x_max * 1.02, -y_max * 0.03..y_max * 1.05)?;
            chart
                .configure_mesh()
                .x_desc("container-minutes / the optimum's")
                .y_desc("SLO missed (% of requests late, or of minutes)")
                .x_label_formatter(&|v| format!("{v:.2}"))
                .y_label_formatter(&|v| format!("{v:.2}"))
                .label_style(font(13))
                .axis_desc_style(font(14))
                .draw()?;
            chart
                .draw_series(LineSeries::new(
                    vec![(1.0, -y_max * 0.03), (1.0, y_max * 1.05)],
                    BLACK.stroke_width(2),
                ))?
                .label("optimal: the cost floor")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2))
                });
            for (k, family) in families.iter().enumerate() {
                let c = colour(k);
                // Earlier families are drawn thicker, so a family whose front coincides
                // with a later one (buffered and policy-aware often do) shows as a
                // border around it instead of vanishing.
                let width = 7u32.saturating_sub(k as u32).max(2);
                let fam: Vec<&FrontierPoint> = mine
                    .iter()
                    .copied()
                    .filter(|p| p.policy == *family && p.cost <= x_max && p.rate <= y_max)
                    .collect();
                if fam.is_empty() {
                    continue;
                }
                chart.draw_series(
                    fam.iter()
                        .map(|p| Circle::new((p.cost, p.rate), 3, c.mix(0.5).filled())),
                )?;
                chart
                    .draw_series(LineSeries::new(front(&fam), c.stroke_width(width)))?
                    .label(family.to_string())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(width))
                    });
            }
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
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
            policy: "buffered".into(),
            cost,
            rate,
        };
        let pts = [p(1.1, 2.0), p(1.2, 1.0), p(1.3, 1.5), p(1.4, 0.0)];
        let refs: Vec<&FrontierPoint> = pts.iter().collect();
        // (1.3, 1.5) is beaten by (1.2, 1.0).
        assert_eq!(front(&refs), vec![(1.1, 2.0), (1.2, 1.0), (1.4, 0.0)]);
    }
}
