//! `report`: redraw the plots and print the table from the CSV reports of an earlier
//! `simulate`, read back through the store.

use anyhow::{bail, Result};

use crate::experiment::Results;
use crate::report::{plot, summary, table};
use crate::store::reports::read_reports;
use crate::store::{write_all_atomic, ReportsDir, SUMMARY_FILE};

/// Draws every plot of `results` and the Markdown summary that links them into the
/// reports folder, as one set of files.
pub(super) fn draw(dir: &ReportsDir, results: &Results) -> Result<()> {
    let pngs = plot::render_all(results)
        .map_err(|e| anyhow::anyhow!("drawing plots in {}: {e}", dir.path().display()))?;
    let names: Vec<String> = pngs
        .iter()
        .map(|(figure, _)| ReportsDir::figure_name(figure))
        .collect();
    let mut files: Vec<_> = pngs
        .into_iter()
        .map(|(figure, bytes)| (dir.figure(&figure), bytes))
        .collect();
    files.push((
        dir.summary(),
        summary::markdown(
            &results.rows,
            &names,
            results
                .recommendation
                .as_ref()
                .map_or(&[][..], |r| &r.choices[..]),
        )
        .into_bytes(),
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
