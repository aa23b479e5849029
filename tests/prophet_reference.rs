//! Our Prophet against the reference Python Prophet on a committed fixture.
//!
//! `tests/data/prophet_reference_nyc_taxi.csv` holds the reference forecasts for the 2 days
//! after the first 21 days of `tests/data/nyc_taxi.csv`, made by
//! `scripts/prophet_reference.py` (Python `prophet` 1.5.0, its bundled cmdstan model;
//! the script says how to regenerate them).

use prescale::forecast::prophet::{MapParams, ProphetModel};
use prescale::forecast::{FitInput, Forecaster};
use prescale::trace::import::{parse_csv, ImportOptions};
use prescale::trace::{format_timestamp, Trace};

const TRAIN: usize = 21 * 48;
const TEST: usize = 2 * 48;

struct Reference {
    ds: Vec<String>,
    y: Vec<f64>,
    yhat: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

fn fixture() -> (Trace, Reference) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let bytes = std::fs::read(format!("{dir}nyc_taxi.csv")).unwrap();
    let mut trace = parse_csv(&bytes, &ImportOptions::default()).unwrap().trace;
    trace.requests.truncate(TRAIN + TEST);
    let text = std::fs::read_to_string(format!("{dir}prophet_reference_nyc_taxi.csv")).unwrap();
    let mut r = Reference {
        ds: vec![],
        y: vec![],
        yhat: vec![],
        lower: vec![],
        upper: vec![],
    };
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        r.ds.push(f[0].to_string());
        r.y.push(f[1].parse().unwrap());
        r.yhat.push(f[2].parse().unwrap());
        r.lower.push(f[3].parse().unwrap());
        r.upper.push(f[4].parse().unwrap());
    }
    (trace, r)
}

fn coverage(y: &[f64], lower: &[f64], upper: &[f64]) -> f64 {
    let inside = (0..y.len())
        .filter(|&i| lower[i] <= y[i] && y[i] <= upper[i])
        .count();
    inside as f64 / y.len() as f64
}

#[test]
fn prophet_matches_the_reference_implementation() {
    let (trace, reference) = fixture();
    assert_eq!(reference.ds.len(), TEST);
    assert_eq!(format_timestamp(trace.timestamp(TRAIN)), reference.ds[0]);
    assert_eq!(trace.requests[TRAIN..], reference.y[..]);

    let fit = |seed| {
        let mut m = ProphetModel::new(0.8, seed);
        m.fit(&FitInput {
            trace: &trace,
            train_len: TRAIN,
            lead_steps: 1,
        })
        .unwrap();
        m.predict(&trace, TRAIN..TRAIN + TEST).unwrap()
    };
    let ours = fit(42);

    let mean = trace.requests[..TRAIN].iter().sum::<f64>() / TRAIN as f64;
    let rmse = (ours
        .yhat
        .iter()
        .zip(&reference.yhat)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / TEST as f64)
        .sqrt();
    assert!(
        rmse <= 0.02 * mean,
        "yhat differs from the reference by RMSE {rmse:.1} ({:.2} % of the mean {mean:.0})",
        100.0 * rmse / mean
    );

    let b = ours.interval.as_ref().unwrap();
    let ours_cov = coverage(&reference.y, &b.lower, &b.upper);
    let ref_cov = coverage(&reference.y, &reference.lower, &reference.upper);
    assert!(
        (ours_cov - ref_cov).abs() <= 0.1,
        "coverage {ours_cov:.3} vs reference {ref_cov:.3}"
    );

    eprintln!(
        "yhat RMSE vs reference {rmse:.1} ({:.3} % of mean {mean:.0}); coverage {ours_cov:.3} vs {ref_cov:.3}",
        100.0 * rmse / mean
    );

    // Seeded: the same seed gives the same forecasts, bit for bit.
    assert_eq!(fit(42), ours);
}

#[test]
fn native_map_is_no_worse_than_python_prophets_and_reruns_bit_for_bit() {
    // tests/data/prophet_reference_nyc_taxi_params.json: Python Prophet 1.5.0's MAP
    // parameters on the same 21 days (scripts/prophet_reference.py).
    let (trace, _) = fixture();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/prophet_reference_nyc_taxi_params.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let num = |v: &serde_json::Value| v.as_f64().unwrap();
    let reference = MapParams {
        k: num(&json["k"]),
        m: num(&json["m"]),
        sigma_obs: num(&json["sigma_obs"]),
        delta: json["delta"].as_array().unwrap().iter().map(num).collect(),
        beta: json["beta"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    num(&b["period_days"]),
                    b["order"].as_u64().unwrap() as usize,
                    b["sin"].as_bool().unwrap(),
                    num(&b["beta"]),
                )
            })
            .collect(),
    };
    let fit = || {
        let mut model = ProphetModel::new(0.8, 42);
        model
            .fit(&FitInput {
                trace: &trace,
                train_len: TRAIN,
                lead_steps: 1,
            })
            .unwrap();
        model
    };
    let model = fit();
    let check = model.objective_check(&trace, TRAIN, &reference).unwrap();
    println!(
        "native objective {:.6}, at Python's parameters {:.6}",
        check.fitted, check.other
    );
    // Both fits end on the same rule (Stan's relative-gradient test, tol_rel_grad 1e7)
    // on a surface made flat by the |δ| kinks. Measured: native −1652.067594, Python's
    // parameters −1652.070167: 1.6e-6 relative above (on the quick 3-day trace the native
    // optimum was 5e-4 relative below Python's). Bound: 2e-6 relative.
    assert!(
        check.fitted <= check.other + 2e-6 * check.other.abs(),
        "{check:?}"
    );
    // σ² within 1.6e-4 of the value that solves its stationarity condition (measured).
    assert!(check.sigma_stationarity < 1e-3, "{check:?}");
    let again = fit();
    assert_eq!(
        model.predict(&trace, TRAIN..TRAIN + TEST).unwrap(),
        again.predict(&trace, TRAIN..TRAIN + TEST).unwrap()
    );
}
