//! The default synthetic workload (`docs/experiment.md`): daily and weekly seasonality,
//! lognormal noise, Poisson "marketing promotion" events, Poisson counts.
//!
//! Pure and seeded: the same [`GenerateConfig`] gives the same trace, bit for bit.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal, Poisson};

use super::Trace;
use crate::config::GenerateConfig;
use crate::settings::{SettingError, Value, DAYS};

/// One promotion: when it starts and how it is shaped.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Start, in minutes from the trace's start.
    pub start_min: f64,
    /// Peak multiplier.
    pub peak: f64,
    /// Plateau length, in minutes.
    pub plateau_min: f64,
}

/// A step counts as "in an event" while some event's shape is at least this.
pub const IN_EVENT_THRESHOLD: f64 = 0.05;

impl GenerateConfig {
    /// The event's shape (0 to 1) `tau` minutes after it starts: linear ramp, plateau,
    /// exponential decay.
    pub fn event_shape(&self, event: &Event, tau: f64) -> f64 {
        if tau < 0.0 {
            0.0
        } else if tau < self.event_ramp_min {
            tau / self.event_ramp_min
        } else if tau < self.event_ramp_min + event.plateau_min {
            1.0
        } else {
            (-(tau - self.event_ramp_min - event.plateau_min) / self.event_decay_min).exp()
        }
    }

    /// The seasonal part of the rate at `t`: `daily(t) · weekly(t)`.
    pub fn seasonal(&self, t: DateTime<Utc>) -> f64 {
        let hour =
            f64::from(t.hour()) + f64::from(t.minute()) / 60.0 + f64::from(t.second()) / 3600.0;
        // sin peaks at a quarter period: (h - (peak - 6)) / 24 = 1/4 at h = peak.
        let phase = 2.0 * std::f64::consts::PI * (hour - (self.peak_hour - 6.0)) / 24.0;
        let daily = 1.0 + self.daily_amplitude * phase.sin();
        let weekly = match t.weekday() {
            Weekday::Sat | Weekday::Sun => self.weekend_factor,
            _ => 1.0,
        };
        daily * weekly
    }
}

/// Draws the trace. Returns it with `in_event` set, and the events that shaped it.
pub fn generate(cfg: &GenerateConfig) -> Result<(Trace, Vec<Event>), SettingError> {
    DAYS.check(Value::Number(cfg.days))?;
    // The step in minutes, the unit of the shape's times and rates.
    let step = f64::from(cfg.step_seconds.max(1)) / 60.0;
    let span_min = cfg.days * 24.0 * 60.0;
    let n = (span_min / step).round() as usize;
    let mut rng = StdRng::seed_from_u64(cfg.seed);

    // One documented order of draws: all events first, then a noise and a count per step.
    let mut events = Vec::new();
    if cfg.events_per_day > 0.0 {
        let gap = Exp::new(cfg.events_per_day / (24.0 * 60.0)).expect("positive rate");
        let mut t = gap.sample(&mut rng);
        while t < span_min {
            events.push(Event {
                start_min: t,
                peak: rng.random_range(cfg.event_peak.0..=cfg.event_peak.1),
                plateau_min: rng.random_range(cfg.event_plateau_min.0..=cfg.event_plateau_min.1),
            });
            t += gap.sample(&mut rng);
        }
    }

    // Σ (peak_k − 1)·shape_k and the largest shape, per step. Each event touches only the
    // steps until its decay falls below 1e-6 of its peak excess.
    let mut excess = vec![0.0; n];
    let mut max_shape = vec![0.0f64; n];
    let tail_min = cfg.event_decay_min * 14.0;
    for ev in &events {
        let first = (ev.start_min / step).floor() as usize;
        let last = (((ev.start_min + cfg.event_ramp_min + ev.plateau_min + tail_min) / step).ceil()
            as usize)
            .min(n);
        for i in first..last {
            let shape = cfg.event_shape(ev, i as f64 * step - ev.start_min);
            excess[i] += (ev.peak - 1.0) * shape;
            max_shape[i] = max_shape[i].max(shape);
        }
    }

    let sigma = cfg.noise_sigma.max(0.0);
    // Mean one: E[exp(N(mu, s²))] = exp(mu + s²/2) = 1.
    let noise = LogNormal::new(-sigma * sigma / 2.0, sigma).expect("finite sigma");
    let mut requests = Vec::with_capacity(n);
    for (i, ex) in excess.iter().enumerate() {
        let t = cfg.start + Duration::seconds(i as i64 * i64::from(cfg.step_seconds.max(1)));
        let rate = cfg.base_per_min * step * cfg.seasonal(t) * noise.sample(&mut rng) * (1.0 + ex);
        let count = if rate > 0.0 {
            Poisson::new(rate).expect("positive rate").sample(&mut rng)
        } else {
            0.0
        };
        requests.push(count);
    }
    let in_event = max_shape.iter().map(|&s| s >= IN_EVENT_THRESHOLD).collect();
    Ok((
        Trace {
            start: cfg.start,
            step_seconds: cfg.step_seconds.max(1),
            requests,
            in_event: Some(in_event),
        },
        events,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn mean(xs: &[f64]) -> f64 {
        xs.iter().sum::<f64>() / xs.len() as f64
    }

    #[test]
    fn default_trace_has_spec_length_and_start() {
        let (t, _) = generate(&GenerateConfig::default()).unwrap();
        assert_eq!(t.len(), 20_160);
        assert_eq!(t.step_seconds, 60);
        assert_eq!(
            super::super::format_timestamp(t.start),
            "2026-01-05T00:00:00Z"
        );
        assert!(t.requests.iter().all(|r| *r >= 0.0 && r.fract() == 0.0));
    }

    #[test]
    fn same_seed_same_trace_other_seed_other_trace() {
        let a = generate(&GenerateConfig::default()).unwrap().0;
        let b = generate(&GenerateConfig::default()).unwrap().0;
        let c = generate(&GenerateConfig {
            seed: 7,
            ..Default::default()
        })
        .unwrap()
        .0;
        assert_eq!(a.to_csv(), b.to_csv());
        assert_ne!(a.requests, c.requests);
    }

    #[test]
    fn weekday_mean_without_events_is_base() {
        // With no events the weekday mean of daily(t) over whole days is 1 and the noise
        // has mean 1, so the mean count is base = 120 (Poisson sd of the mean over 5 days
        // is about 0.13; the lognormal noise adds about 0.1).
        let cfg = GenerateConfig {
            days: 5.0,
            events_per_day: 0.0,
            ..Default::default()
        };
        let (t, events) = generate(&cfg).unwrap();
        assert!(events.is_empty());
        let m = mean(&t.requests);
        assert!((m - 120.0).abs() < 1.5, "weekday mean {m}");
        // Weekend factor 0.85: a Saturday+Sunday trace averages 102.
        let weekend = GenerateConfig {
            start: Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap(),
            days: 2.0,
            ..cfg
        };
        let m = mean(&generate(&weekend).unwrap().0.requests);
        assert!((m - 102.0).abs() < 1.5, "weekend mean {m}");
    }

    #[test]
    fn daily_peak_is_at_fourteen_hundred() {
        let cfg = GenerateConfig {
            days: 10.0,
            events_per_day: 0.0,
            ..Default::default()
        };
        let (t, _) = generate(&cfg).unwrap();
        let mut by_hour = [0.0; 24];
        for (i, r) in t.requests.iter().enumerate() {
            by_hour[(i / 60) % 24] += r;
        }
        let peak = (0..24)
            .max_by(|&a, &b| by_hour[a].total_cmp(&by_hour[b]))
            .unwrap();
        // The hour bucket 13:00-14:00 and 14:00-15:00 straddle the peak; the sine is
        // symmetric about 14:00, so either may win by noise.
        assert!(peak == 13 || peak == 14, "peak hour {peak}");
        let trough = (0..24)
            .min_by(|&a, &b| by_hour[a].total_cmp(&by_hour[b]))
            .unwrap();
        assert!(trough == 1 || trough == 2, "trough hour {trough}");
    }

    #[test]
    fn event_count_is_about_one_per_day() {
        // Poisson with mean 200 over 200 days: sd ≈ 14, so ±45 is over 3 sd.
        let cfg = GenerateConfig {
            days: 200.0,
            step_seconds: 3600,
            ..Default::default()
        };
        let (_, events) = generate(&cfg).unwrap();
        assert!(
            (155..=245).contains(&events.len()),
            "{} events",
            events.len()
        );
        for e in &events {
            assert!((1.8..=3.5).contains(&e.peak));
            assert!((10.0..=60.0).contains(&e.plateau_min));
        }
    }

    #[test]
    fn event_shape_ramps_holds_and_decays() {
        let cfg = GenerateConfig::default();
        let ev = Event {
            start_min: 0.0,
            peak: 2.0,
            plateau_min: 10.0,
        };
        assert_eq!(cfg.event_shape(&ev, -1.0), 0.0);
        assert_eq!(cfg.event_shape(&ev, 2.5), 0.5);
        assert_eq!(cfg.event_shape(&ev, 10.0), 1.0);
        // One time constant into the decay: e^-1.
        assert!((cfg.event_shape(&ev, 30.0) - (-1.0f64).exp()).abs() < 1e-12);
    }

    #[test]
    fn events_raise_demand_and_are_marked() {
        let (t, events) = generate(&GenerateConfig::default()).unwrap();
        assert!(!events.is_empty());
        let flags = t.in_event.as_ref().unwrap();
        let ev = &events[0];
        let plateau = (ev.start_min + 5.0 + ev.plateau_min / 2.0) as usize;
        assert!(flags[plateau]);
        let inside: Vec<f64> = (0..t.len())
            .filter(|&i| flags[i])
            .map(|i| t.requests[i])
            .collect();
        let outside: Vec<f64> = (0..t.len())
            .filter(|&i| !flags[i])
            .map(|i| t.requests[i])
            .collect();
        assert!(mean(&inside) > 1.3 * mean(&outside));
    }
}
