//! The synthetic workload's shape; `trace::generate` draws it (`docs/experiment.md`, The trace).

use chrono::{DateTime, TimeZone, Utc};

/// Shape of the synthetic workload. Every default is stated in `docs/experiment.md`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// First timestamp. Defaults to 2026-01-05T00:00:00Z (a Monday).
    pub start: DateTime<Utc>,
    /// Length of the trace, in days. Defaults to 14.
    pub days: f64,
    /// Seconds per step. Defaults to 60.
    pub step_seconds: u32,
    /// Seed of the one random source. Defaults to 42.
    pub seed: u64,
    /// Mean demand before seasonality, in requests per minute. Defaults to 120.
    pub base_per_min: f64,
    /// Amplitude of the daily sine, as a fraction of base. Defaults to 0.5.
    pub daily_amplitude: f64,
    /// Hour of day (UTC) of the daily peak. Defaults to 14.
    pub peak_hour: f64,
    /// Demand multiplier on Saturday and Sunday. Defaults to 0.85.
    pub weekend_factor: f64,
    /// Sigma of the mean-one lognormal noise. Defaults to 0.08.
    pub noise_sigma: f64,
    /// Mean number of events per day (a Poisson process). Defaults to 1.
    pub events_per_day: f64,
    /// Range of an event's peak multiplier, uniform. Defaults to (1.8, 3.5).
    pub event_peak: (f64, f64),
    /// Minutes of the linear ramp up to an event's peak. Defaults to 5.
    pub event_ramp_min: f64,
    /// Range of an event's plateau length in minutes, uniform. Defaults to (10, 60).
    pub event_plateau_min: (f64, f64),
    /// Time constant of an event's exponential decay, in minutes. Defaults to 15.
    pub event_decay_min: f64,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        Self {
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            days: 14.0,
            step_seconds: 60,
            seed: 42,
            base_per_min: 120.0,
            daily_amplitude: 0.5,
            peak_hour: 14.0,
            weekend_factor: 0.85,
            noise_sigma: 0.08,
            events_per_day: 1.0,
            event_peak: (1.8, 3.5),
            event_ramp_min: 5.0,
            event_plateau_min: (10.0, 60.0),
            event_decay_min: 15.0,
        }
    }
}
