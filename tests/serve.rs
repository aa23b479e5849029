//! `serve` against the stand-in for Prometheus' HTTP API (`common/prometheus.rs`): a
//! replay of the last day decides, step for step, what `simulate` decides on the same
//! trace read from its CSV; the live scaler serves its decision as JSON and in
//! Prometheus' text format, and keeps serving it marked stale when Prometheus stops
//! answering. (CI runs a replay and the live scaler against a real Prometheus too:
//! `deploy/prometheus/check.sh`.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::prescale;
use common::prometheus::{stand_in, StandIn};

/// 2026-01-05T00:00:00Z, where `generate` starts.
const MONDAY: i64 = 1_767_571_200;

/// The generated trace of `days` in `dir`, and a stand-in serving it (`requests`).
fn served_trace(dir: &Path, days: &str) -> (Vec<f64>, StandIn) {
    served_trace_without(dir, days, 0..0)
}

/// `served_trace` with no samples at the times of `hole` (Unix seconds).
fn served_trace_without(dir: &Path, days: &str, hole: std::ops::Range<i64>) -> (Vec<f64>, StandIn) {
    common::generate(&dir.join("data"), days);
    let text = std::fs::read_to_string(dir.join("data/workload.csv")).unwrap();
    let values: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let series = values.clone();
    let s = stand_in(
        Arc::new(move |t| {
            let i = (t - MONDAY) / 60;
            ((t - MONDAY) % 60 == 0 && i >= 0 && !hole.contains(&t))
                .then(|| series.get(i as usize).copied())
                .flatten()
        }),
        0,
    );
    (values, s)
}

/// The `target` column of a CSV.
fn targets(path: &Path, column: usize) -> Vec<(String, u32)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[column].parse().unwrap())
        })
        .collect()
}

#[test]
fn a_replay_decides_what_simulate_decides() {
    let dir = tempfile::tempdir().unwrap();
    let (_, prom) = served_trace(dir.path(), "6");
    let settings = ["--test-days", "1", "--validation-days", "2"];
    prescale()
        .args(["run-all", "--model", "seasonal-naive"])
        .args(["--policy", "slo-targeted,predictive-hpa,reactive-hpa"])
        .args(settings)
        .arg("--trace")
        .arg(dir.path().join("data/workload.csv"))
        .arg("--data-dir")
        .arg(dir.path().join("run"))
        .arg("--reports-dir")
        .arg(dir.path().join("reports"))
        .assert()
        .success();
    for (model, policy) in [
        (Some("seasonal-naive"), "slo-targeted"),
        (Some("seasonal-naive"), "predictive-hpa"),
        (None, "reactive-hpa"),
    ] {
        let out = dir.path().join(format!("{policy}.csv"));
        let mut c = prescale();
        c.args(["serve", "--prometheus", &prom.url, "--query", "requests"])
            .args(["--policy", policy, "--history", "5d"])
            .args(settings)
            .args(["--clock", "2026-01-11T00:00:00Z", "--replay", "--out"])
            .arg(&out);
        if let Some(m) = model {
            c.args(["--model", m]);
        }
        c.assert().success();
        let simulated = dir.path().join(format!(
            "reports/timelines/{}_{policy}.csv",
            model.unwrap_or("none")
        ));
        let (live, sim) = (targets(&out, 1), targets(&simulated, 2));
        assert_eq!(live.len(), 1440, "{policy}");
        assert_eq!(live, sim, "{policy}");
        assert!(live.iter().any(|x| x.1 != live[0].1), "{policy} moved");
        assert_eq!(live[0].0, "2026-01-10T00:00:00Z");
    }
    // Without --clock: the days before the step after the last sample, the same.
    let auto = dir.path().join("auto.csv");
    prescale()
        .args(["serve", "--prometheus", &prom.url, "--query", "requests"])
        .args(["--policy", "reactive-hpa", "--history", "5d"])
        .args(settings)
        .args(["--replay", "--out"])
        .arg(&auto)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&auto).unwrap(),
        std::fs::read(dir.path().join("reactive-hpa.csv")).unwrap()
    );
    // A clock past the data: its last step is named.
    prescale()
        .args(["serve", "--prometheus", &prom.url, "--query", "requests"])
        .args(["--policy", "reactive-hpa", "--history", "5d"])
        .args(settings)
        .args(["--clock", "2026-01-12T00:00:00Z", "--replay", "--out"])
        .arg(dir.path().join("late.csv"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "its last step is 2026-01-10T23:59:00Z, not the step before --clock 2026-01-12T00:00:00Z",
        ));
}

/// `GET path` on `addr`: the status code and the body.
fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|p| p.1.to_string())?;
    Some((code, body))
}

/// Polls `GET path` until `ok` holds of its answer, for at most `secs` seconds.
fn wait_for(addr: &str, path: &str, secs: u64, ok: impl Fn(u16, &str) -> bool) -> String {
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some((code, body)) = get(addr, path) {
            if ok(code, &body) {
                return body;
            }
        }
        assert!(
            Instant::now() < until,
            "GET {path}: not as wanted in {secs} s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The live scaler, killed when dropped.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A metric's value in a text exposition.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// `serve` of seasonal-naive × buffered (buffer 0.2) on the stand-in from `clock`, on
/// a free port: the process, its address and its log's path.
fn serve(prom: &StandIn, dir: &Path, clock: &str) -> (Serving, String, std::path::PathBuf) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let log = dir.join("serve.log");
    let child = Command::new(assert_cmd::cargo::cargo_bin("prescale"))
        .args(["serve", "--prometheus", &prom.url, "--query", "requests"])
        .args(["--model", "seasonal-naive", "--policy", "buffered"])
        .args([
            "--history",
            "5d",
            "--validation-days",
            "2",
            "--buffer",
            "0.2",
        ])
        .args(["--clock", clock, "--listen", &addr])
        .args(["--actual-query", "replicas"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    (Serving(child), addr, log)
}

#[test]
fn live_serves_its_decision_each_step() {
    let dir = tempfile::tempdir().unwrap();
    let (values, prom) = served_trace(dir.path(), "6");
    // 10 s before the data's end: the first decision at 23:59 (from the steps before
    // it), the next at 00:00 once the clock gets there.
    let (_serving, addr, log) = serve(&prom, dir.path(), "2026-01-10T23:59:50Z");
    let first = wait_for(&addr, "/desired", 60, |code, _| code == 200);
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["time"], "2026-01-10T23:59:00Z");
    // The default startup delay, 2 minutes, later.
    assert_eq!(doc["for"], "2026-01-11T00:01:00Z");
    // seasonal-naive: the demand a day before the step the decision is for; buffered:
    // ceil(1.2 × forecast / 50 a container), both by hand from the trace.
    let a_day_before = values[(6 * 1440 + 1) - 1440];
    assert_eq!(doc["forecast"].as_f64().unwrap(), a_day_before);
    let want = (1.2 * a_day_before / 50.0).ceil();
    assert_eq!(doc["replicas"].as_f64().unwrap(), want);
    assert_eq!(doc["stale"], false);
    assert_eq!(get(&addr, "/healthz").unwrap(), (200, "ok\n".to_string()));
    assert_eq!(get(&addr, "/nope").unwrap().0, 404);
    // The tick at 00:00 reads 23:59 and decides for 00:02.
    let second = wait_for(&addr, "/desired", 30, |_, b| {
        b.contains("\"time\":\"2026-01-11T00:00:00Z\"")
    });
    let doc: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(
        doc["forecast"].as_f64().unwrap(),
        values[(6 * 1440 + 2) - 1440]
    );
    let text = get(&addr, "/metrics").unwrap().1;
    assert_eq!(metric(&text, "prescale_ticks_total"), 2.0);
    assert_eq!(metric(&text, "prescale_stale"), 0.0);
    assert_eq!(
        metric(&text, "prescale_desired_replicas"),
        doc["replicas"].as_f64().unwrap()
    );
    for help in [
        "# TYPE prescale_desired_replicas gauge",
        "# TYPE prescale_errors_total counter",
        "# TYPE prescale_last_fit_timestamp_seconds gauge",
    ] {
        assert!(text.contains(help), "{help}");
    }
    // Shadow mode: the replicas running beside each decision.
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("desired") && said.contains("running 3"),
        "{said}"
    );
}

#[test]
fn live_keeps_its_decision_marked_stale_while_prometheus_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let (_, prom) = served_trace(dir.path(), "6");
    // The first decision at 00:00; then Prometheus goes down, and the tick at 00:01
    // cannot read 00:00.
    let (_serving, addr, log) = serve(&prom, dir.path(), "2026-01-11T00:00:50Z");
    let first = wait_for(&addr, "/desired", 60, |code, _| code == 200);
    prom.down.store(true, Ordering::SeqCst);
    // Stale once the clock passes 00:01; the tick there fails after its retries.
    wait_for(&addr, "/metrics", 40, |_, b| {
        metric(b, "prescale_errors_total") == 1.0
    });
    let stale = wait_for(&addr, "/desired", 5, |_, b| b.contains("\"stale\":true"));
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&first).unwrap(),
        serde_json::from_str(&stale).unwrap(),
    );
    assert_eq!(a["replicas"], b["replicas"]);
    assert_eq!(b["time"], "2026-01-11T00:00:00Z");
    let text = get(&addr, "/metrics").unwrap().1;
    assert_eq!(metric(&text, "prescale_stale"), 1.0);
    assert_eq!(metric(&text, "prescale_errors_total"), 1.0);
    let said = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("cannot decide"))
        .collect();
    assert_eq!(lines.len(), 1, "{said}");
    assert!(
        lines[0].contains("2026-01-11T00:01:00Z cannot decide: cannot reach Prometheus")
            && lines[0].contains("serving the decision made at 2026-01-11T00:00:00Z"),
        "{said}"
    );
}

#[test]
fn live_bridges_a_hole_longer_than_max_gap_rather_than_stop() {
    // No samples from 20:00 to 22:00 on the last day, 2 hours against --max-gap's 1:
    // an import refuses that; serve, which would otherwise never start (and, met
    // between ticks, never decide again), bridges it once, says so, and decides.
    let dir = tempfile::tempdir().unwrap();
    let last = MONDAY + 5 * 86_400;
    let (_, prom) = served_trace_without(dir.path(), "6", last + 20 * 3600..last + 22 * 3600);
    let (_serving, addr, log) = serve(&prom, dir.path(), "2026-01-10T23:59:50Z");
    let first = wait_for(&addr, "/desired", 60, |code, _| code == 200);
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["time"], "2026-01-10T23:59:00Z");
    assert_eq!(doc["stale"], false);
    let said = std::fs::read_to_string(&log).unwrap();
    let bridged: Vec<&str> = said.lines().filter(|l| l.contains("bridged")).collect();
    assert_eq!(bridged.len(), 1, "{said}");
    assert!(
        bridged[0].contains("from 2026-01-10T19:59:00Z to 2026-01-10T22:00:00Z"),
        "{said}"
    );
}

#[test]
fn bad_serve_commands_are_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let (_, prom) = served_trace(dir.path(), "3");
    let run = |args: &[&str]| {
        let out = prescale()
            .args(["serve", "--prometheus", &prom.url, "--query", "requests"])
            .args(args)
            .assert()
            .code(1);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        err
    };
    assert!(run(&["--policy", "buffered"])
        .contains("--policy buffered reads a forecast: name its model with --model"));
    assert!(run(&["--policy", "reactive-hpa", "--model", "lstm"]).contains("drop --model lstm"));
    assert!(run(&["--policy", "optimal"]).contains("a reference that reads the future"));
    assert!(run(&["--policy", "reactive-hpa", "--clock", "yesterday"])
        .contains("--clock yesterday: not an RFC 3339 time"));
    assert!(run(&["--policy", "reactive-hpa", "--history", "0"]).contains("--history 0"));
    assert!(run(&["--policy", "reactive-hpa", "--history", "90s"])
        .contains("--history 90s: serve fits on the whole steps of 1 min it reads"));
    assert!(
        run(&["--policy", "reactive-hpa", "--history", "213503982334602d"]).contains("is too long")
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().to_string();
    assert!(run(&["--policy", "reactive-hpa", "--listen", &taken])
        .contains(&format!("--listen {taken}")));
}
