//! `report`: redraw the plots and print the table from the CSV reports of an earlier
//! `simulate`, read back through the store.

use anyhow::{bail, Result};

use crate::report::{plot, summary, table, Results};
use crate::store::reports::read_reports;
use crate::store::{write_all_atomic, ReportsDir};

/// The Markdown summary's file name in the reports folder.
const SUMMARY_FILE: &str = "summary.md";

/// Draws every plot of `results` and the Markdown summary that links them into the
/// reports folder, as one set of files.
pub(super) fn draw(dir: &ReportsDir, results: &Results) -> Result<()> {
    let pngs = plot::render_all(results)
        .map_err(|e| anyhow::anyhow!("drawing plots in {}: {e}", dir.path().display()))?;
    let names: Vec<String> = pngs.iter().map(|(name, _)| name.clone()).collect();
    let mut files: Vec<_> = pngs
        .into_iter()
        .map(|(name, bytes)| (dir.file(&name), bytes))
        .collect();
    files.push((
        dir.file(SUMMARY_FILE),
        summary::markdown(&results.rows, &names).into_bytes(),
    ));
    write_all_atomic(&files)
        .map_err(|e| anyhow::anyhow!("writing plots in {}: {e}", dir.path().display()))?;
    eprintln!(
        "plots: {} PNG files and {SUMMARY_FILE} in {}",
        names.len(),
        dir.path().display()
    );
    Ok(())
}

/// Redraws the plots and prints the table.
pub(super) fn run(dir: &ReportsDir) -> Result<()> {
    if !dir.metrics().exists() {
        bail!(
            "no {} yet: run `prescale simulate` first",
            dir.metrics().display()
        );
    }
    let results = read_reports(dir)?;
    draw(dir, &results)?;
    print!("{}", table::render(&results.rows));
    Ok(())
}
