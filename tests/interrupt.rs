//! Ctrl-C during training: the run stops with exit 130, earlier reports and forecasts
//! stay as they were, and no temporary file is left behind.

mod common;
use common::snapshot;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigint_during_training_keeps_earlier_files_and_leaves_no_temp_files() {
    let bin = assert_cmd::cargo::cargo_bin("prescale");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let run = |args: &[&str]| {
        let ok = Command::new(&bin)
            .current_dir(root)
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "{args:?}");
    };
    run(&["generate", "--days", "3"]);
    run(&["train", "--model", "seasonal-naive", "--test-days", "1"]);
    run(&["simulate", "--model", "seasonal-naive", "--test-days", "1"]);
    let before = snapshot(root);

    // Fifty epochs of the full-size LSTM take minutes; interrupt it a second in.
    let mut child = Command::new(&bin)
        .current_dir(root)
        .args([
            "run-all",
            "--days",
            "3",
            "--test-days",
            "1",
            "--model",
            "lstm",
            "--epochs",
            "50",
            // Every epoch: early stopping would end training before the interrupt.
            "--patience",
            "0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    // The shell's own `kill`, so the test needs no procps binary.
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or("")
            .starts_with("Error: interrupted"),
        "{stderr}"
    );

    let after = snapshot(root);
    // run-all regenerated the same seeded workload before training; everything else that
    // existed is byte for byte the same, and nothing new was written.
    assert_eq!(before, after);
    assert!(after.keys().all(|k| !k.contains(".tmp-")));
}
