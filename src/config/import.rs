//! How a trace is read, as the user states it (`prescale import`'s options, every
//! `--trace`'s, a sweep's `[[trace]]` keys): the plain options and the parsers of their
//! values, which the settings table's entries (`settings.rs`, heading "Trace and
//! split") use for flags and grid keys alike.

/// A trace file's format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Told from the content.
    #[default]
    Auto,
    /// A timestamp and a count column.
    Csv,
    /// Prometheus' `query_range` JSON.
    Prometheus,
    /// Common/Combined Log Format.
    AccessLog,
    /// One CSV row per request.
    Requests,
    /// Azure Functions 2019 invocation counts per function and minute.
    AzureFunctions,
}

impl Format {
    /// Every format, as named on the command line.
    pub const ALL: [Format; 6] = [
        Format::Auto,
        Format::Csv,
        Format::Prometheus,
        Format::AccessLog,
        Format::Requests,
        Format::AzureFunctions,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Csv => "csv",
            Format::Prometheus => "prometheus",
            Format::AccessLog => "access-log",
            Format::Requests => "requests",
            Format::AzureFunctions => "azure-functions",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("no format {s:?} (known: {})", names.join(", "))
            })
    }
}

/// What a series' values count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CountUnit {
    /// Requests in each sample's step.
    #[default]
    PerStep,
    /// Requests per second (a rate, as Prometheus' `rate()` gives): counts are the rate
    /// times the step's seconds.
    PerSecond,
}

impl std::str::FromStr for CountUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "per-step" => Ok(CountUnit::PerStep),
            "per-second" => Ok(CountUnit::PerSecond),
            _ => Err(format!("no count unit {s:?} (known: per-step, per-second)")),
        }
    }
}

/// The longest gap filled by interpolation by default, in minutes: a scrape or logging
/// outage of up to an hour is bridged; a longer one would invent traffic (a straight
/// line across a night or a weekend), so it is refused (`docs/experiment.md`, The trace).
pub const DEFAULT_MAX_GAP_MIN: u32 = 60;

/// How to read a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// The format. Defaults to auto.
    pub format: Format,
    /// The timestamp column (csv, requests); detected from `trace::import::TIMESTAMP_COLUMNS` when
    /// `None`.
    pub time_column: Option<String>,
    /// The count column (csv); detected from `trace::import::COUNT_COLUMNS` when `None`.
    pub count_column: Option<String>,
    /// The step of the trace, in seconds; `None`: the file's own step where it is a
    /// whole number of seconds that divides a day (events are binned into 1 minute).
    pub step_seconds: Option<u32>,
    /// What a series' values count. Defaults to per step.
    pub count_unit: CountUnit,
    /// The longest gap filled by interpolation, in minutes. Defaults to
    /// [`DEFAULT_MAX_GAP_MIN`].
    pub max_gap_minutes: u32,
    /// Prometheus: the series to take, `label="value"[,…]`; `None` sums them all.
    pub series: Option<String>,
    /// requests: a column whose values are summed instead of counting rows.
    pub weight_column: Option<String>,
    /// azure-functions: the function (a prefix of its hash).
    pub function: Option<String>,
    /// azure-functions: the app (a prefix of its hash); neither: the busiest app.
    pub app: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            format: Format::Auto,
            time_column: None,
            count_column: None,
            step_seconds: None,
            count_unit: CountUnit::PerStep,
            max_gap_minutes: DEFAULT_MAX_GAP_MIN,
            series: None,
            weight_column: None,
            function: None,
            app: None,
        }
    }
}

/// Seconds in a duration's unit: `s`, `m` or `min`, `h`, `d`; `None` for any other.
/// The one table of units every duration a flag or file gives is read with.
pub(crate) fn unit_seconds(unit: &str) -> Option<u64> {
    match unit {
        "s" => Some(1),
        "m" | "min" => Some(60),
        "h" => Some(3600),
        "d" => Some(86_400),
        _ => None,
    }
}

/// A text option: any value but an empty one.
pub(crate) fn text(field: &mut Option<String>, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("empty".into());
    }
    *field = Some(v.to_string());
    Ok(())
}

/// A trace's step in seconds: a duration of whole seconds (`15s`, `1m`, `1h`) that
/// divides a day, so that days hold whole steps (the forecasts' seasons and the
/// validation days count them).
pub fn step_seconds(text: &str) -> Result<u32, String> {
    let seconds = duration_seconds(text)?;
    if seconds == 0 {
        return Err("a step of no time".into());
    }
    if !super::SECONDS_PER_DAY.is_multiple_of(seconds) {
        return Err(format!(
            "`{text}` does not divide a day: a day must hold whole steps"
        ));
    }
    Ok(seconds)
}

/// A duration in whole seconds: `0` for none, or a whole number with a unit, `s`,
/// `m`/`min`, `h` or `d`.
pub fn duration_seconds(text: &str) -> Result<u32, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(0);
    }
    let split = t
        .find(|c: char| !c.is_ascii_digit())
        .filter(|&k| k > 0)
        .ok_or_else(|| format!("`{text}` is not a duration such as 30m, 1h or 1d"))?;
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30m, 1h or 1d"))?;
    let per =
        unit_seconds(unit).ok_or_else(|| format!("`{text}`: the unit must be s, m, h or d"))?;
    n.checked_mul(per)
        .and_then(|x| u32::try_from(x).ok())
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// A duration in whole minutes: `0` (or `0m`, `0h`) for none, or a whole number with a
/// unit, `s` (a whole number of minutes of them), `m`/`min`, `h` or `d`.
pub fn minutes(text: &str) -> Result<u32, String> {
    let seconds = duration_seconds(text)?;
    if seconds % 60 != 0 {
        return Err(format!("`{text}` is not a whole number of minutes"));
    }
    Ok(seconds / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_whole_minutes() {
        assert_eq!(minutes("5m"), Ok(5));
        assert_eq!(minutes("1h"), Ok(60));
        assert_eq!(minutes("2d"), Ok(2880));
        assert_eq!(minutes("120s"), Ok(2));
        assert_eq!(minutes("0"), Ok(0));
        assert_eq!(minutes("0m"), Ok(0));
        assert_eq!(
            minutes("90s"),
            Err("`90s` is not a whole number of minutes".into())
        );
        assert!(minutes("banana").is_err());
        assert!(minutes("5w").unwrap_err().contains("the unit must be"));
    }

    #[test]
    fn steps_are_whole_seconds_that_divide_a_day() {
        assert_eq!(step_seconds("15s"), Ok(15));
        assert_eq!(step_seconds("1m"), Ok(60));
        assert_eq!(step_seconds("1h"), Ok(3600));
        assert_eq!(step_seconds("1s"), Ok(1));
        // 86,400 / 7 is no whole number: a day would end inside a step.
        assert_eq!(
            step_seconds("7s"),
            Err("`7s` does not divide a day: a day must hold whole steps".into())
        );
        assert_eq!(step_seconds("0s"), Err("a step of no time".into()));
    }
}
