//! How sure a choice is that its SLO holds (`docs/experiment.md`, Choosing with a
//! margin). A configuration's SLO attainment on each day of the window it is chosen on
//! is a sample of what it will attain on the days after. A day's attainment is the
//! ceiling the service alone reaches (every request served at once) less an excess miss
//! that queueing and drops add: near zero on most days and, on a bad one, many times
//! its usual size. Its logarithm is what the model takes as normal: the days' excess
//! misses `e = ceiling − attainment` (at least a hundredth of the SLO's budget
//! `b = ceiling − SLO`) as independent draws of one lognormal, so that a new day's
//! `ln e` lies below `mean + t · s · √(1 + 1/n)` with the Student-t probability of `t` on
//! `n − 1` degrees of freedom (the prediction interval for one new observation), `mean`
//! and `s` the days' mean and sample standard deviation of `ln e`. [`Rule::probability`]
//! is that chance of a day's excess within the budget, the SLO met; a pick must reach
//! the `--confidence` asked for. With one day there is no spread to go by, and a pick
//! must meet the SLO on the window as a whole: the bare rule, which is also what
//! `--confidence 0` asks for.

use crate::serving::StepCluster;

/// Whether an SLO attainment of `attained_pct` meets an SLO of `slo` percent (to the
/// reports' 6 decimals).
pub fn attains(attained_pct: f64, slo: f64) -> bool {
    attained_pct >= slo - 1e-6
}

/// What a pick must show on the window it is chosen on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// The SLO, percent.
    pub slo: f64,
    /// The chance of a day meeting the SLO a pick must reach, in (0, 1); `None`: the
    /// bare rule (met on the window as a whole).
    pub confidence: Option<f64>,
    /// The attainment the service alone reaches, percent: the share of requests it
    /// serves within the deadline (under the queue models), 100 where the SLO counts
    /// minutes ([`crate::serving::ceiling_pct`]).
    pub ceiling: f64,
}

/// One configuration's evidence on the window it is chosen on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence<'a> {
    /// SLO attainment over the whole window, percent.
    pub pooled: f64,
    /// SLO attainment on each whole day of it, percent (one value for a window of less
    /// than two days).
    pub days: &'a [f64],
}

impl Rule {
    /// The rule of an SLO of `slo` percent held with `confidence` percent (0: bare),
    /// under a service that alone reaches `ceiling` percent.
    pub fn new(slo: f64, confidence_pct: f64, ceiling: f64) -> Self {
        Self {
            slo,
            confidence: (confidence_pct > 0.0).then_some(confidence_pct / 100.0),
            ceiling,
        }
    }

    /// The rule a cluster's SLO and `--confidence` state.
    pub fn of(cluster: &StepCluster) -> Self {
        Self::new(
            100.0 * cluster.serving.slo_share,
            cluster.serving.confidence_pct,
            crate::serving::ceiling_pct(&cluster.serving),
        )
    }

    /// The chance that a day after the window meets the SLO, from the days' attainments;
    /// `None` with fewer than two days; 0 where a day is no number. Where the SLO is
    /// the ceiling itself or above it (no budget to take logarithms of: an SLO no cluster
    /// reaches, which a sweep's `--slo-levels` only warns of), the attainments are read
    /// as normal draws instead.
    pub fn probability(&self, days: &[f64]) -> Option<f64> {
        self.reading(days).map(|r| r.chance)
    }

    /// [`Self::probability`] with how it was read.
    fn reading(&self, days: &[f64]) -> Option<Reading> {
        if days.len() >= 2 && days.iter().any(|d| d.is_nan()) {
            // A day that is no number meets no SLO.
            return Some(Reading {
                chance: 0.0,
                spread: false,
            });
        }
        let budget = self.ceiling - self.slo;
        if budget <= 1e-6 {
            let short: Vec<f64> = days.iter().map(|&d| -d).collect();
            return chance_at_most(&short, -self.slo, 1e-6).map(|r| Reading { spread: false, ..r });
        }
        let floor = EXCESS_FLOOR * budget;
        let logs: Vec<f64> = days
            .iter()
            .map(|&d| (self.ceiling - d).max(floor).ln())
            .collect();
        // The reports' 1e-6 points of tolerance, as a logarithm's at the budget.
        chance_at_most(&logs, budget.ln(), (1e-6 / budget).ln_1p())
    }

    /// The chance of a day meeting the SLO as the reports state it: [`Self::probability`]
    /// where it reads a spread of the excess misses' logarithms (the reading the
    /// backtests found calibrated: `docs/experiment.md`, Choosing with a margin); where it
    /// does not (days all alike, read as certain; no budget left, where the attainments'
    /// reading overstated), the more cautious of it and the rule of succession on the
    /// days that met the SLO, `(met + 1) / (n + 2)` (a uniform prior on a day's chance,
    /// updated by the days). `None` with fewer than two days. The two meet with a jump:
    /// days that spread ever less read ever nearer certain, days exactly alike as the
    /// days met say.
    pub fn stated(&self, days: &[f64]) -> Option<f64> {
        let r = self.reading(days)?;
        if r.spread {
            return Some(r.chance);
        }
        let met = days_met(days, self.slo);
        Some(r.chance.min((met as f64 + 1.0) / (days.len() as f64 + 2.0)))
    }

    /// Whether the evidence meets the rule: the chance of a day meeting the SLO at least
    /// the confidence asked, or without a confidence or a spread, the SLO met on the
    /// window as a whole.
    pub fn holds(&self, e: Evidence) -> bool {
        match (self.confidence, self.probability(e.days)) {
            (Some(c), Some(p)) => p >= c - 1e-12,
            _ => attains(e.pooled, self.slo),
        }
    }
}

/// A stated chance of a day, in percent, as a table cell: `95 %`, or `> 99 %` where it
/// would round to 100 and `< 1 %` where it would round to 0 without being 0 (a chance
/// read from days that spread is never certain, though it can round to 1 in a float).
pub fn chance_cell(pct: f64) -> String {
    match chance_edge(pct) {
        Some(Edge::High) => "> 99 %".to_string(),
        Some(Edge::Low) => "< 1 %".to_string(),
        None => format!("{pct:.0} %"),
    }
}

/// A stated chance of a day, in percent, in a sentence: `about 95 %`, `over 99 %` or
/// `under 1 %`.
pub fn chance_about(pct: f64) -> String {
    match chance_edge(pct) {
        Some(Edge::High) => "over 99 %".to_string(),
        Some(Edge::Low) => "under 1 %".to_string(),
        None => format!("about {pct:.0} %"),
    }
}

/// A chance that would round to 100 % or, not being 0, to 0 %.
enum Edge {
    High,
    Low,
}

fn chance_edge(pct: f64) -> Option<Edge> {
    if pct >= 99.5 {
        Some(Edge::High)
    } else if pct > 0.0 && pct < 0.5 {
        Some(Edge::Low)
    } else {
        None
    }
}

/// A spread below this share of the mean's size is rounding, not spread: days that are
/// one value (its logarithm computed alike) count as certain either way.
const SPREAD_NONE: f64 = 1e-12;

/// The least excess miss a day counts with, as a share of the SLO's budget: days that
/// all but reach the ceiling are alike, and do not spread the logarithm without bound.
const EXCESS_FLOOR: f64 = 0.01;

/// The days whose attainment met an SLO of `slo` percent.
pub fn days_met(days: &[f64], slo: f64) -> usize {
    days.iter().filter(|&&d| attains(d, slo)).count()
}

/// A chance of a day meeting the SLO and whether it was read from a spread of the
/// logarithms of the days' excess misses.
#[derive(Debug, Clone, Copy)]
struct Reading {
    chance: f64,
    spread: bool,
}

/// The chance that one more draw lies at or below `bound` (to `tolerance`), taking `x`
/// as independent normal draws: the Student-t prediction interval for one new
/// observation, `F_t((bound − mean) / (s · √(1 + 1/n)); n − 1)`; certain either way where
/// the values do not spread (read without one); `None` for fewer than two values.
fn chance_at_most(x: &[f64], bound: f64, tolerance: f64) -> Option<Reading> {
    let (mean, s) = mean_sd(x)?;
    if s <= SPREAD_NONE * mean.abs().max(1.0) {
        return Some(Reading {
            chance: if mean <= bound + tolerance { 1.0 } else { 0.0 },
            spread: false,
        });
    }
    let n = x.len() as f64;
    Some(Reading {
        chance: student_t_cdf((bound - mean) / (s * (1.0 + 1.0 / n).sqrt()), n - 1.0),
        spread: true,
    })
}

/// Mean and sample standard deviation; `None` for fewer than two values.
fn mean_sd(x: &[f64]) -> Option<(f64, f64)> {
    if x.len() < 2 {
        return None;
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some((mean, var.sqrt()))
}

/// The Student-t distribution function with `df` degrees of freedom at `t`, by the
/// regularized incomplete beta function: `P(T ≤ t) = 1 − I_x(df/2, 1/2) / 2` for `t ≥ 0`,
/// `x = df / (df + t²)`.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let tail = 0.5 * incomplete_beta(df / (df + t * t), 0.5 * df, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The regularized incomplete beta function `I_x(a, b)`, by its continued fraction
/// (Lentz's method), on the side where it converges fast.
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of the incomplete beta function.
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..500 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        for coef in [
            even,
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + coef * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + coef / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return std::f64::consts::PI.ln()
            - (std::f64::consts::PI * x).sin().ln()
            - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = G[1..]
        .iter()
        .enumerate()
        .fold(G[0], |s, (i, g)| s + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `p` quantile of the Student-t distribution with `df` degrees of freedom, by
    /// bisection of [`student_t_cdf`] (to 1e-10).
    fn student_t_quantile(p: f64, df: f64) -> f64 {
        let (mut lo, mut hi): (f64, f64) = (-1e6, 1e6);
        while hi - lo > 1e-10 * hi.abs().max(1.0) {
            let mid = 0.5 * (lo + hi);
            if student_t_cdf(mid, df) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    #[test]
    fn the_t_distribution_matches_published_tables() {
        // One-sided critical values of Student's t (e.g. NIST/SEMATECH e-Handbook,
        // 1.3.6.7.2): t(0.90; 1) = 3.078, t(0.90; 2) = 1.886, t(0.95; 4) = 2.132,
        // t(0.99; 10) = 2.764, t(0.975; 30) = 2.042.
        for (p, df, t) in [
            (0.90, 1.0, 3.078),
            (0.90, 2.0, 1.886),
            (0.95, 4.0, 2.132),
            (0.99, 10.0, 2.764),
            (0.975, 30.0, 2.042),
        ] {
            assert!((student_t_quantile(p, df) - t).abs() < 5e-4, "{p} {df}");
            assert!((student_t_cdf(t, df) - p).abs() < 2e-4, "{p} {df}");
        }
        // Closed forms: one degree of freedom is Cauchy, F(t) = 1/2 + atan(t)/π; two,
        // F(t) = 1/2 + t / (2 √(2 + t²)).
        for t in [-3.0, -0.5, 0.0, 0.7, 2.5, 40.0] {
            let cauchy = 0.5 + f64::atan(t) / std::f64::consts::PI;
            assert!((student_t_cdf(t, 1.0) - cauchy).abs() < 1e-12, "{t}");
            let two = 0.5 + t / (2.0 * (2.0 + t * t).sqrt());
            assert!((student_t_cdf(t, 2.0) - two).abs() < 1e-12, "{t}");
        }
        assert_eq!(student_t_cdf(f64::INFINITY, 3.0), 1.0);
    }

    #[test]
    fn the_chance_of_a_day_meeting_the_slo_by_hand() {
        // SLO 90 % under a service that alone reaches 100 %: a budget of 10 points of
        // excess miss. Days of 99, 100 − e and 100 − e² miss 1, e and e² over the
        // ceiling: logarithms 0, 1, 2, mean 1, s = 1, n = 3; t = (ln 10 − 1) / √(4/3),
        // and with two degrees of freedom F(t) = 1/2 + t / (2 √(2 + t²)) = 0.8118…
        let rule = Rule::new(90.0, 90.0, 100.0);
        let e = std::f64::consts::E;
        let days = [99.0, 100.0 - e, 100.0 - e * e];
        let p = rule.probability(&days).unwrap();
        let t = (10f64.ln() - 1.0) / (4.0f64 / 3.0).sqrt();
        let by_hand = 0.5 + t / (2.0 * (2.0 + t * t).sqrt());
        assert!((p - by_hand).abs() < 1e-12, "{p} {by_hand}");
        assert!((p - 0.8118).abs() < 1e-4, "{p}");
        // Short of 0.9: the rule does not hold, though every day met the SLO.
        let evidence = Evidence {
            pooled: 95.0,
            days: &days,
        };
        assert!(!rule.holds(evidence));
        assert!(Rule::new(90.0, 75.0, 100.0).holds(evidence));
        // The bare rule reads the window as a whole; so does any rule on one day.
        assert!(Rule::new(90.0, 0.0, 100.0).holds(evidence));
        assert!(rule.holds(Evidence {
            pooled: 90.0,
            days: &[90.0]
        }));
        assert_eq!(rule.probability(&[90.0]), None);
        // No spread: certain either way.
        assert_eq!(rule.probability(&[95.0, 95.0]), Some(1.0));
        assert_eq!(rule.probability(&[90.0, 90.0]), Some(1.0));
        assert_eq!(rule.probability(&[85.0, 85.0]), Some(0.0));
        // Seven days of one value: no spread, though the logarithm's mean and deviation
        // round (s of about 5e-16).
        assert_eq!(rule.probability(&[90.0; 7]), Some(1.0));
        assert_eq!(rule.probability(&[91.7; 7]), Some(1.0));
        // A day that is no number meets no SLO.
        assert_eq!(rule.probability(&[95.0, f64::NAN, 95.0]), Some(0.0));
        assert!(!rule.holds(Evidence {
            pooled: 95.0,
            days: &[95.0, f64::NAN, 95.0]
        }));
        // As stated: the rule's own 0.8118 where the days spread, though the rule of
        // succession, (3 + 1) / (3 + 2) = 0.8, is less; where they do not (read as
        // certain), the more cautious of 1 and (2 + 1) / (2 + 2) = 0.75; of 0 and 0.75
        // where the days, alike, miss.
        assert!((rule.stated(&days).unwrap() - by_hand).abs() < 1e-12);
        assert_eq!(rule.stated(&[95.0, 95.0]), Some(0.75));
        assert_eq!(rule.stated(&[85.0, 85.0]), Some(0.0));
        assert_eq!(rule.stated(&[91.7; 7]), Some(8.0 / 9.0));
        assert_eq!(rule.stated(&[95.0, f64::NAN, 95.0]), Some(0.0));
        assert_eq!(rule.stated(&[90.0]), None);
    }

    #[test]
    fn a_day_at_the_ceiling_counts_a_hundredth_of_the_budget() {
        // SLO 99 % under a service that alone reaches 99.5 %: a budget of 0.5. Days at
        // (or, in the requests model's draws, above) the ceiling miss 0.005 over it, a
        // hundredth of the budget: 99.5 and 99.6 alike, so these days are as if 0.005,
        // 0.005 and 0.05 (logarithms ln 0.005 twice and ln 0.05, mean ln 0.005 + ln 10 / 3,
        // s = ln 10 / √3).
        let rule = Rule::new(99.0, 90.0, 99.5);
        let p = rule.probability(&[99.5, 99.6, 99.45]).unwrap();
        let l10 = 10f64.ln();
        let t = (0.5f64.ln() - (0.005f64.ln() + l10 / 3.0))
            / (l10 / 3f64.sqrt() * (4.0f64 / 3.0).sqrt());
        assert!(
            (p - (0.5 + t / (2.0 * (2.0 + t * t).sqrt()))).abs() < 1e-12,
            "{p}"
        );
        assert_eq!(
            rule.probability(&[99.5, 99.6, 99.45]),
            rule.probability(&[99.55, 99.5, 99.45])
        );
        // Only the excess over the budget counts: days missing 10, 20 and 40 % of the
        // budget over the ceiling are as likely to hold at 99 % under a 99.5 % ceiling as
        // at 90 % under 100 %.
        let p = rule.probability(&[99.45, 99.4, 99.3]).unwrap();
        let q = Rule::new(90.0, 90.0, 100.0)
            .probability(&[99.0, 98.0, 96.0])
            .unwrap();
        assert!((p - q).abs() < 1e-9, "{p} {q}");
        // Where the SLO is the ceiling, no budget is left to take logarithms of: the days
        // read as normal draws. Days 91, 92, 93 against 90 %: mean 92, s = 1, n = 3; t =
        // 2 / √(4/3) = √3, F(√3; 2) = 1/2 + √3 / (2 √5).
        let at_ceiling = Rule::new(90.0, 90.0, 90.0);
        let p = at_ceiling.probability(&[91.0, 92.0, 93.0]).unwrap();
        assert!(
            (p - (0.5 + 3f64.sqrt() / (2.0 * 5f64.sqrt()))).abs() < 1e-12,
            "{p}"
        );
        // No spread there: certain either way, to the reports' 1e-6 points.
        assert_eq!(at_ceiling.probability(&[91.0, 91.0]), Some(1.0));
        assert_eq!(at_ceiling.probability(&[90.0 - 1e-7; 2]), Some(1.0));
        assert_eq!(at_ceiling.probability(&[89.99, 89.99]), Some(0.0));
        // Stated there, the more cautious of 1/2 + √3 / (2 √5) = 0.887 and the rule of
        // succession, (3 + 1) / (3 + 2) = 0.8.
        assert_eq!(at_ceiling.stated(&[91.0, 92.0, 93.0]), Some(0.8));
    }

    #[test]
    fn a_chance_that_would_round_to_certain_is_said_as_over_99() {
        assert_eq!(chance_cell(95.13), "95 %");
        assert_eq!(chance_cell(99.49), "99 %");
        assert_eq!(chance_cell(99.5), "> 99 %");
        assert_eq!(chance_cell(99.999937), "> 99 %");
        assert_eq!(chance_cell(0.3), "< 1 %");
        assert_eq!(chance_cell(0.0), "0 %");
        assert_eq!(chance_about(88.9), "about 89 %");
        assert_eq!(chance_about(99.999937), "over 99 %");
        assert_eq!(chance_about(0.3), "under 1 %");
        assert_eq!(chance_about(0.0), "about 0 %");
    }
}
