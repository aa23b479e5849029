//! A trace read from a running Prometheus: `/api/v1/query_range` over HTTP
//! (`docs/experiment.md`, The trace). Prometheus refuses a range query of more than
//! 11,000 points per series, so the range is split into requests of at most
//! [`POINTS_PER_REQUEST`] steps, disjoint and in order (both ends of the range
//! included); each answer is the JSON the `prometheus` format reads, and the import
//! joins them. A connection that fails, a 429 or a 5xx is retried; any other refusal is
//! one line naming the server, the query and Prometheus' own words.

use std::io::Read;
use std::time::Duration;

use chrono::{DateTime, Utc};
use thiserror::Error;

/// Steps per request: under Prometheus' limit of 11,000 points per series.
pub const POINTS_PER_REQUEST: i64 = 10_000;

/// Tries per request (the first and two retries), with these waits before the retries.
const RETRY_WAITS_MS: [u64; 2] = [500, 2000];

/// One range query.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeQuery {
    /// The server's base URL (`http://prometheus:9090`), without `/api/v1/…`.
    pub url: String,
    /// The PromQL expression.
    pub query: String,
    /// The first step, included.
    pub start: DateTime<Utc>,
    /// The last step, included.
    pub end: DateTime<Utc>,
    /// Seconds between steps.
    pub step_seconds: u32,
}

/// How to authenticate, as read from a file or the environment (never the command line,
/// where any user of the machine would see it).
#[derive(Clone, PartialEq, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// `Authorization: Basic base64(user:password)`, from `user:password`.
    Basic(String),
}

impl std::fmt::Debug for Auth {
    /// Says which, never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Bearer(_) => "Auth::Bearer(…)",
            Auth::Basic(_) => "Auth::Basic(…)",
        })
    }
}

impl Auth {
    /// Credentials from `--bearer-token-file` or `--basic-auth-file`, else from
    /// `PRESCALE_PROMETHEUS_TOKEN` or `PRESCALE_PROMETHEUS_BASIC_AUTH`, else none. A
    /// file's trailing newline is not part of the secret.
    pub fn from_files(
        bearer: Option<&std::path::Path>,
        basic: Option<&std::path::Path>,
    ) -> anyhow::Result<Auth> {
        use anyhow::Context;
        let secret = |path: &std::path::Path| -> anyhow::Result<String> {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok(text.trim_end_matches(['\n', '\r']).to_string())
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(match (bearer, basic) {
            (Some(p), _) => Auth::Bearer(secret(p)?),
            (None, Some(p)) => Auth::Basic(secret(p)?),
            (None, None) => match (
                env("PRESCALE_PROMETHEUS_TOKEN"),
                env("PRESCALE_PROMETHEUS_BASIC_AUTH"),
            ) {
                (Some(t), _) => Auth::Bearer(t),
                (None, Some(b)) => Auth::Basic(b),
                (None, None) => Auth::None,
            },
        })
    }

    /// The `Authorization` header's value, if any.
    fn header(&self) -> Option<String> {
        use base64::Engine;
        match self {
            Auth::None => None,
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Basic(pair) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )),
        }
    }
}

/// Why a range could not be read.
#[derive(Debug, Error, PartialEq)]
pub enum RemoteError {
    /// A URL without its scheme, which no request could use.
    #[error("--prometheus {0}: give the server's URL with its scheme, as http://{0}")]
    NoScheme(String),
    /// The range is empty or backwards, or the step is zero.
    #[error("--start {start} is after --end {end}")]
    Range {
        /// The start, RFC 3339.
        start: String,
        /// The end, RFC 3339.
        end: String,
    },
    /// No answer after every try.
    #[error("cannot reach Prometheus at {url} for query {query:?} ({tries} tries): {why}")]
    Unreachable {
        /// The base URL.
        url: String,
        /// The query.
        query: String,
        /// Tries made.
        tries: usize,
        /// The last failure.
        why: String,
    },
    /// An answer that is no JSON (a proxy's page, say).
    #[error("the server at {url} answered query {query:?} with no JSON: {said}")]
    NotJson {
        /// The base URL.
        url: String,
        /// The query.
        query: String,
        /// An excerpt of the answer.
        said: String,
    },
    /// Prometheus refused the query.
    #[error("Prometheus at {url} refused query {query:?} (HTTP {status}): {said}")]
    Refused {
        /// The base URL.
        url: String,
        /// The query.
        query: String,
        /// The HTTP status.
        status: u16,
        /// Its error type and message, or an excerpt of the body.
        said: String,
    },
}

/// What a range read took.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Each request's answer, in order: a query_range JSON document.
    pub pages: Vec<Vec<u8>>,
    /// Retries made, over all the requests.
    pub retries: usize,
}

/// The requests' ranges, unix seconds, both ends included: disjoint, in order, each of at
/// most [`POINTS_PER_REQUEST`] steps, covering `start..=end`.
pub fn windows(q: &RangeQuery) -> Result<Vec<(i64, i64)>, RemoteError> {
    let (start, end, step) = (
        q.start.timestamp(),
        q.end.timestamp(),
        i64::from(q.step_seconds.max(1)),
    );
    if start > end {
        return Err(RemoteError::Range {
            start: crate::trace::format_timestamp(q.start),
            end: crate::trace::format_timestamp(q.end),
        });
    }
    let mut out = Vec::new();
    let mut from = start;
    while from <= end {
        let to = (from + (POINTS_PER_REQUEST - 1) * step).min(end);
        out.push((from, to));
        from += POINTS_PER_REQUEST * step;
    }
    Ok(out)
}

/// Reads the range, one request per [`windows`] entry.
pub fn fetch(q: &RangeQuery, auth: &Auth) -> Result<Fetched, RemoteError> {
    let server = Server::new(&q.url, auth)?;
    let mut pages = Vec::new();
    let mut retries = 0;
    for (from, to) in windows(q)? {
        let (page, tries) = server.get(
            "query_range",
            &q.query,
            &[
                ("start", from.to_string()),
                ("end", to.to_string()),
                ("step", format!("{}s", q.step_seconds.max(1))),
            ],
        )?;
        retries += tries - 1;
        pages.push(page);
    }
    Ok(Fetched { pages, retries })
}

/// The range read as a trace, as the `prometheus` import reads a file (series, rates,
/// gaps by `opts`): the import, the requests it took and the retries among them.
pub fn read_trace(
    q: &RangeQuery,
    auth: &Auth,
    opts: &crate::trace::import::ImportOptions,
) -> anyhow::Result<(crate::trace::import::Imported, usize, usize)> {
    use anyhow::Context;
    let fetched = fetch(q, auth)?;
    let imported = crate::trace::import::read_pages(&fetched.pages, opts)
        .with_context(|| format!("reading query {:?} from {}", q.query, q.url))?;
    Ok((imported, fetched.pages.len(), fetched.retries))
}

/// The value of an instant query at `time`: its series summed, `None` where it has
/// none (the replicas running, for `serve --actual-query`).
pub fn instant(
    url: &str,
    query: &str,
    time: DateTime<Utc>,
    auth: &Auth,
) -> Result<Option<f64>, RemoteError> {
    let server = Server::new(url, auth)?;
    let (body, _) = server.get("query", query, &[("time", time.timestamp().to_string())])?;
    let doc = server.json(query, &body)?;
    let values: Vec<f64> = doc["data"]["result"]
        .as_array()
        .map(|series| {
            series
                .iter()
                .filter_map(|s| s["value"][1].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    Ok((!values.is_empty()).then(|| values.iter().sum()))
}

/// The time of the last sample of `query` at or before `now`, looking back ten years:
/// `timestamp(query)` read at daily steps (3,651 points), then at hourly steps over
/// that day, then at `step_seconds` over that hour and Prometheus' 5-minute lookback:
/// three requests. For a selector this is its last sample's own time; for an expression
/// (a `rate()`), the last time it was evaluated with data, which the lookback can put up
/// to 5 minutes after the last sample. `None` without any.
pub fn last_sample(
    url: &str,
    query: &str,
    now: DateTime<Utc>,
    step_seconds: u32,
    auth: &Auth,
) -> Result<Option<DateTime<Utc>>, RemoteError> {
    let server = Server::new(url, auth)?;
    let stamps = format!("timestamp({query})");
    let latest = |from: i64, to: i64, step: i64| -> Result<Option<i64>, RemoteError> {
        let (body, _) = server.get(
            "query_range",
            &stamps,
            &[
                ("start", from.to_string()),
                ("end", to.to_string()),
                ("step", format!("{step}s")),
            ],
        )?;
        let doc = server.json(&stamps, &body)?;
        Ok(doc["data"]["result"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|series| series["values"].as_array().into_iter().flatten())
            .filter_map(|v| v[1].as_str()?.parse::<f64>().ok())
            .map(|t| t.floor() as i64)
            .max())
    };
    let now = now.timestamp();
    let Some(day) = latest(now - 3652 * 86_400, now, 86_400)? else {
        return Ok(None);
    };
    let hour = latest(day, (day + 86_400 + 300).min(now), 3600)?.unwrap_or(day);
    let step = i64::from(step_seconds.max(1));
    let last = latest(hour, (hour + 3600 + 300).min(now), step)?.unwrap_or(hour);
    Ok(DateTime::from_timestamp(last, 0))
}

/// A Prometheus server's HTTP API, with the client's timeouts and the credentials.
struct Server<'a> {
    url: &'a str,
    auth: &'a Auth,
    agent: ureq::Agent,
}

/// Refuses a server URL without its scheme, which no request could use.
pub fn check_url(url: &str) -> Result<(), RemoteError> {
    match url.starts_with("http://") || url.starts_with("https://") {
        true => Ok(()),
        false => Err(RemoteError::NoScheme(url.to_string())),
    }
}

impl<'a> Server<'a> {
    fn new(url: &'a str, auth: &'a Auth) -> Result<Self, RemoteError> {
        check_url(url)?;
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build();
        Ok(Self { url, auth, agent })
    }

    /// An answer's JSON document; an error naming the query where it is none.
    fn json(&self, query: &str, body: &[u8]) -> Result<serde_json::Value, RemoteError> {
        serde_json::from_slice(body).map_err(|_| RemoteError::NotJson {
            url: self.url.to_string(),
            query: query.to_string(),
            said: said(body),
        })
    }

    /// `GET /api/v1/<api>?query=…&<params>`: the body and the tries it took. A failed
    /// connection, a 429 or a 5xx is retried; any other refusal is an error at once.
    fn get(
        &self,
        api: &str,
        query: &str,
        params: &[(&str, String)],
    ) -> Result<(Vec<u8>, usize), RemoteError> {
        let endpoint = format!("{}/api/v1/{api}", self.url.trim_end_matches('/'));
        let mut tries = 0;
        loop {
            tries += 1;
            let mut request = self.agent.get(&endpoint).query("query", query);
            for (k, v) in params {
                request = request.query(k, v);
            }
            if let Some(h) = self.auth.header() {
                request = request.set("Authorization", &h);
            }
            let failure = match request.call() {
                Ok(response) => return Ok((body(response), tries)),
                Err(ureq::Error::Status(status, response))
                    if status != 429 && !(500..600).contains(&status) =>
                {
                    return Err(RemoteError::Refused {
                        url: self.url.to_string(),
                        query: query.to_string(),
                        status,
                        said: said(&body(response)),
                    });
                }
                Err(ureq::Error::Status(status, response)) => {
                    format!("HTTP {status}: {}", said(&body(response)))
                }
                Err(e) => e.to_string(),
            };
            match RETRY_WAITS_MS.get(tries - 1) {
                Some(&wait) => std::thread::sleep(Duration::from_millis(wait)),
                None => {
                    return Err(RemoteError::Unreachable {
                        url: self.url.to_string(),
                        query: query.to_string(),
                        tries,
                        why: crate::trace::excerpt(&failure, 160),
                    })
                }
            }
        }
    }
}

/// A response's body (empty where it cannot be read).
fn body(response: ureq::Response) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = response.into_reader().read_to_end(&mut out);
    out
}

/// What an error body says: Prometheus' `errorType: error`, or a short excerpt.
fn said(body: &[u8]) -> String {
    let doc: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| {
        doc.as_ref()
            .and_then(|d| d.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    match (field("errorType"), field("error")) {
        (Some(kind), Some(error)) => crate::trace::excerpt(&format!("{kind}: {error}"), 200),
        _ => crate::trace::excerpt(String::from_utf8_lossy(body).trim(), 120),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn query(minutes: i64) -> RangeQuery {
        let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
        RangeQuery {
            url: "http://127.0.0.1:1".into(),
            query: "sum(rate(requests_total[1m]))".into(),
            start,
            end: start + chrono::Duration::minutes(minutes - 1),
            step_seconds: 60,
        }
    }

    #[test]
    fn windows_cover_the_range_once_under_the_point_limit() {
        // 14 days of minutes, 20,160 points: 10,000 + 10,000 + 160.
        let w = windows(&query(20_160)).unwrap();
        assert_eq!(w.len(), 3);
        let points: Vec<i64> = w.iter().map(|(a, b)| (b - a) / 60 + 1).collect();
        assert_eq!(points, vec![10_000, 10_000, 160]);
        let q = query(20_160);
        assert_eq!(w[0].0, q.start.timestamp());
        assert_eq!(w[2].1, q.end.timestamp());
        // Disjoint and adjacent: each starts one step after the last ended.
        assert!(w.windows(2).all(|p| p[1].0 == p[0].1 + 60));
        // One point is one request; exactly 10,000, one; one more, two.
        assert_eq!(windows(&query(1)).unwrap().len(), 1);
        assert_eq!(windows(&query(10_000)).unwrap().len(), 1);
        assert_eq!(windows(&query(10_001)).unwrap().len(), 2);
    }

    #[test]
    fn a_url_without_its_scheme_is_refused_before_any_request() {
        let q = RangeQuery {
            url: "prometheus:9090".into(),
            ..query(10)
        };
        assert_eq!(
            fetch(&q, &Auth::None).unwrap_err().to_string(),
            "--prometheus prometheus:9090: give the server's URL with its scheme, as http://prometheus:9090"
        );
    }

    #[test]
    fn a_backwards_range_is_refused() {
        let mut q = query(10);
        std::mem::swap(&mut q.start, &mut q.end);
        assert!(matches!(windows(&q), Err(RemoteError::Range { .. })));
    }

    #[test]
    fn credentials_become_the_header_and_never_show_in_debug() {
        // RFC 7617's example: Aladdin:open sesame.
        assert_eq!(
            Auth::Basic("Aladdin:open sesame".into()).header().unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(Auth::Bearer("t0k".into()).header().unwrap(), "Bearer t0k");
        assert!(!format!("{:?}", Auth::Bearer("t0k".into())).contains("t0k"));
    }

    #[test]
    fn an_error_body_is_read_in_prometheus_words() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:6: parse error"}"#;
        assert_eq!(
            said(body),
            "bad_data: invalid parameter \"query\": 1:6: parse error"
        );
        assert_eq!(said(b"  Service Unavailable\n"), "Service Unavailable");
    }
}
