//! `prometheus`: the JSON of Prometheus' `/api/v1/query_range`
//! (`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{…},
//! "values":[[<unix seconds>,"<value>"],…]},…]}}`). Values are strings; `NaN` and `±Inf`
//! are gaps (of the sum, where several series are taken). Several series are summed per
//! timestamp, or one set is chosen with
//! `--series 'label="value"[,…]'`. A `"status":"error"` body is reported with
//! Prometheus' own error text.

use serde_json::Value;

use super::{ImportOptions, Point, Raw, Report};
use crate::trace::{excerpt, TraceError};

fn not_prometheus(why: impl Into<String>) -> TraceError {
    TraceError::NotFormat {
        format: "a Prometheus query_range result file",
        why: why.into(),
    }
}

/// `label="value"` pairs, comma-separated.
fn selector(text: &str) -> Result<Vec<(String, String)>, TraceError> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                not_prometheus(format!(
                    "--series {}: expected label=\"value\"",
                    excerpt(text, 60)
                ))
            })?;
            Ok((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        })
        .collect()
}

/// A series' labels as `{a="1", b="2"}`.
fn labels(metric: &serde_json::Map<String, Value>) -> String {
    let pairs: Vec<String> = metric
        .iter()
        .map(|(k, v)| format!("{k}={:?}", v.as_str().unwrap_or("")))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// Parses the result into points (one per timestamp, the selected series summed).
pub(super) fn parse(
    bytes: &[u8],
    opts: &ImportOptions,
    report: &mut Report,
) -> Result<Raw, TraceError> {
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| not_prometheus(format!("not JSON ({})", excerpt(&e.to_string(), 80))))?;
    let status = doc.get("status").and_then(Value::as_str);
    if status == Some("error") {
        return Err(TraceError::Prometheus {
            kind: excerpt(
                doc.get("errorType").and_then(Value::as_str).unwrap_or("?"),
                40,
            ),
            message: excerpt(doc.get("error").and_then(Value::as_str).unwrap_or(""), 160),
        });
    }
    if status != Some("success") {
        return Err(not_prometheus("no \"status\": \"success\" at the top"));
    }
    let data = doc
        .get("data")
        .ok_or_else(|| not_prometheus("no \"data\" object"))?;
    match data.get("resultType").and_then(Value::as_str) {
        Some("matrix") => {}
        Some(other) => {
            return Err(not_prometheus(format!(
                "resultType is {}: an instant query's answer; export a range query (/api/v1/query_range)",
                excerpt(other, 20)
            )))
        }
        None => return Err(not_prometheus("no \"data.resultType\"")),
    }
    let result = data
        .get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| not_prometheus("no \"data.result\" list"))?;
    let wanted = opts.series.as_deref().map(selector).transpose()?;
    let mut sums: std::collections::BTreeMap<i64, f64> = Default::default();
    // A timestamp where a taken series has no finite value is a gap of the sum.
    let mut holes: std::collections::BTreeSet<i64> = Default::default();
    let (mut taken, mut gaps) = (Vec::new(), 0usize);
    for s in result {
        let empty = serde_json::Map::new();
        let metric = s.get("metric").and_then(Value::as_object).unwrap_or(&empty);
        if let Some(w) = &wanted {
            let hit = w
                .iter()
                .all(|(k, v)| metric.get(k).and_then(Value::as_str) == Some(v.as_str()));
            if !hit {
                continue;
            }
        }
        taken.push(labels(metric));
        let values = s.get("values").and_then(Value::as_array).ok_or_else(|| {
            not_prometheus(format!(
                "series {} has no \"values\"",
                excerpt(&labels(metric), 60)
            ))
        })?;
        for pair in values {
            let (t, v) = match pair.as_array().map(Vec::as_slice) {
                Some([t, v]) => (t.as_f64(), v.as_str()),
                _ => (None, None),
            };
            let (Some(t), Some(v)) = (t, v) else {
                return Err(not_prometheus(format!(
                    "a sample is not [time, \"value\"]: {}",
                    excerpt(&pair.to_string(), 40)
                )));
            };
            let v: f64 = v
                .parse()
                .map_err(|_| not_prometheus(format!("value {} is not a number", excerpt(v, 20))))?;
            let ms = (t * 1000.0).round() as i64;
            if !v.is_finite() {
                gaps += 1;
                holes.insert(ms);
                continue;
            }
            if v < 0.0 {
                return Err(not_prometheus(format!("negative value {v} at {t}")));
            }
            *sums.entry(ms).or_insert(0.0) += v;
        }
    }
    if taken.is_empty() {
        return Err(not_prometheus(match &opts.series {
            Some(s) => format!(
                "no series matches --series {} ({} in the result)",
                excerpt(s, 60),
                result.len()
            ),
            None => "the result holds no series".into(),
        }));
    }
    report.fact(if taken.len() == 1 {
        format!("series: {}", excerpt(&taken[0], 120))
    } else {
        format!(
            "series: {} of {} summed per timestamp, first {}",
            taken.len(),
            result.len(),
            excerpt(&taken[0], 80)
        )
    });
    if gaps > 0 {
        report.change(format!("{gaps} NaN or infinite samples read as gaps"));
    }
    for ms in &holes {
        sums.remove(ms);
    }
    let points = sums
        .into_iter()
        .enumerate()
        .map(|(i, (ms, value))| Point {
            ms,
            value,
            line: i + 1,
            event: false,
        })
        .collect();
    Ok(Raw::Series {
        points,
        has_events: false,
    })
}
