//! `report`: redraw the plots and print the table from the CSV reports of an earlier
//! `simulate`, read back through the store.

use anyhow::{bail, Result};

use crate::report::console;
use crate::store::reports::{draw, read_reports};
use crate::store::ReportsDir;

/// Redraws the plots and prints the table and the recommendation, as `simulate` did.
pub(super) fn run(dir: &ReportsDir) -> Result<()> {
    if !dir.metrics().exists() {
        bail!(
            "no {} yet: run `prescale simulate` first",
            dir.metrics().display()
        );
    }
    let results = read_reports(dir)?;
    draw(dir, &results)?;
    print!("{}", console::summary(&results));
    Ok(())
}
