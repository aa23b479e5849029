//! Regression checks between two `metrics_summary.csv` files, row by row, keyed by
//! (model, policy), on the metric columns that declare a regression rule
//! ([`crate::metrics::COLUMNS`]). Pure: rows in, verdicts out.

use crate::config::Tolerances;
use crate::metrics::{PolicyMetrics, COLUMNS};

/// What happened to one (model, policy).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Within tolerance and no better.
    Same,
    /// Better on some metric and worse beyond tolerance on none.
    Improved(Vec<String>),
    /// Worse beyond tolerance on at least one metric.
    Regressed(Vec<String>),
    /// In the baseline, not in the current file.
    Missing,
    /// In the current file, not in the baseline.
    New,
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowCheck {
    /// Model.
    pub(crate) model: String,
    /// Policy.
    pub(crate) policy: String,
    /// The verdict.
    pub(crate) verdict: Verdict,
}

impl RowCheck {
    /// Whether this row fails the check.
    pub(crate) fn fails(&self) -> bool {
        matches!(self.verdict, Verdict::Regressed(_) | Verdict::Missing)
    }
}

fn compare(
    name: &str,
    base: f64,
    cur: f64,
    allowed: f64,
    worse: &mut Vec<String>,
    better: &mut Vec<String>,
) {
    if cur > base + allowed {
        worse.push(format!("{name} {base} -> {cur} (allowed +{allowed:.1})"));
    } else if cur < base {
        better.push(format!("{name} {base} -> {cur}"));
    }
}

/// Compares every baseline row with the current row of the same (model, policy).
pub(crate) fn check(
    baseline: &[PolicyMetrics],
    current: &[PolicyMetrics],
    tol: &Tolerances,
) -> Vec<RowCheck> {
    let key = |r: &PolicyMetrics| (r.model.clone(), r.policy.clone());
    let mut out = Vec::new();
    for b in baseline {
        let verdict = match current.iter().find(|c| key(c) == key(b)) {
            None => Verdict::Missing,
            Some(c) => {
                let (mut worse, mut better) = (Vec::new(), Vec::new());
                for col in COLUMNS {
                    let (Some(rule), Some(base), Some(cur)) = (
                        col.checked.as_ref(),
                        (col.get)(b).number(),
                        (col.get)(c).number(),
                    ) else {
                        continue;
                    };
                    compare(
                        rule.label,
                        base,
                        cur,
                        (rule.allowed)(tol, base),
                        &mut worse,
                        &mut better,
                    );
                }
                if !worse.is_empty() {
                    Verdict::Regressed(worse)
                } else if !better.is_empty() {
                    Verdict::Improved(better)
                } else {
                    Verdict::Same
                }
            }
        };
        out.push(RowCheck {
            model: b.model.clone(),
            policy: b.policy.clone(),
            verdict,
        });
    }
    for c in current
        .iter()
        .filter(|c| !baseline.iter().any(|b| key(b) == key(c)))
    {
        out.push(RowCheck {
            model: c.model.clone(),
            policy: c.policy.clone(),
            verdict: Verdict::New,
        });
    }
    out
}

/// The comparison as a text table, one line per row that is not `Same`.
pub(crate) fn render(rows: &[RowCheck]) -> String {
    let mut out = String::new();
    for r in rows {
        let (tag, detail) = match &r.verdict {
            Verdict::Same => continue,
            Verdict::Improved(d) => ("improved", d.join("; ")),
            Verdict::Regressed(d) => ("REGRESSED", d.join("; ")),
            Verdict::Missing => ("MISSING", "row absent from the current file".to_string()),
            Verdict::New => ("new", "row absent from the baseline".to_string()),
        };
        out.push_str(&format!(
            "{tag:<10} {:<15} {:<17} {detail}\n",
            r.model, r.policy
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(policy: &str, v: u64, unserved: f64, cost: u64) -> PolicyMetrics {
        PolicyMetrics {
            model: "m".into(),
            policy: policy.into(),
            sla_violation_minutes: v,
            violation_rate: 0.0,
            unserved_requests: unserved,
            container_minutes: cost,
            scaling_switches: 0,
            cost_vs_oracle: 1.0,
            cost_vs_optimal: 1.0,
            ..PolicyMetrics::default()
        }
    }

    fn one(base: PolicyMetrics, cur: PolicyMetrics) -> Verdict {
        check(&[base], &[cur], &Tolerances::default())
            .remove(0)
            .verdict
    }

    #[test]
    fn identical_rows_pass() {
        assert_eq!(
            one(row("p", 10, 500.0, 1000), row("p", 10, 500.0, 1000)),
            Verdict::Same
        );
    }

    #[test]
    fn violations_up_beyond_tolerance_regress() {
        // Baseline 100: allowed max(5, 5 % of 100) = 5 more; 105 passes, 106 fails.
        assert_eq!(
            one(row("p", 100, 0.0, 1000), row("p", 105, 0.0, 1000)),
            Verdict::Same
        );
        assert!(matches!(
            one(row("p", 100, 0.0, 1000), row("p", 106, 0.0, 1000)),
            Verdict::Regressed(_)
        ));
    }

    #[test]
    fn unserved_up_beyond_tolerance_regresses() {
        // Baseline 10,000: allowed max(100, 500) = 500 more.
        assert_eq!(
            one(row("p", 0, 10_000.0, 1000), row("p", 0, 10_500.0, 1000)),
            Verdict::Same
        );
        assert!(matches!(
            one(row("p", 0, 10_000.0, 1000), row("p", 0, 10_501.0, 1000)),
            Verdict::Regressed(_)
        ));
    }

    #[test]
    fn cost_up_beyond_tolerance_regresses() {
        // Baseline 1,000 container-minutes: allowed 2 % = 20 more.
        assert_eq!(
            one(row("p", 0, 0.0, 1000), row("p", 0, 0.0, 1020)),
            Verdict::Same
        );
        assert!(matches!(
            one(row("p", 0, 0.0, 1000), row("p", 0, 0.0, 1021)),
            Verdict::Regressed(_)
        ));
    }

    #[test]
    fn improvements_pass_and_are_reported() {
        let v = one(row("p", 10, 500.0, 1000), row("p", 3, 500.0, 990));
        assert!(matches!(&v, Verdict::Improved(d) if d.len() == 2), "{v:?}");
    }

    #[test]
    fn missing_rows_fail_new_rows_pass() {
        let out = check(
            &[row("a", 0, 0.0, 1)],
            &[row("b", 0, 0.0, 1)],
            &Tolerances::default(),
        );
        assert_eq!(out[0].verdict, Verdict::Missing);
        assert!(out[0].fails());
        assert_eq!(out[1].verdict, Verdict::New);
        assert!(!out[1].fails());
    }
}
