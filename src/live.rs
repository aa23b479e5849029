//! The chosen policy running live, one decision per tick of a clock: what `serve` runs
//! against a running Prometheus and `serve --replay` steps through a past period
//! (`docs/experiment.md`, Serving the policy live). Pure: the demand and the forecasts
//! come in, decisions go out; the loop is the simulator's own ([`Stepper`]), so a
//! decision here is the one `simulate` makes for the same demand and forecasts.

use thiserror::Error;

use crate::forecast::{Forecast, ForecastError, Forecaster, PointForecast};
use crate::policy::Policy;
use crate::serving::StepCluster;
use crate::sim::Stepper;
use crate::trace::Trace;

/// Why a tick could not decide.
#[derive(Debug, Error, PartialEq)]
pub enum LiveError {
    /// The history ends before a step already served.
    #[error("the history has {have} steps; {need} were served already")]
    Shrunk {
        /// Steps given.
        have: usize,
        /// Steps served before.
        need: usize,
    },
    /// A tick before the first decision's step.
    #[error("a tick at step {step}, before the first decision at step {first}")]
    Early {
        /// The tick's step.
        step: usize,
        /// The first decision's step.
        first: usize,
    },
}

/// One decision: the containers to have ready `d` steps after the step it was made at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// The step it was made at (the history's length then).
    pub step: usize,
    /// The replicas: the policy's target, clamped to the cluster's bounds.
    pub replicas: u32,
    /// The forecast of the demand at the step it is for (`step + d`), for a policy that
    /// reads one.
    pub forecast: Option<PointForecast>,
}

/// A policy deciding at each tick, with the cluster model it sees its past in.
pub struct Scaler {
    policy: Box<dyn Policy>,
    stepper: Stepper,
    delay: usize,
    /// The first decision's step.
    first: usize,
    /// The next step to serve in the cluster model.
    next: usize,
    /// The last decision.
    last: Option<Decision>,
    /// The forecasts the decisions read, by the step each is for, the last `d + 1`
    /// (a decision also reads the one made for the step before it).
    forecasts: std::collections::VecDeque<(usize, PointForecast)>,
}

impl Scaler {
    /// A scaler whose first decision is made at step `first` (it sees the demand of the
    /// steps before it).
    pub fn new(policy: Box<dyn Policy>, cluster: &StepCluster, first: usize) -> Self {
        Self {
            policy,
            stepper: Stepper::new(cluster, usize::MAX),
            delay: cluster.delay_steps,
            first,
            next: first,
            last: None,
            forecasts: Default::default(),
        }
    }

    /// Serves every step of `history` not served yet in the cluster model, under the
    /// decision made at it (or the last target held, at a step no tick decided at).
    pub fn feed(&mut self, history: &[f64]) -> Result<(), LiveError> {
        if history.len() < self.next {
            return Err(LiveError::Shrunk {
                have: history.len(),
                need: self.next,
            });
        }
        while self.next < history.len() {
            let t = self.next;
            let target = self.last.filter(|d| d.step == t).map(|d| d.replicas);
            self.stepper.step(target, history[t]);
            self.next += 1;
        }
        Ok(())
    }

    /// Decides at step `t` = `history.len()` for `t + d`: serves the steps before it in
    /// the cluster model ([`Self::feed`]), then asks the policy as the simulator does,
    /// with `forecast` (the model's for `t + d`, for a policy that reads one) and the
    /// forecast an earlier tick read for `t − 1`.
    pub fn tick(
        &mut self,
        history: &[f64],
        forecast: Option<PointForecast>,
    ) -> Result<Decision, LiveError> {
        let t = history.len();
        if t < self.first {
            return Err(LiveError::Early {
                step: t,
                first: self.first,
            });
        }
        self.feed(history)?;
        let d = self.delay;
        let past_forecast = t
            .checked_sub(1)
            .and_then(|want| self.forecasts.iter().find(|(s, _)| *s == want))
            .map(|(_, f)| *f);
        let replicas =
            self.stepper
                .decide(self.policy.as_mut(), history, forecast, past_forecast, &[]);
        if let Some(f) = forecast {
            self.forecasts.push_back((t + d, f));
            while self.forecasts.len() > d + 1 {
                self.forecasts.pop_front();
            }
        }
        let decision = Decision {
            step: t,
            replicas,
            forecast,
        };
        self.last = Some(decision);
        Ok(decision)
    }

    /// The last decision.
    pub fn last(&self) -> Option<Decision> {
        self.last
    }

    /// The target of every step served so far from the first decision's on (a decision
    /// made at it, or the one held).
    pub fn targets(&self) -> Vec<u32> {
        self.stepper.past().iter().map(|o| o.target).collect()
    }
}

/// A fitted model's forecasts, made as the data they read arrives: the fit's own for the
/// steps it forecast, then for a refitting model each refit block's at once (refitted on
/// the data through the block's first target less the lead, the blocks counted from the
/// fit's first target as the one fit counts them), and for any other model each step's
/// when it is asked for. The interval is stretched as the fit calibrated it.
pub struct Forecasts {
    model: Box<dyn Forecaster>,
    stretch: Option<f64>,
    every: Option<usize>,
    origin: usize,
    /// The first step `made` forecasts, and the forecasts.
    made: (usize, Forecast),
    /// Forecasts made after the fit's: a refitting model's blocks, another's steps.
    predictions: u64,
}

impl Forecasts {
    /// The forecasts of `model`, fitted with its first forecast of step `origin` (the
    /// validation window's first step), `made` holding its forecasts from step `from` on
    /// (the fit's of the steps after the history), `stretch` its interval's calibration.
    pub fn new(
        model: Box<dyn Forecaster>,
        stretch: Option<f64>,
        every: Option<usize>,
        origin: usize,
        from: usize,
        made: Forecast,
    ) -> Self {
        Self {
            model,
            stretch,
            every,
            origin,
            made: (from, made),
            predictions: 0,
        }
    }

    /// Refits made since the fit (a refitting model's blocks forecast; 0 for a model
    /// that reads the latest data without refitting).
    pub fn refits(&self) -> u64 {
        if self.every.is_some() {
            self.predictions
        } else {
            0
        }
    }

    /// The forecast of step `j` from `seen`, the demand through step `j − lead` at least
    /// (no later step is read: the steps after `seen` are zeros to the model).
    pub fn at(&mut self, seen: &Trace, j: usize) -> Result<PointForecast, ForecastError> {
        let (from, made) = &self.made;
        if j >= *from && j < from + made.len() {
            return Ok(made.at(j - from));
        }
        let targets = match self.every {
            Some(every) if j >= self.origin => {
                let b = (j - self.origin) / every;
                self.origin + b * every..self.origin + (b + 1) * every
            }
            _ => j..j + 1,
        };
        let mut padded = seen.clone();
        padded
            .requests
            .resize(padded.requests.len().max(targets.end), 0.0);
        padded.in_event = None;
        let f = self.model.predict(&padded, targets.clone())?;
        let f = match self.stretch {
            Some(q) => f.stretched(q),
            None => f,
        };
        self.made = (targets.start, f);
        self.predictions += 1;
        Ok(self.made.1.at(j - targets.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyKind;
    use crate::serving::test_cluster;
    use crate::sim::simulate;
    use crate::trace::Split;

    /// Demand with a daily shape and noise, and a forecast that is the demand late by a
    /// few steps, so a policy reading it has something to follow.
    fn case() -> (Vec<f64>, Forecast) {
        let demand: Vec<f64> = (0..400)
            .map(|i| 200.0 + 150.0 * ((i as f64) / 40.0).sin() + ((i * 37) % 23) as f64)
            .collect();
        let forecast = Forecast {
            yhat: (0..300).map(|k| demand[100 + k - 3]).collect(),
            interval: None,
        };
        (demand, forecast)
    }

    #[test]
    fn ticks_decide_what_the_simulator_decides() {
        // The same policy, demand and forecasts through the simulator and through a
        // tick per step: every step's target equal, the last d held in both.
        let (demand, forecast) = case();
        let cluster = test_cluster(3);
        let cfg = crate::settings::Settings::default().policy;
        let ctx = crate::policy::PolicyContext {
            cluster: &cluster,
            tuned: None,
        };
        for name in [
            "predictive-hpa",
            "buffered",
            "policy-aware",
            "reactive-hpa",
            "knative-kpa",
        ] {
            let kind = PolicyKind::from_name(name).unwrap();
            let f = kind.uses_forecast().then(|| forecast.clone());
            let mut p = kind.build(&cfg, &ctx);
            let tl = simulate(&demand, 100..400, f.as_ref(), p.as_mut(), &cluster).unwrap();
            let d = cluster.delay_steps;
            let mut live = Scaler::new(kind.build(&cfg, &ctx), &cluster, 100 - d);
            for t in 100 - d..400 - d {
                let k = t + d - 100;
                live.tick(&demand[..t], f.as_ref().map(|f| f.at(k)))
                    .unwrap();
            }
            live.feed(&demand).unwrap();
            assert_eq!(live.targets()[d..], tl.target[..], "{name}");
            assert!(tl.target.iter().any(|&x| x != tl.target[0]), "{name} moved");
        }
    }

    /// Decides 1, then 5, then 9, … (4 more each time), whatever it sees.
    struct Counting(i64);

    impl Policy for Counting {
        fn decide(&mut self, _: &crate::policy::Observation, _: &StepCluster) -> i64 {
            self.0 += 4;
            self.0 - 4
        }
    }

    #[test]
    fn a_step_without_a_tick_holds_the_last_target() {
        let (demand, _) = case();
        let cluster = test_cluster(2);
        let mut live = Scaler::new(Box::new(Counting(1)), &cluster, 98);
        assert_eq!(live.tick(&demand[..98], None).unwrap().replicas, 1);
        // Steps 98 and 99 pass with one tick, at 100: 98 served under the decision
        // made at it, 99 under the same target held; 100's decision is 100's alone.
        assert_eq!(live.tick(&demand[..100], None).unwrap().replicas, 5);
        live.feed(&demand[..101]).unwrap();
        assert_eq!(live.targets(), vec![1, 1, 5]);
        assert_eq!(live.last().map(|d| d.step), Some(100));
        assert_eq!(
            live.tick(&demand[..50], None),
            Err(LiveError::Early {
                step: 50,
                first: 98
            })
        );
        assert_eq!(
            live.feed(&demand[..99]),
            Err(LiveError::Shrunk {
                have: 99,
                need: 101
            })
        );
    }

    #[test]
    fn forecasts_made_as_the_data_arrives_are_the_fits_own() {
        // seasonal-naive fitted once on the whole test period (as `train` does) and
        // fitted live on the history before it: every later step's forecast, made from
        // only the data through its lead, equal, its interval stretched alike.
        use crate::config::{ClusterConfig, GenerateConfig, ModelConfig};
        use crate::forecast::fit::fit;
        use crate::forecast::ModelKind;
        let (trace, _) = crate::trace::generate::generate(&GenerateConfig {
            days: 5.0,
            ..GenerateConfig::default()
        })
        .unwrap();
        let cluster = ClusterConfig::default();
        let cfg = ModelConfig {
            validation_days: 1.0,
            ..ModelConfig::default()
        };
        let d = cluster.at_step(60).delay_steps;
        let (t0, n) = (4 * 1440, 1440);
        let kind = ModelKind::from_name("seasonal-naive").unwrap();
        let mut batch = kind.build(&cfg);
        let split = Split {
            train_len: t0,
            test_len: n,
        };
        let whole = fit(batch.as_mut(), &trace, split, &cluster, &cfg).unwrap();
        let mut seen = trace.clone();
        seen.requests.truncate(t0);
        let mut padded = seen.clone();
        padded.requests.resize(t0 + d + 1, 0.0);
        let mut model = kind.build(&cfg);
        let live_split = Split {
            train_len: t0,
            test_len: d + 1,
        };
        let first = fit(model.as_mut(), &padded, live_split, &cluster, &cfg).unwrap();
        let stretch = first.interval.map(|c| c.stretch);
        assert!(stretch.is_some_and(|q| q != 1.0));
        let origin = first.validation.as_ref().unwrap().start;
        let mut live = Forecasts::new(model, stretch, None, origin, t0, first.forecast);
        for j in t0..t0 + n {
            let mut upto = trace.clone();
            upto.requests.truncate(j - d);
            assert_eq!(live.at(&upto, j).unwrap(), whole.forecast.at(j - t0), "{j}");
        }
    }
}
