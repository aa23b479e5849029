//! Everything prescale writes: CSV reports, forecast files, the console table.
//!
//! Every file is written whole to a temporary file beside its target and renamed into
//! place, so a failed or interrupted run never leaves a half-written report.

pub mod csv;
pub mod plot;
pub mod table;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a
/// rename. Creates the folder if needed. Errors name the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_all_atomic(&[(path, bytes)])
}

/// Writes several files as one: every file goes to its temporary name first, and only
/// when all are written are they renamed into place, so a failure part-way leaves the
/// old set of files, not a mix of old and new. Errors name the path.
pub fn write_all_atomic<P: AsRef<Path>, B: AsRef<[u8]>>(files: &[(P, B)]) -> std::io::Result<()> {
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

/// The temporary name a file is written under before its rename: hidden, unique to
/// this process, recognisable (`.NAME.tmp-PID`).
pub fn temp_path(path: &Path) -> PathBuf {
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
}
