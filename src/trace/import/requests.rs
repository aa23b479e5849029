//! `requests`: a CSV with one row per request (the Azure LLM inference traces'
//! `TIMESTAMP,ContextTokens,GeneratedTokens`, a load balancer's export): a timestamp
//! column (detected or `--time-column`) in any of the csv format's forms, each row one
//! request, or `--weight-column`'s value of work (tokens) instead.

use super::csv::{pick_column, string_column, timestamps, with_time_column, Columns};
use super::{ImportOptions, Raw, Report};
use crate::trace::{excerpt, TraceError};

/// Parses the rows into request times (epoch ms) and weights.
pub(super) fn parse(
    bytes: &[u8],
    opts: &ImportOptions,
    report: &mut Report,
) -> Result<Raw, TraceError> {
    let Columns {
        df,
        names,
        found,
        time: time_col,
    } = with_time_column(bytes, opts)?;
    if df.height() == 0 {
        return Err(TraceError::NoRows);
    }
    let (stamps, form) = timestamps(&string_column(&df, &time_col)?)?;
    let weights: Vec<f64> = match &opts.weight_column {
        None => vec![1.0; stamps.len()],
        Some(w) => {
            let col = pick_column(
                &names,
                &Some(w.clone()),
                &[],
                "weight",
                "--weight-column",
                &found,
            )?;
            let texts = string_column(&df, &col)?;
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| super::csv::parse_count(t.as_deref().unwrap_or(""), i + 2))
                .collect::<Result<_, _>>()?
        }
    };
    if !report.facts.iter().any(|f| f.starts_with("timestamps:")) {
        report.fact(format!("timestamps: {}", form.words()));
    }
    report.fact(match &opts.weight_column {
        None => "each row one request".to_string(),
        Some(w) => format!("each row's {} summed (work, not requests)", excerpt(w, 40)),
    });
    Ok(Raw::Events(stamps.into_iter().zip(weights).collect()))
}
