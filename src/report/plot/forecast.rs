//! `<model>_forecast.png`: the test period's demand and the model's forecast at the
//! decision horizon, its interval shaded, synthetic event windows marked; below, the
//! busiest 6 hours.

use plotters::prelude::*;

use super::{busiest, colour, draw_legend, font, png, time_mesh, Area, DrawResult, EVENT};
use crate::experiment::ModelForecast;
use crate::results::TestPeriod;

/// Draws one time panel over the steps `range`.
fn panel(
    area: &Area,
    test: &TestPeriod,
    m: &ModelForecast,
    range: std::ops::Range<usize>,
    title: &str,
) -> DrawResult<()> {
    let f = &m.forecast;
    let hours = |i: usize| test.hours(i);
    let mut y_max = range
        .clone()
        .map(|i| test.actual[i].max(f.yhat[i]))
        .fold(0.0, f64::max);
    if let Some(b) = &f.interval {
        y_max = range.clone().map(|i| b.upper[i]).fold(y_max, f64::max);
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
    time_mesh(&mut chart, test)?;
    if let Some(ev) = &test.in_event {
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
    if let Some(b) = &f.interval {
        let band: Vec<(f64, f64)> = range
            .clone()
            .map(|i| (hours(i), b.upper[i]))
            .chain(range.clone().rev().map(|i| (hours(i), b.lower[i])))
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
            range.clone().map(|i| (hours(i), test.actual[i])),
            BLACK.mix(0.6),
        ))?
        .label("actual")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
    chart
        .draw_series(LineSeries::new(
            range.clone().map(|i| (hours(i), f.yhat[i])),
            colour(0).stroke_width(2),
        ))?
        .label(format!("{} forecast", m.model))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour(0).stroke_width(2)));
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

/// The whole test period above, the busiest 6 hours below.
pub(super) fn render(test: &TestPeriod, m: &ModelForecast) -> DrawResult<Vec<u8>> {
    png((1400, 1000), |root| {
        let (top, bottom) = root.split_vertically(520);
        panel(
            &top,
            test,
            m,
            0..test.len(),
            &format!(
                "{}: forecast at the decision horizon vs actual demand, test period",
                m.model
            ),
        )?;
        let six_hours = ((6.0 * 3600.0) / f64::from(test.step_seconds)).round() as usize;
        panel(
            &bottom,
            test,
            m,
            busiest(&test.actual, six_hours),
            "busiest 6 hours",
        )
    })
}
