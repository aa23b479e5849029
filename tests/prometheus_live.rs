//! `import --prometheus` against a small stand-in for Prometheus' HTTP API on the
//! loopback interface: it answers `/api/v1/query_range` from a series it holds, refusing
//! (as Prometheus does, HTTP 400 `bad_data`) a range of more than 11,000 points, so a
//! client that does not split fails here. (CI runs the same import against a real
//! Prometheus: `.ci/prometheus.sh`.)

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

mod common;
use common::prescale;
use predicates::prelude::*;

/// What the stand-in saw: each request's query string and Authorization header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// Serves `value(t)` for every minute from `first` (unix seconds) for `minutes`; the
/// first `fail_first` requests get a 503. Returns its base URL and what it saw.
fn stand_in(first: i64, minutes: i64, fail_first: usize) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            answer(stream, first, minutes, n < fail_first, &log);
        }
    });
    (url, seen)
}

fn value(t: i64) -> f64 {
    (t / 60 % 97) as f64 + 0.5
}

fn answer(mut stream: TcpStream, first: i64, minutes: i64, fail: bool, seen: &Seen) {
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
    let query = target.split_once('?').map_or("", |p| p.1).to_string();
    seen.lock().unwrap().push((query.clone(), auth));
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .unwrap_or("")
            .to_string()
    };
    let (status, body) = if fail {
        ("503 Service Unavailable", "overloaded".to_string())
    } else if param("query") != "requests" {
        (
            "400 Bad Request",
            r#"{"status":"error","errorType":"bad_data","error":"unknown series"}"#.to_string(),
        )
    } else {
        let (start, end) = (
            param("start").parse::<i64>().unwrap(),
            param("end").parse::<i64>().unwrap(),
        );
        let step = param("step").trim_end_matches('s').parse::<i64>().unwrap();
        if (end - start) / step + 1 > 11_000 {
            (
                "400 Bad Request",
                r#"{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}"#.to_string(),
            )
        } else {
            let values: Vec<String> = (start..=end)
                .step_by(step as usize)
                .filter(|&t| t >= first && t < first + 60 * minutes)
                .map(|t| format!("[{t},\"{}\"]", value(t)))
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

/// 2026-01-05T00:00:00Z.
const MONDAY: i64 = 1_767_571_200;

#[test]
fn fourteen_days_of_minutes_come_in_three_requests_and_equal_the_series() {
    let (url, seen) = stand_in(MONDAY, 20_160, 0);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trace.csv");
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    prescale()
        .args(["import", "--prometheus", &url, "--query", "requests"])
        .args([
            "--start",
            "2026-01-05T00:00:00Z",
            "--end",
            "2026-01-18T23:59:00Z",
        ])
        .arg("--bearer-token-file")
        .arg(&token)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "in 3 requests of at most 10000 points",
        ));
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 20_160);
    for (i, row) in rows.iter().enumerate() {
        let t = MONDAY + 60 * i as i64;
        let (stamp, count) = row.split_once(',').unwrap();
        assert_eq!(count.parse::<f64>().unwrap(), value(t), "{row}");
        if i == 0 {
            assert_eq!(stamp, "2026-01-05T00:00:00Z");
        }
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    // The token came from the file, without its newline, on every request.
    assert!(seen
        .iter()
        .all(|(_, a)| a.as_deref() == Some("Bearer s3cret")));
}

/// `import --prometheus URL --query QUERY` of the hour from 2026-01-05T00:00Z into `out`.
fn import_an_hour(url: &str, query: &str, out: &std::path::Path) -> assert_cmd::Command {
    let mut c = prescale();
    c.args(["import", "--prometheus", url, "--query", query])
        .args(["--start", "2026-01-05T00:00:00Z"])
        .args(["--end", "2026-01-05T00:59:00Z"])
        .arg("--out")
        .arg(out);
    c
}

#[test]
fn a_transient_failure_is_retried() {
    let (url, seen) = stand_in(MONDAY, 60, 1);
    let dir = tempfile::tempdir().unwrap();
    import_an_hour(&url, "requests", &dir.path().join("t.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains("1 time retried"));
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_bad_query_and_a_server_that_is_down_are_one_line_each() {
    let (url, _) = stand_in(MONDAY, 60, 0);
    let dir = tempfile::tempdir().unwrap();
    let run = |url: &str, query: &str| {
        import_an_hour(url, query, &dir.path().join("t.csv"))
            .assert()
            .code(1)
    };
    let bad = run(&url, "nope");
    let err = String::from_utf8(bad.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "Prometheus at {url} refused query \"nope\" (HTTP 400): bad_data: unknown series"
        )),
        "{err}"
    );
    // Nothing listens on a port just closed: three tries, then one line.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let down = run(&closed, "requests");
    let err = String::from_utf8(down.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "cannot reach Prometheus at {closed} for query \"requests\" (3 tries)"
        )),
        "{err}"
    );
    assert!(!dir.path().join("t.csv").exists());
    // Files and a server at once are refused by the command line.
    prescale()
        .args([
            "import",
            "x.csv",
            "--prometheus",
            &url,
            "--query",
            "requests",
        ])
        .args([
            "--start",
            "2026-01-05T00:00:00Z",
            "--end",
            "2026-01-05T00:59:00Z",
        ])
        .assert()
        .code(2);
}
