//! `azure-functions`: the Azure Functions 2019 trace's invocation counts, one file a day
//! (`invocations_per_function_md.anon.dNN.csv`), a row per function:
//! `HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440`, the columns `1`…`1440` the
//! invocations in each minute of the day. Several day files are read in the order given.
//! `--function PREFIX` takes the functions whose hash starts so, `--app PREFIX` every
//! function of the apps whose hash starts so; by default the busiest app over all the
//! files (said in the report). The files carry no dates: day 1 is placed on Monday
//! 2019-07-15, 00:00 UTC (an arbitrary Monday, so weekly seasonality lines up with the
//! files' order), one minute a column.

use std::collections::BTreeMap;

use super::{ImportOptions, Point, Raw, Report};
use crate::trace::{excerpt, TraceError};

/// The four key columns before the minutes.
const KEYS: [&str; 4] = ["HashOwner", "HashApp", "HashFunction", "Trigger"];
/// Epoch milliseconds of day 1's first minute: Monday 2019-07-15T00:00:00Z.
const DAY_ONE_MS: i64 = 1_563_148_800_000;

/// Whether a header reads as the trace's.
pub(super) fn looks_like(header: &str) -> bool {
    header.contains("HashApp") && header.contains("HashFunction")
}

fn not_azure(why: impl Into<String>) -> TraceError {
    TraceError::NotFormat {
        format: "an Azure Functions invocation file",
        why: why.into(),
    }
}

/// Which rows a trace sums.
enum Pick {
    /// The functions whose hash starts so.
    Function(String),
    /// The apps whose hash starts so.
    App(String),
    /// This app (the busiest).
    Busiest(String),
}

impl Pick {
    fn keeps(&self, app: &str, function: &str) -> bool {
        match self {
            Pick::Function(f) => function.starts_with(f.as_str()),
            Pick::App(a) => app.starts_with(a.as_str()),
            Pick::Busiest(a) => app == a,
        }
    }
}

/// One file's rows: (app, function, invocations per minute), and its minute count.
type Day = (Vec<(String, String, Vec<f64>)>, usize);

fn read_day(bytes: &[u8], day: usize) -> Result<Day, TraceError> {
    let mut r = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes);
    let header = r
        .headers()
        .map_err(|e| not_azure(format!("day file {day}: {}", excerpt(&e.to_string(), 60))))?
        .clone();
    let pos = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(app), Some(function)) = (pos(KEYS[1]), pos(KEYS[2])) else {
        return Err(not_azure(format!(
            "day file {day}: no HashApp and HashFunction columns (found {})",
            excerpt(&header.iter().collect::<Vec<_>>().join(","), 60)
        )));
    };
    // The minute columns, 1, 2, …, in order.
    let minutes: Vec<usize> = (1..=1440).map_while(|m| pos(&m.to_string())).collect();
    if minutes.is_empty() {
        return Err(not_azure(format!(
            "day file {day}: no minute columns 1…1440 after {}",
            KEYS.join(",")
        )));
    }
    let mut rows = Vec::new();
    for (k, rec) in r.records().enumerate() {
        let line = k + 2;
        let rec = rec.map_err(|e| {
            not_azure(format!(
                "day file {day}, line {line}: {}",
                excerpt(&e.to_string(), 60)
            ))
        })?;
        let counts = minutes
            .iter()
            .map(|&c| {
                let v = rec.get(c).unwrap_or("").trim();
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| {
                        not_azure(format!(
                            "day file {day}, line {line}, minute {}: {} is not a count",
                            c - minutes[0] + 1,
                            excerpt(v, 20)
                        ))
                    })
            })
            .collect::<Result<Vec<f64>, _>>()?;
        rows.push((
            rec.get(app).unwrap_or("").to_string(),
            rec.get(function).unwrap_or("").to_string(),
            counts,
        ));
    }
    Ok((rows, minutes.len()))
}

/// Parses the day files into one point per minute of the selected functions.
pub(super) fn parse(
    files: &[std::borrow::Cow<'_, [u8]>],
    opts: &ImportOptions,
    report: &mut Report,
) -> Result<Raw, TraceError> {
    let days = files
        .iter()
        .enumerate()
        .map(|(d, b)| read_day(b, d + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let total = |rows: &[(String, String, Vec<f64>)], keep: &dyn Fn(&str, &str) -> bool| -> f64 {
        rows.iter()
            .filter(|(a, f, _)| keep(a, f))
            .map(|(_, _, c)| c.iter().sum::<f64>())
            .sum()
    };
    let (pick, what) = match (&opts.function, &opts.app) {
        (Some(f), _) => (
            Pick::Function(f.clone()),
            format!("function {}…", excerpt(f, 16)),
        ),
        (None, Some(a)) => (Pick::App(a.clone()), format!("app {}…", excerpt(a, 16))),
        (None, None) => {
            let mut by_app: BTreeMap<&str, f64> = BTreeMap::new();
            for (rows, _) in &days {
                for (a, _, c) in rows {
                    *by_app.entry(a).or_insert(0.0) += c.iter().sum::<f64>();
                }
            }
            let all: f64 = by_app.values().sum();
            let (busiest, n) = by_app
                .iter()
                .max_by(|x, y| x.1.total_cmp(y.1).then(y.0.cmp(x.0)))
                .map(|(a, n)| (a.to_string(), *n))
                .ok_or_else(|| not_azure("no function rows"))?;
            let share = if all > 0.0 { 100.0 * n / all } else { 0.0 };
            let label = format!(
                "app {} (the busiest of {} apps: {share:.1} % of the invocations; choose with --app or --function)",
                excerpt(&busiest, 16),
                by_app.len()
            );
            (Pick::Busiest(busiest), label)
        }
    };
    let keep = |a: &str, f: &str| pick.keeps(a, f);
    let chosen: f64 = days.iter().map(|(rows, _)| total(rows, &keep)).sum();
    if days
        .iter()
        .all(|(rows, _)| !rows.iter().any(|(a, f, _)| keep(a, f)))
    {
        return Err(not_azure(format!("no row matches {what}")));
    }
    report.fact(format!(
        "{what}: {chosen} invocations over {} day files",
        days.len()
    ));
    report.fact("the files carry no dates: day 1 placed on Monday 2019-07-15 00:00 UTC");
    let mut points = Vec::new();
    for (d, (rows, minutes)) in days.iter().enumerate() {
        for m in 0..*minutes {
            let value: f64 = rows
                .iter()
                .filter(|(a, f, _)| keep(a, f))
                .map(|(_, _, c)| c[m])
                .sum();
            points.push(Point {
                ms: DAY_ONE_MS + ((d * 1440 + m) as i64) * 60_000,
                value,
                line: m + 1,
                event: false,
            });
        }
    }
    Ok(Raw::Series {
        points,
        has_events: false,
    })
}
