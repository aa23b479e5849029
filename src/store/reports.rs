//! The reports folder's CSV files, each writer beside its reader: `metrics_summary.csv`,
//! `forecast_metrics.csv`, `forecasts.csv` (actual demand and every model's forecast per
//! test step) and `timelines/<model>_<policy>.csv`. Readers look columns up by header.
//! Numbers are written in Rust's shortest round-trip form, so what `report` reads back is
//! bit for bit what `simulate` drew from.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{read, write_all_atomic, ReadError, ReportsDir, SUMMARY_FILE};
use crate::experiment::ModelForecast;
use crate::forecast::{Forecast, Interval};
use crate::metrics::{round6, ForecastMetrics, PolicyMetrics};
use crate::recommend::{Choice, Recommendation};
use crate::report::{plot, summary};
use crate::results::Results;
use crate::results::RunTimeline;
use crate::results::TestPeriod;
use crate::sim::Timeline;
use crate::trace::format_timestamp;

fn csv_error(e: ::csv::Error) -> ReadError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        ::csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        _ => e.to_string(),
    };
    ReadError::Csv { line, message }
}

/// Serializes rows with a header line (serde field names).
pub(crate) fn to_csv<T: Serialize>(rows: &[T]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).expect("in-memory CSV write");
    }
    w.into_inner().expect("in-memory CSV flush")
}

/// Reads rows written by [`to_csv`], matching columns to fields by header name.
pub(crate) fn from_csv<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<Vec<T>, ReadError> {
    let mut r = ::csv::Reader::from_reader(bytes);
    let rows = r
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(csv_error)?;
    if rows.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(rows)
}

/// A CSV read as a header and text records, with typed cell access by column name.
struct Table {
    header: Vec<String>,
    records: Vec<::csv::StringRecord>,
}

impl Table {
    fn parse(bytes: &[u8]) -> Result<Self, ReadError> {
        let mut r = ::csv::Reader::from_reader(bytes);
        let header = r
            .headers()
            .map_err(csv_error)?
            .iter()
            .map(String::from)
            .collect();
        let records = r
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(csv_error)?;
        if records.is_empty() {
            return Err(ReadError::Empty);
        }
        Ok(Self { header, records })
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn column(&self, name: &str) -> Result<usize, ReadError> {
        self.find(name)
            .ok_or_else(|| ReadError::MissingColumn(name.to_string()))
    }

    /// Every cell of column `c` parsed as `T`; an empty cell is `None`.
    fn parse_column<T: std::str::FromStr>(&self, c: usize) -> Result<Vec<Option<T>>, ReadError> {
        self.records
            .iter()
            .enumerate()
            .map(|(i, rec)| {
                let cell = rec.get(c).unwrap_or("");
                if cell.is_empty() {
                    return Ok(None);
                }
                cell.parse().map(Some).map_err(|_| ReadError::Csv {
                    line: i as u64 + 2,
                    message: format!("{}: cannot read {cell:?}", self.header[c]),
                })
            })
            .collect()
    }

    /// Column `name`, every cell required.
    fn required<T: std::str::FromStr>(&self, name: &str) -> Result<Vec<T>, ReadError> {
        let c = self.column(name)?;
        self.parse_column(c)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                v.ok_or_else(|| ReadError::Csv {
                    line: i as u64 + 2,
                    message: format!("{name}: empty cell"),
                })
            })
            .collect()
    }

    fn timestamps(&self) -> Result<Vec<DateTime<Utc>>, ReadError> {
        let c = self.column("timestamp")?;
        self.records
            .iter()
            .enumerate()
            .map(|(i, rec)| {
                DateTime::parse_from_rfc3339(rec.get(c).unwrap_or(""))
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| ReadError::Csv {
                        line: i as u64 + 2,
                        message: format!("timestamp: {e}"),
                    })
            })
            .collect()
    }
}

/// `forecasts.csv`: per test step the timestamp, the actual demand, whether it lies in a
/// synthetic event (generated traces only), and every model's forecast and bounds (empty
/// where a model has no interval).
fn forecasts_wide(test: &TestPeriod, models: &[ModelForecast]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["timestamp".to_string(), "actual".to_string()];
    if test.in_event.is_some() {
        header.push("in_event".to_string());
    }
    for m in models {
        for col in ["forecast", "lower", "upper"] {
            header.push(format!("{}_{col}", m.model));
        }
    }
    w.write_record(&header).expect("in-memory CSV write");
    for i in 0..test.len() {
        let mut rec = vec![
            format_timestamp(test.timestamp(i)),
            test.actual[i].to_string(),
        ];
        if let Some(ev) = &test.in_event {
            rec.push(u8::from(ev[i]).to_string());
        }
        for m in models {
            let p = m.forecast.at(i);
            rec.push(p.yhat.to_string());
            rec.push(p.lower.map(|x| x.to_string()).unwrap_or_default());
            rec.push(p.upper.map(|x| x.to_string()).unwrap_or_default());
        }
        w.write_record(&rec).expect("in-memory CSV write");
    }
    w.into_inner().expect("in-memory CSV flush")
}

/// Reads `forecasts.csv` back: the test period and every model's forecast.
fn read_forecasts_wide(bytes: &[u8]) -> Result<(TestPeriod, Vec<ModelForecast>), ReadError> {
    let t = Table::parse(bytes)?;
    let stamps = t.timestamps()?;
    let step_seconds = match stamps.as_slice() {
        [a, b, ..] => ((*b - *a).num_seconds()).max(1) as u32,
        _ => 60,
    };
    let in_event = match t.find("in_event") {
        Some(_) => Some(
            t.required::<u8>("in_event")?
                .into_iter()
                .map(|v| v == 1)
                .collect(),
        ),
        None => None,
    };
    let test = TestPeriod {
        start: stamps[0],
        step_seconds,
        actual: t.required("actual")?,
        in_event,
    };
    let names: Vec<String> = t
        .header
        .iter()
        .filter_map(|h| h.strip_suffix("_forecast"))
        .map(String::from)
        .collect();
    let mut models = Vec::new();
    for name in names {
        let yhat = t.required(&format!("{name}_forecast"))?;
        let bound = |suffix: &str| -> Result<Option<Vec<f64>>, ReadError> {
            match t.find(&format!("{name}_{suffix}")) {
                Some(c) => Ok(t.parse_column(c)?.into_iter().collect()),
                None => Ok(None),
            }
        };
        let interval = match (bound("lower")?, bound("upper")?) {
            (Some(lower), Some(upper)) => Some(Interval { lower, upper }),
            _ => None,
        };
        models.push(ModelForecast {
            model: name,
            forecast: Forecast { yhat, interval },
            validation: None,
            tunings: Default::default(),
        });
    }
    Ok((test, models))
}

/// A per-step timeline:
/// `timestamp,demand,target,ready,starting,capacity,unserved,dropped,backlog,p99_s,violation`,
/// where capacity is the requests the ready containers can serve in the step, unserved
/// the requests that missed the deadline (dropped ones included), backlog the requests
/// waiting at the step's end and p99_s the step's 99th percentile latency (empty under
/// `threshold`).
fn timeline_csv(test: &TestPeriod, tl: &Timeline, capacity_per_step: f64) -> Vec<u8> {
    let mut out = String::from(
        "timestamp,demand,target,ready,starting,capacity,unserved,dropped,backlog,p99_s,violation\n",
    );
    let num = |x: f64| {
        if x.is_finite() {
            round6(x).to_string()
        } else {
            String::new()
        }
    };
    for i in 0..tl.len() {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            format_timestamp(test.timestamp(i)),
            tl.demand[i],
            tl.target[i],
            tl.ready[i],
            tl.starting[i],
            f64::from(tl.ready[i]) * capacity_per_step,
            num(tl.unserved[i]),
            num(tl.dropped[i]),
            num(tl.backlog[i]),
            num(tl.p99_s[i]),
            u8::from(tl.violation(i)),
        ));
    }
    out.into_bytes()
}

/// Reads a timeline back, with the capacity of one container per step (0 when no step
/// had a ready container). The switches are the changes of the ready count: `ready(i)` is
/// the target of decision `i`. Columns of later versions are optional (zeros, or the
/// threshold rule's violation, where absent); the run's latency distribution is not in
/// the file.
fn read_timeline(bytes: &[u8]) -> Result<(Timeline, f64), ReadError> {
    let t = Table::parse(bytes)?;
    let ready: Vec<u32> = t.required("ready")?;
    let capacity: Vec<f64> = t.required("capacity")?;
    let capacity_per_step = ready
        .iter()
        .zip(&capacity)
        .filter(|(r, _)| **r > 0)
        .map(|(r, c)| c / f64::from(*r))
        .next()
        .unwrap_or(0.0);
    let scaling_switches = ready.windows(2).filter(|w| w[0] != w[1]).count() as u64;
    let unserved: Vec<f64> = t.required("unserved")?;
    let optional = |name: &str, absent: f64| -> Result<Vec<f64>, ReadError> {
        Ok(match t.find(name) {
            Some(c) => t
                .parse_column(c)?
                .into_iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect(),
            None => vec![absent; ready.len()],
        })
    };
    let violated = match t.find("violation") {
        Some(c) => t
            .parse_column::<u8>(c)?
            .into_iter()
            .map(|v| v == Some(1))
            .collect(),
        None => unserved.iter().map(|&u| u > 0.0).collect(),
    };
    let demand: Vec<f64> = t.required("demand")?;
    let within = demand.iter().zip(&unserved).map(|(d, u)| d - u).collect();
    let tl = Timeline {
        within,
        demand,
        target: t.required("target")?,
        starting: t.required("starting")?,
        dropped: optional("dropped", 0.0)?,
        backlog: optional("backlog", 0.0)?,
        p99_s: optional("p99_s", f64::NAN)?,
        unserved,
        violated,
        ready,
        scaling_switches,
        ..Timeline::default()
    };
    Ok((tl, capacity_per_step))
}

/// Writes every CSV report of `results` as one set: all land or none does.
pub(crate) fn write_reports(
    dir: &ReportsDir,
    results: &Results,
    forecast_metrics: &[ForecastMetrics],
    settings: &crate::settings::Settings,
) -> Result<usize> {
    let mut files = vec![
        (dir.metrics(), to_csv(&results.rows)),
        (dir.settings(), settings.to_toml().into_bytes()),
        (dir.forecast_metrics(), to_csv(forecast_metrics)),
        (
            dir.forecasts(),
            forecasts_wide(&results.test, &results.models),
        ),
    ];
    for r in &results.timelines {
        files.push((
            dir.timeline(&r.model, &r.policy),
            timeline_csv(&results.test, &r.timeline, results.capacity_per_step),
        ));
    }
    match &results.recommendation {
        Some(r) => {
            files.push((dir.recommended(), to_csv(&r.choices)));
            files.push((
                dir.recommended_timeline(),
                timeline_csv(&results.test, &r.timeline, results.capacity_per_step),
            ));
        }
        None => {
            // An earlier run's recommendation would be read back as this run's.
            for stale in [dir.recommended(), dir.recommended_timeline()] {
                if stale.exists() {
                    std::fs::remove_file(&stale)
                        .with_context(|| format!("removing {}", stale.display()))?;
                }
            }
        }
    }
    write_all_atomic(&files).context("writing reports")?;
    // Another run's timelines (a simulate of fewer policies) do not stay beside these.
    let kept: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    super::remove_stale(&dir.path().join("timelines"), &kept, |n| {
        n.ends_with(".csv")
    })?;
    Ok(files.len())
}

/// Reads a `metrics_summary.csv`.
pub(crate) fn read_metrics(path: &std::path::Path) -> Result<Vec<PolicyMetrics>> {
    from_csv(&read(path)?).with_context(|| format!("reading {}", path.display()))
}

/// Reads back what [`write_reports`] wrote, for redrawing the plots in a later process.
/// Timelines that are missing are left out.
pub(crate) fn read_reports(dir: &ReportsDir) -> Result<Results> {
    let rows = read_metrics(&dir.metrics())?;
    let path = dir.forecasts();
    let (test, models) = read_forecasts_wide(&read(&path)?)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut timelines = Vec::new();
    let mut capacity_per_step = 0.0;
    for r in &rows {
        let path = dir.timeline(&r.model, &r.policy);
        if !path.exists() {
            continue;
        }
        let (timeline, cap) =
            read_timeline(&read(&path)?).with_context(|| format!("reading {}", path.display()))?;
        if cap > 0.0 {
            capacity_per_step = cap;
        }
        timelines.push(RunTimeline {
            model: r.model.clone(),
            policy: r.policy.clone(),
            timeline,
        });
    }
    let recommendation = if dir.recommended().exists() && dir.recommended_timeline().exists() {
        let path = dir.recommended();
        let choices: Vec<Choice> =
            from_csv(&read(&path)?).with_context(|| format!("reading {}", path.display()))?;
        let path = dir.recommended_timeline();
        let (timeline, _) =
            read_timeline(&read(&path)?).with_context(|| format!("reading {}", path.display()))?;
        Some(Recommendation { choices, timeline })
    } else {
        None
    };
    Ok(Results {
        rows,
        test,
        models,
        timelines,
        capacity_per_step,
        recommendation,
    })
}

/// Draws every plot of `results` and the Markdown summary that links them into the
/// reports folder, as one set of files.
pub(crate) fn draw(dir: &ReportsDir, results: &Results) -> Result<()> {
    let pngs = plot::render_all(results)
        .map_err(|e| anyhow::anyhow!("drawing plots in {}: {e}", dir.path().display()))?;
    let names: Vec<String> = pngs
        .iter()
        .map(|(figure, _)| ReportsDir::figure_name(figure))
        .collect();
    let mut files: Vec<_> = pngs
        .into_iter()
        .map(|(figure, bytes)| (dir.figure(&figure), bytes))
        .collect();
    files.push((
        dir.summary(),
        summary::markdown(
            &results.rows,
            &names,
            results
                .recommendation
                .as_ref()
                .map_or(&[][..], |r| &r.choices[..]),
        )
        .into_bytes(),
    ));
    write_all_atomic(&files)
        .map_err(|e| anyhow::anyhow!("writing plots in {}: {e}", dir.path().display()))?;
    // Another run's per-model figures do not stay beside these.
    let kept: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    super::remove_stale(dir.path(), &kept, |n| {
        n.ends_with("_forecast.png") || n.ends_with("_policy_comparison.png")
    })?;
    eprintln!(
        "plots: {} PNG files and {SUMMARY_FILE} in {}",
        names.len(),
        dir.path().display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn test_period(in_event: bool) -> TestPeriod {
        TestPeriod {
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            step_seconds: 300,
            actual: vec![10.0, 120.0, 33.0],
            in_event: in_event.then(|| vec![false, true, true]),
        }
    }

    #[test]
    fn forecasts_wide_round_trips_models_with_and_without_interval() {
        let models = vec![
            ModelForecast {
                model: "seasonal-naive".into(),
                forecast: Forecast {
                    yhat: vec![1.0 / 3.0, 2.0, 3.0],
                    interval: Some(Interval {
                        lower: vec![0.0, 1.5, 2.5],
                        upper: vec![1.0, 2.5, 1e-7],
                    }),
                },
                validation: None,
                tunings: Default::default(),
            },
            ModelForecast {
                model: "lstm".into(),
                forecast: Forecast {
                    yhat: vec![9.0, 8.0, 7.25],
                    interval: None,
                },
                validation: None,
                tunings: Default::default(),
            },
        ];
        for ev in [true, false] {
            let bytes = forecasts_wide(&test_period(ev), &models);
            let (test, back) = read_forecasts_wide(&bytes).unwrap();
            assert_eq!(test, test_period(ev));
            assert_eq!(back, models);
        }
    }

    #[test]
    fn columns_are_found_by_header_not_position() {
        // The same table with its columns shuffled reads the same.
        let csv =
            "seasonal-naive_upper,actual,timestamp,seasonal-naive_forecast,seasonal-naive_lower\n\
                   3,10,2026-01-05T00:00:00Z,2,1\n\
                   4,11,2026-01-05T00:01:00Z,3,2\n";
        let (test, models) = read_forecasts_wide(csv.as_bytes()).unwrap();
        assert_eq!(test.actual, vec![10.0, 11.0]);
        assert_eq!(test.step_seconds, 60);
        assert_eq!(models[0].forecast.yhat, vec![2.0, 3.0]);
        assert_eq!(
            models[0].forecast.interval.as_ref().unwrap().upper,
            vec![3.0, 4.0]
        );
        let err = read_forecasts_wide(b"timestamp,forecast\n2026-01-05T00:00:00Z,1\n").unwrap_err();
        assert_eq!(err, ReadError::MissingColumn("actual".into()));
    }

    #[test]
    fn timeline_round_trips_with_its_capacity_and_switches() {
        // Ready 2 -> 3 -> 3: one switch; capacity 12.5 per container-step.
        let tl = Timeline {
            demand: vec![20.0, 40.5, 30.0],
            target: vec![3, 3, 3],
            ready: vec![2, 3, 3],
            starting: vec![1, 0, 0],
            within: vec![20.0, 37.5, 30.0],
            unserved: vec![0.0, 3.0, 0.0],
            dropped: vec![0.0, 1.0, 0.0],
            backlog: vec![0.0, 2.5, 0.0],
            p99_s: vec![1.5, 9.25, 2.0],
            violated: vec![false, true, false],
            scaling_switches: 1,
            ..Timeline::default()
        };
        let bytes = timeline_csv(&test_period(false), &tl, 12.5);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains("\n2026-01-05T00:05:00Z,40.5,3,3,0,37.5,3,1,2.5,9.25,1\n"),
            "{text}"
        );
        assert_eq!(read_timeline(&bytes).unwrap(), (tl, 12.5));
    }

    #[test]
    fn malformed_rows_name_the_line() {
        let err = read_timeline(
            b"demand,target,ready,starting,capacity,unserved\n1,1,1,0,5,0\n1,x,1,0,5,0\n",
        )
        .unwrap_err();
        assert!(matches!(err, ReadError::Csv { line: 3, .. }), "{err}");
    }
}
