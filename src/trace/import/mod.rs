//! Trace import: a user's demand history from where it lives, read into one regular
//! [`Trace`]. Every command's `--trace` and `prescale import` take the same formats
//! through [`read`]:
//!
//! - `csv`: a timestamp and a count column (ours, NAB's, an exporter's), timestamps in
//!   RFC 3339, naive `YYYY-MM-DD HH:MM[:SS]` (UTC) or Unix epoch seconds or milliseconds
//!   ([`csv`]);
//! - `prometheus`: the JSON of `/api/v1/query_range` ([`prometheus`]);
//! - `access-log`: Common or Combined Log Format, one request per line ([`access_log`]);
//! - `requests`: a CSV with one row per request, optionally weighted ([`requests`]);
//! - `azure-functions`: the Azure Functions 2019 invocation counts ([`azure_functions`]).
//!
//! A format parses to a [`Raw`] (values at timestamps, or request times); [`regular`]
//! turns it into steps: sorted, converted from rates, filled by interpolation across gaps
//! up to `--max-gap` (a longer gap is an error naming it), summed into `--step`. Gzip files
//! are read transparently. What import did is in the [`Report`]. Errors quote at most a
//! short excerpt of the input.

pub mod access_log;
pub mod azure_functions;
pub mod csv;
pub mod prometheus;
pub mod requests;

use std::borrow::Cow;
use std::io::Read;

use chrono::{TimeZone, Utc};

use super::{excerpt, format_timestamp, minutes_in_words, Trace, TraceError};

pub use csv::{parse_count, parse_timestamp, COUNT_COLUMNS, EVENT_COLUMN, TIMESTAMP_COLUMNS};

pub use crate::config::{CountUnit, Format, ImportOptions, DEFAULT_MAX_GAP_MIN};

/// One value at one time, from a series format.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Epoch milliseconds.
    pub ms: i64,
    /// The value (a count per the file's step, or a rate).
    pub value: f64,
    /// Line (or sample) it came from, for errors.
    pub line: usize,
    /// Whether the generator marked it inside an event.
    pub event: bool,
}

/// What a format parsed, before it is made regular.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// Values at timestamps.
    Series {
        /// The points, in file order.
        points: Vec<Point>,
        /// Whether the file had the generator's event column.
        has_events: bool,
    },
    /// One timestamp (epoch ms) and weight per request.
    Events(Vec<(i64, f64)>),
}

/// What import found and did, for the user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// The format read.
    pub format: Option<Format>,
    /// Whether the format was detected (not given).
    pub detected: bool,
    /// Facts about the input, one line each ("timestamps: Unix epoch seconds").
    pub facts: Vec<String>,
    /// What was dropped or filled, one line each.
    pub changes: Vec<String>,
}

impl Report {
    /// Adds a fact, once: several files of one format state theirs alike.
    /// Records a fact about the input, once.
    pub fn fact(&mut self, s: impl Into<String>) {
        let s = s.into();
        if !self.facts.contains(&s) {
            self.facts.push(s);
        }
    }

    fn change(&mut self, s: impl Into<String>) {
        self.changes.push(s.into());
    }
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
    /// What was read and done.
    pub report: Report,
}

/// Parses a trace from the bytes of one file (any format; gzip is read through).
pub fn parse_csv(bytes: &[u8], opts: &ImportOptions) -> Result<Imported, TraceError> {
    read(&[bytes], opts)
}

/// The bytes of a file, decompressed if they are gzip (by their magic bytes).
pub fn gunzip(bytes: &[u8]) -> Result<Cow<'_, [u8]>, TraceError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| TraceError::Gzip(excerpt(&e.to_string(), 80)))?;
        Ok(Cow::Owned(out))
    } else {
        Ok(Cow::Borrowed(bytes))
    }
}

/// The format of a file's (decompressed) bytes.
fn detect(bytes: &[u8]) -> Format {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let start = text.trim_start();
    let first = start.lines().next().unwrap_or("");
    // A log is told by most of its first lines, so a garbled line (skipped when read)
    // does not hide it.
    let head: Vec<&str> = start
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(5)
        .collect();
    let log_lines = head.iter().filter(|l| access_log::looks_like(l)).count();
    if start.starts_with('{') || start.starts_with('[') {
        Format::Prometheus
    } else if log_lines > 0 && 2 * log_lines >= head.len() {
        Format::AccessLog
    } else if azure_functions::looks_like(first) {
        Format::AzureFunctions
    } else {
        Format::Csv
    }
}

/// Reads one trace from one or more files of one format, in order (several day files of
/// a log or of Azure Functions; several CSV exports of one series).
pub fn read<B: AsRef<[u8]>>(files: &[B], opts: &ImportOptions) -> Result<Imported, TraceError> {
    let files = files
        .iter()
        .map(|b| gunzip(b.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    if files
        .iter()
        .all(|b| b.iter().all(|c| c.is_ascii_whitespace()))
    {
        return Err(TraceError::Empty);
    }
    let mut report = Report::default();
    let format = match opts.format {
        Format::Auto => {
            report.detected = true;
            detect(&files[0])
        }
        f => f,
    };
    let raw = match format {
        Format::AzureFunctions => azure_functions::parse(&files, opts, &mut report)?,
        _ => {
            let mut all: Option<Raw> = None;
            let mut line_offset = 0;
            for bytes in &files {
                let raw = match format {
                    Format::Prometheus => prometheus::parse(bytes, opts, &mut report)?,
                    Format::AccessLog => access_log::parse(bytes, &mut report)?,
                    Format::Requests => requests::parse(bytes, opts, &mut report)?,
                    Format::Csv | Format::Auto => {
                        match csv::parse(bytes, opts, report.detected, &mut report)? {
                            csv::Parsed::Series(raw) => raw,
                            csv::Parsed::Requests(cols, stamps, form) => {
                                report.fact("one row per request: no count column, and the timestamps are not one per step");
                                report.format = Some(Format::Requests);
                                requests::events(&cols, stamps, form, opts, &mut report)?
                            }
                        }
                    }
                    Format::AzureFunctions => unreachable!("read above"),
                };
                all = Some(merge(all, raw, line_offset));
                line_offset += bytes.iter().filter(|&&b| b == b'\n').count();
            }
            all.expect("at least one file")
        }
    };
    report.format.get_or_insert(format);
    if files.len() > 1 {
        report.fact(format!("{} files, read in the order given", files.len()));
    }
    regular(raw, opts, report)
}

/// Reads the answers of one Prometheus range query fetched in pieces, in order
/// ([`crate::remote`]): one trace, as one `query_range` JSON of the whole range would
/// read.
pub fn read_pages<B: AsRef<[u8]>>(
    pages: &[B],
    opts: &ImportOptions,
) -> Result<Imported, TraceError> {
    let mut report = Report {
        format: Some(Format::Prometheus),
        ..Report::default()
    };
    let mut all: Option<Raw> = None;
    for page in pages {
        let raw = prometheus::parse(page.as_ref(), opts, &mut report)?;
        all = Some(merge(all, raw, 0));
    }
    regular(all.ok_or(TraceError::NoRows)?, opts, report)
}

/// Joins what two files parsed to (lines of the second counted after the first's).
fn merge(a: Option<Raw>, b: Raw, offset: usize) -> Raw {
    match (a, b) {
        (None, b) => b,
        (Some(Raw::Events(mut x)), Raw::Events(y)) => {
            x.extend(y);
            Raw::Events(x)
        }
        (
            Some(Raw::Series {
                mut points,
                has_events,
            }),
            Raw::Series {
                points: more,
                has_events: e2,
            },
        ) => {
            points.extend(more.into_iter().map(|p| Point {
                line: p.line + offset,
                ..p
            }));
            Raw::Series {
                points,
                has_events: has_events && e2,
            }
        }
        (Some(_), b) => b,
    }
}

/// A step in milliseconds, in words.
fn step_words(ms: i64) -> String {
    match u32::try_from(ms / 1000) {
        Ok(s) if ms % 1000 == 0 => crate::trace::step_in_words(s),
        _ => format!("{ms} ms"),
    }
}

/// Turns what a format parsed into a regular trace at the target step.
pub fn regular(raw: Raw, opts: &ImportOptions, mut report: Report) -> Result<Imported, TraceError> {
    let max_gap_ms = i64::from(opts.max_gap_minutes) * 60_000;
    let max_words = minutes_in_words(i64::from(opts.max_gap_minutes));
    let stamp = |ms: i64| format_timestamp(Utc.timestamp_millis_opt(ms).unwrap());
    match raw {
        Raw::Events(mut events) => {
            if events.is_empty() {
                return Err(TraceError::NoRows);
            }
            events.sort_by_key(|e| e.0);
            let step = i64::from(opts.step_seconds.unwrap_or(60).max(1)) * 1000;
            let first = events[0].0.div_euclid(step);
            let last = events[events.len() - 1].0.div_euclid(step);
            let mut requests = vec![0.0; (last - first + 1) as usize];
            for (ms, w) in &events {
                requests[(ms.div_euclid(step) - first) as usize] += w;
            }
            // A run of empty steps longer than --max-gap is an outage, not quiet.
            let mut run = 0i64;
            for (i, r) in requests.iter().enumerate() {
                if *r == 0.0 {
                    run += 1;
                    continue;
                }
                if run * step > max_gap_ms {
                    return Err(TraceError::GapTooLong {
                        gap: step_words(run * step),
                        from: stamp((first + i as i64 - run - 1) * step),
                        to: stamp((first + i as i64) * step),
                        max: max_words,
                    });
                }
                run = 0;
            }
            report.fact(format!(
                "{} requests binned into {} steps of {}",
                events.len(),
                requests.len(),
                step_words(step)
            ));
            let trace = Trace {
                start: Utc.timestamp_millis_opt(first * step).unwrap(),
                step_seconds: (step / 1000) as u32,
                requests: requests.into_iter().map(to_micro).collect(),
                in_event: None,
            };
            range_fact(&mut report, &trace);
            Ok(Imported {
                trace,
                filled_steps: 0,
                sorted: false,
                report,
            })
        }
        Raw::Series {
            mut points,
            has_events,
        } => {
            if points.is_empty() {
                return Err(TraceError::NoRows);
            }
            let sorted = points.windows(2).any(|w| w[1].ms < w[0].ms);
            if sorted {
                points.sort_by_key(|p| p.ms);
                report.change("rows sorted by time");
            }
            for w in points.windows(2) {
                if w[0].ms == w[1].ms {
                    let (a, b) = (w[0].line.min(w[1].line), w[0].line.max(w[1].line));
                    return Err(TraceError::DuplicateTimestamp {
                        line: b,
                        first_line: a,
                        timestamp: stamp(w[0].ms),
                    });
                }
            }
            if points.len() < 2 {
                return Err(TraceError::TooShort {
                    have: points.len(),
                    need: 2,
                    what: "finding the step".into(),
                });
            }
            let mut gaps: Vec<i64> = points.windows(2).map(|w| w[1].ms - w[0].ms).collect();
            gaps.sort_unstable();
            let native = gaps[(gaps.len() - 1) / 2];
            let day_ms = i64::from(crate::config::SECONDS_PER_DAY) * 1000;
            let target = match opts.step_seconds {
                Some(s) => i64::from(s.max(1)) * 1000,
                None if native % 1000 == 0 && day_ms % native == 0 => native,
                // The finest step at or above the file's that a day holds whole: samples
                // summed into it (counts cannot be split).
                None => ((native + 999) / 1000..=i64::from(crate::config::SECONDS_PER_DAY))
                    .map(|s| s * 1000)
                    .find(|&t| day_ms % t == 0 && t % native == 0)
                    .ok_or_else(|| TraceError::Step {
                        native: step_words(native),
                        why: "no step of whole seconds that divides a day is a multiple of it: resample the trace to whole seconds".into(),
                    })?,
            };
            if native > target {
                return Err(TraceError::Step {
                    native: step_words(native),
                    why: format!(
                        "coarser than --step {}: counts cannot be split finer than they were recorded",
                        step_words(target)
                    ),
                });
            }
            if target % native != 0 {
                return Err(TraceError::Step {
                    native: step_words(native),
                    why: format!(
                        "it does not divide {}; give a --step that it divides",
                        step_words(target)
                    ),
                });
            }
            if opts.count_unit == CountUnit::PerSecond {
                let secs = native as f64 / 1000.0;
                for p in &mut points {
                    p.value *= secs;
                }
                report.fact(format!(
                    "values are requests per second: counts = rate × {}",
                    step_words(native)
                ));
            }
            // Regular at the file's own step, gaps up to --max-gap interpolated.
            let mut values = Vec::with_capacity(points.len());
            let mut events = Vec::with_capacity(points.len());
            let (mut filled, mut longest) = (0usize, 0i64);
            values.push(points[0].value);
            events.push(points[0].event);
            for w in points.windows(2) {
                let gap = w[1].ms - w[0].ms;
                if gap % native != 0 {
                    return Err(TraceError::IrregularStep {
                        line: w[1].line,
                        gap_seconds: gap / 1000,
                        step_seconds: native / 1000,
                    });
                }
                let k = (gap / native) as usize;
                if gap - native > max_gap_ms {
                    return Err(TraceError::GapTooLong {
                        gap: step_words(gap - native),
                        from: stamp(w[0].ms),
                        to: stamp(w[1].ms),
                        max: max_words,
                    });
                }
                for j in 1..k {
                    let f = j as f64 / k as f64;
                    values.push(w[0].value + f * (w[1].value - w[0].value));
                    events.push(w[0].event && w[1].event);
                }
                if k > 1 {
                    filled += k - 1;
                    longest = longest.max(gap - native);
                }
                values.push(w[1].value);
                events.push(w[1].event);
            }
            if filled > 0 {
                report.change(format!(
                    "{filled} missing steps filled by linear interpolation (longest gap {}; --max-gap {max_words})",
                    step_words(longest)
                ));
            }
            // Summed into the target step, bins aligned to the clock; partial bins at the
            // ends are dropped.
            let per = (target / native) as usize;
            let t0 = points[0].ms;
            let (start, requests, in_event) = if per == 1 {
                (t0, values, events)
            } else {
                let skip = ((target - t0.rem_euclid(target)) % target / native) as usize;
                let whole = (values.len() - skip) / per;
                let dropped = values.len() - whole * per;
                if whole == 0 {
                    return Err(TraceError::TooShort {
                        have: 0,
                        need: 1,
                        what: format!("a step of {}", step_words(target)),
                    });
                }
                let sums: Vec<f64> = (0..whole)
                    .map(|b| values[skip + b * per..skip + (b + 1) * per].iter().sum())
                    .collect();
                let ev: Vec<bool> = (0..whole)
                    .map(|b| {
                        events[skip + b * per..skip + (b + 1) * per]
                            .iter()
                            .any(|&e| e)
                    })
                    .collect();
                report.fact(format!(
                    "samples every {} summed into steps of {}",
                    step_words(native),
                    step_words(target)
                ));
                if dropped > 0 {
                    report.change(format!(
                        "{dropped} samples of partial steps at the ends dropped"
                    ));
                }
                (t0 + skip as i64 * native, sums, ev)
            };
            let trace = Trace {
                start: Utc.timestamp_millis_opt(start).unwrap(),
                step_seconds: (target / 1000) as u32,
                requests: requests.into_iter().map(to_micro).collect(),
                in_event: has_events.then_some(in_event),
            };
            range_fact(&mut report, &trace);
            Ok(Imported {
                trace,
                filled_steps: filled,
                sorted,
                report,
            })
        }
    }
}

/// A count to a millionth of a request: sums of rates times seconds carry the float
/// noise of their arithmetic (240.52200000000002), which no trace means.
fn to_micro(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn range_fact(report: &mut Report, trace: &Trace) {
    report.fact(format!(
        "{} steps of {} from {} to {}",
        trace.len(),
        crate::trace::step_in_words(trace.step_seconds),
        format_timestamp(trace.start),
        format_timestamp(trace.timestamp(trace.len().saturating_sub(1)))
    ));
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = self.format.unwrap_or_default();
        writeln!(
            f,
            "format: {}{}",
            format.name(),
            if self.detected { " (detected)" } else { "" }
        )?;
        for x in &self.facts {
            writeln!(f, "{x}")?;
        }
        for x in &self.changes {
            writeln!(f, "{x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ImportOptions {
        ImportOptions::default()
    }

    fn series(points: &[(i64, f64)]) -> Raw {
        Raw::Series {
            points: points
                .iter()
                .enumerate()
                .map(|(i, &(s, v))| Point {
                    ms: s * 1000,
                    value: v,
                    line: i + 2,
                    event: false,
                })
                .collect(),
            has_events: false,
        }
    }

    #[test]
    fn fifteen_second_rates_are_read_at_their_step_or_summed_into_minutes() {
        // 00:00:15 … 00:02:00 every 15 s at 2 req/s: 30 requests a step at the file's
        // own step (the default); with --step 1m the partial minute 00:00 (three samples)
        // is dropped and each whole minute is 4 × 15 s × 2 = 120 requests.
        let pts: Vec<(i64, f64)> = (1..=8).map(|k| (1_767_225_600 + 15 * k, 2.0)).collect();
        let o = ImportOptions {
            count_unit: CountUnit::PerSecond,
            ..opts()
        };
        let own = regular(series(&pts), &o, Report::default()).unwrap();
        assert_eq!(own.trace.step_seconds, 15);
        assert_eq!(own.trace.requests, vec![30.0; 8]);
        assert_eq!(format_timestamp(own.trace.start), "2026-01-01T00:00:15Z");
        let o = ImportOptions {
            step_seconds: Some(60),
            ..o
        };
        let t = regular(series(&pts), &o, Report::default()).unwrap();
        assert_eq!(t.trace.step_seconds, 60);
        assert_eq!(t.trace.requests, vec![120.0]);
        assert_eq!(format_timestamp(t.trace.start), "2026-01-01T00:01:00Z");
        assert!(
            t.report.changes.iter().any(|c| c.starts_with("4 samples")),
            "{:?}",
            t.report
        );
    }

    #[test]
    fn a_step_a_day_does_not_hold_whole_is_summed_into_one_it_does() {
        // Samples every 7 s: 86,400 = 2^7 · 3^3 · 5^2 has no divisor that 7 divides, so
        // no step of whole 7-second samples fits a day whole.
        let pts: Vec<(i64, f64)> = (0..20).map(|k| (7 * k, 1.0)).collect();
        let e = regular(series(&pts), &opts(), Report::default()).unwrap_err();
        assert!(e.to_string().contains("resample the trace"), "{e}");
        // Every 45 s: divides a day (1,920 steps), read as it is.
        let pts: Vec<(i64, f64)> = (0..4).map(|k| (45 * k, 1.0)).collect();
        let t = regular(series(&pts), &opts(), Report::default()).unwrap();
        assert_eq!(t.trace.step_seconds, 45);
    }

    #[test]
    fn rates_times_seconds_are_written_without_float_noise() {
        // 4.0087 req/s over a minute is 240.522 requests; in floating point 4.0087 × 60
        // is 240.52200000000002, which the workload must not carry.
        assert_eq!(4.0087 * 60.0, 240.522_000_000_000_02);
        let pts = [(0, 4.0087), (60, 4.0087)];
        let o = ImportOptions {
            count_unit: CountUnit::PerSecond,
            ..opts()
        };
        let t = regular(series(&pts), &o, Report::default()).unwrap();
        assert_eq!(t.trace.requests, vec![240.522, 240.522]);
        let csv = String::from_utf8(t.trace.to_csv()).unwrap();
        assert!(csv.contains(",240.522\n"), "{csv}");
    }

    #[test]
    fn a_gap_longer_than_the_limit_is_refused_where_it_is() {
        let pts = [(0, 1.0), (60, 1.0), (120, 1.0), (120 + 62 * 60, 1.0)];
        let e = regular(series(&pts), &opts(), Report::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a gap of 1 h 1 min from 1970-01-01T00:02:00Z to 1970-01-01T01:04:00Z is longer than --max-gap 1 h: cut the trace there (before or after it) or raise --max-gap"
        );
        // Up to the limit it is filled: 60 minutes missing between 00:02 and 01:03.
        let ok = [(0, 1.0), (60, 1.0), (120, 1.0), (120 + 61 * 60, 62.0)];
        let t = regular(series(&ok), &opts(), Report::default()).unwrap();
        assert_eq!(t.filled_steps, 60);
        assert_eq!(t.trace.requests[3], 2.0);
    }

    #[test]
    fn events_are_binned_and_a_long_silence_is_an_outage() {
        // Requests at 00:00:10, 00:00:50, 00:02:05 (weights 1): [2, 0, 1].
        let ev = Raw::Events(vec![(10_000, 1.0), (50_000, 1.0), (125_000, 1.0)]);
        let t = regular(ev, &opts(), Report::default()).unwrap();
        assert_eq!(t.trace.requests, vec![2.0, 0.0, 1.0]);
        let long = Raw::Events(vec![(0, 1.0), (62 * 60_000, 1.0)]);
        assert!(matches!(
            regular(long, &opts(), Report::default()),
            Err(TraceError::GapTooLong { .. })
        ));
    }

    #[test]
    fn a_coarse_trace_is_not_split() {
        let pts = [(0, 1.0), (300, 1.0), (600, 1.0)];
        let o = ImportOptions {
            step_seconds: Some(60),
            ..opts()
        };
        assert_eq!(
            regular(series(&pts), &o, Report::default())
                .unwrap_err()
                .to_string(),
            "the trace's step is 5 min; coarser than --step 1 min: counts cannot be split finer than they were recorded"
        );
    }

    #[test]
    fn gzip_is_read_through_and_a_cut_stream_is_an_error() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"timestamp,requests\n2026-01-05T00:00:00Z,3\n2026-01-05T00:01:00Z,4\n")
            .unwrap();
        let bytes = gz.finish().unwrap();
        let t = parse_csv(&bytes, &opts()).unwrap();
        assert_eq!(t.trace.requests, vec![3.0, 4.0]);
        let cut = &bytes[..bytes.len() / 2];
        assert!(matches!(parse_csv(cut, &opts()), Err(TraceError::Gzip(_))));
    }

    // The csv format's own cases, as before the formats arrived.

    fn parse(s: &str) -> Result<Imported, TraceError> {
        parse_csv(s.as_bytes(), &ImportOptions::default())
    }

    fn csv_only(s: &str) -> Result<Imported, TraceError> {
        let o = ImportOptions {
            format: Format::Csv,
            ..ImportOptions::default()
        };
        parse_csv(s.as_bytes(), &o)
    }

    #[test]
    fn reads_our_own_format() {
        let t =
            parse("timestamp,requests\n2026-01-05T00:00:00Z,3\n2026-01-05T00:01:00Z,4\n").unwrap();
        assert_eq!(t.trace.step_seconds, 60);
        assert_eq!(t.trace.requests, vec![3.0, 4.0]);
        assert_eq!(t.filled_steps, 0);
        assert_eq!(format_timestamp(t.trace.start), "2026-01-05T00:00:00Z");
    }

    #[test]
    fn a_spreadsheets_semicolons_or_tabs_separate_columns_too() {
        // A header without a comma: its `;` (or tab) is the separator.
        for sep in [";", "\t"] {
            let text = format!(
                "timestamp{sep}requests\n2026-01-05T00:00:00Z{sep}3\n2026-01-05T00:01:00Z{sep}4\n"
            );
            let t = parse(&text).unwrap();
            assert_eq!(t.trace.requests, vec![3.0, 4.0], "{sep:?}");
        }
        // A comma in the header keeps the comma, whatever the rows hold.
        let e = parse("timestamp,requests\n2026-01-05T00:00:00Z;3\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn zoned_timestamps_are_converted_to_utc() {
        let t = parse("ds,y\n2026-01-05T02:00:00+02:00,1\n2026-01-05T02:05:00+02:00,2\n").unwrap();
        assert_eq!(format_timestamp(t.trace.start), "2026-01-05T00:00:00Z");
        assert_eq!(t.trace.step_seconds, 300);
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
            ..ImportOptions::default()
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
    fn blank_lines_at_the_end_are_no_rows() {
        let t =
            parse("timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,2\n\n \r\n\n")
                .unwrap();
        assert_eq!(t.trace.requests, [1.0, 2.0]);
    }

    #[test]
    fn a_count_past_any_service_is_refused() {
        let e = parse("timestamp,requests\n2026-01-05T00:00:00Z,1e15\n2026-01-05T00:01:00Z,1e18\n")
            .unwrap_err();
        assert_eq!(
            e,
            TraceError::HugeCount {
                line: 3,
                value: 1e18
            }
        );
        assert_eq!(
            e.to_string(),
            "line 3: count 1e18 is above 1e15 requests, more than any service serves in a step: a corrupt value?"
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

    #[test]
    fn json_read_as_csv_says_so_and_a_request_log_is_told_from_a_trace() {
        assert_eq!(csv_only("{\"status\": 1}"), Err(TraceError::LooksLikeJson));
        // No count column and irregular times: one row per request, detected.
        let t = parse(
            "timestamp,tokens\n2026-01-05T00:00:10Z,5\n2026-01-05T00:00:11Z,7\n2026-01-05T00:00:14Z,7\n2026-01-05T00:00:20Z,7\n2026-01-05T00:01:59Z,1\n",
        )
        .unwrap();
        assert_eq!(t.report.format, Some(Format::Requests));
        assert_eq!(t.trace.requests, vec![4.0, 1.0]);
        // Given as csv, the same file lacks its count column.
        assert!(matches!(
            csv_only("timestamp,tokens\n2026-01-05T00:00:10Z,5\n2026-01-05T00:00:11Z,7\n"),
            Err(TraceError::MissingColumn { role: "count", .. })
        ));
    }
}
