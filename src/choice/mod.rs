//! Choosing on one window and judging on the next (`docs/experiment.md`, Backtests).
//! The folds of a trace, one [`Trial`] type, each family's pick on the window it is
//! chosen on ([`pick`]), the families' records and [`ranking`], the recommendation across
//! windows and its out-of-sample evidence; [`trials`] runs the families along their knobs
//! on a window. run-all's recommendation, the sweep's recommended rows and the backtest
//! all choose here.
//!
//! Fold k of K (oldest first) has a test window of `test` steps, the k-th of the K at
//! the trace's end, and before it a validation window of `validation` steps; its models
//! are fitted on everything before the validation window, and one fit forecasts both
//! windows. A family is a (model, policy); its trials are the policy's knob values.

use std::ops::Range;

use thiserror::Error;

use crate::metrics::PolicyMetrics;
use crate::serving::StepCluster;
use crate::sim::Timeline;

pub mod trials;

pub use crate::hold::{attains, Evidence, Rule};

/// One fold's windows, as step ranges of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// 1 for the oldest.
    pub index: usize,
    /// The validation window: where each family's knob is chosen.
    pub validation: Range<usize>,
    /// The test window: where the choice is judged, seen by no choice.
    pub test: Range<usize>,
}

impl Fold {
    /// Steps the models are fitted on: everything before the validation window.
    pub fn train_len(&self) -> usize {
        self.validation.start
    }

    /// The fold as a split whose test period is its test window (the validation window
    /// the last steps of its train period).
    pub fn split(&self) -> crate::trace::Split {
        crate::trace::Split {
            train_len: self.test.start,
            test_len: self.test.len(),
        }
    }
}

/// Why a trace cannot hold the folds asked for.
#[derive(Debug, Error, PartialEq)]
pub enum FoldError {
    /// Too short for the folds and the models' train period.
    #[error("{folds} folds of {test} test steps, each after {validation} validation steps, need {need} steps of trace with the {train} train steps the models need before the first; the trace has {len}")]
    TooShort {
        /// Folds asked for.
        folds: usize,
        /// Test steps per fold.
        test: usize,
        /// Validation steps per fold.
        validation: usize,
        /// Train steps the models need.
        train: usize,
        /// Steps needed in all.
        need: usize,
        /// Steps in the trace.
        len: usize,
    },
    /// A window of no steps.
    #[error("a fold's test and validation windows must each hold at least one step")]
    Empty,
}

/// The `folds` rolling-origin folds at the end of a trace of `len` steps: test windows of
/// `test` steps back to back, each after `validation` steps, the first's models trained
/// on at least `min_train` steps.
pub fn folds(
    len: usize,
    folds: usize,
    test: usize,
    validation: usize,
    min_train: usize,
) -> Result<Vec<Fold>, FoldError> {
    if test == 0 || validation == 0 || folds == 0 {
        return Err(FoldError::Empty);
    }
    let need = min_train + validation + folds * test;
    if need > len {
        return Err(FoldError::TooShort {
            folds,
            test,
            validation,
            train: min_train,
            need,
            len,
        });
    }
    Ok((1..=folds)
        .map(|k| {
            let end = len - (folds - k) * test;
            let start = end - test;
            Fold {
                index: k,
                validation: start - validation..start,
                test: start..end,
            }
        })
        .collect())
}

/// What a choice reads of one run on one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// SLO attainment in the SLO's own terms, percent.
    pub attained_pct: f64,
    /// Cost over the window's optimum.
    pub cost_vs_optimal: f64,
    /// Container-minutes (the pick's cost: exact, so ties are ties).
    pub container_minutes: u64,
    /// SLO attainment on each whole day of the window, percent
    /// ([`crate::metrics::daily_attained_pct`]).
    pub days: Vec<f64>,
}

impl Figures {
    /// The figures of a run: its metrics, and its timeline's days served by `cluster`.
    pub fn of(m: &PolicyMetrics, tl: &Timeline, cluster: &StepCluster) -> Self {
        Self {
            attained_pct: m.slo_attained_pct,
            cost_vs_optimal: m.cost_vs_optimal,
            container_minutes: m.container_minutes,
            days: crate::metrics::daily_attained_pct(tl, cluster),
        }
    }

    /// Whether they meet an SLO of `slo` percent over the whole window.
    pub fn meet(&self, slo: f64) -> bool {
        attains(self.attained_pct, slo)
    }

    /// What the rule reads of them.
    pub fn evidence(&self) -> Evidence<'_> {
        Evidence {
            pooled: self.attained_pct,
            days: &self.days,
        }
    }

    /// Days of the window that met an SLO of `slo` percent.
    pub fn days_met(&self, slo: f64) -> usize {
        crate::hold::days_met(&self.days, slo)
    }
}

/// Daily attainments as a CSV cell holds them: space-separated.
pub fn days_text(days: &[f64]) -> String {
    days.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A cell's daily attainments ([`days_text`]); a value that is no number reads as NaN,
/// which meets no SLO.
pub fn days_of(text: &str) -> Vec<f64> {
    text.split_whitespace()
        .map(|d| d.parse().unwrap_or(f64::NAN))
        .collect()
}

/// One trial: a family (model, policy) at one knob value, on the window it is chosen on
/// and, once judged, on the window after it. One type for every choice: run-all's
/// recommendation, the sweep's recommended rows and the backtest's folds.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// The pair of windows it ran on (a backtest's fold, 1 for the oldest; 1 for a
    /// choice on one window).
    pub window: usize,
    /// Model, or `none`.
    pub model: String,
    /// Policy.
    pub policy: String,
    /// The knob's name and value, for policies with one.
    pub knob: Option<(&'static str, f64)>,
    /// The value a tuned policy chose on the window it is chosen on (slo-targeted's
    /// headroom, [`crate::policy::Tune`]); `None` for the others.
    pub tuned: Option<f64>,
    /// The share in time, percent, a policy that holds one by feedback aims at, tuned on
    /// the same window after its value (slo-feedback's, [`crate::policy::Tuned::aim`]);
    /// `None` for the others.
    pub aim_pct: Option<f64>,
    /// Its figures on the window it is chosen on (validation); `None` where a search
    /// along the family's knob did not run it there ([`trials::run`]).
    pub chosen_on: Option<Figures>,
    /// Its figures on the window it is judged on (test); `None` before it is judged.
    pub judged_on: Option<Figures>,
}

impl Trial {
    /// Its figures on the window it is chosen on: a pick's, which was run there.
    pub fn chosen(&self) -> &Figures {
        self.chosen_on
            .as_ref()
            .expect("a pick ran on the window it is chosen on")
    }

    /// Where a tie in cost between the family's trials falls (the lowest first): least
    /// capacity first along a knob that declares which way capacity rises
    /// ([`crate::policy::PolicyKind::knob_rises`]), the order a knob search walks, so a
    /// search ties as a run of every value does; else 0 (as listed, the sort being
    /// stable).
    pub fn tie_rank(&self) -> f64 {
        let rises = crate::policy::PolicyKind::from_name(&self.policy).and_then(|p| p.knob_rises());
        match (rises, self.knob) {
            (Some(rises), Some((_, v))) => rises.rank(v),
            _ => 0.0,
        }
    }

    /// The family: (model, policy).
    pub fn family(&self) -> (&str, &str) {
        (&self.model, &self.policy)
    }

    /// What the trial set, as the reports show it: its knob (`buffer 0.2`), the value it
    /// tuned on the validation window (`headroom +43.0 %`) and the aim it tuned after it
    /// (`headroom +57.1 %, aiming at 90.14 %`), or `-` for neither.
    pub fn setting(&self) -> String {
        crate::policy::setting_label(&self.policy, self.knob, self.tuned, self.aim_pct)
            .unwrap_or_else(|| "-".to_string())
    }

    /// Whether it met the SLO on the window it is judged on (not before it is judged).
    fn held(&self, slo: f64) -> bool {
        self.judged_on.as_ref().is_some_and(|f| f.meet(slo))
    }
}

/// The family's pick on one window from its trials' figures there (all of one family
/// and window, in tie order: [`Trial::tie_rank`]): the cheapest that meets the rule
/// ([`Rule::holds`]: expected to hold, or under the bare rule met), then the first, or
/// where none does, the one likeliest to hold, then the one that came closest (then the
/// cheapest). `None` for no trials.
pub fn pick(chosen_on: &[&Figures], rule: &Rule) -> Option<usize> {
    let cost = |i: usize| chosen_on[i].container_minutes;
    let meeting: Vec<usize> = (0..chosen_on.len())
        .filter(|&i| rule.holds(chosen_on[i].evidence()))
        .collect();
    if !meeting.is_empty() {
        return meeting.into_iter().min_by_key(|&i| (cost(i), i));
    }
    let chance = |i: usize| rule.probability(&chosen_on[i].days).unwrap_or(0.0);
    (0..chosen_on.len()).max_by(|&a, &b| {
        let (x, y) = (chosen_on[a], chosen_on[b]);
        chance(a)
            .total_cmp(&chance(b))
            .then(x.attained_pct.total_cmp(&y.attained_pct))
            .then(cost(b).cmp(&cost(a)))
            .then(b.cmp(&a))
    })
}

/// A family's picks, one per window, and how they did.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyRecord {
    /// Model.
    pub model: String,
    /// Policy.
    pub policy: String,
    /// Its pick on each window (an index into the trials), oldest first.
    pub picks: Vec<usize>,
    /// Windows chosen on where its pick met the rule (expected to hold; under the bare
    /// rule, met the SLO).
    pub validation_met: usize,
    /// Its picks' chance of a day meeting the SLO as stated ([`Rule::stated`]), per
    /// window chosen on; `None` on a window of one day.
    pub stated: Vec<Option<f64>>,
    /// Days of the windows chosen on where its picks met the SLO, and days in all.
    pub validation_days: (usize, usize),
    /// Days of the windows judged on where its picks met the SLO, and days in all.
    pub test_days: (usize, usize),
    /// Mean SLO attainment of its picks on the windows chosen on, percent.
    pub validation_attained: f64,
    /// Mean cost over the optimum of its picks on the windows chosen on.
    pub validation_cost: f64,
    /// Windows judged on where its pick met the SLO.
    pub test_met: usize,
    /// Its picks' cost over the optimum on each window judged on (of the picks judged).
    pub test_costs: Vec<f64>,
}

/// Every family's record over `windows` windows (numbered from 1): its pick on each from
/// the figures it is chosen on alone, by `rule`, and what the picks did where judged; in
/// the order families first appear in `trials`. A family with no trial on some window
/// has none.
pub fn records(trials: &[Trial], windows: usize, rule: &Rule) -> Vec<FamilyRecord> {
    let slo = rule.slo;
    let mut families: Vec<(String, String)> = Vec::new();
    for t in trials {
        let f = (t.model.clone(), t.policy.clone());
        if !families.contains(&f) {
            families.push(f);
        }
    }
    families
        .into_iter()
        .filter_map(|(model, policy)| {
            let mut picks = Vec::new();
            for k in 1..=windows {
                // The family's trials run on the window chosen on, in tie order.
                let mut mine: Vec<usize> = (0..trials.len())
                    .filter(|&i| trials[i].window == k && trials[i].family() == (&model, &policy))
                    .filter(|&i| trials[i].chosen_on.is_some())
                    .collect();
                mine.sort_by(|&a, &b| trials[a].tie_rank().total_cmp(&trials[b].tie_rank()));
                let figures: Vec<&Figures> = mine.iter().map(|&i| trials[i].chosen()).collect();
                picks.push(mine[pick(&figures, rule)?]);
            }
            let chosen: Vec<&Trial> = picks.iter().map(|&i| &trials[i]).collect();
            let n = chosen.len().max(1) as f64;
            let days = |f: Option<&Figures>| f.map_or((0, 0), |f| (f.days_met(slo), f.days.len()));
            let sum = |x: Vec<(usize, usize)>| x.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            Some(FamilyRecord {
                validation_met: chosen
                    .iter()
                    .filter(|t| rule.holds(t.chosen().evidence()))
                    .count(),
                stated: chosen
                    .iter()
                    .map(|t| rule.stated(&t.chosen().days))
                    .collect(),
                validation_days: sum(chosen.iter().map(|t| days(Some(t.chosen()))).collect()),
                test_days: sum(chosen.iter().map(|t| days(t.judged_on.as_ref())).collect()),
                validation_attained: chosen.iter().map(|t| t.chosen().attained_pct).sum::<f64>()
                    / n,
                validation_cost: chosen
                    .iter()
                    .map(|t| t.chosen().cost_vs_optimal)
                    .sum::<f64>()
                    / n,
                test_met: chosen.iter().filter(|t| t.held(slo)).count(),
                test_costs: chosen
                    .iter()
                    .filter_map(|t| t.judged_on.as_ref().map(|f| f.cost_vs_optimal))
                    .collect(),
                model,
                policy,
                picks,
            })
        })
        .collect()
}

/// The families ranked from validation results only: the most validation windows met
/// first; among families that met it on none, the highest mean attainment there (the
/// closest to the SLO, not the cheapest miss); then the lowest mean validation cost,
/// then the first listed. Indices into `records`.
pub fn ranking(records: &[FamilyRecord]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&records[a], &records[b]);
        y.validation_met
            .cmp(&x.validation_met)
            .then_with(|| {
                if x.validation_met == 0 {
                    y.validation_attained.total_cmp(&x.validation_attained)
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .then(x.validation_cost.total_cmp(&y.validation_cost))
            .then(a.cmp(&b))
    });
    order
}

/// The recommended family: the first of the [`ranking`]. Its index in `records`.
pub fn recommend(records: &[FamilyRecord]) -> Option<usize> {
    ranking(records).first().copied()
}

/// The best configuration in hindsight on window `k`'s judged window: the cheapest trial
/// of any family that met the SLO there (what choosing on the test window would have
/// taken). `None` when none met it.
pub fn hindsight(trials: &[Trial], k: usize, slo: f64) -> Option<usize> {
    (0..trials.len())
        .filter(|&i| trials[i].window == k && trials[i].held(slo))
        .min_by_key(|&i| (trials[i].judged_on.as_ref().map(|f| f.container_minutes), i))
}

/// The best single configuration in hindsight over windows `1..=windows`: of every
/// configuration (model, policy and knob value; a tuned family as it tuned on each
/// window) judged on each of them, the one that met the SLO on all of them at the least
/// mean test cost (the first in trial order on a tie). Its trials in window order;
/// `None` where none met it on every window.
pub fn hindsight_fixed(trials: &[Trial], windows: usize, slo: f64) -> Option<Vec<usize>> {
    // One configuration: the family and its knob's value.
    type Config<'a> = (&'a str, &'a str, Option<u64>);
    fn key(t: &Trial) -> Config<'_> {
        (&t.model, &t.policy, t.knob.map(|k| k.1.to_bits()))
    }
    // Each configuration's trial on each window.
    let mut configs: Vec<(Config, Vec<Option<usize>>)> = Vec::new();
    for (i, t) in trials.iter().enumerate() {
        if t.window == 0 || t.window > windows || t.judged_on.is_none() {
            continue;
        }
        let k = key(t);
        let at = match configs.iter().position(|(c, _)| *c == k) {
            Some(at) => at,
            None => {
                configs.push((k, vec![None; windows]));
                configs.len() - 1
            }
        };
        configs[at].1[t.window - 1].get_or_insert(i);
    }
    let mut best: Option<(u64, Vec<usize>)> = None;
    for (_, on) in configs {
        let Some(on) = on.into_iter().collect::<Option<Vec<usize>>>() else {
            continue;
        };
        if !on.iter().all(|&i| trials[i].held(slo)) {
            continue;
        }
        let cost: u64 = on
            .iter()
            .filter_map(|&i| trials[i].judged_on.as_ref().map(|f| f.container_minutes))
            .sum();
        if best.as_ref().is_none_or(|(b, _)| cost < *b) {
            best = Some((cost, on));
        }
    }
    best.map(|(_, on)| on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_roll_back_from_the_end() {
        // 100 steps, 3 folds of 10 after 5 validation steps each: tests 70..80, 80..90,
        // 90..100; validations 65..70, 75..80, 85..90; the first fold trains on 65.
        let f = folds(100, 3, 10, 5, 60).unwrap();
        assert_eq!(
            f.iter()
                .map(|f| (f.validation.clone(), f.test.clone()))
                .collect::<Vec<_>>(),
            vec![(65..70, 70..80), (75..80, 80..90), (85..90, 90..100)]
        );
        assert_eq!(f[0].train_len(), 65);
        // A fold's validation window is the end of the previous fold's test window, and
        // no test window overlaps another.
        assert_eq!(
            folds(100, 3, 10, 5, 66).unwrap_err().to_string(),
            "3 folds of 10 test steps, each after 5 validation steps, need 101 steps of trace with the 66 train steps the models need before the first; the trace has 100"
        );
        assert_eq!(folds(100, 3, 0, 5, 0), Err(FoldError::Empty));
    }

    fn figures(attained: f64, cm: u64) -> Figures {
        Figures {
            attained_pct: attained,
            cost_vs_optimal: cm as f64 / 100.0,
            container_minutes: cm,
            days: vec![attained],
        }
    }

    fn bare(slo: f64) -> Rule {
        Rule::new(slo, 0.0, 100.0)
    }

    fn trial(fold: usize, policy: &str, value: f64, v: (f64, u64), t: (f64, u64)) -> Trial {
        Trial {
            window: fold,
            model: "m".into(),
            policy: policy.into(),
            knob: Some(("buffer", value)),
            tuned: None,
            aim_pct: None,
            chosen_on: Some(figures(v.0, v.1)),
            judged_on: Some(figures(t.0, t.1)),
        }
    }

    #[test]
    fn the_best_single_configuration_in_hindsight_met_every_window() {
        // SLO 99, two windows. buffer 0.1 is the cheapest on window 1 but misses window
        // 2; 0.2 meets both at (120 + 125) / 2 = 122.5; 0.3 at 130.5; slo-targeted, tuned
        // on each window, at (110 + 140) / 2 = 125; 0.05, on window 1 only, at 90. The
        // best on each window alone: 0.05 (90), then 0.2 (125).
        let tuned = |w: usize, cm: u64| Trial {
            knob: None,
            tuned: Some(0.1),
            ..trial(w, "slo-targeted", 0.0, (99.5, cm), (99.5, cm))
        };
        let trials = vec![
            trial(1, "buffered", 0.1, (99.5, 100), (99.1, 100)),
            trial(1, "buffered", 0.2, (99.5, 120), (99.3, 120)),
            trial(1, "buffered", 0.3, (99.5, 130), (99.6, 130)),
            tuned(1, 110),
            trial(2, "buffered", 0.1, (99.5, 100), (98.0, 100)),
            trial(2, "buffered", 0.2, (99.5, 125), (99.2, 125)),
            trial(2, "buffered", 0.3, (99.5, 131), (99.7, 131)),
            tuned(2, 140),
            // The cheapest of all on window 1, but judged on no other window.
            trial(1, "buffered", 0.05, (99.5, 90), (99.9, 90)),
        ];
        assert_eq!(hindsight_fixed(&trials, 2, 99.0), Some(vec![1, 5]));
        assert_eq!(hindsight(&trials, 1, 99.0), Some(8));
        assert_eq!(hindsight_fixed(&trials, 1, 99.0), Some(vec![8]));
        assert_eq!(hindsight(&trials, 2, 99.0), Some(5));
        // Without 0.2, the tuned family (125) before 0.3 (130.5).
        let without: Vec<Trial> = trials
            .iter()
            .filter(|t| t.knob != Some(("buffer", 0.2)))
            .cloned()
            .collect();
        assert_eq!(hindsight_fixed(&without, 2, 99.0), Some(vec![2, 5]));
        // At 99.55 only 0.3 meets window 1, and it meets window 2; at 99.65 none does.
        assert_eq!(hindsight_fixed(&trials, 2, 99.55), Some(vec![2, 6]));
        assert_eq!(hindsight_fixed(&trials, 2, 99.65), None);
    }

    #[test]
    fn a_trial_shows_its_knob_or_its_tuned_value_and_aim() {
        let feedback = Trial {
            policy: "slo-feedback".into(),
            knob: None,
            tuned: Some(0.571),
            aim_pct: Some(90.14),
            ..trial(1, "x", 0.0, (90.0, 1), (90.0, 1))
        };
        assert_eq!(feedback.setting(), "headroom +57.1 %, aiming at 90.14 %");
        let targeted = Trial {
            policy: "slo-targeted".into(),
            aim_pct: None,
            ..feedback.clone()
        };
        assert_eq!(targeted.setting(), "headroom +57.1 %");
        assert_eq!(
            trial(1, "buffered", 0.2, (90.0, 1), (90.0, 1)).setting(),
            "buffer 0.2"
        );
        let none = Trial {
            policy: "reactive-hpa".into(),
            tuned: None,
            aim_pct: None,
            ..feedback
        };
        assert_eq!(none.setting(), "-");
    }

    #[test]
    fn the_out_of_sample_pick_differs_from_the_in_sample_one() {
        // One fold, SLO 99. buffered at 0.1 / 0.2 / 0.3: on validation 98.5, 99.2, 99.8
        // (costs 110, 120, 130); on test 99.1, 98.7, 99.5 (costs 111, 121, 131).
        // In sample (choosing on test): 0.1, the cheapest meeting 99 on test (111).
        // Out of sample (choosing on validation): 0.2, the cheapest meeting 99 on
        // validation; on test it misses (98.7): the in-sample choice looked better than
        // what a user deploying the validated knob would see.
        let trials = vec![
            trial(1, "buffered", 0.1, (98.5, 110), (99.1, 111)),
            trial(1, "buffered", 0.2, (99.2, 120), (98.7, 121)),
            trial(1, "buffered", 0.3, (99.8, 130), (99.5, 131)),
        ];
        let r = records(&trials, 1, &bare(99.0));
        assert_eq!(r[0].picks, vec![1]);
        assert_eq!((r[0].validation_met, r[0].test_met), (1, 0));
        assert_eq!(hindsight(&trials, 1, 99.0), Some(0));
        // No value meets 99.9 on validation: the closest, 0.3 (99.8).
        assert_eq!(records(&trials, 1, &bare(99.9))[0].picks, vec![2]);
    }

    #[test]
    fn the_margin_takes_the_cheapest_trial_its_days_make_likely_to_hold() {
        // SLO 90 under a service that alone reaches 100 % (a budget of 10 points of
        // excess miss), --confidence 90, three validation days each. 0.1 met the window
        // as a whole (90.5) but its days spread 88.5..92.5: excesses 11.5, 9.5, 7.5, a
        // day's chance F(0.2686; 2) = 0.593 on their logarithms. 0.2's days 91.4, 91.5,
        // 91.6 miss 8.6, 8.5, 8.4: chance 0.9966. The bare rule picks 0.1, the margin 0.2.
        let mut trials = vec![
            trial(1, "buffered", 0.1, (90.5, 110), (89.0, 111)),
            trial(1, "buffered", 0.2, (91.5, 120), (91.0, 121)),
        ];
        trials[0].chosen_on.as_mut().unwrap().days = vec![88.5, 90.5, 92.5];
        trials[1].chosen_on.as_mut().unwrap().days = vec![91.4, 91.5, 91.6];
        let bare = records(&trials, 1, &Rule::new(90.0, 0.0, 100.0));
        assert_eq!(bare[0].picks, vec![0]);
        let rule = Rule::new(90.0, 90.0, 100.0);
        let sure = records(&trials, 1, &rule);
        assert_eq!(sure[0].picks, vec![1]);
        assert_eq!(sure[0].validation_met, 1);
        // By hand: the logarithms' mean m and sample deviation s, t = (ln 10 − m) /
        // (s √(4/3)), and two degrees of freedom's F(t) = 1/2 + t / (2 √(2 + t²)).
        let chance = |excess: [f64; 3]| {
            let l = excess.map(f64::ln);
            let m = (l[0] + l[1] + l[2]) / 3.0;
            let s = (l.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 2.0).sqrt();
            let t = (10f64.ln() - m) / (s * (4.0f64 / 3.0).sqrt());
            0.5 + t / (2.0 * (2.0 + t * t).sqrt())
        };
        for (i, excess) in [[11.5, 9.5, 7.5], [8.6, 8.5, 8.4]].into_iter().enumerate() {
            let p = rule.probability(&trials[i].chosen().days).unwrap();
            assert!((p - chance(excess)).abs() < 1e-9, "{p}");
        }
        assert!((chance([11.5, 9.5, 7.5]) - 0.5933).abs() < 1e-4);
        assert!((chance([8.6, 8.5, 8.4]) - 0.9966).abs() < 1e-4);
        // As stated: the rule's own chance, read from the days' spread.
        assert!((sure[0].stated[0].unwrap() - chance([8.6, 8.5, 8.4])).abs() < 1e-9);
        assert_eq!(sure[0].validation_days, (3, 3));
        // Where no trial is likely enough, the likeliest: at --confidence 99.9 0.2's
        // 0.9966 falls short, and it is still the pick over 0.1's 0.593.
        let strict = records(&trials, 1, &Rule::new(90.0, 99.9, 100.0));
        assert_eq!(
            (strict[0].picks.clone(), strict[0].validation_met),
            (vec![1], 0)
        );
    }

    #[test]
    fn the_recommendation_counts_validation_windows_met_then_cost() {
        // Two folds. buffered meets on both validation windows at 1.2 and 1.3 (mean
        // 1.25); reactive-hpa on one at 1.0 and 1.1: buffered is recommended although
        // reactive-hpa is cheaper, and although reactive-hpa met both test windows.
        let trials = vec![
            trial(1, "buffered", 0.2, (99.5, 120), (98.0, 120)),
            trial(2, "buffered", 0.2, (99.5, 130), (98.0, 130)),
            trial(1, "reactive-hpa", 0.7, (99.5, 100), (99.5, 100)),
            trial(2, "reactive-hpa", 0.7, (98.0, 110), (99.5, 110)),
        ];
        let r = records(&trials, 2, &bare(99.0));
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].validation_met, r[1].validation_met), (2, 1));
        assert!((r[0].validation_cost - 1.25).abs() < 1e-12);
        assert_eq!(recommend(&r), Some(0));
        assert_eq!((r[0].test_met, r[1].test_met), (0, 2));
        // At 99.9 neither met a validation window: the closer one is recommended
        // (buffered, mean 99.5 against reactive-hpa's 98.75), though it costs more.
        let r = records(&trials, 2, &bare(99.9));
        assert_eq!((r[0].validation_met, r[1].validation_met), (0, 0));
        assert!((r[1].validation_attained - 98.75).abs() < 1e-12);
        assert_eq!(recommend(&r), Some(0));
        // Among families that met it equally often, the cheaper: reactive-hpa at 99.0
        // met once and at 98.0 never, buffered met twice; at 98.0 both met twice.
        let r = records(&trials, 2, &bare(98.0));
        assert_eq!((r[0].validation_met, r[1].validation_met), (2, 2));
        assert_eq!(recommend(&r), Some(1));
    }
}
