//! How much worse a metric may get before `check` calls it a regression.

/// How much worse a row may get before it counts as a regression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tolerances {
    /// Violation minutes may rise by this many minutes. Defaults to 5.
    pub(crate) violation_minutes_abs: f64,
    /// ... or by this fraction of the baseline, whichever is larger. Defaults to 0.05.
    pub(crate) violation_rel: f64,
    /// Unserved requests may rise by this many requests. Defaults to 100.
    pub(crate) unserved_abs: f64,
    /// ... or by this fraction of the baseline, whichever is larger. Defaults to 0.05.
    pub(crate) unserved_rel: f64,
    /// Container-minutes may rise by this fraction of the baseline. Defaults to 0.02.
    pub(crate) cost_rel: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            violation_minutes_abs: 5.0,
            violation_rel: 0.05,
            unserved_abs: 100.0,
            unserved_rel: 0.05,
            cost_rel: 0.02,
        }
    }
}

impl Tolerances {
    /// No tolerance at all: every change is reported (used to list what `--update`
    /// accepts).
    pub(crate) fn exact() -> Self {
        Self {
            violation_minutes_abs: 0.0,
            violation_rel: 0.0,
            unserved_abs: 0.0,
            unserved_rel: 0.0,
            cost_rel: 0.0,
        }
    }
}
