//! The binary end to end: run-all into temporary folders, determinism, and the
//! stage-to-stage hand-offs (train in one process, simulate in another).

use std::fs;
use std::path::Path;

mod common;
use common::{generate, named_rows, prescale, report, snapshot, train};
use predicates::prelude::*;
use prescale::policy::PolicyKind;

/// LSTM flags that keep a CLI test's training under a second.
const FAST_LSTM: [&str; 4] = ["--epochs", "1", "--hidden", "8"];

/// A 4-day synthetic run with a 1-day test period: every report, in `dir`.
fn short_run_all(dir: &Path) -> assert_cmd::assert::Assert {
    prescale()
        .args(["run-all", "--days", "4", "--test-days", "1"])
        .args(FAST_LSTM)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--reports-dir")
        .arg(dir.join("reports"))
        .assert()
}

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn run_all_on_a_short_trace_writes_every_report() {
    let dir = tempfile::tempdir().unwrap();
    short_run_all(dir.path())
        .success()
        .stdout(predicate::str::contains("reactive-hpa").and(predicate::str::contains("Pareto")));
    for f in [
        "data/workload.csv",
        "data/forecasts/seasonal-naive.csv",
        "data/forecasts/seasonal-naive.json",
        "data/models/lstm.safetensors",
        "data/models/lstm.json",
        "reports/metrics_summary.csv",
        "reports/forecast_metrics.csv",
        "reports/forecasts.csv",
        "reports/timelines/none_oracle.csv",
        "reports/timelines/seasonal-naive_buffered.csv",
    ] {
        assert!(dir.path().join(f).is_file(), "missing {f}");
    }
    let summary = fs::read_to_string(dir.path().join("reports/metrics_summary.csv")).unwrap();
    assert!(summary.starts_with(
        "model,policy,sla_violation_minutes,violation_rate,unserved_requests,container_minutes,scaling_switches,cost_vs_oracle,cost_vs_optimal,slo_target,requests_within_deadline_pct,latency_p50_s,latency_p95_s,latency_p99_s,dropped_requests,peak_backlog,slo_attained_pct,cold_starts,requests_at_zero\n"
    ));
    let rows = rows(&summary);
    // Model-free policies once, forecast policies once for each of seasonal-naive, prophet
    // and lstm (all three have intervals, and each spares its 1-day validation window
    // from the 3-day train period), as the registry declares them.
    let free = PolicyKind::ALL
        .iter()
        .filter(|p| !p.uses_forecast())
        .count();
    let per_model = PolicyKind::ALL.len() - free;
    let slo_rows: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "slo-targeted").collect();
    assert_eq!(
        slo_rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["seasonal-naive", "prophet", "lstm"]
    );
    assert_eq!(rows.len(), free + 3 * per_model, "{summary}");
    // The SLO policies' target (the default 90 % of requests within the deadline), and no other
    // row's.
    assert!(rows
        .iter()
        .all(|r| (r.get(9).map(String::as_str) == Some("90.0"))
            == (r[1] == "slo-targeted" || r[1] == "slo-feedback")));
    let row = |p: &str| rows.iter().find(|r| r[1] == p).unwrap().clone();
    // static-2 costs exactly 2 containers × 1,440 test minutes.
    assert_eq!(row("static-2")[5], "2880");
    // Each reference is its own cost reference. Under the queue, every row has its
    // latencies; the optimum (the cheapest allocation meeting the period's share with
    // each step from an empty queue) lands within half a point of the SLO in the
    // simulator, which carries the queue, and every row that met the SLO costs at least
    // as much.
    assert_eq!(row("oracle")[7], "1.0");
    assert_eq!(row("optimal")[8], "1.0");
    for r in &rows {
        let p99: f64 = r[13].parse().unwrap();
        assert!(p99 > 0.0 && p99 < 60.0, "{r:?}");
    }
    let in_time: f64 = row("optimal")[10].parse().unwrap();
    assert!((89.5..=90.5).contains(&in_time), "{in_time}");
    for r in rows
        .iter()
        .filter(|r| r[16].parse::<f64>().unwrap() >= 90.0)
    {
        let x: f64 = r[8].parse().unwrap();
        assert!(x >= 1.0, "{r:?} met the SLO cheaper than the floor");
    }
    // The same forecasts under the threshold rule (90 % of minutes without a
    // violation): the oracle never violates, the optimum spares at most the 10 % of
    // minutes the SLO allows, and is the floor (every row that met the SLO costs at
    // least as much).
    prescale()
        .args(["simulate", "--serving", "threshold", "--test-days", "1"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--reports-dir")
        .arg(dir.path().join("threshold"))
        .assert()
        .success();
    let threshold =
        self::rows(&fs::read_to_string(dir.path().join("threshold/metrics_summary.csv")).unwrap());
    let row = |p: &str| threshold.iter().find(|r| r[1] == p).unwrap().clone();
    assert_eq!(row("oracle")[2], "0");
    let spared: u32 = row("optimal")[2].parse().unwrap();
    assert!(spared > 0 && spared <= 144, "{spared}");
    assert_eq!(row("optimal")[8], "1.0");
    for r in threshold
        .iter()
        .filter(|r| r[16].parse::<f64>().unwrap() >= 90.0)
    {
        let x: f64 = r[8].parse().unwrap();
        assert!(x >= 1.0, "{r:?} is cheaper than the floor");
    }
    // No latencies under the threshold rule.
    assert!(threshold.iter().all(|r| r[13].is_empty()), "{threshold:?}");
    // The Markdown summary: the table and a link to every plot.
    let md = fs::read_to_string(dir.path().join("reports/summary.md")).unwrap();
    assert!(md.contains("| front | model | policy |"), "{md}");
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| ")).count(),
        rows.len() + 2
    );
    for png in ["pareto.png", "timeline.png", "lstm_forecast.png"] {
        assert!(md.contains(&format!("]({png})")), "{md}");
    }
    // The timeline has one row per test minute plus the header.
    let tl = fs::read_to_string(dir.path().join("reports/timelines/none_oracle.csv")).unwrap();
    assert_eq!(tl.lines().count(), 1441);
    let forecasts = fs::read_to_string(dir.path().join("reports/forecasts.csv")).unwrap();
    assert!(forecasts.starts_with(
        "timestamp,actual,in_event,seasonal-naive_forecast,seasonal-naive_lower,seasonal-naive_upper,\
         prophet_forecast,prophet_lower,prophet_upper,lstm_forecast,lstm_lower,lstm_upper\n"
    ));
}

#[test]
fn same_seed_gives_byte_identical_csvs() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    short_run_all(a.path()).success();
    short_run_all(b.path()).success();
    for f in [
        "data/workload.csv",
        "data/forecasts/seasonal-naive.csv",
        "reports/metrics_summary.csv",
        "reports/forecasts.csv",
        "reports/forecast_metrics.csv",
        "data/models/lstm.safetensors",
    ] {
        assert_eq!(
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn other_seed_gives_another_trace() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for (dir, seed) in [(&a, "1"), (&b, "2")] {
        prescale()
            .args(["generate", "--days", "1", "--seed", seed, "--data-dir"])
            .arg(dir.path())
            .assert()
            .success();
    }
    assert_ne!(
        fs::read(a.path().join("workload.csv")).unwrap(),
        fs::read(b.path().join("workload.csv")).unwrap()
    );
}

#[test]
fn train_then_simulate_in_separate_processes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let reports = dir.path().join("reports");
    generate(&data, "3");
    train(&data, "seasonal-naive");
    prescale()
        .args([
            "simulate",
            "--policy",
            "buffered,oracle",
            "--model",
            "seasonal-naive",
            "--test-days",
            "1",
            "--data-dir",
        ])
        .arg(&data)
        .arg("--reports-dir")
        .arg(&reports)
        .assert()
        .success();
    let summary = fs::read_to_string(reports.join("metrics_summary.csv")).unwrap();
    let policies: Vec<String> = rows(&summary)
        .into_iter()
        .map(|r| format!("{}/{}", r[0], r[1]))
        .collect();
    assert_eq!(policies, vec!["none/oracle", "seasonal-naive/buffered"]);
    // `report` prints the same rows from the file.
    report(&reports).stdout(predicate::str::contains("seasonal-naive  buffered"));
    // Another startup delay needs another training.
    prescale()
        .args([
            "simulate",
            "--model",
            "seasonal-naive",
            "--startup-delay",
            "5",
            "--test-days",
            "1",
            "--data-dir",
        ])
        .arg(&data)
        .arg("--reports-dir")
        .arg(&reports)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("trained for a 2 min startup delay")
                .and(predicate::str::contains("prescale train")),
        );
}

#[test]
fn a_minute_trace_at_a_tick_of_a_minute_is_todays_run_and_finer_ticks_spread_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    generate(&data, "3");
    train(&data, "seasonal-naive");
    let simulate = |name: &str, extra: &[&str]| {
        prescale()
            .args(["simulate", "--model", "seasonal-naive", "--test-days", "1"])
            .args(["--policy", "reactive-hpa,knative-kpa,keda,buffered,optimal"])
            .args(extra)
            .arg("--data-dir")
            .arg(&data)
            .arg("--reports-dir")
            .arg(dir.path().join(name))
            .assert()
            .success();
        dir.path().join(name)
    };
    let today = simulate("today", &[]);
    let minute = simulate("minute", &["--tick", "60s"]);
    // Every report byte for byte; the settings the run records say the tick was given.
    let (mut a, mut b) = (snapshot(&today), snapshot(&minute));
    let (sa, sb) = (
        a.remove("settings.toml").unwrap(),
        b.remove("settings.toml").unwrap(),
    );
    assert_eq!(a, b, "--tick 60s on a trace of minutes");
    let (sa, sb) = (
        String::from_utf8(sa).unwrap(),
        String::from_utf8(sb).unwrap(),
    );
    assert_eq!(sa.replace("tick = \"0s\"", "tick = \"1m\""), sb);
    // At 15 s: four ticks a minute, each a quarter of its minute's requests.
    let fine = simulate("fine", &["--tick", "15s"]);
    let timeline = |d: &Path| {
        let text = fs::read_to_string(d.join("timelines/none_reactive-hpa.csv")).unwrap();
        let header: Vec<String> = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect();
        let col = header.iter().position(|h| h == "demand").unwrap();
        rows(&text)
            .into_iter()
            .map(|r| r[col].parse::<f64>().unwrap())
            .collect::<Vec<f64>>()
    };
    let (coarse, ticks) = (timeline(&today), timeline(&fine));
    assert_eq!(ticks.len(), 4 * coarse.len());
    for (m, &d) in coarse.iter().enumerate() {
        for q in &ticks[4 * m..4 * m + 4] {
            assert!(
                (q - d / 4.0).abs() < 1e-9,
                "minute {m}: {q} against {d} / 4"
            );
        }
    }
    // A tick that does not divide the step is refused in one line.
    prescale()
        .args(["simulate", "--model", "seasonal-naive", "--test-days", "1"])
        .args(["--tick", "45s", "--data-dir"])
        .arg(&data)
        .arg("--reports-dir")
        .arg(dir.path().join("bad"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--tick 45 s: it must divide the trace's step of 1 min",
        ));
}

#[test]
fn simulate_before_train_says_to_train() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "3");
    prescale()
        .args([
            "simulate",
            "--model",
            "seasonal-naive",
            "--test-days",
            "1",
            "--data-dir",
        ])
        .arg(dir.path())
        .arg("--reports-dir")
        .arg(dir.path().join("reports"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "run `prescale train --model seasonal-naive` first",
        ));
    assert!(!dir.path().join("reports").exists());
}

#[test]
fn run_all_on_a_real_five_minute_trace_with_gaps() {
    let dir = tempfile::tempdir().unwrap();
    prescale()
        .args([
            "run-all",
            "--trace",
            "tests/data/elb_request_count_8c0756.csv",
        ])
        .args(FAST_LSTM)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--reports-dir")
        .arg(dir.path().join("reports"))
        .assert()
        .success()
        .stderr(
            // Its busiest test step holds a few hundred requests in 5 minutes: under 5
            // containers of 250 per step.
            predicate::str::contains("8 missing steps filled").and(predicate::str::contains(
                "containers at --capacity 50 (fewer than 5",
            )),
        );
    // 3 test days at 5-minute steps: 864 steps; static-2 costs 2 × 4,320 minutes.
    let summary = fs::read_to_string(dir.path().join("reports/metrics_summary.csv")).unwrap();
    let r = rows(&summary);
    let s2 = r.iter().find(|r| r[1] == "static-2").unwrap();
    assert_eq!(s2[5], "8640");
}

#[test]
fn bad_cluster_flags_fail_cleanly() {
    prescale()
        .args(["simulate", "--capacity", "0"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "Error: `capacity` = 0: must be a positive number",
        ));
    prescale()
        .args(["simulate", "--min-replicas", "9", "--max-replicas", "3"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "`min-replicas` = 9: must be at most `max-replicas` (3)",
        ));
}

#[test]
fn unknown_policy_is_a_usage_error_with_a_suggestion() {
    prescale()
        .args(["simulate", "--policy", "bufered"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("buffered"));
}

#[test]
fn help_shows_units_and_defaults() {
    prescale()
        .args(["simulate", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Requests one container serves per minute")
                .and(predicate::str::contains("[default: 50]"))
                .and(predicate::str::contains("[default: 2m]"))
                .and(predicate::str::contains("[default: 0.15]")),
        );
}

#[test]
fn lstm_forecasts_are_checked_like_every_other_models() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let reports = dir.path().join("reports");
    generate(&data, "3");
    prescale()
        .args(["train", "--model", "lstm", "--test-days", "1"])
        .args(FAST_LSTM)
        .arg("--data-dir")
        .arg(&data)
        .assert()
        .success()
        .stderr(predicate::str::contains("epoch 1/1: train MSE"));
    // The model's files landed as one set beside its forecasts.
    for f in [
        "models/lstm.safetensors",
        "models/lstm.json",
        "forecasts/lstm.csv",
        "forecasts/lstm.json",
    ] {
        assert!(data.join(f).is_file(), "missing {f}");
    }
    let simulate = |extra: &[&str]| {
        let mut cmd = prescale();
        cmd.args([
            "simulate",
            "--model",
            "lstm",
            "--test-days",
            "1",
            "--data-dir",
        ])
        .arg(&data)
        .arg("--reports-dir")
        .arg(&reports)
        .args(extra);
        cmd.assert()
    };
    simulate(&["--policy", "confidence-aware"])
        .success()
        .stdout(predicate::str::contains("lstm"));
    // Another trace of the same length and start: refused, saying that its counts differ
    // (before, the saved weights predicted it with the first trace's normalization).
    let other = dir.path().join("other");
    prescale()
        .args(["generate", "--days", "3", "--seed", "7", "--data-dir"])
        .arg(&other)
        .assert()
        .success();
    simulate(&["--trace", other.join("workload.csv").to_str().unwrap()])
        .code(1)
        .stderr(
            predicate::str::contains("request counts differ")
                .and(predicate::str::contains("prescale train --model lstm")),
        );
    // Another startup delay needs another training.
    simulate(&["--startup-delay", "4"])
        .code(1)
        .stderr(predicate::str::contains(
            "trained for a 2 min startup delay, this run uses 4 min",
        ));
    // Without its forecast file the model is not silently re-run: simulate says to train.
    fs::remove_file(data.join("forecasts/lstm.csv")).unwrap();
    simulate(&[]).code(1).stderr(predicate::str::contains(
        "run `prescale train --model lstm` first",
    ));
}

#[test]
fn import_reports_what_it_read_and_writes_a_trace_every_command_reads() {
    let dir = tempfile::tempdir().unwrap();
    let log = format!("{}/tests/data/access_log.gz", env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("data/workload.csv");
    let assert = prescale()
        .args(["import", &log, "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.starts_with("format: access-log (detected)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("1 malformed line skipped"), "{stdout}");
    // The per-minute counts of scripts/import_fixtures.py.
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "timestamp,requests\n1995-07-01T04:00:00Z,19\n1995-07-01T04:01:00Z,15\n1995-07-01T04:02:00Z,6\n"
    );
}

/// The flags of the small backtest the CLI tests run: a 4-day synthetic trace, 2 folds
/// of half a day after half a day of validation, seasonal-naive, two families.
const SMALL_BACKTEST: [&str; 15] = [
    "backtest",
    "--days",
    "4",
    "--folds",
    "2",
    "--test-days",
    "0.5",
    "--validation-days",
    "0.5",
    "--model",
    "seasonal-naive",
    "--policy",
    "reactive-hpa,buffered",
    "--slo",
    "85",
];

#[test]
fn backtest_shards_merge_to_the_unsharded_bytes() {
    let whole = tempfile::tempdir().unwrap();
    prescale()
        .args(SMALL_BACKTEST)
        .arg("--reports-dir")
        .arg(whole.path())
        .assert()
        .success();
    let parts = tempfile::tempdir().unwrap();
    for shard in ["2/2", "1/2"] {
        prescale()
            .args(SMALL_BACKTEST)
            .args(["--shard", shard, "--reports-dir"])
            .arg(parts.path())
            .assert()
            .success();
    }
    assert!(!parts.path().join("backtest.csv").exists());
    prescale().arg("merge").arg(parts.path()).assert().success();
    for f in ["backtest.csv", "recommendation.md"] {
        assert_eq!(
            fs::read(whole.path().join(f)).unwrap(),
            fs::read(parts.path().join(f)).unwrap(),
            "{f}"
        );
    }
    // A part missing: the merge names the fold and writes nothing.
    let half = tempfile::tempdir().unwrap();
    prescale()
        .args(SMALL_BACKTEST)
        .args(["--shard", "1/2", "--reports-dir"])
        .arg(half.path())
        .assert()
        .success();
    let out = prescale().arg("merge").arg(half.path()).assert().code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with(
            "Error: 1 of 2 folds are in no part, fold 2 first: backtest.part-2-of-2 is missing or unfinished"
        ),
        "{stderr}"
    );
    assert!(!half.path().join("backtest.csv").exists());
}

#[test]
fn backtest_writes_one_row_per_fold_family_and_knob_and_is_deterministic() {
    let run = |dir: &Path| {
        prescale()
            .args(SMALL_BACKTEST)
            .arg("--reports-dir")
            .arg(dir)
            .assert()
            .success()
            .stdout(predicate::str::contains("# Recommended at SLO 85 %"));
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(a.path());
    run(b.path());
    for f in ["backtest.csv", "recommendation.md"] {
        assert_eq!(
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
    let csv = fs::read_to_string(a.path().join("backtest.csv")).unwrap();
    assert!(csv.starts_with("fold,validation_start,test_start,test_end,model,policy,knob,knob_value,validation_slo_pct,validation_cost_vs_optimal,validation_container_minutes,validation_days_pct,test_slo_pct,test_cost_vs_optimal,test_container_minutes,test_days_pct,interval_coverage_trained,interval_coverage,tuned_value,aim_pct,chosen,recommended\n"), "{csv}");
    let rows = named_rows(&a.path().join("backtest.csv"));
    // 2 folds × (reactive-hpa's 7 hpa-target trials + buffered's 7 buffer trials).
    assert_eq!(rows.len(), 2 * (7 + 7));
    for fold in ["1", "2"] {
        for policy in ["reactive-hpa", "buffered"] {
            let chosen = rows
                .iter()
                .filter(|r| r["fold"] == fold && r["policy"] == policy && r["chosen"] == "1")
                .count();
            assert_eq!(chosen, 1, "fold {fold}, {policy}");
        }
        let recommended: Vec<_> = rows
            .iter()
            .filter(|r| r["fold"] == fold && r["recommended"] == "1")
            .collect();
        assert_eq!(recommended.len(), 1, "fold {fold}");
        assert_eq!(recommended[0]["chosen"], "1");
    }
    // Fold 2's validation window is fold 1's test window.
    let first = rows.iter().find(|r| r["fold"] == "1").unwrap();
    let second = rows.iter().find(|r| r["fold"] == "2").unwrap();
    assert_eq!(second["validation_start"], first["test_start"]);
    assert_eq!(second["test_start"], first["test_end"]);
}

#[test]
fn a_fleet_backtest_is_each_traces_own_backtest_and_its_shards_merge_to_its_bytes() {
    // Three traces in one grid (two synthetic, one at its own capacity, and a real one),
    // Prophet refitting every 5 hours (so test windows end inside its blocks) and a
    // policy that reads its interval: each trace's backtest.csv and recommendation.md
    // must be the bytes of that trace's backtest run alone with the same flags;
    // fleet.csv must say what those files say; and 4 shards (two of them splitting a
    // trace's folds) merged must give every file the unsharded run wrote.
    let tmp = tempfile::tempdir().unwrap();
    let nyc = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nyc_taxi.csv");
    let grid = tmp.path().join("fleet.toml");
    fs::write(
        &grid,
        format!(
            "model = [\"seasonal-naive\", \"prophet\"]\nrefit-every = \"5h\"\npolicy = [\"reactive-hpa\", \"buffered\", \"confidence-aware\", \"slo-targeted\"]\nslo = 85\ntest-days = 0.5\nvalidation-days = 0.5\n\n[[trace]]\nname = \"four\"\ndays = 4\n\n[[trace]]\nname = \"big\"\ndays = 4\ncapacity = [80]\n\n[[trace]]\nfile = {:?}\n",
            nyc.display().to_string()
        ),
    )
    .unwrap();
    let whole = tmp.path().join("whole");
    let fleet = |out: &Path, extra: &[&str]| {
        prescale()
            .args(["backtest", "--folds", "2", "--grid"])
            .arg(&grid)
            .args(extra)
            .arg("--reports-dir")
            .arg(out)
            .assert()
            .success();
    };
    fleet(&whole, &[]);
    let alone: [(&str, Vec<String>); 3] = [
        ("four", vec!["--days".into(), "4".into()]),
        (
            "big",
            vec![
                "--days".into(),
                "4".into(),
                "--capacity".into(),
                "80".into(),
            ],
        ),
        (
            "nyc_taxi",
            vec!["--trace".into(), nyc.display().to_string()],
        ),
    ];
    let fleet_rows = named_rows(&whole.join("fleet.csv"));
    assert_eq!(fleet_rows.len(), 3);
    // Traces where a single configuration met the SLO on both folds, and their
    // (regret, fixed_regret).
    let mut compared = 0;
    let mut both: Vec<(f64, f64)> = Vec::new();
    for ((name, flags), line) in alone.iter().zip(&fleet_rows) {
        let own = tmp.path().join(format!("alone-{name}"));
        prescale()
            .args(["backtest", "--folds", "2", "--test-days", "0.5"])
            .args([
                "--validation-days",
                "0.5",
                "--model",
                "seasonal-naive,prophet",
            ])
            .args(["--refit-every", "5h"])
            .args([
                "--policy",
                "reactive-hpa,buffered,confidence-aware,slo-targeted",
                "--slo",
                "85",
            ])
            .args(flags)
            .arg("--reports-dir")
            .arg(&own)
            .assert()
            .success();
        for f in ["backtest.csv", "recommendation.md"] {
            assert_eq!(
                fs::read_to_string(whole.join(name).join(f)).unwrap(),
                fs::read_to_string(own.join(f)).unwrap(),
                "{name}/{f}"
            );
        }
        // fleet.csv's line, from the trace's own backtest.csv.
        let rows = named_rows(&own.join("backtest.csv"));
        let picks: Vec<_> = rows.iter().filter(|r| r["recommended"] == "1").collect();
        assert_eq!(picks.len(), 2, "{name}");
        assert_eq!(line["trace"], *name);
        assert_eq!(line["model"], picks[0]["model"]);
        assert_eq!(line["policy"], picks[0]["policy"]);
        assert_eq!(line["folds"], "2");
        let held = picks
            .iter()
            .filter(|r| r["test_slo_pct"].parse::<f64>().unwrap() >= 85.0)
            .count();
        assert_eq!(line["folds_held"], held.to_string(), "{name}");
        let cost: f64 = picks
            .iter()
            .map(|r| r["test_cost_vs_optimal"].parse::<f64>().unwrap())
            .sum::<f64>()
            / 2.0;
        let stated: f64 = line["test_cost_vs_optimal"].parse().unwrap();
        assert!((stated - cost).abs() < 1e-6, "{name}: {stated} vs {cost}");
        // fixed_regret, recomputed here: of the configurations (model, policy, knob
        // value) that met 85 % on both folds, the least total test cost, against the
        // picks' total.
        let minutes = |r: &std::collections::BTreeMap<String, String>| {
            r["test_container_minutes"].parse::<f64>().unwrap()
        };
        // (model, policy, knob value) → (test cost, folds met, folds).
        let mut totals: std::collections::BTreeMap<(&str, &str, &str), (f64, usize, usize)> =
            Default::default();
        for r in &rows {
            let key = (
                r["model"].as_str(),
                r["policy"].as_str(),
                r["knob_value"].as_str(),
            );
            let e = totals.entry(key).or_insert((0.0, 0, 0));
            e.0 += minutes(r);
            e.1 += usize::from(r["test_slo_pct"].parse::<f64>().unwrap() >= 85.0);
            e.2 += 1;
        }
        let best = totals
            .values()
            .filter(|(_, met, n)| (*met, *n) == (2, 2))
            .map(|(c, _, _)| *c)
            .fold(f64::INFINITY, f64::min);
        let ours: f64 = picks.iter().map(|r| minutes(r)).sum();
        let md = fs::read_to_string(own.join("recommendation.md")).unwrap();
        match line["fixed_regret"].as_str() {
            "" => {
                assert!(best.is_infinite(), "{name}");
                assert!(
                    md.contains("chosen in hindsight: none met the SLO on all 2 test windows.\n"),
                    "{md}"
                );
            }
            v => {
                compared += 1;
                let v: f64 = v.parse().unwrap();
                assert!(
                    (v - ours / best).abs() < 1e-6,
                    "{name}: {v} vs {}",
                    ours / best
                );
                assert!(
                    md.contains(&format!("the recommendation {:.3}× that.\n", ours / best)),
                    "{md}"
                );
                both.push((line["regret"].parse::<f64>().unwrap(), v));
            }
        }
    }
    assert!(
        compared > 0,
        "no trace had a configuration that met every fold"
    );
    let md = fs::read_to_string(whole.join("fleet.md")).unwrap();
    let n = both.len() as f64;
    let (a, b) = (
        both.iter().map(|x| x.0).sum::<f64>() / n,
        both.iter().map(|x| x.1).sum::<f64>() / n,
    );
    assert!(
        md.contains(&format!(
            "on average: a regret of {a:.3}× (each fold's pick"
        )) && md.contains(&format!(" and {b:.3}× that one configuration's mean cost")),
        "{md}"
    );
    assert!(
        md.starts_with("# A fleet of 3 traces, each recommended at SLO 85 %"),
        "{md}"
    );
    // Four shards of the 6 units (2, 2, 1, 1: the last trace's folds apart), merged.
    let parts = tmp.path().join("parts");
    for shard in ["3/4", "1/4", "4/4", "2/4"] {
        fleet(&parts, &["--shard", shard]);
    }
    assert!(!parts.join("fleet.csv").exists());
    prescale().arg("merge").arg(&parts).assert().success();
    for f in [
        "fleet.csv",
        "fleet.md",
        "four/backtest.csv",
        "four/recommendation.md",
        "big/backtest.csv",
        "big/recommendation.md",
        "nyc_taxi/backtest.csv",
        "nyc_taxi/recommendation.md",
    ] {
        assert_eq!(
            fs::read(whole.join(f)).unwrap(),
            fs::read(parts.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn backtest_refuses_what_it_cannot_run_in_one_line() {
    for (args, message) in [
        (
            vec!["--folds", "0"],
            "Error: `folds` = 0: must be a whole number, at least 1",
        ),
        (
            vec!["--days", "4", "--folds", "4"],
            "Error: 4 folds of 1440 test steps, each after 10080 validation steps, need",
        ),
        (
            vec!["--startup-delay", "1,2"],
            "Error: a backtest runs at one `startup-delay`; 2 were given",
        ),
        (
            vec!["--slo", "99,99.9"],
            "Error: a backtest judges one SLO; 2 were given",
        ),
    ] {
        let out = prescale()
            .arg("backtest")
            .args(&args)
            .args(["--model", "seasonal-naive"])
            .assert()
            .code(1);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
    }
}

#[test]
fn run_alls_recommendation_is_a_one_fold_backtests_and_reads_no_test_data() {
    // run-all chooses on the validation window before its test period: exactly what a
    // backtest of one fold whose test window is that test period chooses, by the
    // backtest's own code (its own fits, trials and records). 4 days, 1-day test,
    // seasonal-naive and the model-free families.
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "--days",
        "4",
        "--test-days",
        "1",
        "--model",
        "seasonal-naive",
        "--policy",
        "reactive-hpa,buffered,predictive-hpa,slo-targeted,static-2,optimal",
    ];
    prescale()
        .arg("run-all")
        .args(common)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--reports-dir")
        .arg(dir.path().join("reports"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Recommended at SLO 90 % of requests within 3 s: ",
        ));
    prescale()
        .arg("backtest")
        .args(common)
        .args(["--folds", "1", "--reports-dir"])
        .arg(dir.path().join("backtest"))
        .assert()
        .success();
    let recommended = named_rows(&dir.path().join("reports/recommended.csv"));
    let backtest = named_rows(&dir.path().join("backtest/backtest.csv"));
    // The same columns of both files (recommended.csv's name, then backtest.csv's).
    let same = [
        ("model", "model"),
        ("policy", "policy"),
        ("knob_value", "knob_value"),
        ("tuned_value", "tuned_value"),
        ("aim_pct", "aim_pct"),
        ("validation_slo_pct", "validation_slo_pct"),
        ("test_slo_pct", "test_slo_pct"),
        ("test_container_minutes", "test_container_minutes"),
    ];
    let pick = backtest.iter().find(|r| r["recommended"] == "1").unwrap();
    let ours = &recommended[0];
    assert_eq!(ours["role"], "recommended");
    for (a, b) in same {
        assert_eq!(ours[a], pick[b], "{a}: {recommended:?}\n{pick:?}");
    }
    // Reactive-hpa's own pick: the backtest's chosen reactive-hpa row.
    let theirs = backtest
        .iter()
        .find(|r| r["policy"] == "reactive-hpa" && r["chosen"] == "1")
        .unwrap();
    let ours = recommended
        .iter()
        .find(|r| r["role"] == "reactive-hpa")
        .unwrap();
    assert_eq!(
        [&ours["knob_value"], &ours["test_container_minutes"]],
        [&theirs["knob_value"], &theirs["test_container_minutes"]]
    );
    // Tripled demand in the test period: the same choice, other test figures.
    let data = fs::read_to_string(dir.path().join("data/workload.csv")).unwrap();
    let lines: Vec<&str> = data.lines().collect();
    let test_from = lines.len() - 1440;
    let poisoned: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(k, l)| {
            if k < test_from {
                return l.to_string();
            }
            let (ts, rest) = l.split_once(',').unwrap();
            let (n, tail) = rest.split_once(',').map_or((rest, ""), |(a, b)| (a, b));
            let n: f64 = n.parse().unwrap();
            if tail.is_empty() {
                format!("{ts},{}", 3.0 * n)
            } else {
                format!("{ts},{},{tail}", 3.0 * n)
            }
        })
        .collect();
    let trace = dir.path().join("poisoned.csv");
    fs::write(&trace, poisoned.join("\n") + "\n").unwrap();
    prescale()
        .args(["run-all", "--trace"])
        .arg(&trace)
        .args(&common[2..])
        .arg("--data-dir")
        .arg(dir.path().join("data3"))
        .arg("--reports-dir")
        .arg(dir.path().join("reports3"))
        .assert()
        .success();
    let again = named_rows(&dir.path().join("reports3/recommended.csv"));
    for (a, b) in recommended.iter().zip(&again) {
        // Every column before the test period's figures is the choice.
        let choice = |r: &std::collections::BTreeMap<String, String>| {
            r.iter()
                .filter(|(k, _)| !k.starts_with("test_"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(choice(a), choice(b), "the choice moved");
        assert_ne!(
            a["test_slo_pct"], b["test_slo_pct"],
            "the test figures did not"
        );
    }
}
