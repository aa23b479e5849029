//! Trace import: a CSV read with polars (counts typed by it, timestamps parsed here to
//! accept both zoned and naive forms), then checked and regularized row by row.
//!
//! Accepts our own `timestamp,requests` files and other real traces (NAB and the like):
//! detected or named columns, zoned or naive timestamps (naive is UTC), any regular step.
//! Rows are sorted; missing steps are filled by linear interpolation and counted;
//! everything else that is wrong is an error naming the line.

use std::io::Cursor;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use polars::prelude::*;

use super::{Trace, TraceError};

/// Column names tried, in order, when no flag names the timestamp column.
pub const TIMESTAMP_COLUMNS: [&str; 3] = ["timestamp", "ds", "time"];
/// Column names tried, in order, when no flag names the count column.
pub const COUNT_COLUMNS: [&str; 4] = ["requests", "value", "y", "count"];
/// Column name of the optional event flags written by the generator.
pub const EVENT_COLUMN: &str = "in_event";

/// How to find the columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// The timestamp column; detected from [`TIMESTAMP_COLUMNS`] when `None`.
    pub time_column: Option<String>,
    /// The count column; detected from [`COUNT_COLUMNS`] when `None`.
    pub count_column: Option<String>,
}

/// A trace as imported, with what import had to do to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The regular trace.
    pub trace: Trace,
    /// Steps that were missing and filled by linear interpolation.
    pub filled_steps: usize,
    /// Whether the rows had to be sorted.
    pub sorted: bool,
}

/// Parses a trace from the bytes of a CSV file.
pub fn parse_csv(bytes: &[u8], opts: &ImportOptions) -> Result<Imported, TraceError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(TraceError::Empty);
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        return Err(TraceError::NotUtf8 { line });
    }
    // Every column as text: the checks below need the raw value to report it.
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| TraceError::Csv(first_line(&e.to_string())))?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let found = names.join(", ");
    let time_col = pick_column(
        &names,
        &opts.time_column,
        &TIMESTAMP_COLUMNS,
        "timestamp",
        "--time-column",
        &found,
    )?;
    let count_col = pick_column(
        &names,
        &opts.count_column,
        &COUNT_COLUMNS,
        "count",
        "--count-column",
        &found,
    )?;
    if df.height() == 0 {
        return Err(TraceError::NoRows);
    }
    let times = string_column(&df, &time_col)?;
    let counts = string_column(&df, &count_col)?;
    // The counts typed by polars (a text that is no number becomes null); the text is
    // kept beside them, so an error can quote what the file says.
    let typed: Vec<Option<f64>> = df
        .column(&count_col)
        .and_then(|c| c.cast(&DataType::Float64))
        .and_then(|c| Ok(c.f64()?.iter().collect()))
        .map_err(|e| TraceError::Csv(first_line(&e.to_string())))?;
    let events = if names.iter().any(|n| n == EVENT_COLUMN) {
        Some(string_column(&df, EVENT_COLUMN)?)
    } else {
        None
    };

    // (epoch seconds, count, in_event, line)
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let line = i + 2;
        let ts = parse_timestamp(times[i].as_deref().unwrap_or(""), line)?;
        let text = counts[i].as_deref().unwrap_or("");
        let count = match typed[i] {
            Some(v) => check_count(v, text, line)?,
            None => parse_count(text, line)?,
        };
        let ev = events
            .as_ref()
            .is_some_and(|e| matches!(e[i].as_deref().map(str::trim), Some("1" | "true")));
        rows.push((ts, count, ev, line));
    }
    let sorted = rows.windows(2).any(|w| w[1].0 < w[0].0);
    if sorted {
        rows.sort_by_key(|r| r.0);
    }
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 {
            let (a, b) = if w[0].3 < w[1].3 {
                (w[0].3, w[1].3)
            } else {
                (w[1].3, w[0].3)
            };
            return Err(TraceError::DuplicateTimestamp {
                line: b,
                first_line: a,
                timestamp: super::format_timestamp(Utc.timestamp_opt(w[0].0, 0).unwrap()),
            });
        }
    }
    if rows.len() < 2 {
        return Err(TraceError::TooShort {
            have: rows.len(),
            need: 2,
            what: "finding the step".into(),
        });
    }
    let mut gaps: Vec<i64> = rows.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_unstable();
    let step = gaps[(gaps.len() - 1) / 2];
    if step % 60 != 0 {
        return Err(TraceError::StepNotWholeMinutes(step));
    }

    let mut requests = Vec::with_capacity(rows.len());
    let mut in_event = Vec::with_capacity(rows.len());
    let mut filled = 0;
    requests.push(rows[0].1);
    in_event.push(rows[0].2);
    for w in rows.windows(2) {
        let gap = w[1].0 - w[0].0;
        if gap % step != 0 {
            return Err(TraceError::IrregularStep {
                line: w[1].3,
                gap_seconds: gap,
                step_seconds: step,
            });
        }
        let k = (gap / step) as usize;
        for j in 1..k {
            let f = j as f64 / k as f64;
            requests.push(w[0].1 + f * (w[1].1 - w[0].1));
            in_event.push(w[0].2 && w[1].2);
        }
        filled += k - 1;
        requests.push(w[1].1);
        in_event.push(w[1].2);
    }
    Ok(Imported {
        trace: Trace {
            start: Utc.timestamp_opt(rows[0].0, 0).unwrap(),
            step_minutes: (step / 60) as u32,
            requests,
            in_event: events.map(|_| in_event),
        },
        filled_steps: filled,
        sorted,
    })
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

fn pick_column(
    names: &[String],
    given: &Option<String>,
    candidates: &[&str],
    role: &'static str,
    flag: &'static str,
    found: &str,
) -> Result<String, TraceError> {
    match given {
        Some(name) if names.iter().any(|n| n == name) => Ok(name.clone()),
        Some(name) => Err(TraceError::NamedColumnMissing {
            flag,
            name: name.clone(),
            found: found.to_string(),
        }),
        None => candidates
            .iter()
            .find_map(|c| names.iter().find(|n| n.trim().eq_ignore_ascii_case(c)))
            .cloned()
            .ok_or_else(|| TraceError::MissingColumn {
                role,
                tried: candidates.join("/"),
                found: found.to_string(),
                flag,
            }),
    }
}

fn string_column(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, TraceError> {
    let col = df
        .column(name)
        .and_then(|c| c.str())
        .map_err(|e| TraceError::Csv(first_line(&e.to_string())))?;
    Ok(col.iter().map(|v| v.map(str::to_string)).collect())
}

/// Reads RFC 3339 (any zone, converted to UTC) or a naive `YYYY-MM-DD[ T]HH:MM[:SS[.f]]`
/// (read as UTC). Returns epoch seconds.
pub fn parse_timestamp(text: &str, line: usize) -> Result<i64, TraceError> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Ok(t.timestamp());
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp());
        }
    }
    Err(TraceError::BadTimestamp {
        line,
        value: s.to_string(),
    })
}

/// Reads a request count: a finite, non-negative number.
pub fn parse_count(text: &str, line: usize) -> Result<f64, TraceError> {
    let s = text.trim();
    let v: f64 = s.parse().map_err(|_| TraceError::NonNumericCount {
        line,
        value: s.to_string(),
    })?;
    check_count(v, s, line)
}

/// Accepts a count `v` (read from `text`) that is finite and non-negative.
fn check_count(v: f64, text: &str, line: usize) -> Result<f64, TraceError> {
    let s = text.trim();
    if !v.is_finite() {
        return Err(TraceError::NonFiniteCount {
            line,
            value: s.to_string(),
        });
    }
    if v < 0.0 {
        return Err(TraceError::NegativeCount { line, value: v });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Imported, TraceError> {
        parse_csv(s.as_bytes(), &ImportOptions::default())
    }

    #[test]
    fn reads_our_own_format() {
        let t =
            parse("timestamp,requests\n2026-01-05T00:00:00Z,3\n2026-01-05T00:01:00Z,4\n").unwrap();
        assert_eq!(t.trace.step_minutes, 1);
        assert_eq!(t.trace.requests, vec![3.0, 4.0]);
        assert_eq!(t.filled_steps, 0);
        assert_eq!(
            super::super::format_timestamp(t.trace.start),
            "2026-01-05T00:00:00Z"
        );
    }

    #[test]
    fn zoned_timestamps_are_converted_to_utc() {
        let t = parse("ds,y\n2026-01-05T02:00:00+02:00,1\n2026-01-05T02:05:00+02:00,2\n").unwrap();
        assert_eq!(
            super::super::format_timestamp(t.trace.start),
            "2026-01-05T00:00:00Z"
        );
        assert_eq!(t.trace.step_minutes, 5);
    }

    #[test]
    fn sorts_and_interpolates_gaps() {
        // Step 5 min (median gap); 00:10 and 00:15 missing between 2 and 8.
        let t = parse(
            "time,value\n2026-01-05 00:20,8\n2026-01-05 00:00,1\n2026-01-05 00:05,2\n2026-01-05 00:25,9\n",
        )
        .unwrap();
        assert!(t.sorted);
        assert_eq!(t.filled_steps, 2);
        assert_eq!(t.trace.requests, vec![1.0, 2.0, 4.0, 6.0, 8.0, 9.0]);
    }

    #[test]
    fn named_columns_win_over_detection() {
        let opts = ImportOptions {
            time_column: Some("when".into()),
            count_column: Some("hits".into()),
        };
        let t = parse_csv(
            b"when,hits,value\n2026-01-05 00:00:00,5,0\n2026-01-05 00:01:00,6,0\n",
            &opts,
        )
        .unwrap();
        assert_eq!(t.trace.requests, vec![5.0, 6.0]);
    }

    #[test]
    fn reads_generator_event_flags() {
        let t = parse(
            "timestamp,requests,in_event\n2026-01-05T00:00:00Z,3,0\n2026-01-05T00:01:00Z,4,1\n",
        )
        .unwrap();
        assert_eq!(t.trace.in_event, Some(vec![false, true]));
    }

    #[test]
    fn empty_file() {
        assert_eq!(parse(""), Err(TraceError::Empty));
    }

    #[test]
    fn header_only() {
        assert_eq!(parse("timestamp,requests\n"), Err(TraceError::NoRows));
    }

    #[test]
    fn missing_count_column() {
        let e = parse("timestamp,other\n2026-01-05T00:00:00Z,3\n").unwrap_err();
        assert!(matches!(e, TraceError::MissingColumn { role: "count", .. }));
        assert!(e.to_string().contains("--count-column"), "{e}");
    }

    #[test]
    fn wrong_column_names() {
        let e = parse("when,hits\n2026-01-05T00:00:00Z,3\n").unwrap_err();
        assert!(matches!(
            e,
            TraceError::MissingColumn {
                role: "timestamp",
                ..
            }
        ));
        assert!(e.to_string().contains("found when, hits"), "{e}");
    }

    #[test]
    fn named_column_missing() {
        let opts = ImportOptions {
            count_column: Some("hits".into()),
            ..Default::default()
        };
        let e = parse_csv(b"timestamp,requests\n2026-01-05T00:00:00Z,3\n", &opts).unwrap_err();
        assert!(matches!(
            e,
            TraceError::NamedColumnMissing {
                flag: "--count-column",
                ..
            }
        ));
    }

    #[test]
    fn non_numeric_count_names_the_line() {
        let e = parse("timestamp,requests\n2026-01-05T00:00:00Z,3\n2026-01-05T00:01:00Z,abc\n")
            .unwrap_err();
        assert_eq!(
            e,
            TraceError::NonNumericCount {
                line: 3,
                value: "abc".into()
            }
        );
    }

    #[test]
    fn negative_count() {
        let e = parse("timestamp,requests\n2026-01-05T00:00:00Z,-3\n").unwrap_err();
        assert_eq!(
            e,
            TraceError::NegativeCount {
                line: 2,
                value: -3.0
            }
        );
    }

    #[test]
    fn nan_count() {
        let e = parse("timestamp,requests\n2026-01-05T00:00:00Z,NaN\n").unwrap_err();
        assert!(matches!(e, TraceError::NonFiniteCount { line: 2, .. }));
    }

    #[test]
    fn infinite_count() {
        let e = parse("timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,inf\n")
            .unwrap_err();
        assert!(matches!(e, TraceError::NonFiniteCount { line: 3, .. }));
    }

    #[test]
    fn duplicate_timestamp() {
        let e = parse(
            "timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,2\n2026-01-05T00:01:00Z,3\n",
        )
        .unwrap_err();
        assert!(matches!(
            e,
            TraceError::DuplicateTimestamp {
                line: 4,
                first_line: 3,
                ..
            }
        ));
    }

    #[test]
    fn unparseable_timestamp() {
        let e = parse("timestamp,requests\nyesterday,1\n").unwrap_err();
        assert_eq!(
            e,
            TraceError::BadTimestamp {
                line: 2,
                value: "yesterday".into()
            }
        );
    }

    #[test]
    fn irregular_step() {
        // Median gap 60 s; the 90 s gap before line 5 is no multiple of it.
        let e = parse(
            "timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,1\n2026-01-05T00:02:00Z,1\n2026-01-05T00:03:30Z,1\n2026-01-05T00:04:30Z,1\n",
        )
        .unwrap_err();
        assert_eq!(
            e,
            TraceError::IrregularStep {
                line: 5,
                gap_seconds: 90,
                step_seconds: 60
            }
        );
    }

    #[test]
    fn non_utf8_names_the_line() {
        let e = parse_csv(
            b"timestamp,requests\n2026-01-05T00:00:00Z,\xff\n",
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e, TraceError::NotUtf8 { line: 2 });
    }
}
