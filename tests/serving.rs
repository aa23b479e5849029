//! The fluid queue model (`--serving queue`, the default) against the request-by-request
//! ground truth (`--serving requests`) on the quick experiment, every policy.

use std::collections::BTreeMap;
use std::fs;

mod common;
use common::{prescale, quick_run};

/// (model, policy) → (percent of requests within the deadline, p99 latency in seconds).
fn read(path: &std::path::Path) -> BTreeMap<(String, String), (f64, f64)> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (within, p99) = (col("requests_within_deadline_pct"), col("latency_p99_s"));
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                (c[0].to_string(), c[1].to_string()),
                (c[within].parse().unwrap(), c[p99].parse().unwrap()),
            )
        })
        .collect()
}

#[test]
fn the_queue_model_tracks_the_request_level_replay_on_the_quick_experiment() {
    let dir = tempfile::tempdir().unwrap();
    let (data, reports) = (dir.path().join("data"), dir.path().join("reports"));
    quick_run(&data, &reports);
    let requests = dir.path().join("requests");
    prescale()
        .args(["simulate", "--serving", "requests", "--test-days", "2"])
        .arg("--data-dir")
        .arg(&data)
        .arg("--reports-dir")
        .arg(&requests)
        .assert()
        .success();
    let queue = read(&reports.join("metrics_summary.csv"));
    let truth = read(&requests.join("metrics_summary.csv"));
    assert_eq!(queue.len(), 27);
    assert_eq!(
        queue.keys().collect::<Vec<_>>(),
        truth.keys().collect::<Vec<_>>()
    );
    // Measured (docs/experiment.md, Serving): where the discrete-event model serves at
    // least half the requests in time, the two agree within 2.3 points (the fluid
    // model slightly pessimistic near the SLO); where a policy keeps the service
    // overloaded (static-2: 13 % in time), the fluid model's exponential wait reads up
    // to 7 points high. The p99 latencies agree within 7 % where at least 85 % of the
    // requests are in time (where SLOs are set); below, the p99 lies in the tail of
    // minutes of transient overload, where the fluid model's exponential conditional
    // wait is shortest-sighted: up to 41 % short (lstm × buffered, 84 % in time).
    for (key, &(q, r)) in &queue {
        let (t, tp) = truth[key];
        let bound = if t >= 50.0 { 2.5 } else { 8.0 };
        assert!((q - t).abs() <= bound, "{key:?}: queue {q} % against {t} %");
        let p99_bound = if t >= 85.0 { 0.1 } else { 0.45 };
        assert!(
            (r / tp - 1.0).abs() <= p99_bound,
            "{key:?}: p99 {r} s against {tp} s"
        );
    }
}
