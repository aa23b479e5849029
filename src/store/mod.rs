//! The on-disk hand-off between stages: the folder layout and file names, atomic writes,
//! the forecast sidecar with its fingerprint and staleness checks, and each CSV's reader
//! beside its writer (columns looked up by header).
//!
//! Stages in separate processes meet only here: `train` leaves a model's files in the
//! data folder, `simulate` reads them back and leaves reports, `report` redraws from
//! those reports. Nothing outside this module names a file or writes one: plots and
//! models hand over bytes (a model names its own artifacts, which land in the data
//! folder's `models/`).

pub(crate) mod forecasts;
pub(crate) mod reports;
pub(crate) mod shards;
pub(crate) mod sweep;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::report::plot::Figure;

/// File name of the trace `generate` writes in the data folder.
const WORKLOAD_FILE: &str = "workload.csv";

/// File name of the Markdown summary in the reports folder.
pub(crate) const SUMMARY_FILE: &str = "summary.md";

/// A stored file that could not be read back.
#[derive(Debug, Error, PartialEq)]
pub(crate) enum ReadError {
    /// The CSV is malformed.
    #[error("line {line}: {message}")]
    Csv {
        /// Line of the record, where known (the header is line 1).
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A column the file must have is not in its header.
    #[error("no column {0:?} in the header")]
    MissingColumn(String),
    /// The file has no rows.
    #[error("the file has no rows")]
    Empty,
    /// The sidecar is malformed.
    #[error("{0}")]
    Json(String),
}

/// The data folder: the generated trace, each model's forecasts with their sidecar, and
/// saved model files.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataDir(pub(crate) PathBuf);

impl DataDir {
    /// `<data>/workload.csv`.
    pub(crate) fn workload(&self) -> PathBuf {
        self.0.join(WORKLOAD_FILE)
    }

    /// `<data>/forecasts`.
    pub(crate) fn forecasts_dir(&self) -> PathBuf {
        self.0.join("forecasts")
    }

    /// `<data>/forecasts/<model>.csv`: the model's test forecasts.
    pub(crate) fn forecast_csv(&self, model: &str) -> PathBuf {
        self.forecasts_dir().join(format!("{model}.csv"))
    }

    /// `<data>/forecasts/<model>.json`: what those forecasts were made for.
    pub(crate) fn forecast_meta(&self, model: &str) -> PathBuf {
        self.forecasts_dir().join(format!("{model}.json"))
    }

    /// `<data>/forecasts/<model>.validation.csv`: the model's forecasts of the
    /// validation window at the end of the train period, by the fit that forecast the
    /// test period (which did not read the window).
    pub(crate) fn validation_csv(&self, model: &str) -> PathBuf {
        self.forecasts_dir().join(format!("{model}.validation.csv"))
    }

    /// `<data>/models`: models that save themselves (weights and their sidecar).
    pub(crate) fn models_dir(&self) -> PathBuf {
        self.0.join("models")
    }
}

/// The reports folder: CSV reports, per-run timelines, plots and the Markdown summary.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportsDir(pub(crate) PathBuf);

impl ReportsDir {
    /// The folder itself.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// `backtest.csv`: one row per (fold, model, policy, knob value).
    pub(crate) fn backtest(&self) -> PathBuf {
        self.0.join("backtest.csv")
    }

    /// `recommendation.md`: a backtest's recommendation and its evidence.
    pub(crate) fn recommendation(&self) -> PathBuf {
        self.0.join("recommendation.md")
    }

    /// A fleet backtest's `fleet.csv`: one row per trace, its recommendation and evidence.
    pub(crate) fn fleet_csv(&self) -> PathBuf {
        self.0.join("fleet.csv")
    }

    /// A fleet backtest's `fleet.md`: the same as a table, with the fleet's totals.
    pub(crate) fn fleet_md(&self) -> PathBuf {
        self.0.join("fleet.md")
    }

    /// A fleet backtest's folder of one trace's `backtest.csv` and `recommendation.md`.
    pub(crate) fn trace(&self, name: &str) -> Self {
        Self(self.0.join(name))
    }

    /// `metrics_summary.csv`: one row per (model, policy).
    pub(crate) fn metrics(&self) -> PathBuf {
        self.0.join("metrics_summary.csv")
    }

    /// `forecast_metrics.csv`: accuracy per model.
    pub(crate) fn forecast_metrics(&self) -> PathBuf {
        self.0.join("forecast_metrics.csv")
    }

    /// `forecasts.csv`: actual demand and every model's forecast per test step.
    pub(crate) fn forecasts(&self) -> PathBuf {
        self.0.join("forecasts.csv")
    }

    /// `recommended.csv`: the recommendation chosen on the validation window, the
    /// runner-up and reactive-hpa's pick, with their figures on both windows.
    pub(crate) fn recommended(&self) -> PathBuf {
        self.0.join("recommended.csv")
    }

    /// `settings.toml`: every setting the run was simulated with, as `name = value`
    /// (`export` reads it beside `recommended.csv`).
    pub(crate) fn settings(&self) -> PathBuf {
        self.0.join("settings.toml")
    }

    /// `timelines/recommended.csv`: the recommendation's run on the test period.
    pub(crate) fn recommended_timeline(&self) -> PathBuf {
        self.0.join("timelines").join("recommended.csv")
    }

    /// `timelines/<model>_<policy>.csv`.
    pub(crate) fn timeline(&self, model: &str, policy: &str) -> PathBuf {
        self.0
            .join("timelines")
            .join(format!("{model}_{policy}.csv"))
    }

    /// A figure's file name, relative to the reports folder (the summary links it).
    pub(crate) fn figure_name(figure: &Figure) -> String {
        match figure {
            Figure::Forecast(model) => format!("{model}_forecast.png"),
            Figure::Comparison(model) => format!("{model}_policy_comparison.png"),
            Figure::Pareto => "pareto.png".to_string(),
            Figure::Timeline => "timeline.png".to_string(),
        }
    }

    /// A figure's file.
    pub(crate) fn figure(&self, figure: &Figure) -> PathBuf {
        self.0.join(Self::figure_name(figure))
    }

    /// `summary.md`: the table in Markdown, linking the figures.
    pub(crate) fn summary(&self) -> PathBuf {
        self.0.join(SUMMARY_FILE)
    }
}

/// Removes the files of `dir` whose name `ours` claims and that are not `kept`: what an
/// earlier run wrote that this one did not (a report folder describes one run, whole).
/// Files `ours` does not claim are left alone.
pub(crate) fn remove_stale(
    dir: &Path,
    kept: &[PathBuf],
    ours: impl Fn(&str) -> bool,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if path.is_file() && ours(&name) && !kept.contains(&path) {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Reads a file, naming it in the error.
pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a
/// rename. Creates the folder if needed. Errors name the path.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_all_atomic(&[(path, bytes)])
}

/// Writes several files as one: every file goes to its temporary name first, and only
/// when all are written are they renamed into place, so a failure part-way leaves the
/// old set of files, not a mix of old and new. Errors name the path.
pub(crate) fn write_all_atomic<P: AsRef<Path>, B: AsRef<[u8]>>(
    files: &[(P, B)],
) -> std::io::Result<()> {
    let mut written: Vec<(PathBuf, &Path)> = Vec::with_capacity(files.len());
    let result = (|| {
        for (path, bytes) in files {
            let path = path.as_ref();
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            fs::create_dir_all(dir).map_err(|e| with_path(e, dir))?;
            let tmp = temp_path(path);
            let mut f = fs::File::create(&tmp).map_err(|e| with_path(e, path))?;
            written.push((tmp, path));
            f.write_all(bytes.as_ref())
                .map_err(|e| with_path(e, path))?;
            f.sync_all().map_err(|e| with_path(e, path))?;
        }
        for (tmp, path) in &written {
            fs::rename(tmp, path).map_err(|e| with_path(e, path))?;
        }
        for (_, path) in &written {
            remove_stale_temps(path);
        }
        Ok(())
    })();
    if result.is_err() {
        for (tmp, _) in &written {
            let _ = fs::remove_file(tmp);
        }
    }
    result
}

fn with_path(e: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Removes the temporary files of `path` that a process killed mid-write left behind
/// (`.NAME.tmp-PID` whose process is gone), once `path` itself is written. Where
/// processes cannot be listed (no `/proc`) nothing is removed.
fn remove_stale_temps(path: &Path) {
    let proc_fs = Path::new("/proc");
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    if !proc_fs.join("self").exists() {
        return;
    }
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let dead = |file: &str| {
        file.strip_prefix(&prefix)
            .and_then(|p| p.parse::<u32>().ok())
            .is_some_and(|pid| pid != std::process::id() && !proc_fs.join(pid.to_string()).exists())
    };
    // Best effort: a temp file that cannot be removed now is removed by a later write.
    let _ = remove_stale(dir, &[], dead);
}

/// The temporary name a file is written under before its rename: hidden, unique to
/// this process, recognisable (`.NAME.tmp-PID`).
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.csv");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_write_removes_the_temp_files_a_killed_writer_left() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        // PIDs above Linux's largest (2^22) name no live process; the other file's name
        // is another target's.
        fs::write(dir.path().join(".out.csv.tmp-999999999"), b"half").unwrap();
        fs::write(dir.path().join(".other.csv.tmp-999999999"), b"half").unwrap();
        write_atomic(&p, b"whole").unwrap();
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".other.csv.tmp-999999999", "out.csv"]);
    }

    #[test]
    fn a_failed_set_leaves_the_old_files_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        write_atomic(&a, b"old").unwrap();
        // The second target's folder is a plain file, so it fails after a's temp file
        // is written and before anything is renamed.
        let blocked = dir.path().join("blocked");
        fs::write(&blocked, b"a file").unwrap();
        let err = write_all_atomic(&[(&a, &b"new"[..]), (&blocked.join("x.csv"), &b"x"[..])])
            .unwrap_err();
        assert!(err.to_string().contains("blocked"), "{err}");
        assert_eq!(fs::read(&a).unwrap(), b"old");
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    }
}
