//! `access-log`: the Common and Combined Log Formats, one request per line
//! (`host ident user [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 2326 …`), the
//! format of NASA-HTTP, WorldCup98 (as converted), ClarkNet and Saskatchewan. Each line's
//! time, with its zone offset, is one request. Lines that are not records are counted and
//! skipped, up to 1 % of the lines (at least 10): real logs carry a few truncated or
//! garbled lines, but a file that is mostly not a log is another format. The first few
//! are quoted, shortened, in the report.

use chrono::DateTime;

use super::{Raw, Report};
use crate::trace::{excerpt, TraceError};

/// The share of lines that may be skipped as malformed.
const MAX_MALFORMED_SHARE: f64 = 0.01;
/// Malformed lines always allowed, whatever the file's length.
const MIN_MALFORMED_ALLOWED: usize = 10;

/// The bracketed time of a log line, if it has one.
fn time_field(line: &str) -> Option<&str> {
    let open = line.find(" [")? + 2;
    let close = open + line[open..].find(']')?;
    Some(&line[open..close])
}

/// Whether a first line reads as a log record.
pub(super) fn looks_like(line: &str) -> bool {
    time_field(line).is_some_and(|t| parse_time(t).is_some()) && line.contains("] \"")
}

/// `10/Oct/2000:13:55:36 -0700` in epoch milliseconds.
fn parse_time(t: &str) -> Option<i64> {
    DateTime::parse_from_str(t, "%d/%b/%Y:%H:%M:%S %z")
        .ok()
        .map(|d| d.timestamp_millis())
}

/// Parses the log into request times.
pub(super) fn parse(bytes: &[u8], report: &mut Report) -> Result<Raw, TraceError> {
    // Logs of the 1990s are Latin-1 in places: a byte that is not UTF-8 does not make a
    // line unreadable, its time is ASCII.
    let text = String::from_utf8_lossy(bytes);
    let mut events = Vec::new();
    let (mut lines, mut bad) = (0usize, Vec::new());
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        match time_field(line).and_then(parse_time) {
            Some(ms) if line.contains("] \"") => events.push((ms, 1.0)),
            _ => bad.push((i + 1, line)),
        }
    }
    let allowed = MIN_MALFORMED_ALLOWED.max((MAX_MALFORMED_SHARE * lines as f64) as usize);
    if bad.len() > allowed || events.is_empty() {
        let (line, first) = bad.first().copied().unwrap_or((0, ""));
        return Err(TraceError::Malformed {
            bad: bad.len(),
            lines,
            what: "Common/Combined Log Format records",
            allowed,
            line,
            excerpt: excerpt(first, 60),
        });
    }
    report.fact(format!("{lines} log lines, {} requests", events.len()));
    if !bad.is_empty() {
        let quoted: Vec<String> = bad
            .iter()
            .take(3)
            .map(|(n, l)| format!("line {n}: {}", excerpt(l, 50)))
            .collect();
        report.change(format!(
            "{} skipped (at most {allowed} may be): {}",
            crate::words::count(bad.len(), "malformed line"),
            quoted.join("; ")
        ));
    }
    Ok(Raw::Events(events))
}
