//! Benchmarks of the pipeline's stages on the default experiment (14-day synthetic trace,
//! 11-day train split, 3-day test period). Run on demand: `cargo bench --bench pipeline`.
//! Each LSTM or Prophet iteration takes seconds, so those groups take 10 samples.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use prescale::config::GenerateConfig;
use prescale::config::LstmConfig;
use prescale::config::LstmEngine;
use prescale::config::RefitEvery;
use prescale::config::ServingConfig;
use prescale::config::ServingModel;
use prescale::config::{ClusterConfig, PolicyConfig, SplitConfig};
use prescale::experiment::{self, ModelForecast};
use prescale::forecast::lstm::LstmModel;
use prescale::forecast::prophet::ProphetModel;
use prescale::forecast::seasonal_naive::SeasonalNaive;
use prescale::forecast::{FitInput, Forecaster};
use prescale::policy::{PolicyKind, StaticN};
use prescale::sim::simulate;
use prescale::trace::generate::generate;
use prescale::trace::{Split, Trace};

fn default_trace() -> (Trace, Split) {
    let (trace, _) = generate(&GenerateConfig::default()).unwrap();
    let split = trace.split(&SplitConfig::default(), 1).unwrap();
    (trace, split)
}

fn fit_input(trace: &Trace, split: Split) -> FitInput<'_> {
    FitInput {
        trace,
        train_len: split.train_len,
        lead_steps: 3,
    }
}

/// One LSTM training epoch (plus the validation pass) on the 15,840-step train split:
/// the fast custom-op path against the plain `candle_nn::LSTM` + `seq` loop.
fn lstm_epoch(c: &mut Criterion) {
    let (trace, split) = default_trace();
    let mut g = c.benchmark_group("lstm_epoch");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    for (name, engine) in [("fast", LstmEngine::Fast), ("plain", LstmEngine::Plain)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut m = LstmModel::new(LstmConfig {
                    epochs: 1,
                    engine,
                    ..LstmConfig::default()
                });
                m.fit(&fit_input(&trace, split)).unwrap();
                m
            })
        });
    }
    g.finish();
}

/// Prophet: one fit on the train split, and the forecast of the test period with one
/// fit (`never`) and refitted every 6 hours (the default: 11 warm-started refits).
fn prophet_fit(c: &mut Criterion) {
    let (trace, split) = default_trace();
    let mut g = c.benchmark_group("prophet");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("fit", |b| {
        b.iter(|| {
            let mut m = ProphetModel::new(0.8, 42);
            m.fit(&fit_input(&trace, split)).unwrap();
            m
        })
    });
    for every in [RefitEvery::NEVER, RefitEvery::DEFAULT] {
        g.bench_function(format!("fit_and_predict_refit_{every}"), |b| {
            b.iter(|| {
                let mut m = ProphetModel::new(0.8, 42).with_refits(every);
                m.fit(&fit_input(&trace, split)).unwrap();
                m.predict(&trace, split.test_range()).unwrap()
            })
        });
    }
    g.finish();
}

/// Every policy over the 4,320-minute test period with one model's forecasts, under each
/// serving model, and the discrete-event model's throughput:
/// 4,320 minutes of 4,000 requests each (17.3 M requests) on 100 containers at 80 %.
fn serving(c: &mut Criterion) {
    let (trace, split) = default_trace();
    let mut model = SeasonalNaive::new(0.8);
    model.fit(&fit_input(&trace, split)).unwrap();
    let models = vec![ModelForecast {
        model: "seasonal-naive".into(),
        forecast: model.predict(&trace, split.test_range()).unwrap(),
        validation: None,
        tunings: Default::default(),
    }];
    let mut g = c.benchmark_group("serving");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    for m in [
        ServingModel::THRESHOLD,
        ServingModel::QUEUE,
        ServingModel::REQUESTS,
    ] {
        let cluster = ClusterConfig {
            serving: ServingConfig {
                model: m,
                ..ServingConfig::default()
            },
            ..ClusterConfig::default()
        }
        .at_step(60);
        g.bench_function(format!("simulate_all_policies_{}", m.name()), |b| {
            b.iter(|| {
                experiment::run(
                    &trace,
                    split,
                    &models,
                    PolicyKind::ALL,
                    &PolicyConfig::default(),
                    &cluster,
                )
                .unwrap()
            })
        });
    }
    let demand = vec![4000.0; 4330];
    let cluster = ClusterConfig {
        serving: ServingConfig {
            model: ServingModel::REQUESTS,
            ..ServingConfig::default()
        },
        ..ClusterConfig::default()
    }
    .at_step(60);
    g.bench_function("requests_17m", |b| {
        b.iter(|| simulate(&demand, 10..4330, None, &mut StaticN(100), &cluster).unwrap())
    });
    g.finish();
}

/// The default 14-day synthetic workload.
fn generate_default(c: &mut Criterion) {
    c.bench_function("generate_14_days", |b| {
        b.iter(|| generate(&GenerateConfig::default()).unwrap())
    });
}

criterion_group!(benches, serving, generate_default, lstm_epoch, prophet_fit);
criterion_main!(benches);
