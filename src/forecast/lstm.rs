//! `lstm`: a one-layer LSTM with a linear head on candle, trained to predict the demand
//! `lead` steps after a window of the last `window` steps (standardized with the train
//! mean and std), with an interval from split-conformal calibration on the held-out
//! validation windows.
//!
//! Deterministic: candle's CPU device does not seed its RNG, so the weights are drawn
//! from our own seeded RNG (PyTorch's LSTM and Linear init, U(−1/√H, 1/√H)) and so is the
//! shuffle. The model serializes to safetensors bytes with a JSON sidecar (normalization,
//! config, lead, calibration), which `store` writes beside its forecasts and
//! [`LstmModel::from_artifacts`] reads back; `simulate` reads its forecasts like any
//! other model's. No file is touched here.

use std::ops::Range;
use std::time::Instant;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{AdamW, Linear, Optimizer, ParamsAdamW, VarBuilder, VarMap, LSTM, RNN};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::lstm_fast::LstmSequence;
use super::{quantile, Artifact, FitInput, Forecast, ForecastError, Forecaster, Interval};
use crate::config::{LstmConfig, LstmEngine};
use crate::progress;
use crate::trace::Trace;

const NAME: &str = "lstm";
/// File names of a saved model inside its folder.
pub const WEIGHTS_FILE: &str = "lstm.safetensors";
/// The sidecar with normalization, config and calibration.
pub const META_FILE: &str = "lstm.json";

/// Losses of one epoch, on standardized demand.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochLoss {
    /// Mean train MSE over the epoch's batches.
    pub train_mse: f64,
    /// MSE on the validation windows after the epoch.
    pub validation_mse: f64,
    /// Wall time of the epoch, in seconds.
    pub seconds: f64,
}

/// What the sidecar records beside the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LstmMeta {
    /// The config the model was trained with.
    pub config: LstmConfig,
    /// Train mean used to standardize, requests per step.
    pub mean: f64,
    /// Train std used to standardize, requests per step.
    pub std: f64,
    /// Steps from the last input step to the target (startup delay in steps + 1).
    pub lead_steps: usize,
    /// Seconds per step of the trace it was trained on.
    pub step_seconds: u32,
    /// Residual quantiles (requests per step) added to the forecast for the interval.
    pub lower_offset: f64,
    /// See `lower_offset`.
    pub upper_offset: f64,
    /// Losses per epoch.
    pub epochs: Vec<EpochLoss>,
    /// The epoch whose weights the model keeps (1-based): the best validation MSE.
    #[serde(default)]
    pub best_epoch: usize,
}

/// The network: LSTM over the window, linear head on the last hidden state.
pub struct Net {
    lstm: LSTM,
    /// The LSTM's own variables, shared with `lstm`, for the fast path.
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor,
    b_hh: Tensor,
    head: Linear,
    engine: LstmEngine,
}

impl Net {
    /// Builds the network's variables in `vb` (`lstm.*`, `head.*`, PyTorch's names).
    pub fn new(cfg: &LstmConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let h = cfg.hidden;
        let lstm = candle_nn::lstm(1, h, Default::default(), vb.pp("lstm"))?;
        let v = vb.pp("lstm");
        let w_ih = v.get((4 * h, 1), "weight_ih_l0")?;
        let w_hh = v.get((4 * h, h), "weight_hh_l0")?;
        Ok(Self {
            lstm,
            w_ih,
            w_hh,
            b_ih: v.get(4 * h, "bias_ih_l0")?,
            b_hh: v.get(4 * h, "bias_hh_l0")?,
            head: candle_nn::linear(h, 1, vb.pp("head"))?,
            engine: cfg.engine,
        })
    }

    /// `x`: (batch, window, 1) → (batch, 1).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let last = match self.engine {
            LstmEngine::Plain => {
                let states = self.lstm.seq(x)?;
                states
                    .last()
                    .expect("window of at least one step")
                    .h()
                    .clone()
            }
            LstmEngine::Fast => {
                let (b, t, _) = x.dims3()?;
                let bias = (&self.b_ih + &self.b_hh)?;
                LstmSequence::apply(&x.reshape((b, t))?, &self.w_ih, &bias, &self.w_hh)?
            }
        };
        self.head.forward(&last)
    }
}

/// The LSTM forecaster.
pub struct LstmModel {
    cfg: LstmConfig,
    fitted: Option<(VarMap, Net, LstmMeta)>,
    notes: Vec<String>,
}

impl std::fmt::Debug for LstmModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LstmModel")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

fn model_error(message: impl ToString) -> ForecastError {
    ForecastError::Model {
        model: NAME,
        message: message.to_string(),
    }
}

/// Builds the network on the CPU and draws every weight from U(−1/√H, 1/√H) with a
/// seeded RNG, variables in name order.
pub fn init_net(cfg: &LstmConfig, rng: &mut StdRng) -> candle_core::Result<(VarMap, Net)> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let net = Net::new(cfg, vb)?;
    let bound = 1.0 / (cfg.hidden as f64).sqrt();
    let data = varmap.data().lock().expect("not poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let shape = var.shape().clone();
        let values: Vec<f32> = (0..shape.elem_count())
            .map(|_| rng.random_range(-bound..bound) as f32)
            .collect();
        var.set(&Tensor::from_vec(values, shape, &Device::Cpu)?)?;
    }
    drop(data);
    Ok((varmap, net))
}

/// Gathers windows ending at `ends` (inclusive) of the standardized series `z` into a
/// (batch, window, 1) tensor.
fn windows(z: &[f32], ends: &[usize], window: usize) -> candle_core::Result<Tensor> {
    let mut x = Vec::with_capacity(ends.len() * window);
    for &e in ends {
        x.extend_from_slice(&z[e + 1 - window..=e]);
    }
    Tensor::from_vec(x, (ends.len(), window, 1), &Device::Cpu)
}

/// One optimizer step on a batch; returns the batch's MSE.
fn train_step(net: &Net, opt: &mut AdamW, x: &Tensor, y: &Tensor) -> candle_core::Result<f64> {
    let loss = candle_nn::loss::mse(&net.forward(x)?, y)?;
    opt.backward_step(&loss)?;
    loss.to_scalar::<f32>().map(f64::from)
}

impl LstmModel {
    /// An unfitted model.
    pub fn new(cfg: LstmConfig) -> Self {
        Self {
            cfg,
            fitted: None,
            notes: Vec::new(),
        }
    }

    /// The metadata of the fitted model.
    pub fn meta(&self) -> Option<&LstmMeta> {
        self.fitted.as_ref().map(|f| &f.2)
    }

    /// Every weight, by name, as flat f32 vectors (for comparing trainings).
    pub fn weights(&self) -> Vec<(String, Vec<f32>)> {
        let Some((varmap, _, _)) = &self.fitted else {
            return Vec::new();
        };
        let data = varmap.data().lock().expect("not poisoned");
        let mut out: Vec<(String, Vec<f32>)> = data
            .iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    v.flatten_all()
                        .and_then(|t| t.to_vec1())
                        .unwrap_or_default(),
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Predicts standardized targets for windows ending at `ends`, in batches, without
    /// building a gradient graph.
    fn predict_z(
        net: &Net,
        z: &[f32],
        ends: &[usize],
        cfg: &LstmConfig,
    ) -> candle_core::Result<Vec<f32>> {
        let mut out = Vec::with_capacity(ends.len());
        for chunk in ends.chunks(1024) {
            let x = windows(z, chunk, cfg.window)?.detach();
            out.extend(net.forward(&x)?.flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }

    /// The weights (safetensors) and the sidecar (JSON), as the files `train` writes.
    pub fn to_artifacts(&self) -> Result<Vec<Artifact>, ForecastError> {
        let (varmap, _, meta) = self.fitted.as_ref().ok_or(ForecastError::NotFitted(NAME))?;
        let weights = {
            let data = varmap.data().lock().expect("not poisoned");
            let tensors: Vec<(&String, Tensor)> = data
                .iter()
                .map(|(k, v)| (k, v.as_tensor().clone()))
                .collect();
            safetensors::tensor::serialize(tensors, None).map_err(model_error)?
        };
        let mut json = serde_json::to_vec_pretty(meta).map_err(model_error)?;
        json.push(b'\n');
        Ok(vec![
            Artifact {
                file_name: WEIGHTS_FILE.to_string(),
                bytes: weights,
            },
            Artifact {
                file_name: META_FILE.to_string(),
                bytes: json,
            },
        ])
    }

    /// A model from the files [`Self::to_artifacts`] made (as `train` saved them): the
    /// bytes, read by the caller; the model layer touches no file.
    pub fn from_artifacts(files: &[Artifact]) -> Result<Self, ForecastError> {
        let bytes = |name: &str| {
            files
                .iter()
                .find(|a| a.file_name == name)
                .map(|a| a.bytes.as_slice())
                .ok_or_else(|| model_error(format!("no {name}")))
        };
        let meta: LstmMeta = serde_json::from_slice(bytes(META_FILE)?)
            .map_err(|e| model_error(format!("{META_FILE}: {e}")))?;
        let mut rng = StdRng::seed_from_u64(meta.config.seed);
        let (varmap, net) = init_net(&meta.config, &mut rng).map_err(model_error)?;
        let tensors = candle_core::safetensors::load_buffer(bytes(WEIGHTS_FILE)?, &Device::Cpu)
            .map_err(|e| model_error(format!("{WEIGHTS_FILE}: {e}")))?;
        {
            let data = varmap.data().lock().expect("not poisoned");
            for (name, var) in data.iter() {
                let t = tensors
                    .get(name)
                    .ok_or_else(|| model_error(format!("{WEIGHTS_FILE}: no tensor {name}")))?;
                var.set(t)
                    .map_err(|e| model_error(format!("{WEIGHTS_FILE}: {name}: {e}")))?;
            }
        }
        Ok(Self {
            cfg: meta.config.clone(),
            fitted: Some((varmap, net, meta)),
            notes: Vec::new(),
        })
    }
}

/// Copies of every variable's values, in the var map's order.
fn snapshot(varmap: &VarMap) -> Vec<Tensor> {
    let data = varmap.data().lock().expect("not poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    names
        .into_iter()
        .map(|n| data[n].as_tensor().copy().expect("a CPU tensor copies"))
        .collect()
}

/// Sets every variable back to a [`snapshot`].
fn restore(varmap: &VarMap, weights: &[Tensor]) -> candle_core::Result<()> {
    let data = varmap.data().lock().expect("not poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for (n, w) in names.into_iter().zip(weights) {
        data[n].set(w)?;
    }
    Ok(())
}

impl Forecaster for LstmModel {
    fn name(&self) -> &'static str {
        NAME
    }

    fn min_train_steps(&self, _trace: &Trace, lead_steps: usize) -> usize {
        // Ten windows at least, so the validation tail holds one.
        self.cfg.window + lead_steps + 9
    }

    fn fit(&mut self, input: &FitInput) -> Result<(), ForecastError> {
        let cfg = self.cfg.clone();
        self.check_train_len(input)?;
        self.notes.clear();
        let y = &input.trace.requests[..input.train_len];
        let n = y.len() as f64;
        let mean = y.iter().sum::<f64>() / n;
        let std = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n)
            .sqrt()
            .max(1e-9);
        let z: Vec<f32> = input
            .trace
            .requests
            .iter()
            .map(|v| ((v - mean) / std) as f32)
            .collect();
        let lead = input.lead_steps;
        // A window ending at e predicts the step e + lead; only those of the last
        // `train_span_days` (whole steps) are trained on and held out.
        let span = (cfg.train_span_days * input.trace.steps_per_day() as f64).round() as usize;
        let first = match span {
            0 => cfg.window - 1,
            s => (cfg.window - 1).max((input.train_len - lead).saturating_sub(s)),
        };
        let ends: Vec<usize> = (first..input.train_len - lead).collect();
        let n_val = ((ends.len() as f64 * cfg.validation_fraction).round() as usize)
            .clamp(1, ends.len() - 1);
        let (train_ends, val_ends) = ends.split_at(ends.len() - n_val);
        let target = |es: &[usize]| -> candle_core::Result<Tensor> {
            let t: Vec<f32> = es.iter().map(|&e| z[e + lead]).collect();
            Tensor::from_vec(t, (es.len(), 1), &Device::Cpu)
        };

        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let (varmap, net) = init_net(&cfg, &mut rng).map_err(model_error)?;
        let mut opt = AdamW::new(
            varmap.all_vars(),
            ParamsAdamW {
                lr: cfg.learning_rate,
                weight_decay: 0.0,
                ..Default::default()
            },
        )
        .map_err(model_error)?;
        let batches = train_ends.len().div_ceil(cfg.batch_size);
        let bar = progress::bar((batches * cfg.epochs) as u64, format!("train {NAME}"));
        let mut order = train_ends.to_vec();
        let mut epochs = Vec::with_capacity(cfg.epochs);
        // The best epoch so far: its number, validation MSE, weights and validation
        // forecasts (reused for the calibration below).
        let mut best: Option<(usize, f64, Vec<Tensor>, Vec<f32>)> = None;
        let mut waited = 0;
        let val_t: Vec<f32> = val_ends.iter().map(|&e| z[e + lead]).collect();
        for epoch in 1..=cfg.epochs {
            let started = Instant::now();
            order.shuffle(&mut rng);
            let mut sum = 0.0;
            for (b, chunk) in order.chunks(cfg.batch_size).enumerate() {
                if crate::interrupt::requested() {
                    bar.finish_and_clear();
                    return Err(ForecastError::Interrupted(NAME));
                }
                let x = windows(&z, chunk, cfg.window).map_err(model_error)?;
                let y = target(chunk).map_err(model_error)?;
                sum += train_step(&net, &mut opt, &x, &y).map_err(model_error)?;
                bar.inc(1);
                bar.set_message(format!(
                    "train {NAME} epoch {epoch}/{} loss {:.4}",
                    cfg.epochs,
                    sum / (b + 1) as f64
                ));
            }
            let val_pred = Self::predict_z(&net, &z, val_ends, &cfg).map_err(model_error)?;
            let validation_mse = val_pred
                .iter()
                .zip(&val_t)
                .map(|(p, t)| f64::from(p - t).powi(2))
                .sum::<f64>()
                / val_t.len() as f64;
            let e = EpochLoss {
                train_mse: sum / batches as f64,
                validation_mse,
                seconds: started.elapsed().as_secs_f64(),
            };
            progress::println(
                &bar,
                format!(
                    "lstm: epoch {epoch}/{}: train MSE {:.4}, validation MSE {:.4} ({:.1} s)",
                    cfg.epochs, e.train_mse, e.validation_mse, e.seconds
                ),
            );
            epochs.push(e);
            let improved = best
                .as_ref()
                .is_none_or(|b| validation_mse < b.1 - cfg.min_delta);
            if improved || cfg.patience == 0 {
                best = Some((epoch, validation_mse, snapshot(&varmap), val_pred));
                waited = 0;
            } else {
                waited += 1;
                if waited >= cfg.patience {
                    break;
                }
            }
        }
        bar.finish_and_clear();
        let (best_epoch, _, weights, last_val_pred) = best.expect("at least one epoch");
        if best_epoch < epochs.len() {
            restore(&varmap, &weights).map_err(model_error)?;
        }
        bar.finish_and_clear();

        // Split-conformal calibration: residual quantiles on the validation windows, in
        // requests per step.
        let val_pred = last_val_pred;
        let residuals: Vec<f64> = val_ends
            .iter()
            .zip(&val_pred)
            .map(|(&e, &p)| input.trace.requests[e + lead] - (f64::from(p) * std + mean))
            .collect();
        let tail = (1.0 - cfg.interval_width) / 2.0;
        let (lower, upper) = (quantile(&residuals, tail), quantile(&residuals, 1.0 - tail));
        let meta = LstmMeta {
            config: cfg.clone(),
            mean,
            std,
            lead_steps: lead,
            step_seconds: input.trace.step_seconds,
            lower_offset: lower,
            upper_offset: upper,
            epochs,
            best_epoch,
        };
        let total: f64 = meta.epochs.iter().map(|e| e.seconds).sum();
        let ran = meta.epochs.len();
        self.notes.push(format!(
            "lstm: {ran} of at most {} epochs in {total:.1} s ({:.2} s/epoch) on {} windows, {} held out; kept epoch {best_epoch}'s weights (best validation MSE{})",
            cfg.epochs,
            total / ran.max(1) as f64,
            train_ends.len(),
            val_ends.len(),
            if ran < cfg.epochs {
                format!("; stopped early, patience {}", cfg.patience)
            } else {
                String::new()
            }
        ));
        self.fitted = Some((varmap, net, meta));
        Ok(())
    }

    fn predict(&self, trace: &Trace, targets: Range<usize>) -> Result<Forecast, ForecastError> {
        let (_, net, meta) = self.fitted.as_ref().ok_or(ForecastError::NotFitted(NAME))?;
        let lead = meta.lead_steps;
        let first_end = targets
            .start
            .checked_sub(lead)
            .filter(|e| e + 1 >= meta.config.window);
        if first_end.is_none() {
            return Err(ForecastError::TargetTooEarly {
                model: NAME,
                target: targets.start,
                lead: lead + meta.config.window - 1,
            });
        }
        let z: Vec<f32> = trace
            .requests
            .iter()
            .map(|v| ((v - meta.mean) / meta.std) as f32)
            .collect();
        let ends: Vec<usize> = targets.map(|j| j - lead).collect();
        let pred = Self::predict_z(net, &z, &ends, &meta.config).map_err(model_error)?;
        let yhat: Vec<f64> = pred
            .iter()
            .map(|p| f64::from(*p) * meta.std + meta.mean)
            .collect();
        let lower = yhat
            .iter()
            .map(|y| (y + meta.lower_offset).max(0.0))
            .collect();
        let upper = yhat.iter().map(|y| y + meta.upper_offset).collect();
        Ok(Forecast {
            yhat,
            interval: Some(Interval { lower, upper }),
        })
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn fits_once_for_folds(&self) -> bool {
        true
    }

    fn artifacts(&self) -> Result<Vec<Artifact>, ForecastError> {
        self.to_artifacts()
    }
}

/// The registry entry.
pub(super) const SPEC: super::ModelSpec = super::ModelSpec {
    name: "lstm",
    about: "One-layer LSTM on the last --window steps, with a conformal interval.",
    build: |cfg| {
        Box::new(LstmModel::new(LstmConfig {
            interval_width: cfg.interval_width,
            seed: cfg.seed,
            ..cfg.lstm.clone()
        }))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// Loss and every gradient of one forward/backward pass on a batch of `rows` random
    /// windows, with weights drawn from seed 1.
    fn loss_and_grads(engine: LstmEngine, rows: usize) -> (f32, Vec<(String, Vec<f32>)>) {
        let mut rng = StdRng::seed_from_u64(9);
        let x: Vec<f32> = (0..rows * 60)
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let y: Vec<f32> = (0..rows).map(|_| rng.random_range(-1.0..1.0)).collect();
        let cfg = LstmConfig {
            engine,
            ..LstmConfig::default()
        };
        let (varmap, net) = init_net(&cfg, &mut StdRng::seed_from_u64(1)).unwrap();
        let xt = Tensor::from_vec(x, (rows, 60, 1), &Device::Cpu).unwrap();
        let yt = Tensor::from_vec(y, (rows, 1), &Device::Cpu).unwrap();
        let loss = candle_nn::loss::mse(&net.forward(&xt).unwrap(), &yt).unwrap();
        let grads = loss.backward().unwrap();
        let data = varmap.data().lock().unwrap();
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        let g = names
            .into_iter()
            .map(|n| {
                let v: &Var = &data[n];
                let g = grads.get(v).expect("every variable gets a gradient");
                (n.clone(), g.flatten_all().unwrap().to_vec1().unwrap())
            })
            .collect();
        (loss.to_scalar::<f32>().unwrap(), g)
    }

    #[test]
    fn fast_path_matches_plain_candle_on_even_and_uneven_batches() {
        // 32 rows split 16 + 16 over the two threads; 5 rows split 3 + 2, so each thread's
        // chunk has its own size. Test builds fill pooled buffers with NaN, so a read of
        // an unwritten element would turn the loss or a gradient into NaN and fail here.
        for rows in [32, 5] {
            let (fast_loss, fast) = loss_and_grads(LstmEngine::Fast, rows);
            let (plain_loss, plain) = loss_and_grads(LstmEngine::Plain, rows);
            // f32 with a different summation order and a polynomial exp (relative error
            // < 2e-7): agreement to 1e-5 relative on the loss and 1e-4 of the largest
            // gradient entry.
            assert!(
                (fast_loss - plain_loss).abs() <= 1e-5 * plain_loss.abs(),
                "{rows} rows: {fast_loss} vs {plain_loss}"
            );
            assert_eq!(fast.len(), 6);
            for ((name, f), (_, p)) in fast.iter().zip(&plain) {
                // f32::max skips NaN, so finiteness is checked on its own.
                assert!(
                    f.iter().all(|v| v.is_finite()),
                    "{rows} rows, {name}: non-finite gradient"
                );
                let scale = p.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                let worst = f
                    .iter()
                    .zip(p)
                    .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
                assert!(scale > 0.0, "{rows} rows, {name}: zero gradient");
                assert!(
                    worst <= 1e-4 * scale,
                    "{rows} rows, {name}: max diff {worst} vs scale {scale}"
                );
            }
        }
    }
}
