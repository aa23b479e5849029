//! Burst awareness, for forecast policies that opt in: when the last observed step
//! exceeds the upper bound the model forecast for it (its point forecast where it has no
//! interval), demand is rising faster than the model can see, and the next decision
//! provisions for the ramp: the last step plus its recent growth per step, extrapolated
//! over the `d + 1` steps to the target. The policy's stabilization window then holds
//! that level for a few minutes (`docs/experiment.md`, "Burst awareness").

use super::Observation;
use crate::serving::StepCluster;

/// The burst detector and its extrapolation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Burst {
    /// Minutes of history the growth is measured over; 0 switches bursts off.
    pub(super) lookback_min: u32,
}

impl Burst {
    /// The containers the ramp calls for at `t + d`, or 0 when there is no burst.
    pub(super) fn target(&self, obs: &Observation, cluster: &StepCluster) -> i64 {
        let (Some(past), Some(&last)) = (obs.past_forecast, obs.history.last()) else {
            return 0;
        };
        if self.lookback_min == 0 || last <= past.upper.unwrap_or(past.yhat) {
            return 0;
        }
        let n = obs.history.len();
        let w = cluster.steps_of(self.lookback_min).min(n - 1);
        let growth = if w == 0 {
            0.0
        } else {
            ((last - obs.history[n - 1 - w]) / w as f64).max(0.0)
        };
        let level = last + growth * (cluster.delay_steps + 1) as f64;
        cluster.containers_for(level)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::forecast::PointForecast;

    fn obs<'a>(history: &'a [f64], upper: f64) -> Observation<'a> {
        let mut o = with_forecast(0.0, 0.0, 0.0, None);
        o.history = history;
        o.past_forecast = Some(PointForecast {
            yhat: upper * 0.8,
            lower: None,
            upper: Some(upper),
        });
        o
    }

    #[test]
    fn a_ramp_above_the_upper_bound_is_extrapolated_over_the_delay() {
        // d = 2, capacity 50, lookback 3 steps. History ends 100, 160, 220, 280: growth
        // (280 − 100) / 3 = 60 per step; at t + d, 3 steps after t − 1: 280 + 180 = 460,
        // which needs 10 containers.
        let b = Burst { lookback_min: 3 };
        let h = [90.0, 100.0, 160.0, 220.0, 280.0];
        assert_eq!(b.target(&obs(&h, 250.0), &cluster()), 10);
        // Inside the upper bound: no burst.
        assert_eq!(b.target(&obs(&h, 280.0), &cluster()), 0);
        // Above the bound but lower than 2 steps ago: no growth to extrapolate, its own
        // level, 280, needs 6.
        let flat = [300.0, 120.0, 280.0];
        let two = Burst { lookback_min: 2 };
        assert_eq!(two.target(&obs(&flat, 200.0), &cluster()), 6);
        // Switched off.
        assert_eq!(
            Burst { lookback_min: 0 }.target(&obs(&h, 250.0), &cluster()),
            0
        );
    }
}
