//! A model's files in the data folder: its test forecasts (`forecasts/<model>.csv`), the
//! sidecar that says what they were made for (`forecasts/<model>.json`), and whatever the
//! model saves of itself (`models/`). They land as one atomic set, and `simulate` reads
//! every model's forecasts the same way, refusing any made for another trace, split or
//! startup delay with a message that says what differs.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::reports::{from_csv, to_csv};
use super::{read, write_all_atomic, DataDir, ReadError};
use crate::config::ClusterConfig;
use crate::config::RefitEvery;
use crate::experiment::ModelForecast;
use crate::forecast::{refit_blocks, Artifact, Forecast, Interval, ModelKind, Validation};
use crate::trace::{format_timestamp, Split, Trace};

/// What a forecast file was made for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ForecastMeta {
    /// The model.
    pub(crate) model: String,
    /// Fingerprint of the trace ([`trace_fingerprint`]).
    pub(crate) trace_fingerprint: String,
    /// Steps in the trace.
    pub(crate) trace_steps: usize,
    /// Seconds per step.
    pub(crate) step_seconds: u32,
    /// First test timestamp.
    pub(crate) test_start: String,
    /// Steps in the test period.
    pub(crate) test_steps: usize,
    /// Steps from the last observed step to the target (startup delay in steps + 1).
    pub(crate) lead_steps: usize,
    /// The startup delay the forecasts were made for, in minutes.
    pub(crate) startup_delay_s: u32,
    /// Steps of the validation window (the last ones of the train period, which the fit
    /// did not read) forecast in `<model>.validation.csv`; 0 when there is none.
    #[serde(default)]
    pub(crate) validation_steps: usize,
    /// The factor the interval was stretched by to cover its width of the validation
    /// window (split-conformal); absent without an interval or a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) interval_stretch: Option<f64>,
    /// The refits behind the forecasts, for a model that refits while it forecasts;
    /// absent for one fit on the train period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refits: Option<RefitSchedule>,
}

/// When a refitting model fitted, and on what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefitSchedule {
    /// The interval, as `--refit-every` takes it.
    pub(crate) every: String,
    /// The interval in steps.
    pub(crate) every_steps: usize,
    /// The fits behind the forecasts, in order: the validation window's, then the test
    /// period's (one chain: a block may straddle the two).
    pub(crate) fits: Vec<ScheduledFit>,
}

/// One fit of a refit schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScheduledFit {
    /// The first target it forecasts.
    pub(crate) first_target: String,
    /// The last target it forecasts.
    pub(crate) last_target: String,
    /// The last step of data it read.
    pub(crate) data_through: String,
}

impl RefitSchedule {
    /// The schedule of a model refitting `every` for this trace, split and lead, with a
    /// validation window of `validation_steps`; `None` when it never refits.
    fn new(
        every: RefitEvery,
        trace: &Trace,
        split: Split,
        lead: usize,
        validation_steps: usize,
    ) -> Option<Self> {
        let every_steps = every.steps(trace.step_seconds)?;
        let targets = split.train_len - validation_steps..split.train_len + split.test_len;
        let fits = refit_blocks(targets, lead, every_steps)
            .into_iter()
            .map(|b| ScheduledFit {
                first_target: format_timestamp(trace.timestamp(b.targets.start)),
                last_target: format_timestamp(trace.timestamp(b.targets.end - 1)),
                data_through: format_timestamp(trace.timestamp(b.data_len - 1)),
            })
            .collect();
        Some(Self {
            every: every.to_string(),
            every_steps,
            fits,
        })
    }
}

impl ForecastMeta {
    /// What `model`'s forecasts for this trace, split and cluster are made for.
    pub(crate) fn new(model: &str, trace: &Trace, split: Split, cluster: &ClusterConfig) -> Self {
        Self {
            model: model.to_string(),
            trace_fingerprint: trace_fingerprint(trace),
            trace_steps: trace.len(),
            step_seconds: trace.step_seconds,
            test_start: format_timestamp(trace.timestamp(split.train_len)),
            test_steps: split.test_len,
            lead_steps: cluster.at_step(trace.step_seconds).delay_steps + 1,
            startup_delay_s: cluster.startup_delay_s,
            validation_steps: 0,
            interval_stretch: None,
            refits: None,
        }
    }

    /// The sidecar as JSON.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("plain struct");
        v.push(b'\n');
        v
    }

    /// Reads the sidecar.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, ReadError> {
        serde_json::from_slice(bytes).map_err(|e| ReadError::Json(e.to_string()))
    }

    /// Why forecasts made for `self` do not fit a run that needs `run`, one clause per
    /// difference; empty when they fit. The delay in minutes matters only through the
    /// lead in steps (2 and 3 minutes are both one 5-minute step).
    pub(crate) fn differences(&self, run: &ForecastMeta) -> Vec<String> {
        let mut out = Vec::new();
        // Another trace: that alone is the reason (its step, length and split follow).
        if self.trace_fingerprint != run.trace_fingerprint
            && (self.trace_steps != run.trace_steps || self.step_seconds != run.step_seconds)
        {
            out.push(format!(
                "it was made from another trace ({} steps of {}; this run's has {} of {})",
                self.trace_steps,
                crate::trace::step_in_words(self.step_seconds),
                run.trace_steps,
                crate::trace::step_in_words(run.step_seconds)
            ));
            return out;
        }
        if self.lead_steps != run.lead_steps {
            out.push(if self.startup_delay_s != run.startup_delay_s {
                format!(
                    "it was trained for a {} startup delay, this run uses {}",
                    crate::trace::step_in_words(self.startup_delay_s),
                    crate::trace::step_in_words(run.startup_delay_s)
                )
            } else {
                format!(
                    "it forecasts {} steps ahead, this run needs {} (a --startup-spread plans with the delay's 90th percentile)",
                    self.lead_steps, run.lead_steps
                )
            });
        }
        if self.test_start != run.test_start || self.test_steps != run.test_steps {
            // The same trace's length and step (the clause above returned otherwise).
            let days = |steps: usize| {
                let d = steps as f64 * f64::from(self.step_seconds) / 86_400.0;
                format!("{}", (d * 1000.0).round() / 1000.0)
            };
            let hint = format!(" (pass --test-days {} to use them)", days(self.test_steps));
            out.push(format!(
                "its test period is the last {} days from {}, this run's the last {} days from {}{hint}",
                days(self.test_steps),
                self.test_start,
                days(run.test_steps),
                run.test_start
            ));
        }
        if self.trace_fingerprint != run.trace_fingerprint && out.is_empty() {
            out.push(format!(
                "it was trained on another trace of the same shape: the request counts differ (fingerprint {}, this run's trace {})",
                self.trace_fingerprint, run.trace_fingerprint
            ));
        }
        out
    }
}

/// FNV-1a over the bits of every request count and the start and step: two traces
/// that differ anywhere get different fingerprints (up to 64-bit collisions).
pub(crate) fn trace_fingerprint(trace: &Trace) -> String {
    let mut h = crate::hash::Fnv::new();
    h.eat(&trace.start.timestamp().to_le_bytes());
    h.eat(&trace.step_seconds.to_le_bytes());
    for r in &trace.requests {
        h.eat(&r.to_bits().to_le_bytes());
    }
    h.hex()
}

#[derive(Debug, Serialize, Deserialize)]
struct ForecastRow {
    timestamp: String,
    forecast: f64,
    lower: Option<f64>,
    upper: Option<f64>,
}

/// A model's forecast file: `timestamp,forecast,lower,upper` per test step.
fn forecast_file(trace: &Trace, split: Split, f: &Forecast) -> Vec<u8> {
    let rows: Vec<ForecastRow> = split
        .test_range()
        .enumerate()
        .map(|(i, j)| {
            let p = f.at(i);
            ForecastRow {
                timestamp: format_timestamp(trace.timestamp(j)),
                forecast: p.yhat,
                lower: p.lower,
                upper: p.upper,
            }
        })
        .collect();
    to_csv(&rows)
}

/// Reads a forecast file back; an interval exists only if every row has both bounds.
fn read_forecast_file(bytes: &[u8]) -> Result<(Vec<String>, Forecast), ReadError> {
    let rows: Vec<ForecastRow> = from_csv(bytes)?;
    let timestamps = rows.iter().map(|r| r.timestamp.clone()).collect();
    let yhat = rows.iter().map(|r| r.forecast).collect();
    let interval = rows
        .iter()
        .map(|r| r.lower.zip(r.upper))
        .collect::<Option<Vec<_>>>()
        .map(|b| Interval {
            lower: b.iter().map(|x| x.0).collect(),
            upper: b.iter().map(|x| x.1).collect(),
        });
    Ok((timestamps, Forecast { yhat, interval }))
}

/// The validation window: the last `steps` of the train period.
fn validation_split(split: Split, steps: usize) -> Split {
    Split {
        train_len: split.train_len - steps,
        test_len: steps,
    }
}

/// Reads `path` as the forecasts of the steps of `split`'s test range, refusing a file
/// whose timestamps are not those steps'.
fn read_aligned(
    path: &std::path::Path,
    trace: &Trace,
    split: Split,
    name: &str,
) -> Result<Forecast> {
    let (timestamps, forecast) =
        read_forecast_file(&read(path)?).with_context(|| format!("reading {}", path.display()))?;
    let aligned = timestamps.len() == split.test_len
        && split
            .test_range()
            .zip(&timestamps)
            .all(|(j, ts)| *ts == format_timestamp(trace.timestamp(j)));
    if !aligned {
        bail!(
            "{}: its timestamps do not match this trace's steps: run `prescale train --model {name}` again",
            path.display()
        );
    }
    Ok(forecast)
}

/// How a model's forecasts were made, beyond what every sidecar says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Making {
    /// How often the model refitted while it forecast.
    pub(crate) refit: RefitEvery,
    /// The factor its interval was stretched by on the validation window, if it was.
    pub(crate) interval_stretch: Option<f64>,
}

/// Writes one model's forecasts, their sidecar and the model's own files as one set:
/// either all of them land or none does; the sidecar records how they were `made`.
/// Returns the paths written.
pub(crate) fn save_model(
    data: &DataDir,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    model: &ModelForecast,
    artifacts: &[Artifact],
    made: Making,
) -> Result<Vec<PathBuf>> {
    let name = &model.model;
    let mut files: Vec<(PathBuf, Vec<u8>)> = artifacts
        .iter()
        .map(|a| (data.models_dir().join(&a.file_name), a.bytes.clone()))
        .collect();
    files.push((
        data.forecast_csv(name),
        forecast_file(trace, split, &model.forecast),
    ));
    let mut meta = ForecastMeta::new(name, trace, split, cluster);
    if let Some(v) = &model.validation {
        meta.validation_steps = v.forecast.len();
        files.push((
            data.validation_csv(name),
            forecast_file(
                trace,
                validation_split(split, v.forecast.len()),
                &v.forecast,
            ),
        ));
    }
    meta.interval_stretch = made.interval_stretch;
    meta.refits = RefitSchedule::new(
        made.refit,
        trace,
        split,
        meta.lead_steps,
        meta.validation_steps,
    );
    files.push((data.forecast_meta(name), meta.to_json()));
    write_all_atomic(&files).with_context(|| format!("writing {name}'s files"))?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// Reads the forecasts `train` left for `kinds`, refusing any made for another trace,
/// split or startup delay. A model without files is an error when `required` (the user
/// named it), else it is left out.
pub(crate) fn load_forecasts(
    data: &DataDir,
    trace: &Trace,
    split: Split,
    cluster: &ClusterConfig,
    kinds: &[ModelKind],
    required: bool,
) -> Result<Vec<ModelForecast>> {
    let mut out = Vec::new();
    for kind in kinds {
        let name = kind.name();
        let (csv_path, meta_path) = (data.forecast_csv(name), data.forecast_meta(name));
        if !csv_path.exists() || !meta_path.exists() {
            if required {
                bail!(
                    "no forecasts for {name} in {}: run `prescale train --model {name}` first",
                    data.forecasts_dir().display()
                );
            }
            continue;
        }
        let meta = ForecastMeta::from_json(&read(&meta_path)?)
            .with_context(|| format!("reading {}", meta_path.display()))?;
        let run = ForecastMeta::new(name, trace, split, cluster);
        let differences = meta.differences(&run);
        if !differences.is_empty() {
            bail!(
                "{} does not fit this run: {}: run `prescale train --model {name}` again with this run's trace and flags",
                csv_path.display(),
                differences.join("; ")
            );
        }
        let forecast = read_aligned(&csv_path, trace, split, name)?;
        let steps = meta.validation_steps;
        let validation = if steps > 0 && steps <= split.train_len {
            let window = validation_split(split, steps);
            Some(Validation {
                start: window.train_len,
                forecast: read_aligned(&data.validation_csv(name), trace, window, name)?,
            })
        } else {
            None
        };
        out.push(ModelForecast {
            model: name.to_string(),
            forecast,
            validation,
            tunings: Default::default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn trace() -> Trace {
        Trace {
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            step_seconds: 60,
            requests: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            in_event: None,
        }
    }

    const SPLIT: Split = Split {
        train_len: 4,
        test_len: 2,
    };

    #[test]
    fn forecast_file_round_trips_with_and_without_interval() {
        let with = Forecast {
            yhat: vec![2.5, 1.0 / 3.0],
            interval: Some(Interval {
                lower: vec![1.0, 0.1],
                upper: vec![4.0, 5.0],
            }),
        };
        let bytes = forecast_file(&trace(), SPLIT, &with);
        assert!(String::from_utf8_lossy(&bytes)
            .starts_with("timestamp,forecast,lower,upper\n2026-01-05T00:04:00Z,2.5,1.0,4.0\n"));
        let (ts, back) = read_forecast_file(&bytes).unwrap();
        assert_eq!(ts, vec!["2026-01-05T00:04:00Z", "2026-01-05T00:05:00Z"]);
        // Bit for bit, 1/3 included.
        assert_eq!(back, with);
        let without = Forecast {
            yhat: vec![2.5, 3.5],
            interval: None,
        };
        let (_, back) = read_forecast_file(&forecast_file(&trace(), SPLIT, &without)).unwrap();
        assert_eq!(back, without);
    }

    #[test]
    fn fingerprint_sees_one_changed_count() {
        let a = trace();
        let mut b = trace();
        b.requests[3] = 4.000001;
        assert_ne!(trace_fingerprint(&a), trace_fingerprint(&b));
        assert_eq!(trace_fingerprint(&a), trace_fingerprint(&trace()));
    }

    #[test]
    fn save_then_load_gives_the_forecast_back_and_refuses_another_trace() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir(dir.path().to_path_buf());
        let cluster = ClusterConfig {
            startup_delay_s: 60,
            ..ClusterConfig::default()
        };
        let model = ModelForecast {
            model: "lstm".into(),
            forecast: Forecast {
                yhat: vec![4.5, 5.5],
                interval: None,
            },
            // The last 2 train steps, forecast by a fit that did not read them.
            validation: Some(Validation {
                start: 2,
                forecast: Forecast {
                    yhat: vec![2.75, 4.25],
                    interval: None,
                },
            }),
            tunings: Default::default(),
        };
        let artifact = Artifact {
            file_name: "lstm.safetensors".into(),
            bytes: b"weights".to_vec(),
        };
        let written = save_model(
            &data,
            &trace(),
            SPLIT,
            &cluster,
            &model,
            &[artifact],
            Making {
                refit: RefitEvery::NEVER,
                interval_stretch: Some(0.75),
            },
        )
        .unwrap();
        assert_eq!(written.len(), 4);
        // One fit on the train period: the sidecar has no schedule.
        let meta = std::fs::read_to_string(data.forecast_meta("lstm")).unwrap();
        assert!(!meta.contains("refits"), "{meta}");
        assert!(meta.contains("\"validation_steps\": 2,"), "{meta}");
        assert!(meta.contains("\"interval_stretch\": 0.75\n"), "{meta}");
        assert_eq!(
            std::fs::read(data.models_dir().join("lstm.safetensors")).unwrap(),
            b"weights"
        );
        let back = load_forecasts(
            &data,
            &trace(),
            SPLIT,
            &cluster,
            &[ModelKind::from_name("lstm").unwrap()],
            true,
        )
        .unwrap();
        assert_eq!(back, vec![model]);
        // The same shape, one count changed: refused, and the message says why.
        let mut other = trace();
        other.requests[0] = 9.0;
        let err = load_forecasts(
            &data,
            &other,
            SPLIT,
            &cluster,
            &[ModelKind::from_name("lstm").unwrap()],
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("the request counts differ"), "{err}");
        assert!(!err.contains("test period"), "{err}");
        // Another delay: the message names both delays.
        let slow = ClusterConfig {
            startup_delay_s: 180,
            ..cluster.clone()
        };
        let err = load_forecasts(
            &data,
            &trace(),
            SPLIT,
            &slow,
            &[ModelKind::from_name("lstm").unwrap()],
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("trained for a 1 min startup delay, this run uses 3 min"),
            "{err}"
        );
        // A model without files: an error when named, left out otherwise.
        let kinds = [ModelKind::from_name("prophet").unwrap()];
        assert!(load_forecasts(&data, &trace(), SPLIT, &cluster, &kinds, true).is_err());
        assert!(
            load_forecasts(&data, &trace(), SPLIT, &cluster, &kinds, false)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_sidecar_records_the_refit_schedule() {
        // 1-minute steps, a 1-minute delay (lead 2), refits every 2 minutes; one chain
        // from the 2-step validation window (steps 2, 3: one block fitted on data through
        // step 0) through the test steps 4 and 5 (one block on data through step 2).
        let every = RefitEvery::minutes(2).unwrap();
        let s = RefitSchedule::new(every, &trace(), SPLIT, 2, 2).unwrap();
        let fit = |first: u32, last: u32, through: u32| ScheduledFit {
            first_target: format!("2026-01-05T00:0{first}:00Z"),
            last_target: format!("2026-01-05T00:0{last}:00Z"),
            data_through: format!("2026-01-05T00:0{through}:00Z"),
        };
        assert_eq!(s.every, "2m");
        assert_eq!(s.every_steps, 2);
        assert_eq!(s.fits, vec![fit(2, 3, 0), fit(4, 5, 2)]);
        // A 1-step window: the blocks start at step 3, and the second straddles into
        // the test period's last step.
        let s = RefitSchedule::new(every, &trace(), SPLIT, 2, 1).unwrap();
        assert_eq!(s.fits, vec![fit(3, 4, 1), fit(5, 5, 3)]);
        // Every minute: one fit per target, each on data through target − 2.
        let s = RefitSchedule::new(RefitEvery::minutes(1).unwrap(), &trace(), SPLIT, 2, 0).unwrap();
        assert_eq!(s.fits, vec![fit(4, 4, 2), fit(5, 5, 3)]);
        assert!(RefitSchedule::new(RefitEvery::NEVER, &trace(), SPLIT, 2, 0).is_none());
        // The schedule survives the JSON round trip.
        let mut meta = ForecastMeta::new(
            "prophet",
            &trace(),
            SPLIT,
            &ClusterConfig {
                startup_delay_s: 60,
                ..ClusterConfig::default()
            },
        );
        meta.refits = Some(s);
        assert_eq!(ForecastMeta::from_json(&meta.to_json()).unwrap(), meta);
    }
}
