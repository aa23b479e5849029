//! `prescale check` end to end: verdicts, exit codes, `--update`.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

const HEADER: &str = "model,policy,sla_violation_minutes,violation_rate,unserved_requests,container_minutes,scaling_switches,cost_vs_oracle\n";
const BASE: &str = "none,static-2,100,0.1,5000.0,2000,0,0.5\nnone,oracle,0,0.0,0.0,4000,50,1.0\n";

fn write(dir: &Path, name: &str, rows: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, format!("{HEADER}{rows}")).unwrap();
    p
}

fn check(base: &Path, cur: &Path) -> assert_cmd::assert::Assert {
    Command::cargo_bin("prescale")
        .unwrap()
        .arg("check")
        .arg("--baseline")
        .arg(base)
        .arg("--current")
        .arg(cur)
        .assert()
}

fn update(base: &Path, cur: &Path) -> assert_cmd::assert::Assert {
    Command::cargo_bin("prescale")
        .unwrap()
        .args(["check", "--update", "--baseline"])
        .arg(base)
        .arg("--current")
        .arg(cur)
        .assert()
}

#[test]
fn identical_files_pass_with_a_one_line_verdict() {
    let d = tempfile::tempdir().unwrap();
    let b = write(d.path(), "b.csv", BASE);
    check(&b, &b).code(0).stdout(predicate::str::diff(
        "check: OK, 2 rows within tolerance of ".to_string()
            + &b.display().to_string()
            + " (0 improved, 0 new)\n",
    ));
}

#[test]
fn a_cost_regression_fails_with_a_table() {
    // 4000 -> 4100 container-minutes is +2.5 %, over the default 2 %.
    let d = tempfile::tempdir().unwrap();
    let b = write(d.path(), "b.csv", BASE);
    let c = write(
        d.path(),
        "c.csv",
        "none,static-2,100,0.1,5000.0,2000,0,0.5\nnone,oracle,0,0.0,0.0,4100,50,1.0\n",
    );
    check(&b, &c)
        .code(1)
        .stdout(
            predicate::str::contains("REGRESSED")
                .and(predicate::str::contains("container-minutes 4000 -> 4100")),
        )
        .stderr(predicate::str::contains("1 of 2 rows regressed"));
}

#[test]
fn a_missing_row_fails() {
    let d = tempfile::tempdir().unwrap();
    let b = write(d.path(), "b.csv", BASE);
    let c = write(
        d.path(),
        "c.csv",
        "none,static-2,100,0.1,5000.0,2000,0,0.5\n",
    );
    check(&b, &c).code(1).stdout(predicate::str::contains(
        "MISSING    none            oracle",
    ));
}

#[test]
fn improvements_are_reported_and_pass() {
    let d = tempfile::tempdir().unwrap();
    let b = write(d.path(), "b.csv", BASE);
    let c = write(
        d.path(),
        "c.csv",
        "none,static-2,40,0.04,2000.0,2000,0,0.5\nnone,oracle,0,0.0,0.0,4000,50,1.0\n",
    );
    check(&b, &c)
        .code(0)
        .stdout(predicate::str::contains("improved").and(predicate::str::contains("1 improved")));
}

#[test]
fn a_malformed_file_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let b = write(d.path(), "b.csv", BASE);
    let c = write(
        d.path(),
        "c.csv",
        "none,static-2,lots,0.1,5000.0,2000,0,0.5\n",
    );
    check(&b, &c).code(1).stderr(
        predicate::str::starts_with("Error: reading").and(predicate::str::contains("line 2")),
    );
}

#[test]
fn update_rewrites_the_baseline_and_says_what_changed() {
    let d = tempfile::tempdir().unwrap();
    let b = write(d.path(), "b.csv", BASE);
    let new_rows = "none,static-2,120,0.12,5000.0,2000,0,0.5\nnone,oracle,0,0.0,0.0,4000,50,1.0\n";
    let c = write(d.path(), "c.csv", new_rows);
    update(&b, &c).code(0).stdout(
        predicate::str::contains("violation minutes 100 -> 120")
            .and(predicate::str::contains("updated")),
    );
    assert_eq!(
        fs::read_to_string(&b).unwrap(),
        format!("{HEADER}{new_rows}")
    );
    check(&b, &c).code(0);
}

#[test]
fn update_refuses_to_drop_baseline_rows() {
    // The current file lacks the oracle's row: the update would shrink the baseline, so
    // it is refused in one line and the baseline is left as it was.
    let d = tempfile::tempdir().unwrap();
    let b = write(d.path(), "b.csv", BASE);
    let c = write(
        d.path(),
        "c.csv",
        "none,static-2,120,0.12,5000.0,2000,0,0.5\n",
    );
    let out = update(&b, &c).code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with(
            "Error: --update would drop 1 row of the baseline's 2 rows (none × oracle first)"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(fs::read_to_string(&b).unwrap(), format!("{HEADER}{BASE}"));
}
