//! Helpers shared by the CLI tests (each test crate uses a subset).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use assert_cmd::Command;

pub(crate) mod prometheus;

/// The binary under test.
pub(crate) fn prescale() -> Command {
    Command::cargo_bin("prescale").unwrap()
}

/// `prescale generate --days DAYS --data-dir DATA`, which must succeed.
pub(crate) fn generate(data: &Path, days: &str) {
    prescale()
        .args(["generate", "--days", days, "--data-dir"])
        .arg(data)
        .assert()
        .success();
}

/// `prescale train --model MODELS --test-days 1 --data-dir DATA`, which must succeed.
pub(crate) fn train(data: &Path, models: &str) {
    prescale()
        .args(["train", "--model", models, "--test-days", "1", "--data-dir"])
        .arg(data)
        .assert()
        .success();
}

/// `prescale run-all --quick` into `data` and `reports`, which must succeed.
pub(crate) fn quick_run(data: &Path, reports: &Path) {
    prescale()
        .args(["run-all", "--quick", "--data-dir"])
        .arg(data)
        .arg("--reports-dir")
        .arg(reports)
        .assert()
        .success();
}

/// `prescale report --reports-dir REPORTS`, which must succeed.
pub(crate) fn report(reports: &Path) -> assert_cmd::assert::Assert {
    prescale()
        .arg("report")
        .arg("--reports-dir")
        .arg(reports)
        .assert()
        .success()
}

/// Every file under `dir`, by its path inside it, with its bytes: to compare a folder
/// before and after a run, or two folders.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(name, fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The rows of a CSV file (no quoted commas) as maps from column name to value: tests
/// read columns by name, so a new column moves nothing.
pub(crate) fn named_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            head.iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}
