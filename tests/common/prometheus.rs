//! A small stand-in for Prometheus' HTTP API on the loopback interface: it answers
//! `/api/v1/query_range` from a series it holds, refusing (as Prometheus does, HTTP 400
//! `bad_data`) a range of more than 11,000 points and any query but `requests` and
//! `timestamp(requests)` (the time of the sample each step reads, within Prometheus'
//! 5-minute lookback), and `/api/v1/query` (`replicas`: 3; `requests`: the last sample
//! at most 5 minutes old). CI runs the same commands against a real Prometheus
//! (`deploy/prometheus/check.sh`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What the stand-in saw: each request's query string and Authorization header.
pub(crate) type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// The series: its value at each unix second that has a sample.
pub(crate) type Series = Arc<dyn Fn(i64) -> Option<f64> + Send + Sync>;

/// A running stand-in.
pub(crate) struct StandIn {
    /// Its base URL.
    pub(crate) url: String,
    /// What it saw.
    pub(crate) seen: Seen,
    /// While set, every request gets a 503.
    pub(crate) down: Arc<AtomicBool>,
}

/// Serves `series`; the first `fail_first` requests get a 503.
pub(crate) fn stand_in(series: Series, fail_first: usize) -> StandIn {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let down = Arc::new(AtomicBool::new(false));
    let (log, off) = (Arc::clone(&seen), Arc::clone(&down));
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            let fail = n < fail_first || off.load(Ordering::SeqCst);
            answer(stream, &series, fail, &log);
        }
    });
    StandIn { url, seen, down }
}

fn answer(mut stream: TcpStream, series: &Series, fail: bool, seen: &Seen) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut auth = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap() == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("authorization") {
                auth = Some(v.trim().to_string());
            }
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    seen.lock().unwrap().push((query.to_string(), auth));
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .unwrap_or("")
            .replace("%28", "(")
            .replace("%29", ")")
    };
    // The sample a step at `t` reads: the last within 5 minutes before it.
    let lookback = |t: i64| (t - 299..=t).rev().find(|&u| series(u).is_some());
    let bad = |error: &str| {
        (
            "400 Bad Request",
            format!(r#"{{"status":"error","errorType":"bad_data","error":"{error}"}}"#),
        )
    };
    let (status, body) = if fail {
        ("503 Service Unavailable", "overloaded".to_string())
    } else if path == "/api/v1/query" {
        let time = param("time").parse::<i64>().unwrap();
        let value = match param("query").as_str() {
            "replicas" => Some(3.0),
            "requests" => lookback(time).and_then(|u| series(u)),
            _ => None,
        };
        let result = value.map_or(String::new(), |v| {
            format!(r#"{{"metric":{{}},"value":[{time},"{v}"]}}"#)
        });
        (
            "200 OK",
            format!(
                r#"{{"status":"success","data":{{"resultType":"vector","result":[{result}]}}}}"#
            ),
        )
    } else if param("query") != "requests" && param("query") != "timestamp(requests)" {
        bad("unknown series")
    } else {
        let stamps = param("query") == "timestamp(requests)";
        let (start, end) = (
            param("start").parse::<i64>().unwrap(),
            param("end").parse::<i64>().unwrap(),
        );
        let step = param("step").trim_end_matches('s').parse::<i64>().unwrap();
        if (end - start) / step + 1 > 11_000 {
            bad("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        } else {
            let values: Vec<String> = (start..=end)
                .step_by(step as usize)
                .filter_map(|t| match stamps {
                    true => lookback(t).map(|u| format!("[{t},\"{u}\"]")),
                    false => series(t).map(|v| format!("[{t},\"{v}\"]")),
                })
                .collect();
            (
                "200 OK",
                format!(
                    r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"job":"api"}},"values":[{}]}}]}}}}"#,
                    values.join(",")
                ),
            )
        }
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
