//! `import`: a trace from where it lives, read (any format of [`crate::trace::import`]),
//! reported (format, series, step, rows, range, gaps, what was dropped) and written as the
//! normalized `timestamp,requests` CSV every other command reads.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::plan::ImportSource;
use crate::remote::{self, Auth, RangeQuery};
use crate::store::{read, write_atomic};
use crate::trace::import::{self, ImportOptions, Imported};

/// Reads the trace from `source` and writes it to `out`.
pub(super) fn run(source: &ImportSource, opts: &ImportOptions, out: &Path) -> Result<()> {
    let started = Instant::now();
    let (imported, from) = match source {
        ImportSource::Files(files) => from_files(files, opts)?,
        ImportSource::Prometheus {
            query,
            bearer_token_file,
            basic_auth_file,
        } => {
            let auth = Auth::from_files(bearer_token_file.as_deref(), basic_auth_file.as_deref())?;
            from_prometheus(query, &auth, opts)?
        }
    };
    let trace = &imported.trace;
    write_atomic(out, &trace.to_csv()).with_context(|| format!("writing {}", out.display()))?;
    print!("{}", imported.report);
    eprintln!(
        "import: {} -> {} ({} steps of {}) in {:.2} s",
        from,
        out.display(),
        trace.len(),
        crate::trace::step_in_words(trace.step_seconds),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Reads `files` as one trace; and their names, for the summary line.
fn from_files(files: &[PathBuf], opts: &ImportOptions) -> Result<(Imported, String)> {
    let bytes = files.iter().map(|f| read(f)).collect::<Result<Vec<_>>>()?;
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let names = names.join(", ");
    let imported = import::read(&bytes, opts).with_context(|| format!("reading {names}"))?;
    Ok((imported, names))
}

/// Reads the range query's trace from Prometheus; and where from, for the summary line.
fn from_prometheus(
    query: &RangeQuery,
    auth: &Auth,
    opts: &ImportOptions,
) -> Result<(Imported, String)> {
    let (mut imported, requests, retries) = remote::read_trace(query, auth, opts)?;
    imported.report.fact(format!(
        "query {:?} read from {} in {} of at most {} points each{}",
        query.query,
        query.url,
        crate::words::count(requests, "request"),
        remote::POINTS_PER_REQUEST,
        match retries {
            0 => String::new(),
            n => format!(", {} retried", crate::words::count(n, "time")),
        }
    ));
    Ok((imported, query.url.clone()))
}
