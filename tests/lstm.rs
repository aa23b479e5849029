//! The LSTM forecaster: the cell against hand-computed values, learning, determinism,
//! and save/load.

use candle_core::{DType, Device, Tensor};
use candle_nn::rnn::LSTMState;
use candle_nn::{VarBuilder, VarMap, RNN};
use chrono::{TimeZone, Utc};
use prescale::forecast::lstm::{LstmConfig, LstmModel};
use prescale::forecast::{FitInput, Forecaster};
use prescale::trace::Trace;

#[test]
fn one_cell_step_matches_hand_computed_values() {
    // Expected values from numpy, PyTorch's LSTM cell equations (gates i, f, g, o):
    //   g = w_ih @ x + b_ih + w_hh @ h + b_hh
    //   i, f, o = sigmoid(g[0:2]), sigmoid(g[2:4]), sigmoid(g[6:8]); gg = tanh(g[4:6])
    //   c2 = f * c + i * gg; h2 = o * tanh(c2)
    // with the weights below, x = [1.5], h = [0.2, -0.3], c = [0.5, -0.25]:
    //   h2 = [-0.052025238, 0.0168355279], c2 = [-0.0639551985, 0.0734248779]
    let dev = Device::Cpu;
    let mut varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
    let lstm = candle_nn::lstm(1, 2, Default::default(), vb.pp("lstm")).unwrap();
    let mut set = |name: &str, v: Vec<f32>, shape: &[usize]| {
        varmap
            .set_one(name, Tensor::from_vec(v, shape, &dev).unwrap())
            .unwrap();
    };
    set(
        "lstm.weight_ih_l0",
        vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8],
        &[8, 1],
    );
    set(
        "lstm.weight_hh_l0",
        vec![
            0.05, -0.1, 0.15, 0.2, -0.25, 0.3, 0.35, -0.4, 0.45, 0.5, -0.55, 0.6, 0.65, -0.7, 0.75,
            0.8,
        ],
        &[8, 2],
    );
    set(
        "lstm.bias_ih_l0",
        vec![0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08],
        &[8],
    );
    set(
        "lstm.bias_hh_l0",
        vec![-0.01, 0.0, 0.01, 0.0, -0.02, 0.0, 0.02, 0.0],
        &[8],
    );
    let x = Tensor::from_vec(vec![1.5f32], (1, 1), &dev).unwrap();
    let h = Tensor::from_vec(vec![0.2f32, -0.3], (1, 2), &dev).unwrap();
    let c = Tensor::from_vec(vec![0.5f32, -0.25], (1, 2), &dev).unwrap();
    let next = lstm.step(&x, &LSTMState::new(h, c)).unwrap();
    let h2: Vec<f32> = next.h().flatten_all().unwrap().to_vec1().unwrap();
    let c2: Vec<f32> = next.c().flatten_all().unwrap().to_vec1().unwrap();
    for (got, want) in h2.iter().zip([-0.052025238f64, 0.0168355279]) {
        assert!((f64::from(*got) - want).abs() < 1e-6, "h {got} vs {want}");
    }
    for (got, want) in c2.iter().zip([-0.0639551985f64, 0.0734248779]) {
        assert!((f64::from(*got) - want).abs() < 1e-6, "c {got} vs {want}");
    }
}

/// 1,200 one-minute steps of 1000 + 500·sin(2πt/48).
fn sine() -> Trace {
    Trace {
        start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
        step_minutes: 1,
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
    let dir = tempfile::tempdir().unwrap();
    Forecaster::save(&m, dir.path()).unwrap();
    let loaded = LstmModel::load(dir.path()).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    Forecaster::save(&m, dir.path()).unwrap();
    std::fs::write(dir.path().join("lstm.safetensors"), b"not safetensors").unwrap();
    let err = LstmModel::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("lstm.safetensors"), "{err}");
}

#[test]
fn fast_path_matches_plain_candle_loss_and_gradients() {
    use candle_core::{Tensor, Var};
    use prescale::forecast::lstm::{init_net, LstmEngine};
    use rand::{Rng, SeedableRng};

    // The default sizes (window 60, hidden 64) on a batch of 32 random windows.
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let x: Vec<f32> = (0..32 * 60).map(|_| rng.random_range(-2.0..2.0)).collect();
    let y: Vec<f32> = (0..32).map(|_| rng.random_range(-1.0..1.0)).collect();
    let run = |engine| {
        let cfg = LstmConfig {
            engine,
            ..LstmConfig::default()
        };
        let (varmap, net) = init_net(&cfg, &mut rand::rngs::StdRng::seed_from_u64(1)).unwrap();
        let xt = Tensor::from_vec(x.clone(), (32, 60, 1), &Device::Cpu).unwrap();
        let yt = Tensor::from_vec(y.clone(), (32, 1), &Device::Cpu).unwrap();
        let loss = candle_nn::loss::mse(&net.forward(&xt).unwrap(), &yt).unwrap();
        let grads = loss.backward().unwrap();
        let data = varmap.data().lock().unwrap();
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        let g: Vec<(String, Vec<f32>)> = names
            .into_iter()
            .map(|n| {
                let v: &Var = &data[n];
                let g = grads.get(v).expect("every variable gets a gradient");
                (n.clone(), g.flatten_all().unwrap().to_vec1().unwrap())
            })
            .collect();
        (loss.to_scalar::<f32>().unwrap(), g)
    };
    let (fast_loss, fast) = run(LstmEngine::Fast);
    let (plain_loss, plain) = run(LstmEngine::Plain);
    // f32 with a different summation order and a polynomial exp (relative error < 2e-7):
    // agreement to 1e-5 relative on the loss and 1e-4 of the largest gradient entry.
    assert!(
        (fast_loss - plain_loss).abs() <= 1e-5 * plain_loss.abs(),
        "{fast_loss} vs {plain_loss}"
    );
    assert_eq!(fast.len(), 6);
    for ((name, f), (_, p)) in fast.iter().zip(&plain) {
        let scale = p.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let worst = f
            .iter()
            .zip(p)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(scale > 0.0, "{name}: zero gradient");
        assert!(
            worst <= 1e-4 * scale,
            "{name}: max diff {worst} vs scale {scale}"
        );
    }
}
