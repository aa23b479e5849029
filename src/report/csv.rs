//! The CSV files: `metrics_summary.csv`, `forecast_metrics.csv`, `forecasts.csv`,
//! per-(model, policy) timelines, and the per-model forecast files `train` leaves for
//! `simulate` (with a JSON sidecar that says what they were made for).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::forecast::{Forecast, Interval};
use crate::sim::Timeline;
use crate::trace::{format_timestamp, Split, Trace};

/// A report file that could not be read back.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The CSV is malformed.
    #[error("line {line}: {message}")]
    Csv {
        /// Line of the record, where known.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// The file has no rows.
    #[error("the file has no rows")]
    Empty,
    /// The forecast sidecar is malformed.
    #[error("{0}")]
    Json(String),
}

fn csv_error(e: ::csv::Error) -> ReadError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        ::csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        _ => e.to_string(),
    };
    ReadError::Csv { line, message }
}

/// Serializes rows with a header line.
pub fn to_csv<T: Serialize>(rows: &[T]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).expect("in-memory CSV write");
    }
    w.into_inner().expect("in-memory CSV flush")
}

/// Reads rows written by [`to_csv`].
pub fn from_csv<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<Vec<T>, ReadError> {
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

/// `forecasts.csv`: per test step, the actual demand, whether it lies in a synthetic
/// event (generated traces only), and every model's forecast and bounds (empty where a
/// model has no interval).
pub fn forecasts_wide(trace: &Trace, split: Split, models: &[(String, Forecast)]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["timestamp".to_string(), "actual".to_string()];
    if trace.in_event.is_some() {
        header.push("in_event".to_string());
    }
    for (name, _) in models {
        for col in ["forecast", "lower", "upper"] {
            header.push(format!("{name}_{col}"));
        }
    }
    w.write_record(&header).expect("in-memory CSV write");
    for (i, j) in split.test_range().enumerate() {
        let mut rec = vec![
            format_timestamp(trace.timestamp(j)),
            trace.requests[j].to_string(),
        ];
        if let Some(ev) = &trace.in_event {
            rec.push(u8::from(ev[j]).to_string());
        }
        for (_, f) in models {
            let p = f.at(i);
            rec.push(fmt(p.yhat));
            rec.push(p.lower.map(fmt).unwrap_or_default());
            rec.push(p.upper.map(fmt).unwrap_or_default());
        }
        w.write_record(&rec).expect("in-memory CSV write");
    }
    w.into_inner().expect("in-memory CSV flush")
}

/// A per-step timeline:
/// `timestamp,demand,target,ready,starting,capacity,unserved,violation`, where capacity is
/// the requests the ready containers can serve in the step.
pub fn timeline(trace: &Trace, split: Split, tl: &Timeline, capacity_per_step: f64) -> Vec<u8> {
    let mut out =
        String::from("timestamp,demand,target,ready,starting,capacity,unserved,violation\n");
    for i in 0..tl.len() {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            format_timestamp(trace.timestamp(split.train_len + i)),
            tl.demand[i],
            tl.target[i],
            tl.ready[i],
            tl.starting[i],
            fmt(f64::from(tl.ready[i]) * capacity_per_step),
            fmt(tl.unserved[i]),
            u8::from(tl.violation(i)),
        ));
    }
    out.into_bytes()
}

fn fmt(x: f64) -> String {
    crate::metrics::round6(x).to_string()
}

/// What a forecast file was made for; `simulate` refuses forecasts made for another
/// trace, split or startup delay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastMeta {
    /// The model.
    pub model: String,
    /// Fingerprint of the trace's requests ([`trace_fingerprint`]).
    pub trace_fingerprint: String,
    /// Steps in the trace.
    pub trace_steps: usize,
    /// Minutes per step.
    pub step_minutes: u32,
    /// First test timestamp.
    pub test_start: String,
    /// Steps in the test period.
    pub test_steps: usize,
    /// Steps from the last observed step to the target (startup delay in steps + 1).
    pub lead_steps: usize,
    /// The startup delay the forecasts were made for, in minutes.
    pub startup_delay_min: u32,
}

impl ForecastMeta {
    /// The sidecar as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("plain struct");
        v.push(b'\n');
        v
    }

    /// Reads the sidecar.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ReadError> {
        serde_json::from_slice(bytes).map_err(|e| ReadError::Json(e.to_string()))
    }
}

/// FNV-1a over the bits of every request count and the start and step: two traces
/// that differ anywhere get different fingerprints (up to 64-bit collisions).
pub fn trace_fingerprint(trace: &Trace) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(&trace.start.timestamp().to_le_bytes());
    eat(&trace.step_minutes.to_le_bytes());
    for r in &trace.requests {
        eat(&r.to_bits().to_le_bytes());
    }
    format!("{h:016x}")
}

#[derive(Debug, Serialize, Deserialize)]
struct ForecastRow {
    timestamp: String,
    forecast: f64,
    lower: Option<f64>,
    upper: Option<f64>,
}

/// A model's forecast file: `timestamp,forecast,lower,upper` per test step.
pub fn forecast_file(trace: &Trace, split: Split, f: &Forecast) -> Vec<u8> {
    let rows: Vec<ForecastRow> = split
        .test_range()
        .enumerate()
        .map(|(i, j)| {
            let p = f.at(i);
            ForecastRow {
                timestamp: format_timestamp(trace.timestamp(j)),
                forecast: p.yhat,
                lower: p.lower,
                upper: p.upper,
            }
        })
        .collect();
    to_csv(&rows)
}

/// Reads a forecast file back; an interval exists only if every row has both bounds.
pub fn read_forecast_file(bytes: &[u8]) -> Result<(Vec<String>, Forecast), ReadError> {
    let rows: Vec<ForecastRow> = from_csv(bytes)?;
    let timestamps = rows.iter().map(|r| r.timestamp.clone()).collect();
    let yhat = rows.iter().map(|r| r.forecast).collect();
    let interval = rows
        .iter()
        .map(|r| r.lower.zip(r.upper))
        .collect::<Option<Vec<_>>>()
        .map(|b| Interval {
            lower: b.iter().map(|x| x.0).collect(),
            upper: b.iter().map(|x| x.1).collect(),
        });
    Ok((timestamps, Forecast { yhat, interval }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn trace() -> Trace {
        Trace {
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            step_minutes: 1,
            requests: vec![1.0, 2.0, 3.0, 4.0],
            in_event: None,
        }
    }

    #[test]
    fn forecast_file_round_trips_with_and_without_interval() {
        let split = Split {
            train_len: 2,
            test_len: 2,
        };
        let with = Forecast {
            yhat: vec![2.5, 3.5],
            interval: Some(Interval {
                lower: vec![1.0, 2.0],
                upper: vec![4.0, 5.0],
            }),
        };
        let bytes = forecast_file(&trace(), split, &with);
        assert!(String::from_utf8_lossy(&bytes)
            .starts_with("timestamp,forecast,lower,upper\n2026-01-05T00:02:00Z,2.5,1.0,4.0\n"));
        let (ts, back) = read_forecast_file(&bytes).unwrap();
        assert_eq!(ts, vec!["2026-01-05T00:02:00Z", "2026-01-05T00:03:00Z"]);
        assert_eq!(back, with);
        let without = Forecast {
            yhat: vec![2.5, 3.5],
            interval: None,
        };
        let (_, back) = read_forecast_file(&forecast_file(&trace(), split, &without)).unwrap();
        assert_eq!(back, without);
    }

    #[test]
    fn fingerprint_sees_one_changed_count() {
        let a = trace();
        let mut b = trace();
        b.requests[3] = 4.000001;
        assert_ne!(trace_fingerprint(&a), trace_fingerprint(&b));
        assert_eq!(trace_fingerprint(&a), trace_fingerprint(&trace()));
    }

    #[test]
    fn malformed_rows_name_the_line() {
        let err = from_csv::<ForecastRow>(b"timestamp,forecast,lower,upper\nx,1,,\ny,abc,,\n")
            .unwrap_err();
        assert!(matches!(err, ReadError::Csv { line: 3, .. }), "{err}");
    }
}
