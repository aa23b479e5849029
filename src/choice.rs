//! Choosing on one window and judging on the next (`docs/experiment.md`, Backtests).
//! Pure: the folds of a trace, each family's pick on its validation window, the
//! recommendation across folds, and its out-of-sample evidence, from the metrics of
//! simulations the caller ran.
//!
//! Fold k of K (oldest first) has a test window of `test` steps, the k-th of the K at
//! the trace's end, and before it a validation window of `validation` steps; its models
//! are fitted on everything before the validation window, and one fit forecasts both
//! windows. A family is a (model, policy); its trials are the policy's knob values.

use std::ops::Range;

use thiserror::Error;

use crate::metrics::PolicyMetrics;

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

/// One trial: a family at one knob value in one fold, on both windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// The fold's index.
    pub fold: usize,
    /// The knob's name and value, for policies with one.
    pub knob: Option<(&'static str, f64)>,
    /// The value a tuned policy chose on the validation window (slo-targeted's
    /// headroom, [`crate::policy::Tune`]); `None` for the others.
    pub tuned: Option<f64>,
    /// Its metrics on the validation window.
    pub validation: PolicyMetrics,
    /// Its metrics on the test window.
    pub test: PolicyMetrics,
    /// The model's interval coverage of the test window, as trained and as calibrated
    /// on the validation window ([`conformal_stretch`]); `None` for model-free rows and
    /// models without an interval.
    pub coverage: Option<(f64, f64)>,
}

impl Trial {
    /// The family: (model, policy).
    pub fn family(&self) -> (&str, &str) {
        (&self.test.model, &self.test.policy)
    }

    /// What the trial set, as the reports show it: its knob (`buffer 0.2`), the value it
    /// tuned on the validation window (`headroom +43.0 %`), or `-` for neither.
    pub fn setting(&self) -> String {
        crate::policy::setting_label(&self.test.policy, self.knob, self.tuned)
            .unwrap_or_else(|| "-".to_string())
    }
}

/// Whether an SLO attainment of `attained_pct` meets an SLO of `slo` percent (to the
/// reports' 6 decimals).
pub fn attains(attained_pct: f64, slo: f64) -> bool {
    attained_pct >= slo - 1e-6
}

/// Whether a row met the SLO of `slo` percent (in the SLO's own terms).
pub fn met(row: &PolicyMetrics, slo: f64) -> bool {
    attains(row.slo_attained_pct, slo)
}

/// The family's pick in one fold from its trials' rows on the validation window (all of
/// one family and fold): the cheapest that met the SLO there, or where none did, the one
/// that came closest (then the cheapest). `None` for no trials.
pub fn pick(validation: &[&PolicyMetrics], slo: f64) -> Option<usize> {
    let cost = |i: usize| validation[i].container_minutes;
    let meeting: Vec<usize> = (0..validation.len())
        .filter(|&i| met(validation[i], slo))
        .collect();
    if !meeting.is_empty() {
        return meeting.into_iter().min_by_key(|&i| (cost(i), i));
    }
    (0..validation.len()).max_by(|&a, &b| {
        let (x, y) = (validation[a], validation[b]);
        x.slo_attained_pct
            .total_cmp(&y.slo_attained_pct)
            .then(cost(b).cmp(&cost(a)))
            .then(b.cmp(&a))
    })
}

/// A family's picks, one per fold, and how they did.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyRecord {
    /// Model.
    pub model: String,
    /// Policy.
    pub policy: String,
    /// Its pick in each fold (an index into the trials), oldest fold first.
    pub picks: Vec<usize>,
    /// Validation windows on which its pick met the SLO.
    pub validation_met: usize,
    /// Mean SLO attainment of its picks on the validation windows, percent.
    pub validation_attained: f64,
    /// Mean validation cost over the optimum of its picks (in a one-window choice, any
    /// cost that orders the window's runs alike: container-minutes).
    pub validation_cost: f64,
    /// Test windows on which its pick met the SLO.
    pub test_met: usize,
    /// Its picks' test cost over the optimum, per fold.
    pub test_costs: Vec<f64>,
}

/// Every family's record: its pick per fold (from validation alone) and what the picks
/// did on the test windows; in the order families first appear in `trials`.
pub fn records(trials: &[Trial], folds: usize, slo: f64) -> Vec<FamilyRecord> {
    let mut families: Vec<(String, String)> = Vec::new();
    for t in trials {
        let f = (t.test.model.clone(), t.test.policy.clone());
        if !families.contains(&f) {
            families.push(f);
        }
    }
    families
        .into_iter()
        .filter_map(|(model, policy)| {
            let mut picks = Vec::new();
            for k in 1..=folds {
                let mine: Vec<usize> = (0..trials.len())
                    .filter(|&i| trials[i].fold == k && trials[i].family() == (&model, &policy))
                    .collect();
                let refs: Vec<&PolicyMetrics> =
                    mine.iter().map(|&i| &trials[i].validation).collect();
                picks.push(mine[pick(&refs, slo)?]);
            }
            let chosen: Vec<&Trial> = picks.iter().map(|&i| &trials[i]).collect();
            let n = chosen.len().max(1) as f64;
            Some(FamilyRecord {
                validation_met: chosen.iter().filter(|t| met(&t.validation, slo)).count(),
                validation_attained: chosen
                    .iter()
                    .map(|t| t.validation.slo_attained_pct)
                    .sum::<f64>()
                    / n,
                validation_cost: chosen
                    .iter()
                    .map(|t| t.validation.cost_vs_optimal)
                    .sum::<f64>()
                    / n,
                test_met: chosen.iter().filter(|t| met(&t.test, slo)).count(),
                test_costs: chosen.iter().map(|t| t.test.cost_vs_optimal).collect(),
                model,
                policy,
                picks,
            })
        })
        .collect()
}

impl FamilyRecord {
    /// The record of a choice on one window: the family's pick (`pick`, an index into
    /// the caller's trials) and its row there, ranked by `cost`.
    pub fn on_one_window(
        (model, policy): (String, String),
        pick: usize,
        validation: &PolicyMetrics,
        cost: f64,
        slo: f64,
    ) -> Self {
        Self {
            model,
            policy,
            picks: vec![pick],
            validation_met: usize::from(met(validation, slo)),
            validation_attained: validation.slo_attained_pct,
            validation_cost: cost,
            test_met: 0,
            test_costs: Vec::new(),
        }
    }
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

/// The best configuration in hindsight on fold `k`'s test window: the cheapest trial of
/// any family that met the SLO there (what choosing on the test window would have
/// taken). `None` when none met it.
pub fn hindsight(trials: &[Trial], k: usize, slo: f64) -> Option<usize> {
    (0..trials.len())
        .filter(|&i| trials[i].fold == k && met(&trials[i].test, slo))
        .min_by_key(|&i| (trials[i].test.container_minutes, i))
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

    fn row(policy: &str, attained: f64, cm: u64) -> PolicyMetrics {
        PolicyMetrics {
            model: "m".into(),
            policy: policy.into(),
            container_minutes: cm,
            cost_vs_optimal: cm as f64 / 100.0,
            slo_attained_pct: attained,
            ..PolicyMetrics::default()
        }
    }

    fn trial(fold: usize, policy: &str, value: f64, v: (f64, u64), t: (f64, u64)) -> Trial {
        Trial {
            fold,
            knob: Some(("buffer", value)),
            tuned: None,
            validation: row(policy, v.0, v.1),
            test: row(policy, t.0, t.1),
            coverage: None,
        }
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
        let r = records(&trials, 1, 99.0);
        assert_eq!(r[0].picks, vec![1]);
        assert_eq!((r[0].validation_met, r[0].test_met), (1, 0));
        assert_eq!(hindsight(&trials, 1, 99.0), Some(0));
        // No value meets 99.9 on validation: the closest, 0.3 (99.8).
        assert_eq!(records(&trials, 1, 99.9)[0].picks, vec![2]);
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
        let r = records(&trials, 2, 99.0);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].validation_met, r[1].validation_met), (2, 1));
        assert!((r[0].validation_cost - 1.25).abs() < 1e-12);
        assert_eq!(recommend(&r), Some(0));
        assert_eq!((r[0].test_met, r[1].test_met), (0, 2));
        // At 99.9 neither met a validation window: the closer one is recommended
        // (buffered, mean 99.5 against reactive-hpa's 98.75), though it costs more.
        let r = records(&trials, 2, 99.9);
        assert_eq!((r[0].validation_met, r[1].validation_met), (0, 0));
        assert!((r[1].validation_attained - 98.75).abs() < 1e-12);
        assert_eq!(recommend(&r), Some(0));
        // Among families that met it equally often, the cheaper: reactive-hpa at 99.0
        // met once and at 98.0 never, buffered met twice; at 98.0 both met twice.
        let r = records(&trials, 2, 98.0);
        assert_eq!((r[0].validation_met, r[1].validation_met), (2, 2));
        assert_eq!(recommend(&r), Some(1));
    }
}
