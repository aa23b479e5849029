//! A new user's first hour: the README's commands run in order in one folder, with no
//! trap between them (an imported trace kept across run-all, a stale split named by the
//! flag that fixes it, report printing what simulate printed).

use std::fs;
use std::path::Path;

mod common;
use common::prescale;

/// `prescale ARGS` run in `dir` (where `data/` and `reports/` are the defaults).
fn in_dir(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    prescale().current_dir(dir).args(args).assert()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stderr.clone()).unwrap()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn the_readme_commands_in_order_leave_no_trap() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fast = ["--epochs", "1", "--hidden", "8"];
    // run-all --quick, then the README's simulate: the forecasts were made for a 2-day
    // test period, the default is 3: the error names the flag that fixes it.
    let quick: Vec<&str> = ["run-all", "--quick"]
        .iter()
        .chain(&fast)
        .copied()
        .collect();
    in_dir(dir, &quick).success();
    let simulate = [
        "simulate",
        "--policy",
        "buffered",
        "--model",
        "seasonal-naive",
    ];
    let refused = in_dir(dir, &simulate).code(1);
    let err = stderr(&refused);
    assert!(err.contains("pass --test-days 2 to use them"), "{err}");
    assert!(err.lines().count() == 1 && err.len() < 300, "{err}");
    let with: Vec<&str> = simulate
        .iter()
        .chain(&["--test-days", "2"])
        .copied()
        .collect();
    let ran = in_dir(dir, &with).success();
    assert!(stdout(&ran).contains("Recommended at SLO 90 %"));
    // Forecasts of this trace against another trace: one reason, one short line.
    let nab = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nyc_taxi.csv");
    let other = [
        "simulate",
        "--model",
        "lstm",
        "--policy",
        "buffered",
        "--trace",
        nab.to_str().unwrap(),
    ];
    let err = stderr(&in_dir(dir, &other).code(1));
    assert!(
        err.contains(
            "it was made from another trace (7200 steps of 1 min; this run's has 10320 of 30 min)"
        ),
        "{err}"
    );
    assert!(err.lines().count() == 1 && err.len() < 300, "{err}");
    // The folder describes that one run: its one timeline (and the recommendation's),
    // its model's figures, no earlier run's beside them.
    let mut timelines: Vec<String> = fs::read_dir(dir.join("reports/timelines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    timelines.sort();
    assert_eq!(
        timelines,
        ["recommended.csv", "seasonal-naive_buffered.csv"]
    );
    let pngs: Vec<String> = fs::read_dir(dir.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    assert!(
        pngs.iter()
            .all(|n| !n.starts_with("lstm") && !n.starts_with("prophet")),
        "{pngs:?}"
    );
    assert!(
        pngs.contains(&"seasonal-naive_forecast.png".to_string()),
        "{pngs:?}"
    );
    // report prints the table and the recommendation, as simulate did.
    let redrawn = in_dir(dir, &["report"]).success();
    assert_eq!(stdout(&redrawn), stdout(&ran));
}

#[test]
fn an_imported_trace_is_kept_across_run_all() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let nab = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/elb_request_count_8c0756.csv");
    in_dir(dir, &["import", nab.to_str().unwrap()]).success();
    let imported = fs::read(dir.join("data/workload.csv")).unwrap();
    let run = in_dir(
        dir,
        &[
            "run-all",
            "--quick",
            "--model",
            "seasonal-naive",
            "--policy",
            "buffered,reactive-hpa",
            "--test-days",
            "2",
            "--capacity",
            "20",
        ],
    )
    .success();
    let err = stderr(&run);
    assert!(
        err.contains("holds a trace that was imported, not generated: using it"),
        "{err}"
    );
    assert!(!err.contains("generate:"), "{err}");
    assert_eq!(fs::read(dir.join("data/workload.csv")).unwrap(), imported);
    // The run replayed the imported trace: its forecasts' sidecar names its 5-minute step.
    let sidecar = fs::read_to_string(dir.join("data/forecasts/seasonal-naive.json")).unwrap();
    assert!(sidecar.contains("\"step_seconds\": 300"), "{sidecar}");
    // A generated workload is regenerated as before (the generator writes in_event).
    let gen = tempfile::tempdir().unwrap();
    in_dir(gen.path(), &["generate", "--days", "3"]).success();
    let again = in_dir(
        gen.path(),
        &[
            "run-all",
            "--quick",
            "--model",
            "seasonal-naive",
            "--policy",
            "buffered",
        ],
    )
    .success();
    assert!(stderr(&again).contains("generate:"));
}
