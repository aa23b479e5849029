//! `sweep` and `merge` end to end on a small grid: shards merged equal the unsharded
//! sweep byte for byte, merge refuses missing, duplicated and foreign parts by name and a
//! tampered part (cut, edited, a row twice, no manifest) in one line, a unit's models are
//! trained once whatever the knob values, a finished unit is skipped on rerun, a sweep
//! killed with SIGKILL at seeded moments resumes to the uninterrupted bytes, and bad
//! grids fail in one line with nothing written. Also the Kubernetes manifest's structure.

use std::fs;
use std::path::Path;

mod common;
use common::{named_rows, prescale};
use predicates::prelude::*;

/// A 3-day synthetic trace, 1-day test, 3 delays (3 units), one fast model and 2–3
/// values per knob.
const GRID: [&str; 18] = [
    "--days",
    "3",
    "--test-days",
    "1",
    "--startup-delay",
    "1,2,3",
    "--model",
    "seasonal-naive",
    "--policy",
    "buffered,reactive-hpa,confidence-aware,optimal",
    "--buffer",
    "0,0.1,0.3",
    "--hpa-target",
    "0.6,0.8",
    "--interval-width",
    "0.5,0.9",
    "--slo-levels",
    "99,99.9",
];

fn sweep(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    prescale()
        .arg("sweep")
        .args(GRID)
        .arg("--reports-dir")
        .arg(dir)
        .args(extra)
        .assert()
}

fn merge(dir: &Path) -> assert_cmd::assert::Assert {
    prescale().arg("merge").arg(dir).assert()
}

#[test]
fn three_shards_merged_equal_the_unsharded_sweep_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, parts) = (tmp.path().join("whole"), tmp.path().join("parts"));
    // 3 units × 1 model: 3 fits, however many knob values (3 + 2 + 2 + 1 per unit).
    sweep(&whole, &[])
        .success()
        .stderr(predicate::str::contains(
            "3 units (0 finished before), 3 model fits, 24 simulations",
        ));
    for i in 1..=3 {
        sweep(&parts, &["--shard", &format!("{i}/3")])
            .success()
            .stderr(predicate::str::contains(format!(
                "shard {i}/3: 1 unit (0 finished before), 1 model fit,"
            )));
    }
    merge(&parts).success();
    for f in ["sweep.csv", "slo_table.csv", "frontier_synthetic.png"] {
        assert_eq!(
            fs::read(whole.join(f)).unwrap(),
            fs::read(parts.join(f)).unwrap(),
            "{f} differs"
        );
    }
    // One row per (unit, model-or-none, policy, knob value): 3 units × 8.
    let csv = fs::read_to_string(whole.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 8);
    assert!(
        csv.starts_with("trace,startup_delay_min,capacity_per_min,seed,model,policy,knob,value,")
    );
    // Every zero-violation row costs at least the optimum (column 15, cost_vs_optimal).
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        if c[8] == "0" {
            assert!(c[14].parse::<f64>().unwrap() >= 1.0, "{line}");
        }
    }
    // A rerun finds every unit done and trains nothing.
    sweep(&whole, &[])
        .success()
        .stderr(predicate::str::contains(
            "3 units (3 finished before), 3 model fits, 24 simulations",
        ));
}

/// A sweep of `common` at the SLO levels `levels` into `dir`; what it printed.
fn sweep_at(common: &[&str], levels: &str, dir: &Path) -> String {
    let out = prescale()
        .arg("sweep")
        .args(common)
        .args(["--slo-levels", levels, "--reports-dir"])
        .arg(dir)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// A backtest of one fold with `common` and `extra` into `dir`: its backtest.csv's rows.
fn one_fold(
    common: &[&str],
    extra: &[&str],
    dir: &Path,
) -> Vec<std::collections::BTreeMap<String, String>> {
    prescale()
        .arg("backtest")
        .args(common)
        .args(extra)
        .args(["--folds", "1", "--reports-dir"])
        .arg(dir)
        .assert()
        .success();
    named_rows(&dir.join("backtest.csv"))
}

#[test]
fn the_sweeps_recommendation_is_a_one_fold_backtests_choice() {
    // The sweep's recommendation per SLO level is chosen on the validation window
    // before its test period: what a backtest of one fold whose test window is that
    // period chooses with the same knob lists, by the backtest's own code (its own
    // fits, trials, records and ranking). 4 days, 1-day test and validation windows. At
    // 90 and 93 % (a backtest refuses an SLO above the 93.5 % the service alone reaches).
    let tmp = tempfile::tempdir().unwrap();
    let common = [
        "--days",
        "4",
        "--test-days",
        "1",
        "--startup-delay",
        "2",
        "--model",
        "seasonal-naive",
        "--policy",
        "buffered,reactive-hpa,confidence-aware",
        "--buffer",
        "0,0.1,0.3,0.5",
        "--hpa-target",
        "0.5,0.6,0.8",
        "--interval-width",
        "0.5,0.9",
    ];
    let stdout = sweep_at(&common, "90,93", &tmp.path().join("sweep"));
    assert!(
        stdout.contains("recommended per SLO, chosen on the validation window"),
        "{stdout}"
    );
    let slo = named_rows(&tmp.path().join("sweep/slo_table.csv"));
    let close =
        |a: &str, b: &str| (a.parse::<f64>().unwrap() - b.parse::<f64>().unwrap()).abs() < 1e-5;
    for level in ["90", "93"] {
        let dir = tmp.path().join(format!("backtest{level}"));
        let backtest = one_fold(&common, &["--slo", level], &dir);
        let theirs = backtest.iter().find(|r| r["recommended"] == "1").unwrap();
        let ours: Vec<_> = slo
            .iter()
            .filter(|r| r["family"] == "recommended" && close(&r["slo_level"], level))
            .collect();
        assert_eq!(ours.len(), 1, "{level}: {slo:?}");
        let ours = ours[0];
        assert_eq!(ours["chosen_on"], "validation");
        assert_eq!(
            (&ours["model"], &ours["policy"]),
            (&theirs["model"], &theirs["policy"]),
            "{level}"
        );
        assert!(close(&ours["value"], &theirs["knob_value"]), "{level}");
        for (a, b) in [
            ("validation_slo_attained_pct", "validation_slo_pct"),
            (
                "validation_container_minutes",
                "validation_container_minutes",
            ),
            ("slo_attained_pct", "test_slo_pct"),
            ("container_minutes", "test_container_minutes"),
        ] {
            assert!(
                close(&ours[a], &theirs[b]),
                "{level}: {a} {} vs {b} {}",
                ours[a],
                theirs[b]
            );
        }
    }
    // (The optimum the backtest's cost ratios divide by is sized to its --slo, the
    // sweep's to its own 90 %: the ratios agree at 90 only.)
    let at90 = slo
        .iter()
        .find(|r| r["family"] == "recommended" && close(&r["slo_level"], "90"))
        .unwrap();
    let bt90 = named_rows(&tmp.path().join("backtest90/backtest.csv"));
    let theirs = bt90.iter().find(|r| r["recommended"] == "1").unwrap();
    assert!(close(
        &at90["validation_cost_vs_optimal"],
        &theirs["validation_cost_vs_optimal"]
    ));
}

#[test]
fn a_feedback_rows_aim_is_the_one_fold_backtests() {
    // slo-feedback's headroom and aim, tuned on the validation window before the test
    // period: the sweep's row and a one-fold backtest's (its own trials) agree, and only
    // the feedback rows have an aim, from the SLO up.
    let tmp = tempfile::tempdir().unwrap();
    let common = [
        "--days",
        "4",
        "--test-days",
        "1",
        "--model",
        "seasonal-naive",
        "--policy",
        "slo-targeted,slo-feedback",
    ];
    sweep_at(&common, "90", &tmp.path().join("sweep"));
    let backtest = one_fold(&common, &[], &tmp.path().join("backtest"));
    let sweep = named_rows(&tmp.path().join("sweep/sweep.csv"));
    for policy in ["slo-targeted", "slo-feedback"] {
        let ours: Vec<_> = sweep.iter().filter(|r| r["policy"] == policy).collect();
        let theirs: Vec<_> = backtest.iter().filter(|r| r["policy"] == policy).collect();
        assert_eq!((ours.len(), theirs.len()), (1, 1), "{policy}");
        assert_eq!(ours[0]["tuned_value"], theirs[0]["tuned_value"], "{policy}");
        assert_eq!(ours[0]["aim_pct"], theirs[0]["aim_pct"], "{policy}");
        match policy {
            "slo-feedback" => {
                let aim: f64 = ours[0]["aim_pct"].parse().unwrap();
                assert!((90.0..=100.0).contains(&aim), "{aim}");
            }
            _ => assert_eq!(ours[0]["aim_pct"], "", "{policy}"),
        }
    }
}

#[test]
fn merge_names_missing_duplicated_and_foreign_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    for i in [1, 3] {
        sweep(&dir, &["--shard", &format!("{i}/3")]).success();
    }
    merge(&dir).code(1).stderr(predicate::str::contains(
        "1 of 3 units are in no part, synthetic/d2/s42 first: sweep.part-2-of-3 is missing or unfinished",
    ));
    // A 2-way shard of the same grid overlaps the 3-way ones. A sweep refuses to write
    // one beside them; copied in, merge names the overlap.
    sweep(&dir, &["--shard", "1/2"])
        .code(1)
        .stderr(predicate::str::contains(
            "a part of a run in another number of shards than this one's 2",
        ));
    let halves = tmp.path().join("halves");
    sweep(&halves, &["--shard", "1/2"]).success();
    for ext in ["csv", "json"] {
        fs::copy(
            halves.join(format!("sweep.part-1-of-2.{ext}")),
            dir.join(format!("sweep.part-1-of-2.{ext}")),
        )
        .unwrap();
    }
    merge(&dir).code(1).stderr(predicate::str::contains(
        "is in both sweep.part-1-of-2 and sweep.part-1-of-3: duplicate shards",
    ));
    fs::remove_file(dir.join("sweep.part-1-of-2.json")).unwrap();
    fs::remove_file(dir.join("sweep.part-1-of-2.csv")).unwrap();
    // A part from another grid (another seed).
    let other = tmp.path().join("other");
    sweep(&other, &["--shard", "2/3", "--seed", "7"]).success();
    for ext in ["csv", "json"] {
        fs::copy(
            other.join(format!("sweep.part-2-of-3.{ext}")),
            dir.join(format!("sweep.part-2-of-3.{ext}")),
        )
        .unwrap();
    }
    merge(&dir).code(1).stderr(predicate::str::contains(
        "sweep.part-2-of-3 is from another grid",
    ));
    assert!(!dir.join("sweep.csv").exists());
}

/// Copies every file of `from` into a fresh folder `to`.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn merge_refuses_a_tampered_part_in_one_line_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, parts) = (tmp.path().join("whole"), tmp.path().join("parts"));
    sweep(&whole, &[]).success();
    sweep(&parts, &["--shard", "1/2"]).success();
    sweep(&parts, &["--shard", "2/2"]).success();
    let part = "sweep.part-1-of-2.csv";
    let good = fs::read_to_string(parts.join(part)).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    // Part 1 of 2 holds units d1 and d3: 8 rows each.
    assert_eq!(lines.len(), 1 + 16, "{good}");
    let with_lines = |ls: &[&str]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    // Column 12 (index 11) is container_minutes.
    let edit_cost = |f: &dyn Fn(&str) -> String| {
        let mut ls: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let mut c: Vec<String> = ls[5].split(',').map(String::from).collect();
        c[11] = f(&c[11]);
        ls[5] = c.join(",");
        ls.iter().map(|l| format!("{l}\n")).collect::<String>()
    };
    let halved = edit_cost(&|v| (v.parse::<u64>().unwrap() / 2).to_string());
    let not_a_number = edit_cost(&|v| format!("{}x{}", &v[..1], &v[1..]));
    let mut twice = lines.clone();
    twice.push(lines[16]);
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        (
            "cut 300 bytes after the header",
            Some(good[..lines[0].len() + 300].to_string()),
            "part sweep.part-1-of-2: line ",
        ),
        (
            "cut after 5 whole rows",
            Some(with_lines(&lines[..6])),
            "part sweep.part-1-of-2: unit synthetic/d1/s42 has 5 of its 8 rows: the file was cut short",
        ),
        (
            "a row appended twice",
            Some(with_lines(&twice)),
            "part sweep.part-1-of-2: line 18 repeats the run of line 17",
        ),
        (
            "a cost halved",
            Some(halved),
            "part sweep.part-1-of-2: unit synthetic/d1/s42: its 8 rows are not those its manifest recorded",
        ),
        (
            "a value that is no number",
            Some(not_a_number),
            "part sweep.part-1-of-2: line 6: column container_minutes: `",
        ),
        (
            "a row of another unit appended",
            Some(format!("{good}{}\n", lines[3].replace("synthetic,", "other,"))),
            "part sweep.part-1-of-2: 1 rows after those of its last recorded unit synthetic/d3/s42: rows its manifest does not list",
        ),
        (
            "the header's case changed",
            Some(good.replacen("trace", "Trace", 1)),
            "part sweep.part-1-of-2: its columns are not this version's (line 1)",
        ),
        (
            "its manifest gone",
            None,
            "part sweep.part-1-of-2 has no manifest (sweep.part-1-of-2.json)",
        ),
    ];
    for (what, text, message) in cases {
        let dir = tmp.path().join(what.replace(' ', "_"));
        copy_dir(&parts, &dir);
        match text {
            Some(t) => fs::write(dir.join(part), t).unwrap(),
            None => fs::remove_file(dir.join("sweep.part-1-of-2.json")).unwrap(),
        }
        let out = merge(&dir).code(1);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(
            stderr.starts_with(&format!("Error: {message}")),
            "{what}: {stderr}"
        );
        assert!(stderr.len() < 300, "{what}: {} characters", stderr.len());
        assert!(!dir.join("sweep.csv").exists(), "{what}: merged anyway");
        eprintln!("{what}: {}", stderr.trim_end());
    }
    // The untouched parts still merge to the unsharded sweep's bytes.
    merge(&parts).success();
    for f in ["sweep.csv", "slo_table.csv"] {
        assert_eq!(
            fs::read(whole.join(f)).unwrap(),
            fs::read(parts.join(f)).unwrap(),
            "{f}"
        );
    }
}

/// Units the manifest of an unsharded sweep in `dir` records as done (0 while it has none).
fn units_done(dir: &Path) -> usize {
    fs::read(dir.join("sweep.part-1-of-1.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|m| m["units"].as_array().map(Vec::len))
        .unwrap_or(0)
}

#[test]
fn a_sweep_killed_at_any_moment_resumes_to_the_uninterrupted_bytes() {
    use rand::{Rng, SeedableRng};
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    let started = std::time::Instant::now();
    sweep(&whole, &[]).success();
    // A unit's share of the run: the 3 units and the process around them.
    let unit = started.elapsed() / 3;
    let want: Vec<Vec<u8>> = ["sweep.csv", "slo_table.csv"]
        .iter()
        .map(|f| fs::read(whole.join(f)).unwrap())
        .collect();
    // Each kill lands after a seeded number of finished units (0, 1 or 2) and a seeded
    // fraction of the next unit's time, so the moments cover the whole run, and the
    // ones after a finished unit exercise the resume however loaded the machine is.
    let mut rng = rand::rngs::StdRng::seed_from_u64(24);
    let (mut killed_running, mut resumed) = (0, 0);
    for trial in 0..10 {
        let dir = tmp.path().join(format!("trial{trial}"));
        let (after, fraction) = (rng.random_range(0..3usize), rng.random_range(0.0..1.0));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_prescale"))
            .arg("sweep")
            .args(GRID)
            .arg("--reports-dir")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while units_done(&dir) < after
            && child.try_wait().unwrap().is_none()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(unit.mul_f64(fraction));
        // Child::kill sends SIGKILL on Unix: no handler runs, no file is closed cleanly.
        if child.try_wait().unwrap().is_none() {
            killed_running += 1;
        }
        let _ = child.kill();
        child.wait().unwrap();
        let before = units_done(&dir);
        let rerun = sweep(&dir, &[]).success();
        let stderr = String::from_utf8(rerun.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains(&format!("({before} finished before)")),
            "trial {trial}: {before} units were done: {stderr}"
        );
        if before > 0 {
            resumed += 1;
        }
        for (f, w) in ["sweep.csv", "slo_table.csv"].iter().zip(&want) {
            assert_eq!(&fs::read(dir.join(f)).unwrap(), w, "trial {trial}: {f}");
        }
        let leftovers: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "trial {trial}: {leftovers:?}");
    }
    eprintln!(
        "{killed_running} of 10 kills hit a running sweep; {resumed} reruns resumed finished units"
    );
    assert!(resumed >= 1, "no rerun found a finished unit");
}

#[test]
fn bad_grids_fail_in_one_line_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let grid_file = tmp.path().join("grid.toml");
    fs::write(&grid_file, "bufer = [0.1]\n[[trace]]\ndays = 3\n").unwrap();
    let empty = tmp.path().join("empty.toml");
    fs::write(&empty, "seed = []\n[[trace]]\ndays = 3\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--grid".into(), grid_file.display().to_string()],
            "unknown key `bufer`: did you mean `buffer`?",
        ),
        (
            vec!["--grid".into(), empty.display().to_string()],
            "`seed` is an empty list",
        ),
        (
            vec!["--buffer=-0.1".into()],
            "`buffer` = -0.1: must be a fraction of the forecast, at least 0",
        ),
        (
            vec!["--hpa-target".into(), "1.5".into()],
            "`hpa-target` = 1.5: must be a utilization in (0, 1]",
        ),
        (
            vec!["--interval-width".into(), "1".into()],
            "`interval-width` = 1: must be strictly between 0 and 1",
        ),
        (
            vec!["--shard".into(), "0/4".into()],
            "--shard 0/4: must be i/n",
        ),
        (
            vec!["--shard".into(), "5/4".into()],
            "--shard 5/4: must be i/n",
        ),
    ];
    let out = tmp.path().join("out");
    for (args, message) in cases {
        let assert = prescale()
            .arg("sweep")
            .args(&args)
            .arg("--reports-dir")
            .arg(&out)
            .assert()
            .code(1);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("Error: ") && stderr.contains(message),
            "{args:?}: {stderr}"
        );
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

#[test]
fn the_kubernetes_job_runs_one_shard_per_completion() {
    // deploy/kubernetes/sweep-job.yaml: an Indexed Job whose N completions each run
    // shard JOB_COMPLETION_INDEX + 1 of the same N.
    let text = fs::read_to_string("deploy/kubernetes/sweep-job.yaml").unwrap();
    let job: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["apiVersion"], "batch/v1");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let n = spec["completions"].as_u64().unwrap();
    assert!(spec["parallelism"].as_u64().unwrap() <= n);
    let container = &spec["template"]["spec"]["containers"][0];
    let command: Vec<&str> = container["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let script = command.join(" ");
    assert!(
        script.contains(&format!("--shard $((JOB_COMPLETION_INDEX + 1))/{n}")),
        "{script}"
    );
    assert!(script.contains("prescale sweep --grid"), "{script}");
    // The results go to a volume every pod shares.
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    assert!(
        script.contains(&format!("--reports-dir {mount}")),
        "{script}"
    );
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never");
}
