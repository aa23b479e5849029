//! `check`: a metrics file against its baseline, or (`--update`) accepted as the new one.

use anyhow::{bail, Context, Result};

use crate::config::Tolerances;
use crate::plan::CheckPlan;
use crate::regression::{self, Verdict};
use crate::store::reports::read_metrics;
use crate::store::{read, write_atomic};

/// Compares the current metrics with the baseline (or, with `--update`, accepts them).
pub(super) fn run(c: &CheckPlan) -> Result<()> {
    let current = read_once_each(&c.current)?;
    if c.update {
        let changes = match read_metrics(&c.baseline) {
            Ok(old) => {
                let rows = regression::check(&old, &current, &Tolerances::exact());
                // An update accepts new figures, not fewer rows: a baseline that would
                // lose rows is refused, and left as it is.
                let gone: Vec<_> = rows
                    .iter()
                    .filter(|r| r.verdict == Verdict::Missing)
                    .collect();
                if let Some(first) = gone.first() {
                    bail!(
                        "--update would drop {} of the baseline's {} ({} × {} first), which {} lacks: run the experiment that writes them, or remove {} to start a new baseline",
                        crate::words::count(gone.len(), "row"),
                        crate::words::count(old.len(), "row"),
                        first.model,
                        first.policy,
                        c.current.display(),
                        c.baseline.display()
                    );
                }
                regression::render(&rows)
            }
            Err(e) => format!("(no readable baseline before: {e:#})\n"),
        };
        write_atomic(&c.baseline, &read(&c.current)?).context("updating the baseline")?;
        print!("{changes}");
        println!(
            "check: baseline {} updated from {} ({})",
            c.baseline.display(),
            c.current.display(),
            crate::words::count(current.len(), "row")
        );
        return Ok(());
    }
    let baseline = read_once_each(&c.baseline)?;
    let rows = regression::check(&baseline, &current, &c.tolerances);
    print!("{}", regression::render(&rows));
    let failed = rows.iter().filter(|r| r.fails()).count();
    if failed > 0 {
        bail!(
            "{failed} of {} rows regressed against {} (accept an intended change with `prescale check --update`)",
            baseline.len(),
            c.baseline.display()
        );
    }
    let improved = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Improved(_)))
        .count();
    let new = rows.iter().filter(|r| r.verdict == Verdict::New).count();
    println!(
        "check: OK, {} rows within tolerance of {} ({improved} improved, {new} new)",
        baseline.len(),
        c.baseline.display()
    );
    Ok(())
}

/// The metrics rows of `path`, each (model, policy) once: a check compares a row with
/// the one of its name, so a second would go unread.
fn read_once_each(path: &std::path::Path) -> Result<Vec<crate::metrics::PolicyMetrics>> {
    let rows = read_metrics(path)?;
    for (i, r) in rows.iter().enumerate() {
        if let Some(j) = rows[..i]
            .iter()
            .position(|o| (&o.model, &o.policy) == (&r.model, &r.policy))
        {
            bail!(
                "{}: {} × {} is on lines {} and {}: a check reads one row each",
                path.display(),
                r.model,
                r.policy,
                j + 2,
                i + 2
            );
        }
    }
    Ok(rows)
}
