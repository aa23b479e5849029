//! The demand trace: one request count per regular time step, and its train/test split.
//!
//! A [`Trace`] is produced either by the seeded generator ([`generate`]) or by
//! importing a CSV ([`import`]); every later stage reads only this type.

pub mod generate;
pub mod import;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use thiserror::Error;

use crate::config::{SplitConfig, SECONDS_PER_DAY};

/// Why a trace could not be read or split. Line numbers count the header as line 1.
#[derive(Debug, Error, PartialEq)]
pub enum TraceError {
    /// The file holds nothing at all.
    #[error("the file is empty")]
    Empty,
    /// The file has a header but no rows.
    #[error("the file has a header but no data rows")]
    NoRows,
    /// The bytes are not UTF-8 text.
    #[error("line {line}: not UTF-8 text")]
    NotUtf8 {
        /// Line of the first invalid byte.
        line: usize,
    },
    /// The CSV reader rejected the file.
    #[error("not a readable CSV file: {0}")]
    Csv(String),
    /// No column matched the detected names and no flag named one.
    #[error("no {role} column: looked for {tried} (found {found}); name it with {flag}")]
    MissingColumn {
        /// `timestamp` or `count`.
        role: &'static str,
        /// The names tried.
        tried: String,
        /// The header as read.
        found: String,
        /// The flag that names the column.
        flag: &'static str,
    },
    /// A column named by a flag is not in the header.
    #[error("{flag} {name}: no such column (found {found})")]
    NamedColumnMissing {
        /// The flag.
        flag: &'static str,
        /// The name given.
        name: String,
        /// The header as read.
        found: String,
    },
    /// A timestamp that parses as none of the accepted forms.
    #[error(
        "line {line}: cannot read timestamp {value:?} (expected RFC 3339 or YYYY-MM-DD HH:MM[:SS])"
    )]
    BadTimestamp {
        /// Line of the row.
        line: usize,
        /// The text found.
        value: String,
    },
    /// A count that is not a number.
    #[error("line {line}: count {value:?} is not a number")]
    NonNumericCount {
        /// Line of the row.
        line: usize,
        /// The text found.
        value: String,
    },
    /// A negative count.
    #[error("line {line}: count {value} is negative")]
    NegativeCount {
        /// Line of the row.
        line: usize,
        /// The value found.
        value: f64,
    },
    /// A count beyond any service's ([`crate::trace::import::csv::MAX_COUNT`]).
    #[error("line {line}: count {value:e} is above {:e} requests, more than any service serves in a step: a corrupt value?", crate::trace::import::csv::MAX_COUNT)]
    HugeCount {
        /// Line of the row.
        line: usize,
        /// The value found.
        value: f64,
    },
    /// A NaN or infinite count.
    #[error("line {line}: count {value:?} is not finite")]
    NonFiniteCount {
        /// Line of the row.
        line: usize,
        /// The text found.
        value: String,
    },
    /// Two rows with the same timestamp.
    #[error("line {line}: duplicate timestamp {timestamp} (also on line {first_line})")]
    DuplicateTimestamp {
        /// Line of the later row.
        line: usize,
        /// Line of the earlier row.
        first_line: usize,
        /// The timestamp, RFC 3339.
        timestamp: String,
    },
    /// A gap that is not a whole number of steps.
    #[error("line {line}: gap of {gap_seconds} s since the previous row is not a multiple of the {step_seconds} s step")]
    IrregularStep {
        /// Line of the row after the gap.
        line: usize,
        /// The gap, in seconds.
        gap_seconds: i64,
        /// The trace's step (median gap), in seconds.
        step_seconds: i64,
    },
    /// A JSON document given to the CSV reader.
    #[error(
        "this looks like JSON, not CSV; is it a Prometheus query result? try --format prometheus"
    )]
    LooksLikeJson,
    /// The file is not what its format needs.
    #[error("not {format}: {why}")]
    NotFormat {
        /// The format, with its article (`a Prometheus query_range result`).
        format: &'static str,
        /// Why, with a short excerpt.
        why: String,
    },
    /// Prometheus answered with an error.
    #[error("Prometheus returned an error ({kind}): {message}")]
    Prometheus {
        /// Its `errorType`.
        kind: String,
        /// Its `error`, shortened.
        message: String,
    },
    /// A gzip stream that does not decompress.
    #[error("the gzip data does not decompress: {0}")]
    Gzip(String),
    /// Too many lines that are not records of the format.
    #[error("{bad} of {lines} lines are not {what} (at most {allowed} may be), the first on line {line}: {excerpt}")]
    Malformed {
        /// Lines skipped.
        bad: usize,
        /// Lines read.
        lines: usize,
        /// What a line must be.
        what: &'static str,
        /// The most that may be skipped.
        allowed: usize,
        /// The first bad line.
        line: usize,
        /// It, shortened.
        excerpt: String,
    },
    /// A gap longer than `--max-gap`.
    #[error("a gap of {gap} from {from} to {to} is longer than --max-gap {max}: cut the trace there (before or after it) or raise --max-gap")]
    GapTooLong {
        /// Its length, in words.
        gap: String,
        /// The last step before it.
        from: String,
        /// The first step after it.
        to: String,
        /// The limit.
        max: String,
    },
    /// A trace's step that cannot be brought to `--step`.
    #[error("the trace's step is {native}; {why}")]
    Step {
        /// The native step, in words.
        native: String,
        /// Why not.
        why: String,
    },
    /// Too few rows for what was asked.
    #[error("the trace has {} but {what} needs at least {need}", crate::words::count(*have, "step"))]
    TooShort {
        /// Steps in the trace.
        have: usize,
        /// Steps needed.
        need: usize,
        /// What needs them.
        what: String,
    },
}

/// At most `max` characters of `text`, on one line, shortened with "…": what an error
/// may quote of the input.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one_line = one_line.trim();
    if one_line.chars().count() <= max {
        one_line.to_string()
    } else {
        format!(
            "{}…",
            one_line
                .chars()
                .take(max.saturating_sub(1))
                .collect::<String>()
        )
    }
}

/// A step in seconds, in words: `15 s`, `1 min`, `1 h`.
pub fn step_in_words(seconds: u32) -> String {
    if seconds.is_multiple_of(60) {
        minutes_in_words(i64::from(seconds / 60))
    } else {
        format!("{seconds} s")
    }
}

/// A duration in minutes, in words: `90 min`, `2 h`, `3 d 4 h`.
pub fn minutes_in_words(minutes: i64) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, 0) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// A regular series of request counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Timestamp of the first step, UTC.
    pub start: DateTime<Utc>,
    /// Seconds between consecutive steps (60 for a trace of minutes; a step divides a
    /// day where the forecasting models need whole days).
    pub step_seconds: u32,
    /// Requests arriving in each step.
    pub requests: Vec<f64>,
    /// Whether each step lies inside a synthetic event (generated traces only).
    pub in_event: Option<Vec<bool>>,
}

/// Where the test period begins: steps `[0, train_len)` train, `[train_len, len)` test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Steps in the train period; also the index of the first test step.
    pub train_len: usize,
    /// Steps in the test period.
    pub test_len: usize,
}

impl Split {
    /// Index range of the test steps.
    pub fn test_range(&self) -> std::ops::Range<usize> {
        self.train_len..self.train_len + self.test_len
    }

    /// The same split of the trace spread over `k` ticks a step ([`Trace::spread`]).
    pub fn spread(self, k: usize) -> Split {
        Split {
            train_len: self.train_len * k,
            test_len: self.test_len * k,
        }
    }
}

impl Trace {
    /// Number of steps.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether the trace has no steps.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Timestamp of step `i`.
    pub fn timestamp(&self, i: usize) -> DateTime<Utc> {
        self.start + Duration::seconds(i as i64 * i64::from(self.step_seconds))
    }

    /// The trace decided at a tick of `1 / k` of its step: each step's requests spread
    /// evenly over its `k` ticks (as the discrete-event model spreads a step's arrivals
    /// over the step), each tick in the step's event.
    pub fn spread(&self, k: usize) -> Trace {
        let k = k.max(1);
        Trace {
            start: self.start,
            step_seconds: self.step_seconds / k as u32,
            requests: spread(&self.requests, k),
            in_event: self
                .in_event
                .as_ref()
                .map(|e| e.iter().flat_map(|&x| std::iter::repeat_n(x, k)).collect()),
        }
    }

    /// Steps in one day at this trace's step (rounded down).
    pub fn steps_per_day(&self) -> usize {
        (SECONDS_PER_DAY / self.step_seconds.max(1)) as usize
    }

    /// The step in minutes (a fraction below one minute), for rates stated per minute.
    pub fn step_min(&self) -> f64 {
        f64::from(self.step_seconds) / 60.0
    }

    /// Splits off the last `test_days` as the test period. `min_train` is the fewest train
    /// steps any later stage needs (the simulator's first decision looks `d + 1` steps back).
    pub fn split(&self, cfg: &SplitConfig, min_train: usize) -> Result<Split, TraceError> {
        let test_len = (cfg.test_days * f64::from(SECONDS_PER_DAY) / f64::from(self.step_seconds))
            .round() as usize;
        let test_len = test_len.max(1);
        let need = test_len + min_train.max(1);
        if self.len() < need {
            return Err(TraceError::TooShort {
                have: self.len(),
                need,
                what: format!(
                    "a {}-day test period plus {} train steps",
                    cfg.test_days,
                    min_train.max(1)
                ),
            });
        }
        Ok(Split {
            train_len: self.len() - test_len,
            test_len,
        })
    }

    /// The trace as CSV (`timestamp,requests[,in_event]`, RFC 3339 UTC timestamps).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.len() * 32);
        out.push_str(if self.in_event.is_some() {
            "timestamp,requests,in_event\n"
        } else {
            "timestamp,requests\n"
        });
        for (i, r) in self.requests.iter().enumerate() {
            out.push_str(&format_timestamp(self.timestamp(i)));
            out.push(',');
            out.push_str(&r.to_string());
            if let Some(ev) = &self.in_event {
                out.push_str(if ev[i] { ",1" } else { ",0" });
            }
            out.push('\n');
        }
        out.into_bytes()
    }
}

/// Each of `values` (per step) spread evenly over `k` ticks: `k` copies of it over `k`
/// (the values themselves where `k` is 1).
pub fn spread(values: &[f64], k: usize) -> Vec<f64> {
    let k = k.max(1);
    values
        .iter()
        .flat_map(|&v| std::iter::repeat_n(if k == 1 { v } else { v / k as f64 }, k))
        .collect()
}

/// RFC 3339 with a `Z` and whole seconds: the one timestamp format prescale writes.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// `n` steps of `step` minutes.
    fn trace(n: usize, step: u32) -> Trace {
        Trace {
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            step_seconds: 60 * step,
            requests: (0..n).map(|i| i as f64).collect(),
            in_event: None,
        }
    }

    #[test]
    fn default_split_of_fourteen_days_is_eleven_and_three() {
        let s = trace(20_160, 1).split(&SplitConfig::default(), 60).unwrap();
        assert_eq!(s.train_len, 15_840);
        assert_eq!(s.test_len, 4_320);
    }

    #[test]
    fn split_converts_days_to_steps() {
        // 3 days at 30 minutes = 144 steps.
        let s = trace(1000, 30).split(&SplitConfig::default(), 1).unwrap();
        assert_eq!(s.test_len, 144);
    }

    #[test]
    fn split_rejects_a_short_trace() {
        let err = trace(100, 1).split(&SplitConfig::default(), 1).unwrap_err();
        assert!(matches!(
            err,
            TraceError::TooShort {
                have: 100,
                need: 4321,
                ..
            }
        ));
    }

    #[test]
    fn csv_writes_rfc3339_and_integers() {
        let csv = String::from_utf8(trace(2, 5).to_csv()).unwrap();
        assert_eq!(
            csv,
            "timestamp,requests\n2026-01-05T00:00:00Z,0\n2026-01-05T00:05:00Z,1\n"
        );
    }
}
