//! `import --prometheus` against the stand-in for Prometheus' HTTP API
//! (`common/prometheus.rs`), which refuses a range of more than 11,000 points as
//! Prometheus does, so a client that does not split fails here. (CI runs the same import
//! against a real Prometheus: `deploy/prometheus/check.sh`.)

use std::net::TcpListener;
use std::sync::Arc;

mod common;
use common::prescale;
use common::prometheus::{self, Seen};
use predicates::prelude::*;

/// Serves `value(t)` for every minute from `first` (unix seconds) for `minutes`; the
/// first `fail_first` requests get a 503. Returns its base URL and what it saw.
fn stand_in(first: i64, minutes: i64, fail_first: usize) -> (String, Seen) {
    let s = prometheus::stand_in(
        Arc::new(move |t| {
            (t >= first && t < first + 60 * minutes && (t - first) % 60 == 0).then(|| value(t))
        }),
        fail_first,
    );
    (s.url, s.seen)
}

fn value(t: i64) -> f64 {
    (t / 60 % 97) as f64 + 0.5
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
