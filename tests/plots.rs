//! The PNG plots, drawn by `report` from a small fixture run: each decodes at its stated
//! size, the comparison's bars are as long as the CSV's costs, the interval band is
//! drawn exactly when the model has an interval, and a single-policy run still plots.

use std::fs;
use std::path::Path;

mod common;
use common::{generate, prescale, report, train};

/// Decodes a PNG into its size and RGB pixels.
fn decode(path: &Path) -> image::RgbImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8()
}

/// Pixels within 1 of `rgb` on every channel (blending may round either way).
fn count(img: &image::RgbImage, rgb: [u8; 3], xs: std::ops::Range<u32>) -> usize {
    img.enumerate_pixels()
        .filter(|(x, _, p)| xs.contains(x) && p.0.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 1))
        .count()
}

/// Pixels of colour `rgb` inside a filled area of it: with the same colour 2 pixels above
/// and below. The anti-aliased edge of a sloped line can hit the colour too (a quarter of
/// the line's blue on white is the band's colour), but only in isolated pixels.
fn filled(img: &image::RgbImage, rgb: [u8; 3]) -> usize {
    let is = |x: u32, y: u32| {
        img.get_pixel(x, y)
            .0
            .iter()
            .zip(rgb)
            .all(|(a, b)| a.abs_diff(b) <= 1)
    };
    let (w, h) = img.dimensions();
    (0..w)
        .flat_map(|x| (2..h.saturating_sub(2)).map(move |y| (x, y)))
        .filter(|&(x, y)| is(x, y) && is(x, y - 2) && is(x, y + 2))
        .count()
}

/// The horizontal bars of colour `rgb` in the columns `xs`, top to bottom: each bar's
/// length in pixels, from its first to its last pixel of that colour in its widest row
/// (a reference line drawn across a bar does not shorten it).
fn bar_lengths(img: &image::RgbImage, rgb: [u8; 3], xs: std::ops::Range<u32>) -> Vec<u32> {
    let mut bars = Vec::new();
    let mut current: Option<u32> = None;
    for y in 0..img.height() {
        let hits: Vec<u32> = xs
            .clone()
            .filter(|&x| img.get_pixel(x, y).0 == rgb)
            .collect();
        let extent = match (hits.first(), hits.last()) {
            (Some(a), Some(b)) => b - a + 1,
            _ => 0,
        };
        match (extent > 0, current) {
            (true, c) => current = Some(c.unwrap_or(0).max(extent)),
            (false, Some(c)) => {
                bars.push(c);
                current = None;
            }
            (false, None) => {}
        }
    }
    bars.extend(current);
    bars
}

/// The first series colour of the plots (src/report/plot/mod.rs) and the 25 % tint of it
/// on white that shades an interval: 0.25·(31, 119, 180) + 0.75·255.
const BLUE: [u8; 3] = [31, 119, 180];
const BAND: [u8; 3] = [199, 221, 236];

/// A 3-day trace, 1-day test, seasonal-naive and prophet trained, in `dir`.
fn fixture(dir: &Path, policies: &str) {
    let data = dir.join("data");
    let reports = dir.join("reports");
    generate(&data, "3");
    train(&data, "seasonal-naive,prophet");
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
    let summary = fs::read_to_string(reports.join("metrics_summary.csv")).unwrap();
    let rows: Vec<Vec<String>> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    // (file, width, height): sizes as drawn in src/report/plot/; a comparison is 120 px
    // plus 60 per bar: the model's own rows and the model-free ones.
    let bars = |model: &str| {
        rows.iter()
            .filter(|r| r[0] == model || r[0] == "none")
            .count()
    };
    let expected = [
        ("seasonal-naive_forecast.png", 1400, 1000),
        ("prophet_forecast.png", 1400, 1000),
        (
            "seasonal-naive_policy_comparison.png",
            1400,
            120 + 60 * bars("seasonal-naive") as u32,
        ),
        (
            "prophet_policy_comparison.png",
            1400,
            120 + 60 * bars("prophet") as u32,
        ),
        ("pareto.png", 1800, 850),
        ("timeline.png", 1400, 760),
    ];
    for (name, w, h) in expected {
        let img = decode(&reports.join(name));
        assert_eq!(img.dimensions(), (w, h), "{name}");
    }
    // The cost bars: one per row, in the CSV's order top to bottom, each as long as its
    // container-minutes on the shared axis (to within 3 px: each end of a bar and of the
    // longest one rounds to a pixel).
    for model in ["seasonal-naive", "prophet"] {
        let img = decode(&reports.join(format!("{model}_policy_comparison.png")));
        let lengths = bar_lengths(&img, BLUE, 0..700);
        let costs: Vec<f64> = rows
            .iter()
            .filter(|r| r[0] == model || r[0] == "none")
            .map(|r| r[5].parse().unwrap())
            .collect();
        assert_eq!(lengths.len(), costs.len(), "{model}: {lengths:?}");
        let (l_max, c_max) = (
            f64::from(*lengths.iter().max().unwrap()),
            costs.iter().copied().fold(0.0, f64::max),
        );
        // The optimum's and the oracle's costs are drawn as vertical lines over the bars
        // (3 px wide): a bar that ends under one loses up to that much of its end.
        let line_at = |policy: &str| {
            let c: f64 = rows.iter().find(|r| r[1] == policy).unwrap()[5]
                .parse()
                .unwrap();
            c / c_max * l_max
        };
        let lines = [line_at("optimal"), line_at("oracle")];
        for (l, c) in lengths.iter().zip(&costs) {
            let want = c / c_max * l_max;
            let under_a_line = lines.iter().any(|x| (want - x).abs() <= 6.0);
            let slack = if under_a_line { 6.0 } else { 3.0 };
            assert!(
                (f64::from(*l) - want).abs() <= slack,
                "{model}: bar of {l} px for {c} container-minutes, want {want:.1}"
            );
        }
    }
    // The forecast plot draws the forecast line and shades the interval.
    let img = decode(&reports.join("prophet_forecast.png"));
    assert!(count(&img, BLUE, 0..1400) > 1000);
    assert!(count(&img, BAND, 0..1400) > 1000);
    assert!(filled(&img, BAND) > 1000);
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
    // One policy: a comparison with one bar, a Pareto plot of two points.
    assert_eq!(
        decode(&reports.join("prophet_policy_comparison.png")).height(),
        180
    );
    assert_eq!(decode(&reports.join("pareto.png")).width(), 1800);
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
    let img = decode(&reports.join("prophet_forecast.png"));
    assert_eq!(img.dimensions(), (1400, 1000));
    // The line is there, the band is gone (the legend swatch went with it).
    assert!(count(&img, BLUE, 0..1400) > 1000);
    assert_eq!(filled(&img, BAND), 0);
}
