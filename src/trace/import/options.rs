//! How a trace is read, as the user states it: one table entry per option, which is a
//! flag of every command that reads a trace (`--NAME`, under the trace heading) and a key
//! of a sweep's `[[trace]]` table, with one parser and one wording for both. Adding an
//! option is its field of [`ImportOptions`] and its entry here.

#[cfg(test)]
use super::Format;
use super::{CountUnit, ImportOptions};

/// One option of how a trace is read.
#[derive(Debug)]
pub struct ImportOption {
    /// The flag and grid key, `time-column`.
    pub name: &'static str,
    /// What the value is, in `--help`: `NAME`.
    pub value_name: &'static str,
    /// One line for `--help`, its default included.
    pub help: &'static str,
    /// Sets it from the value as typed; `Err` says what is wrong with the value.
    pub set: fn(&mut ImportOptions, &str) -> Result<(), String>,
}

/// Every option, in `--help` order.
pub const OPTIONS: &[ImportOption] = &[
    ImportOption {
        name: "format",
        value_name: "FORMAT",
        help: "The file's format: auto, csv, prometheus, access-log, requests or azure-functions [default: auto: told from the content]",
        set: |o, v| {
            o.format = v.parse()?;
            Ok(())
        },
    },
    ImportOption {
        name: "time-column",
        value_name: "NAME",
        help: "Timestamp column (csv, requests) [default: detected from timestamp/ds/time]",
        set: |o, v| text(&mut o.time_column, v),
    },
    ImportOption {
        name: "count-column",
        value_name: "NAME",
        help: "Count column (csv) [default: detected from requests/value/y/count]",
        set: |o, v| text(&mut o.count_column, v),
    },
    ImportOption {
        name: "step",
        value_name: "DURATION",
        help: "Step of the trace (15s, 1m, 5m, 1h; a whole number of seconds that divides a day): finer samples are summed into it, requests binned [default: the file's own step, requests 1m]",
        set: |o, v| {
            o.step_seconds = Some(step_seconds(v)?);
            Ok(())
        },
    },
    ImportOption {
        name: "count-unit",
        value_name: "UNIT",
        help: "What a series' values count: per-step (counts) or per-second (a rate, as Prometheus' rate() gives) [default: per-step]",
        set: |o, v| {
            o.count_unit = v.parse::<CountUnit>()?;
            Ok(())
        },
    },
    ImportOption {
        name: "max-gap",
        value_name: "DURATION",
        help: "Longest gap filled by linear interpolation; a longer one is an error naming it (0: none) [default: 1h]",
        set: |o, v| {
            o.max_gap_minutes = minutes(v)?;
            Ok(())
        },
    },
    ImportOption {
        name: "series",
        value_name: "LABELS",
        help: "Prometheus: take the series with these labels, label=\"value\"[,…] [default: all, summed]",
        set: |o, v| text(&mut o.series, v),
    },
    ImportOption {
        name: "weight-column",
        value_name: "NAME",
        help: "requests: sum this column per step instead of counting rows (GeneratedTokens: work, not requests)",
        set: |o, v| text(&mut o.weight_column, v),
    },
    ImportOption {
        name: "function",
        value_name: "HASH",
        help: "azure-functions: the functions whose hash starts with this",
        set: |o, v| text(&mut o.function, v),
    },
    ImportOption {
        name: "app",
        value_name: "HASH",
        help: "azure-functions: every function of the apps whose hash starts with this [default: the busiest app]",
        set: |o, v| text(&mut o.app, v),
    },
];

/// The option named `name`.
pub fn find(name: &str) -> Option<&'static ImportOption> {
    OPTIONS.iter().find(|o| o.name == name)
}

/// A text option: any value but an empty one.
fn text(field: &mut Option<String>, v: &str) -> Result<(), String> {
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
    if !crate::config::SECONDS_PER_DAY.is_multiple_of(seconds) {
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
    let per = crate::settings::unit_seconds(unit)
        .ok_or_else(|| format!("`{text}`: the unit must be s, m, h or d"))?;
    u32::try_from(n * per).map_err(|_| format!("`{text}` is too long"))
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

    #[test]
    fn every_option_sets_its_field_and_refuses_a_bad_value_in_words() {
        let mut o = ImportOptions::default();
        for (name, value) in [
            ("format", "csv"),
            ("time-column", "when"),
            ("count-column", "hits"),
            ("step", "5m"),
            ("count-unit", "per-second"),
            ("max-gap", "0m"),
            ("series", "job=\"a\""),
            ("weight-column", "tokens"),
            ("function", "ab"),
            ("app", "cd"),
        ] {
            (find(name).unwrap().set)(&mut o, value).unwrap();
        }
        assert_eq!(
            o,
            ImportOptions {
                format: Format::Csv,
                time_column: Some("when".into()),
                count_column: Some("hits".into()),
                step_seconds: Some(300),
                count_unit: CountUnit::PerSecond,
                max_gap_minutes: 0,
                series: Some("job=\"a\"".into()),
                weight_column: Some("tokens".into()),
                function: Some("ab".into()),
                app: Some("cd".into()),
            }
        );
        assert_eq!(OPTIONS.len(), 10);
        let mut o = ImportOptions::default();
        assert!((find("format").unwrap().set)(&mut o, "xml").is_err());
        assert!((find("step").unwrap().set)(&mut o, "0").is_err());
        // The format's help names every format.
        let help = find("format").unwrap().help;
        assert!(
            Format::ALL.iter().all(|f| help.contains(f.name())),
            "{help}"
        );
        assert!((find("count-column").unwrap().set)(&mut o, "").is_err());
    }
}
