//! `pareto.png`: every (model, policy) by cost and SLO attainment (the SLO's own measure,
//! on the nines scale: 90, 99, 99.9 % one step apart), the Pareto front of the policies
//! a user could deploy joined by a line, the reference policies (oracle, optimal) drawn
//! as crosses off the front, the SLO as a dashed line; on the right, a zoom on the runs
//! near the SLO, where the choice is made. Labels are placed so that none covers
//! another or a point ([`place_labels`]).

use plotters::prelude::*;

use super::{attainment_label, colour, draw_legend, font, nines, png, Area, DrawResult};
use crate::metrics::{deployable, pareto_front, PolicyMetrics};

/// A label's box in pixels: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LabelBox {
    /// Left edge.
    pub(crate) x: i32,
    /// Top edge.
    pub(crate) y: i32,
    /// Width.
    pub(crate) w: i32,
    /// Height.
    pub(crate) h: i32,
}

impl LabelBox {
    #[cfg(test)]
    fn overlaps(&self, o: &LabelBox) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    fn overlap_area(&self, o: &LabelBox) -> i64 {
        let w = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let h = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        i64::from(w.max(0)) * i64::from(h.max(0))
    }

    fn inside(&self, width: i32, height: i32) -> bool {
        self.x >= 0 && self.y >= 0 && self.x + self.w <= width && self.y + self.h <= height
    }

    /// Distance from the box to a pixel (0 inside).
    pub(crate) fn distance_to(&self, (px, py): (i32, i32)) -> f64 {
        let dx = (self.x - px).max(px - (self.x + self.w)).max(0);
        let dy = (self.y - py).max(py - (self.y + self.h)).max(0);
        f64::from(dx).hypot(f64::from(dy))
    }
}

/// Radius of a point marker, in pixels; labels keep clear of a square of this half-side.
const MARKER: i32 = 7;

/// Places one label per point: each box beside its point, clear of every other label and
/// every marker, inside `area` (width, height). Points are taken left to right; each gets
/// the nearest free spot of a fixed list of candidates (right, left, above, below, then
/// the same further out). Where no spot is free, the one that overlaps least.
pub(crate) fn place_labels(
    points: &[(i32, i32)],
    sizes: &[(i32, i32)],
    area: (i32, i32),
) -> Vec<LabelBox> {
    let markers: Vec<LabelBox> = points
        .iter()
        .map(|&(x, y)| LabelBox {
            x: x - MARKER,
            y: y - MARKER,
            w: 2 * MARKER,
            h: 2 * MARKER,
        })
        .collect();
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| (points[i].0, points[i].1));
    let mut placed: Vec<Option<LabelBox>> = vec![None; points.len()];
    for &i in &order {
        let (px, py) = points[i];
        let (w, h) = sizes[i];
        let mut best: Option<(i64, f64, LabelBox)> = None;
        for ring in 0..8 {
            let gap = MARKER + 3 + ring * 6;
            let dy = ring * (h + 2);
            let candidates = [
                (px + gap, py - h / 2 - dy),
                (px + gap, py - h / 2 + dy),
                (px - gap - w, py - h / 2 - dy),
                (px - gap - w, py - h / 2 + dy),
                (px - w / 2, py - gap - h - dy),
                (px - w / 2, py + gap + dy),
            ];
            for (x, y) in candidates {
                let b = LabelBox { x, y, w, h };
                if !b.inside(area.0, area.1) {
                    continue;
                }
                let overlap: i64 = placed
                    .iter()
                    .flatten()
                    .chain(&markers)
                    .map(|o| b.overlap_area(o))
                    .sum();
                let dist = b.distance_to((px, py));
                if best.is_none_or(|(o, d, _)| (overlap, dist) < (o, d)) {
                    best = Some((overlap, dist, b));
                }
            }
            if best.is_some_and(|(o, _, _)| o == 0) {
                break;
            }
        }
        placed[i] = Some(best.map_or(
            LabelBox {
                x: px + MARKER + 3,
                y: py - h / 2,
                w,
                h,
            },
            |(_, _, b)| b,
        ));
    }
    placed
        .into_iter()
        .map(|b| b.expect("every point placed"))
        .collect()
}

/// One marker of the plot: a distinct (model, cost, rate), naming every policy that
/// lands there ("buffered = policy-aware").
#[derive(Debug, Clone, PartialEq)]
struct Point {
    model: String,
    cost: f64,
    /// SLO attainment on the nines scale.
    rate: f64,
    label: String,
    reference: bool,
}

fn points(rows: &[PolicyMetrics]) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    for r in rows {
        let (cost, rate) = (r.container_minutes as f64, height(r));
        let reference = !deployable(r);
        match out
            .iter_mut()
            .find(|p| p.model == r.model && p.cost == cost && p.rate == rate)
        {
            Some(p) => p.label = format!("{} = {}", p.label, r.policy),
            None => out.push(Point {
                model: r.model.clone(),
                cost,
                rate,
                label: r.policy.clone(),
                reference,
            }),
        }
    }
    out
}

/// A row's height: its SLO attainment on the nines scale.
fn height(r: &PolicyMetrics) -> f64 {
    nines(100.0 - r.slo_attained_pct)
}

/// One panel over the given ranges (y on the nines scale), the SLO as a dashed line.
fn panel(
    area: &Area,
    rows: &[PolicyMetrics],
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    title: &str,
    slo: Option<f64>,
) -> DrawResult<()> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(20))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(x.clone(), y.clone())?;
    chart
        .configure_mesh()
        .x_desc("container-minutes (cost)")
        .y_desc("SLO attained, % (nines scale)")
        .x_labels(6)
        .y_labels(8)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| attainment_label(*v))
        .label_style(font(14))
        .axis_desc_style(font(15))
        .draw()?;
    if let Some(level) = slo.filter(|l| y.contains(&nines(100.0 - l))) {
        let h = nines(100.0 - level);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x.start, h), (x.end, h)],
                8,
                5,
                RED.mix(0.7).stroke_width(2),
            ))?
            .label(format!("SLO {level} %"))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], RED.mix(0.7).stroke_width(2))
            });
    }
    let mut front: Vec<&PolicyMetrics> = pareto_front(rows).into_iter().map(|i| &rows[i]).collect();
    front.sort_by_key(|r| r.container_minutes);
    chart
        .draw_series(LineSeries::new(
            front
                .iter()
                .map(|r| (r.container_minutes as f64, height(r)))
                .filter(|p| x.contains(&p.0) && y.contains(&p.1)),
            BLACK.mix(0.5).stroke_width(2),
        ))?
        .label("Pareto front of deployable policies")
        .legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5).stroke_width(2))
        });
    let mut models: Vec<&str> = rows.iter().map(|r| r.model.as_str()).collect();
    models.sort();
    models.dedup();
    let mut pts = points(rows);
    pts.retain(|p| x.contains(&p.cost) && y.contains(&p.rate));
    for (k, model) in models.iter().enumerate() {
        let c = colour(k);
        let mine: Vec<&Point> = pts
            .iter()
            .filter(|p| p.model == *model && !p.reference)
            .collect();
        if mine.is_empty() {
            continue;
        }
        chart
            .draw_series(
                mine.iter()
                    .map(|p| Circle::new((p.cost, p.rate), MARKER - 1, c.filled())),
            )?
            .label(format!("model: {model}"))
            .legend(move |(x, y)| Circle::new((x + 10, y), MARKER - 1, c.filled()));
    }
    let refs: Vec<&Point> = pts.iter().filter(|p| p.reference).collect();
    if !refs.is_empty() {
        chart
            .draw_series(
                refs.iter()
                    .map(|p| Cross::new((p.cost, p.rate), MARKER - 1, BLACK.stroke_width(2))),
            )?
            .label("reference (reads the future)")
            .legend(|(x, y)| Cross::new((x + 10, y), MARKER - 1, BLACK.stroke_width(2)));
    }
    // Labels: placed in pixels, relative to the plotting area, so that none covers
    // another or a marker; drawn at pixel offsets from their points.
    let plot = chart.plotting_area();
    let (xr, yr) = plot.get_pixel_range();
    let text = font(13);
    let anchors: Vec<(i32, i32)> = pts
        .iter()
        .map(|p| {
            let (px, py) = chart.backend_coord(&(p.cost, p.rate));
            (px - xr.start, py - yr.start)
        })
        .collect();
    let sizes: Vec<(i32, i32)> = pts
        .iter()
        .map(|p| {
            plot.estimate_text_size(&p.label, &text)
                .map(|(w, h)| (w as i32, h as i32))
        })
        .collect::<Result<_, _>>()?;
    let boxes = place_labels(&anchors, &sizes, (xr.end - xr.start, yr.end - yr.start));
    let placed: Vec<(&Point, LabelBox, (i32, i32))> = pts
        .iter()
        .zip(boxes)
        .zip(anchors)
        .map(|((p, b), a)| (p, b, a))
        .collect();
    // A label moved away from its point gets a leader line back to it.
    chart.draw_series(
        placed
            .iter()
            .filter(|(_, b, a)| b.distance_to(*a) > f64::from(MARKER + 4))
            .map(|(p, b, a)| {
                let centre = (b.x + b.w / 2 - a.0, b.y + b.h / 2 - a.1);
                EmptyElement::at((p.cost, p.rate))
                    + PathElement::new(vec![(0, 0), centre], BLACK.mix(0.35))
            }),
    )?;
    chart.draw_series(placed.iter().map(|(p, b, a)| {
        EmptyElement::at((p.cost, p.rate))
            + Text::new(p.label.clone(), (b.x - a.0, b.y - a.1), text.clone())
    }))?;
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

/// All runs on the left; on the right the runs near the SLO (within 5 points below it
/// and everything above; without an SLO, the best quarter), spanning their own range.
pub(super) fn render(rows: &[PolicyMetrics], slo: Option<f64>) -> DrawResult<Vec<u8>> {
    let cost = |r: &PolicyMetrics| r.container_minutes as f64;
    let x_max = rows.iter().map(cost).fold(1.0, f64::max);
    let top = rows.iter().map(height).fold(1.2, f64::max) * 1.08;
    let mut attained: Vec<f64> = rows.iter().map(|r| r.slo_attained_pct).collect();
    attained.sort_by(f64::total_cmp);
    let floor = match slo {
        Some(level) => level - 5.0,
        None => crate::forecast::quantile(&attained, 0.75),
    };
    let near: Vec<&PolicyMetrics> = rows
        .iter()
        .filter(|r| r.slo_attained_pct >= floor)
        .collect();
    let near = if near.is_empty() {
        rows.iter().collect()
    } else {
        near
    };
    let (x0, x1) = (
        near.iter().map(|r| cost(r)).fold(f64::INFINITY, f64::min),
        near.iter().map(|r| cost(r)).fold(0.0, f64::max),
    );
    let (y0, y1) = (
        near.iter()
            .map(|r| height(r))
            .chain(slo.map(|l| nines(100.0 - l)))
            .fold(f64::INFINITY, f64::min),
        near.iter()
            .map(|r| height(r))
            .chain(slo.map(|l| nines(100.0 - l)))
            .fold(0.0, f64::max),
    );
    let (xpad, ypad) = ((x1 - x0).max(1.0) * 0.08, (y1 - y0).max(0.05) * 0.1);
    png((1800, 850), |root| {
        let root = root.titled(
            "Which policy? Cost vs SLO attained (upper left is better)",
            font(26),
        )?;
        let (left, right) = root.split_horizontally(760);
        panel(&left, rows, 0.0..x_max * 1.15, 0.0..top, "all runs", slo)?;
        panel(
            &right,
            rows,
            (x0 - xpad).max(0.0)..x1 + 2.5 * xpad,
            (y0 - ypad).max(0.0)..y1 + ypad,
            "zoom: the runs near the SLO",
            slo,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn overlaps_any(boxes: &[LabelBox], points: &[(i32, i32)]) -> Option<String> {
        for (i, a) in boxes.iter().enumerate() {
            for (j, b) in boxes.iter().enumerate().skip(i + 1) {
                if a.overlaps(b) {
                    return Some(format!("labels {i} and {j} overlap: {a:?} {b:?}"));
                }
            }
            for (j, &(x, y)) in points.iter().enumerate() {
                let m = LabelBox {
                    x: x - MARKER,
                    y: y - MARKER,
                    w: 2 * MARKER,
                    h: 2 * MARKER,
                };
                if a.overlaps(&m) {
                    return Some(format!("label {i} covers point {j}"));
                }
            }
        }
        None
    }

    #[test]
    fn two_points_a_few_pixels_apart_keep_their_labels_apart() {
        // The default run's zoom before this fix: lstm/buffered (74 violation minutes) and
        // lstm/confidence-aware (66) landed 9 px apart and their labels sat on each other.
        let points = [(400, 300), (405, 291)];
        let sizes = [(150, 14), (190, 14)];
        let boxes = place_labels(&points, &sizes, (1000, 700));
        assert_eq!(overlaps_any(&boxes, &points), None);
        for (b, p) in boxes.iter().zip(&points) {
            assert!(b.distance_to(*p) < 40.0, "{b:?} strays from {p:?}");
        }
    }

    #[test]
    fn random_clusters_get_no_overlaps_and_stay_near_their_points() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for case in 0..200 {
            let n = rng.random_range(2..14);
            // Points crowd a 200 × 120 px corner of an 1000 × 700 panel, as in the zoom.
            let points: Vec<(i32, i32)> = (0..n)
                .map(|_| (rng.random_range(300..500), rng.random_range(250..370)))
                .collect();
            let sizes: Vec<(i32, i32)> = (0..n).map(|_| (rng.random_range(40..200), 14)).collect();
            let boxes = place_labels(&points, &sizes, (1000, 700));
            assert_eq!(overlaps_any(&boxes, &points), None, "case {case}");
            for (b, p) in boxes.iter().zip(&points) {
                assert!(
                    b.distance_to(*p) < 120.0,
                    "case {case}: {b:?} strays from {p:?}"
                );
            }
        }
    }

    #[test]
    fn coincident_policies_share_one_labelled_point() {
        let row = |policy: &str, cost, v| PolicyMetrics {
            model: "lstm".into(),
            policy: policy.into(),
            sla_violation_minutes: v,
            violation_rate: v as f64 / 100.0,
            unserved_requests: 0.0,
            container_minutes: cost,
            scaling_switches: 0,
            cost_vs_oracle: 1.0,
            cost_vs_optimal: 1.0,
            ..PolicyMetrics::default()
        };
        let rows = [
            row("buffered", 100, 3),
            row("policy-aware", 100, 3),
            row("simple-ceiling", 90, 9),
        ];
        let pts = points(&rows);
        assert_eq!(pts.len(), 2);
        assert_eq!(pts[0].label, "buffered = policy-aware");
    }
}
