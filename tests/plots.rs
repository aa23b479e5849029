//! The PNG plots, drawn by `report` from a small fixture run: each decodes at its stated
//! size and is not blank; a model without an interval and a single-policy run still plot.

use std::fs;
use std::path::Path;

mod common;
use common::{generate, prescale, report};
use image::GenericImageView;

/// Decodes a PNG; returns (width, height, distinct colours, share of non-white pixels).
fn inspect(path: &Path) -> (u32, u32, usize, f64) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (w, h) = img.dimensions();
    let rgb = img.to_rgb8();
    let mut colours = std::collections::HashSet::new();
    let mut ink = 0usize;
    for p in rgb.pixels() {
        colours.insert(p.0);
        if p.0 != [255, 255, 255] {
            ink += 1;
        }
    }
    (w, h, colours.len(), ink as f64 / f64::from(w * h))
}

/// A 3-day trace, 1-day test, seasonal-naive and prophet trained, in `dir`.
fn fixture(dir: &Path, policies: &str) {
    let data = dir.join("data");
    let reports = dir.join("reports");
    generate(&data, "3");
    prescale()
        .args([
            "train",
            "--model",
            "seasonal-naive,prophet",
            "--test-days",
            "1",
            "--data-dir",
        ])
        .arg(&data)
        .assert()
        .success();
    prescale()
        .args([
            "simulate",
            "--test-days",
            "1",
            "--policy",
            policies,
            "--data-dir",
        ])
        .arg(&data)
        .arg("--reports-dir")
        .arg(&reports)
        .assert()
        .success();
}

#[test]
fn report_draws_every_plot_at_its_size_and_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "all");
    let reports = dir.path().join("reports");
    // Remove the plots simulate drew: `report` alone must draw them again.
    for e in fs::read_dir(&reports).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "png") {
            fs::remove_file(p).unwrap();
        }
    }
    report(&reports);
    // (file, width, height): sizes as drawn in src/report/plot.rs; the comparison's
    // height is 120 + 60 per policy row (3 model-free + 4 forecast policies).
    let expected = [
        ("seasonal-naive_forecast.png", 1400, 1000),
        ("prophet_forecast.png", 1400, 1000),
        ("seasonal-naive_policy_comparison.png", 1400, 540),
        ("prophet_policy_comparison.png", 1400, 540),
        ("pareto.png", 1800, 850),
        ("timeline.png", 1400, 760),
    ];
    for (name, w, h) in expected {
        let (pw, ph, colours, ink) = inspect(&reports.join(name));
        assert_eq!((pw, ph), (w, h), "{name}");
        // Lines, text, bands and markers in several colours: a blank or one-colour image
        // would fail both.
        assert!(colours >= 20, "{name}: {colours} colours");
        assert!(ink > 0.02, "{name}: {:.3} of pixels drawn", ink);
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn same_inputs_give_identical_png_bytes() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "all");
    let reports = dir.path().join("reports");
    let before = fs::read(reports.join("pareto.png")).unwrap();
    let forecast_before = fs::read(reports.join("prophet_forecast.png")).unwrap();
    report(&reports);
    assert_eq!(fs::read(reports.join("pareto.png")).unwrap(), before);
    assert_eq!(
        fs::read(reports.join("prophet_forecast.png")).unwrap(),
        forecast_before
    );
}

#[test]
fn a_model_without_interval_and_a_single_policy_still_plot() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "buffered");
    let reports = dir.path().join("reports");
    // One policy: a comparison with one bar per model, a Pareto plot of two points.
    let (_, h, _, _) = inspect(&reports.join("prophet_policy_comparison.png"));
    assert_eq!(h, 180);
    inspect(&reports.join("pareto.png"));
    // Strip prophet's bounds from forecasts.csv: the forecast plot draws without a band.
    let path = reports.join("forecasts.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        let mut cells: Vec<&str> = line.split(',').collect();
        if n > 0 {
            let len = cells.len();
            cells[len - 2] = "";
            cells[len - 1] = "";
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    fs::write(&path, out).unwrap();
    fs::remove_file(reports.join("prophet_forecast.png")).unwrap();
    report(&reports);
    let (w, h, colours, _) = inspect(&reports.join("prophet_forecast.png"));
    assert_eq!((w, h), (1400, 1000));
    assert!(colours >= 10);
}
