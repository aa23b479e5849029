//! The LSTM forecaster: learning, determinism, and save/load. The fast sequence op is
//! checked against candle's plain LSTM in the library's unit tests
//! (`src/forecast/lstm.rs`), where test builds poison its buffer pool.

use chrono::{TimeZone, Utc};
use prescale::config::LstmConfig;
use prescale::forecast::lstm::LstmModel;
use prescale::forecast::{FitInput, Forecaster};
use prescale::trace::Trace;

/// 1,200 one-minute steps of 1000 + 500·sin(2πt/48).
fn sine() -> Trace {
    Trace {
        start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
        step_seconds: 60,
        requests: (0..1200)
            .map(|t| 1000.0 + 500.0 * (2.0 * std::f64::consts::PI * t as f64 / 48.0).sin())
            .collect(),
        in_event: None,
    }
}

fn small(seed: u64, epochs: usize) -> LstmConfig {
    LstmConfig {
        window: 16,
        hidden: 16,
        epochs,
        batch_size: 32,
        learning_rate: 1e-2,
        seed,
        ..LstmConfig::default()
    }
}

fn fit(cfg: LstmConfig, trace: &Trace) -> LstmModel {
    let mut m = LstmModel::new(cfg);
    m.fit(&FitInput {
        trace,
        train_len: 1000,
        lead_steps: 3,
    })
    .unwrap();
    m
}

#[test]
fn learns_a_clean_sine_wave() {
    // The standardized sine has variance 1: predicting its mean scores MSE 1.
    let m = fit(small(42, 15), &sine());
    let last = m.meta().unwrap().epochs.last().unwrap().validation_mse;
    assert!(last < 0.02, "validation MSE {last}");
    // The conformal interval covers most of a clean test period.
    let f = m.predict(&sine(), 1000..1200).unwrap();
    let b = f.interval.unwrap();
    let actual = &sine().requests[1000..1200];
    let inside = (0..200)
        .filter(|&i| b.lower[i] <= actual[i] && actual[i] <= b.upper[i])
        .count();
    assert!(inside >= 120, "{inside} of 200 inside the 80 % interval");
}

#[test]
fn same_seed_same_weights_other_seed_other_weights() {
    let trace = sine();
    let a = fit(small(7, 1), &trace);
    let b = fit(small(7, 1), &trace);
    let c = fit(small(8, 1), &trace);
    assert_eq!(a.weights(), b.weights());
    assert_ne!(a.weights(), c.weights());
    assert_eq!(
        a.predict(&trace, 1000..1200).unwrap(),
        b.predict(&trace, 1000..1200).unwrap()
    );
}

#[test]
fn save_load_predict_gives_the_same_forecasts() {
    let trace = sine();
    let m = fit(small(3, 1), &trace);
    let loaded = LstmModel::from_artifacts(&m.to_artifacts().unwrap()).unwrap();
    assert_eq!(loaded.weights(), m.weights());
    assert_eq!(loaded.meta(), m.meta());
    assert_eq!(
        loaded.predict(&trace, 1000..1200).unwrap(),
        m.predict(&trace, 1000..1200).unwrap()
    );
}

#[test]
fn a_corrupt_saved_model_is_an_error_not_a_panic() {
    let trace = sine();
    let m = fit(small(3, 1), &trace);
    let mut files = m.to_artifacts().unwrap();
    files
        .iter_mut()
        .find(|a| a.file_name == "lstm.safetensors")
        .unwrap()
        .bytes = b"not safetensors".to_vec();
    let err = LstmModel::from_artifacts(&files).unwrap_err();
    assert!(err.to_string().contains("lstm.safetensors"), "{err}");
}

#[test]
fn early_stopping_keeps_the_best_epochs_weights() {
    let trace = sine();
    // With a min-delta no fall can reach, no epoch after the first improves: patience 2
    // stops after epoch 3 and keeps epoch 1, whose weights are those of a model trained
    // for exactly one epoch (same seed, same first epoch).
    let stopped = fit(
        LstmConfig {
            patience: 2,
            min_delta: 1e9,
            ..small(5, 6)
        },
        &trace,
    );
    assert_eq!(stopped.meta().unwrap().epochs.len(), 3);
    assert_eq!(stopped.meta().unwrap().best_epoch, 1);
    let one = fit(
        LstmConfig {
            patience: 0,
            ..small(5, 1)
        },
        &trace,
    );
    assert_eq!(stopped.weights(), one.weights());
    assert_eq!(
        stopped.predict(&trace, 1000..1100).unwrap(),
        one.predict(&trace, 1000..1100).unwrap()
    );
    // Patience 0 trains every epoch and keeps the last.
    let all = fit(
        LstmConfig {
            patience: 0,
            ..small(5, 4)
        },
        &trace,
    );
    assert_eq!(all.meta().unwrap().epochs.len(), 4);
    assert_eq!(all.meta().unwrap().best_epoch, 4);
}

#[test]
fn a_span_trains_on_the_last_days_windows_only() {
    // 1,000 train steps of one minute, lead 3, window 16: a window ending at e predicts
    // e + 3 < 1000, so every window is the 982 ending at 15 … 996; a span of 0.5 days
    // (720 steps) keeps the 720 ending at 277 … 996. 10 % of each held out: 98 of 982,
    // 72 of 720.
    let windows = |span: f64| {
        let m = fit(
            LstmConfig {
                train_span_days: span,
                ..small(42, 1)
            },
            &sine(),
        );
        let note = m.notes().join(" ");
        let at = note.find(" windows, ").unwrap();
        let count: usize = note[..at].rsplit(' ').next().unwrap().parse().unwrap();
        let held: usize = note[at + 10..].split(' ').next().unwrap().parse().unwrap();
        (count, held)
    };
    assert_eq!(windows(0.0), (982 - 98, 98));
    assert_eq!(windows(0.5), (720 - 72, 72));
    // A span longer than the history is every window.
    assert_eq!(windows(30.0), (982 - 98, 98));
}
