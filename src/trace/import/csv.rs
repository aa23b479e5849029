//! `csv`: a timestamp and a count column, read with polars (every column as text, the
//! counts typed by polars, the text kept to quote in errors). Columns are detected or
//! named; timestamps are RFC 3339 (any zone), naive `YYYY-MM-DD[ T]HH:MM[:SS[.f]]` (UTC),
//! or Unix epoch seconds or milliseconds, told apart by magnitude (from 10^11 on, a
//! number is milliseconds: 10^11 seconds would be the year 5138).

use std::io::Cursor;

use chrono::{DateTime, NaiveDateTime};
use polars::prelude::*;
use polars_io::prelude::*;

use super::{ImportOptions, Point, Raw, Report};
use crate::trace::{excerpt, TraceError};

/// Column names tried, in order, when no flag names the timestamp column.
pub const TIMESTAMP_COLUMNS: [&str; 3] = ["timestamp", "ds", "time"];
/// Column names tried, in order, when no flag names the count column.
pub const COUNT_COLUMNS: [&str; 4] = ["requests", "value", "y", "count"];
/// Column name of the optional event flags written by the generator.
pub const EVENT_COLUMN: &str = "in_event";

/// What a CSV held.
#[derive(Debug)]
pub(super) enum Parsed {
    /// A count per timestamp.
    Series(Raw),
    /// No count column and timestamps that are not one per step: one row per request
    /// (only when the format was detected), as read, with its timestamps (epoch ms).
    Requests(Columns, Vec<i64>, TimeForm),
}

/// How a file's timestamps were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeForm {
    /// RFC 3339 or naive date and time.
    Text,
    /// Unix epoch seconds.
    EpochSeconds,
    /// Unix epoch milliseconds.
    EpochMillis,
}

impl TimeForm {
    /// In words, for the report.
    pub(super) fn words(self) -> &'static str {
        match self {
            TimeForm::Text => "RFC 3339 or YYYY-MM-DD HH:MM[:SS] (UTC)",
            TimeForm::EpochSeconds => "Unix epoch seconds",
            TimeForm::EpochMillis => "Unix epoch milliseconds",
        }
    }
}

/// The text of a CSV, checked: UTF-8, not JSON.
pub(super) fn text(bytes: &[u8]) -> Result<&str, TraceError> {
    let text = std::str::from_utf8(bytes).map_err(|e| TraceError::NotUtf8 {
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
    })?;
    let start = text.trim_start();
    if start.starts_with('{') || start.starts_with('[') {
        return Err(TraceError::LooksLikeJson);
    }
    Ok(text)
}

/// Every column of a CSV as text.
pub(super) fn frame(bytes: &[u8]) -> Result<(DataFrame, Vec<String>), TraceError> {
    text(bytes)?;
    // Blank lines at the end, as an editor or `echo >>` leaves them, are no rows.
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let bytes = &bytes[..end];
    let separator = separator(bytes);
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .map_parse_options(|o| o.with_separator(separator))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| TraceError::Csv(excerpt(&e.to_string(), 120)))?;
    let names = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    Ok((df, names))
}

/// The CSV's column separator, told from its header line: `,`, or where the header has
/// none, `;` (as spreadsheets write CSV where the comma is the decimal mark) or a tab.
fn separator(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    if header.contains(&b',') {
        b','
    } else if header.contains(&b';') {
        b';'
    } else if header.contains(&b'\t') {
        b'\t'
    } else {
        b','
    }
}

/// A CSV's columns, and the one holding the timestamps.
#[derive(Debug)]
pub(super) struct Columns {
    /// Every column as text.
    pub(super) df: DataFrame,
    /// The header.
    pub(super) names: Vec<String>,
    /// The header for errors, shortened.
    pub(super) found: String,
    /// The timestamp column's name.
    pub(super) time: String,
}

/// Reads a CSV and finds its timestamp column (named by `--time-column` or detected).
pub(super) fn with_time_column(bytes: &[u8], opts: &ImportOptions) -> Result<Columns, TraceError> {
    let (df, names) = frame(bytes)?;
    let found = excerpt(&names.join(", "), 120);
    let time = pick_column(
        &names,
        &opts.time_column,
        &TIMESTAMP_COLUMNS,
        "timestamp",
        "--time-column",
        &found,
    )?;
    Ok(Columns {
        df,
        names,
        found,
        time,
    })
}

/// Parses a timestamp/count CSV into points.
pub(super) fn parse(
    bytes: &[u8],
    opts: &ImportOptions,
    detected: bool,
    report: &mut Report,
) -> Result<Parsed, TraceError> {
    let cols = with_time_column(bytes, opts)?;
    let count_col = pick_column(
        &cols.names,
        &opts.count_column,
        &COUNT_COLUMNS,
        "count",
        "--count-column",
        &cols.found,
    );
    if cols.df.height() == 0 {
        return Err(TraceError::NoRows);
    }
    let times = string_column(&cols.df, &cols.time)?;
    let (stamps, form) = timestamps(&times)?;
    let count_col = match count_col {
        Ok(c) => c,
        Err(e) => {
            // No count column: a request log when its times are not one per step.
            if detected && opts.count_column.is_none() && !one_per_step(&stamps) {
                return Ok(Parsed::Requests(cols, stamps, form));
            }
            return Err(e);
        }
    };
    let Columns { df, names, .. } = cols;
    report.fact(format!("timestamps: {}", form.words()));
    let counts = string_column(&df, &count_col)?;
    // The counts typed by polars (a text that is no number becomes null); the text is
    // kept beside them, so an error can quote what the file says.
    let typed: Vec<Option<f64>> = df
        .column(&count_col)
        .and_then(|c| c.cast(&DataType::Float64))
        .and_then(|c| Ok(c.f64()?.iter().collect()))
        .map_err(|e| TraceError::Csv(excerpt(&e.to_string(), 120)))?;
    let events = if names.iter().any(|n| n == EVENT_COLUMN) {
        Some(string_column(&df, EVENT_COLUMN)?)
    } else {
        None
    };
    let mut points = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let line = i + 2;
        let text = counts[i].as_deref().unwrap_or("");
        let value = match typed[i] {
            Some(v) => check_count(v, text, line)?,
            None => parse_count(text, line)?,
        };
        let event = events
            .as_ref()
            .is_some_and(|e| matches!(e[i].as_deref().map(str::trim), Some("1" | "true")));
        points.push(Point {
            ms: stamps[i],
            value,
            line,
            event,
        });
    }
    Ok(Parsed::Series(Raw::Series {
        points,
        has_events: events.is_some(),
    }))
}

/// Whether sorted timestamps fall one per step: distinct, every gap a multiple of the
/// median gap, at least half of them the median itself (a request log's gaps vary).
fn one_per_step(stamps: &[i64]) -> bool {
    let mut s = stamps.to_vec();
    s.sort_unstable();
    let mut gaps: Vec<i64> = s.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.is_empty() {
        return true;
    }
    gaps.sort_unstable();
    let step = gaps[(gaps.len() - 1) / 2];
    let regular = gaps.iter().filter(|&&g| g == step).count();
    step > 0 && gaps.iter().all(|g| *g > 0 && g % step == 0) && 2 * regular >= gaps.len()
}

/// Every timestamp of a column in epoch milliseconds, and the form they were written in
/// (decided by the first; all must share it).
pub(super) fn timestamps(times: &[Option<String>]) -> Result<(Vec<i64>, TimeForm), TraceError> {
    let first = times
        .first()
        .and_then(|t| t.as_deref())
        .unwrap_or("")
        .trim();
    let form = match first.parse::<f64>() {
        Ok(v) if v.abs() >= 1e11 => TimeForm::EpochMillis,
        Ok(_) => TimeForm::EpochSeconds,
        Err(_) => TimeForm::Text,
    };
    let stamps = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let text = t.as_deref().unwrap_or("");
            let line = i + 2;
            match form {
                TimeForm::Text => parse_timestamp_ms(text, line),
                TimeForm::EpochSeconds | TimeForm::EpochMillis => {
                    let v: f64 = text.trim().parse().map_err(|_| TraceError::BadTimestamp {
                        line,
                        value: excerpt(text, 40),
                    })?;
                    Ok(if form == TimeForm::EpochMillis {
                        v.round() as i64
                    } else {
                        (v * 1000.0).round() as i64
                    })
                }
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((stamps, form))
}

pub(super) fn pick_column(
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
            name: excerpt(name, 40),
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

pub(super) fn string_column(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, TraceError> {
    let col = df
        .column(name)
        .and_then(|c| c.str())
        .map_err(|e| TraceError::Csv(excerpt(&e.to_string(), 120)))?;
    Ok(col.iter().map(|v| v.map(str::to_string)).collect())
}

/// Reads RFC 3339 (any zone, converted to UTC) or a naive `YYYY-MM-DD[ T]HH:MM[:SS[.f]]`
/// (read as UTC). Returns epoch milliseconds.
pub(super) fn parse_timestamp_ms(text: &str, line: usize) -> Result<i64, TraceError> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Ok(t.timestamp_millis());
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(TraceError::BadTimestamp {
        line,
        value: excerpt(s, 40),
    })
}

/// Reads RFC 3339 or a naive date and time ([`parse_timestamp_ms`]). Returns epoch
/// seconds.
pub fn parse_timestamp(text: &str, line: usize) -> Result<i64, TraceError> {
    parse_timestamp_ms(text, line).map(|ms| ms.div_euclid(1000))
}

/// Reads a request count: a finite, non-negative number.
pub fn parse_count(text: &str, line: usize) -> Result<f64, TraceError> {
    let s = text.trim();
    let v: f64 = s.parse().map_err(|_| TraceError::NonNumericCount {
        line,
        value: excerpt(s, 40),
    })?;
    check_count(v, s, line)
}

/// The largest count a row may hold: 10^15 requests, millions of times what the busiest
/// services serve in a minute; beyond it a value is a corrupt one, and the cluster it
/// would call for is past counting exactly.
pub const MAX_COUNT: f64 = 1e15;

/// Accepts a count `v` (read from `text`) that is finite, non-negative and at most
/// [`MAX_COUNT`].
pub(super) fn check_count(v: f64, text: &str, line: usize) -> Result<f64, TraceError> {
    let s = text.trim();
    if !v.is_finite() {
        return Err(TraceError::NonFiniteCount {
            line,
            value: excerpt(s, 40),
        });
    }
    if v < 0.0 {
        return Err(TraceError::NegativeCount { line, value: v });
    }
    if v > MAX_COUNT {
        return Err(TraceError::HugeCount { line, value: v });
    }
    Ok(v)
}
