//! A sweep's folder: each shard's part (`sweep.part-<i>-of-<n>.csv`) and its manifest
//! (`.json`), written together after every unit, and the merged results (`sweep.csv`,
//! `slo_table.csv`, `frontier_<trace>.png`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::{read, write_all_atomic};
use crate::sweep::rows::UnitRows;
use crate::sweep::{Grid, SweepTrace};

/// What a part's manifest records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// The grid's fingerprint: parts of one sweep share it.
    pub(crate) fingerprint: String,
    /// This part's shard, 1-based.
    pub(crate) shard: usize,
    /// Shards in all.
    pub(crate) of: usize,
    /// Units finished, in order, with the rows each wrote and their hash.
    pub(crate) units: Vec<UnitRows>,
    /// Every unit of the grid, in order.
    pub(crate) grid_units: Vec<String>,
    /// SLO levels of the SLO table.
    pub(crate) slo_levels: Vec<f64>,
    /// Models fitted by this part.
    pub(crate) fits: usize,
    /// Simulations of the test period run by this part.
    pub(crate) simulations: usize,
    /// Simulations of the validation window run by this part.
    #[serde(default)]
    pub(crate) validation_simulations: usize,
    /// The part file this manifest describes.
    pub(crate) part: PartFile,
}

impl Manifest {
    /// Whether unit `id` is finished.
    pub(crate) fn done(&self, id: &str) -> bool {
        self.units.iter().any(|u| u.id == id)
    }
}

/// A part file's length and hash ([`crate::hash`]), as its manifest records them: the
/// manifest names the bytes it describes, so a part renamed into place without its
/// manifest (a crash between the two renames) is told apart from a whole pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PartFile {
    /// Its length, bytes.
    pub(crate) bytes: usize,
    /// Its hash.
    pub(crate) hash: String,
}

impl PartFile {
    /// The record of `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.len(),
            hash: crate::hash::hex(bytes),
        }
    }
}

/// One shard's pair of files.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Part {
    /// The rows.
    pub(crate) csv: PathBuf,
    /// The manifest.
    pub(crate) manifest: PathBuf,
}

/// The sweep's results folder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SweepDir(pub(crate) PathBuf);

impl SweepDir {
    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// The part of shard `i` of `n`.
    pub(crate) fn part(&self, i: usize, n: usize) -> Part {
        let stem = part_name(i, n);
        Part {
            csv: self.0.join(format!("{stem}.csv")),
            manifest: self.0.join(format!("{stem}.json")),
        }
    }

    /// `sweep.csv`: every row, merged and sorted.
    pub(crate) fn sweep_csv(&self) -> PathBuf {
        self.0.join("sweep.csv")
    }

    /// The part and manifest of shard `i` of `n`, if both exist: read back to resume.
    pub(crate) fn read_part(&self, i: usize, n: usize) -> Result<Option<(Manifest, Vec<u8>)>> {
        let part = self.part(i, n);
        if !(part.manifest.exists() && part.csv.exists()) {
            return Ok(None);
        }
        let m: Manifest = serde_json::from_slice(&read(&part.manifest)?)
            .with_context(|| format!("reading {}", part.manifest.display()))?;
        Ok(Some((m, read(&part.csv)?)))
    }

    /// Writes a part's rows and its manifest as one set: both go to temporary files,
    /// then the rows are renamed into place, then the manifest, which records the rows'
    /// length and hash. A crash between the renames leaves new rows beside the old
    /// manifest; the rerun keeps only the rows the manifest vouches for.
    pub(crate) fn write_part(
        &self,
        part: &Part,
        csv: Vec<u8>,
        manifest: &mut Manifest,
    ) -> Result<()> {
        manifest.part = PartFile::of(&csv);
        let mut json = serde_json::to_vec_pretty(manifest).expect("plain struct");
        json.push(b'\n');
        write_all_atomic(&[(&part.csv, csv), (&part.manifest, json)])
            .context("writing the sweep's part")
    }

    /// Removes what a killed writer of shard `i` of `n` left: its temporary files (see
    /// [`super::write_all_atomic`]), never renamed into place.
    pub(crate) fn clean_temp(&self, i: usize, n: usize) -> Result<()> {
        let prefix = format!(".{}.", part_name(i, n));
        let Ok(entries) = std::fs::read_dir(&self.0) else {
            return Ok(());
        };
        for e in entries {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && name.contains(".tmp-") {
                std::fs::remove_file(e.path())
                    .with_context(|| format!("removing {}", e.path().display()))?;
            }
        }
        Ok(())
    }

    /// The names of the files in the folder.
    fn file_names(&self) -> Result<Vec<String>> {
        let dir = &self.0;
        std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect()
    }

    /// Part files whose manifest is missing, by part name.
    pub(crate) fn orphans(&self) -> Result<Vec<String>> {
        let dir = &self.0;
        let mut out = Vec::new();
        for name in self.file_names()? {
            if let Some(stem) = name
                .strip_prefix("sweep.part-")
                .and_then(|_| name.strip_suffix(".csv"))
            {
                if !dir.join(format!("{stem}.json")).exists() {
                    out.push(stem.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// The manifests of the parts in the folder, with their part names, by shard.
    pub(crate) fn manifests(&self) -> Result<Vec<(String, Manifest)>> {
        let dir = &self.0;
        let mut out = Vec::new();
        for name in self.file_names()? {
            if name.starts_with("sweep.part-") && name.ends_with(".json") {
                let path = dir.join(&name);
                let m: Manifest = serde_json::from_slice(&read(&path)?)
                    .with_context(|| format!("reading {}", path.display()))?;
                out.push((name.trim_end_matches(".json").to_string(), m));
            }
        }
        out.sort_by_key(|(_, m)| (m.of, m.shard));
        Ok(out)
    }

    /// The rows file of the part named `name` (as [`Self::manifests`] names it).
    pub(crate) fn part_csv(&self, name: &str) -> PathBuf {
        self.0.join(format!("{name}.csv"))
    }

    /// The rows of the part named `name`.
    pub(crate) fn read_part_csv(&self, name: &str) -> Result<Vec<u8>> {
        read(&self.part_csv(name))
    }

    /// Writes the merged results as one set: `sweep.csv`, `slo_table.csv` and a
    /// frontier plot per trace.
    pub(crate) fn write_results(
        &self,
        sweep: Vec<u8>,
        slo_table: Vec<u8>,
        frontiers: Vec<(String, Vec<u8>)>,
    ) -> Result<()> {
        let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
            (self.sweep_csv(), sweep),
            (self.0.join("slo_table.csv"), slo_table),
        ];
        for (trace, png) in frontiers {
            files.push((self.0.join(format!("frontier_{trace}.png")), png));
        }
        write_all_atomic(&files).context("writing the sweep's results")
    }
}

/// How a part is named, for messages.
pub(crate) const PART_PATTERN: &str = "sweep.part-I-of-N";

/// The name of shard `i` of `n`'s part, without its extension.
pub(crate) fn part_name(i: usize, n: usize) -> String {
    format!("sweep.part-{i}-of-{n}")
}

/// The bytes of each file trace, in grid order (empty for synthetic ones).
pub(crate) fn trace_files(grid: &Grid) -> Result<Vec<Vec<u8>>> {
    grid.traces
        .iter()
        .map(|t| match &t.source {
            SweepTrace::File(p) => read(p),
            SweepTrace::Synthetic { .. } => Ok(Vec::new()),
        })
        .collect()
}
