//! `import`: a trace from where it lives, read (any format of [`crate::trace::import`]),
//! reported (format, series, step, rows, range, gaps, what was dropped) and written as the
//! normalized `timestamp,requests` CSV every other command reads.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::store::{read, write_atomic};
use crate::trace::import::{self, ImportOptions};

/// Reads `files` as one trace and writes it to `out`.
pub(super) fn run(files: &[PathBuf], opts: &ImportOptions, out: &Path) -> Result<()> {
    let started = Instant::now();
    let bytes = files.iter().map(|f| read(f)).collect::<Result<Vec<_>>>()?;
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let imported =
        import::read(&bytes, opts).with_context(|| format!("reading {}", names.join(", ")))?;
    let trace = &imported.trace;
    write_atomic(out, &trace.to_csv()).with_context(|| format!("writing {}", out.display()))?;
    print!("{}", imported.report);
    eprintln!(
        "import: {} -> {} ({} steps of {}) in {:.2} s",
        names.join(", "),
        out.display(),
        trace.len(),
        crate::trace::step_in_words(trace.step_seconds),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
