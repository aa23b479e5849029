//! `requests`: a CSV with one row per request (the Azure LLM inference traces'
//! `TIMESTAMP,ContextTokens,GeneratedTokens`, a load balancer's export): a timestamp
//! column (detected or `--time-column`) in any of the csv format's forms, each row one
//! request, or `--weight-column`'s value of work (tokens) instead.

use super::csv::{pick_column, string_column, timestamps, with_time_column, Columns, TimeForm};
use super::{ImportOptions, Raw, Report};
use crate::trace::{excerpt, TraceError};

/// Parses the rows into request times (epoch ms) and weights.
pub(super) fn parse(
    bytes: &[u8],
    opts: &ImportOptions,
    report: &mut Report,
) -> Result<Raw, TraceError> {
    let cols = with_time_column(bytes, opts)?;
    if cols.df.height() == 0 {
        return Err(TraceError::NoRows);
    }
    let (stamps, form) = timestamps(&string_column(&cols.df, &cols.time)?)?;
    events(&cols, stamps, form, opts, report)
}

/// The requests of a CSV already read, whose timestamps (epoch ms) are `stamps`.
pub(super) fn events(
    cols: &Columns,
    stamps: Vec<i64>,
    form: TimeForm,
    opts: &ImportOptions,
    report: &mut Report,
) -> Result<Raw, TraceError> {
    let weights: Vec<f64> = match &opts.weight_column {
        None => vec![1.0; stamps.len()],
        Some(w) => {
            let col = pick_column(
                &cols.names,
                &Some(w.clone()),
                &[],
                "weight",
                "--weight-column",
                &cols.found,
            )?;
            string_column(&cols.df, &col)?
                .iter()
                .enumerate()
                .map(|(i, t)| super::csv::parse_count(t.as_deref().unwrap_or(""), i + 2))
                .collect::<Result<_, _>>()?
        }
    };
    report.fact(format!("timestamps: {}", form.words()));
    report.fact(match &opts.weight_column {
        None => "each row one request".to_string(),
        Some(w) => format!("each row's {} summed (work, not requests)", excerpt(w, 40)),
    });
    Ok(Raw::Events(stamps.into_iter().zip(weights).collect()))
}
