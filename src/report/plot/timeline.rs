//! `timeline.png`: the busiest day, demand against the capacity provisioned by the
//! recommendation (chosen on the validation window), reactive-hpa and the optimum, or,
//! without a recommendation, by the three best forecast-driven runs and reactive-hpa;
//! violations marked.

use plotters::prelude::*;

use super::{busiest, colour, draw_legend, font, model_free, png, time_mesh, DrawResult};
use crate::results::Results;
use crate::results::RunTimeline;

/// The timelines worth showing: the recommendation, reactive-hpa and the optimum; without
/// a recommendation the three best forecast-driven (model, policy) by violations then
/// cost, skipping any that provisioned exactly like one already picked (it would hide
/// under it), and reactive-hpa.
pub(super) fn pick(results: &Results) -> Vec<RunTimeline> {
    let find = |m: &str, p: &str| {
        results
            .timelines
            .iter()
            .find(|t| t.model == m && t.policy == p)
    };
    if let Some(r) = &results.recommendation {
        let c = &r.choices[0];
        let knob = c
            .knob_value
            .map_or(String::new(), |v| format!(" {} {v}", c.knob));
        let mut out = vec![RunTimeline {
            model: c.model.clone(),
            policy: format!("{}{knob} (recommended)", c.policy),
            timeline: r.timeline.clone(),
        }];
        out.extend(find(crate::metrics::NO_MODEL, "reactive-hpa").cloned());
        out.extend(find(crate::metrics::NO_MODEL, "optimal").cloned());
        return out;
    }
    best(results).into_iter().cloned().collect()
}

/// The three best forecast-driven runs and reactive-hpa ([`pick`] without a
/// recommendation).
fn best(results: &Results) -> Vec<&RunTimeline> {
    let mut ranked: Vec<_> = results
        .rows
        .iter()
        .filter(|r| !model_free(&r.model))
        .collect();
    ranked.sort_by_key(|r| (r.sla_violation_minutes, r.container_minutes));
    let find = |m: &str, p: &str| {
        results
            .timelines
            .iter()
            .find(|t| t.model == m && t.policy == p)
    };
    let mut picked: Vec<&RunTimeline> = Vec::new();
    for r in ranked {
        if picked.len() == 3 {
            break;
        }
        if let Some(t) = find(&r.model, &r.policy) {
            if !picked.iter().any(|q| q.timeline.ready == t.timeline.ready) {
                picked.push(t);
            }
        }
    }
    picked.extend(find(crate::metrics::NO_MODEL, "reactive-hpa"));
    picked
}

/// Demand and each picked run's capacity over the busiest day.
pub(super) fn render(results: &Results, picked: &[RunTimeline]) -> DrawResult<Vec<u8>> {
    let test = &results.test;
    let cap = results.capacity_per_step;
    let capacity = |t: &RunTimeline, i: usize| f64::from(t.timeline.ready[i]) * cap;
    let day = busiest(
        &test.actual,
        (86_400.0 / f64::from(test.step_seconds)).round() as usize,
    );
    let hours = |i: usize| test.hours(i);
    let y_max = day
        .clone()
        .map(|i| {
            picked
                .iter()
                .map(|t| capacity(t, i))
                .fold(test.actual[i], f64::max)
        })
        .fold(1.0, f64::max);
    png((1400, 760), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Busiest day: demand vs provisioned capacity (dots: SLA violations)",
                font(24),
            )
            .margin(16)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(hours(day.start)..hours(day.end - 1), 0.0..y_max * 1.05)?;
        time_mesh(&mut chart, test)?;
        chart
            .draw_series(LineSeries::new(
                day.clone().map(|i| (hours(i), test.actual[i])),
                BLACK.stroke_width(2),
            ))?
            .label("demand")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        for (k, t) in picked.iter().enumerate() {
            let c = colour(k);
            chart
                .draw_series(LineSeries::new(
                    day.clone().map(|i| (hours(i), capacity(t, i))),
                    c.stroke_width(2),
                ))?
                .label(format!("{} / {} capacity", t.model, t.policy))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            chart.draw_series(
                day.clone()
                    .filter(|&i| t.timeline.violation(i))
                    .map(|i| Circle::new((hours(i), t.timeline.demand[i]), 3, c.filled())),
            )?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}
