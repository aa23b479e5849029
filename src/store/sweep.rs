//! A sweep's folder: each shard's part (`sweep.part-<i>-of-<n>.csv`) and its manifest
//! (`.json`) in the shard store ([`super::shards`]), and the merged results (`sweep.csv`,
//! `slo_table.csv`, `frontier_<trace>.png`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use polars::prelude::DataType;

use super::shards::{Layout, ShardDir};
use super::{read, write_all_atomic};
use crate::sweep::rows;
use crate::sweep::{Grid, SweepTrace};

/// What a sweep's part manifest records besides the store's fields
/// ([`crate::store::shards::Manifest`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SweepMeta {
    /// SLO levels of the SLO table.
    pub(crate) slo_levels: Vec<f64>,
    /// How sure a recommended row must be that its SLO holds (`--confidence`, percent).
    pub(crate) confidence_percent: f64,
    /// The attainment the service alone reaches at each capacity, percent:
    /// `(capacity, ceiling)` pairs ([`crate::sweep::Grid::ceilings`]).
    pub(crate) ceilings: Vec<(f64, f64)>,
    /// Models fitted by this part.
    pub(crate) fits: usize,
    /// Simulations of the test period run by this part.
    pub(crate) simulations: usize,
    /// Simulations of the validation window run by this part.
    #[serde(default)]
    pub(crate) validation_simulations: usize,
}

/// The sweep's part files in the shard store ([`crate::store::shards`]): the header
/// of `sweep.csv`, a run named by the key columns, every value of its column's type.
pub(crate) static PART: Layout = Layout {
    stem: "sweep",
    unit: "unit",
    header: rows::header,
    key_columns: rows::KEY_LEN,
    check: check_value,
    owner: super::shards::round_robin,
};

/// What the value of column `k` of a part must be, where `value` is not that: the key
/// and metric columns' types, the validation columns empty where there is no window.
fn check_value(k: usize, value: &str) -> Option<&'static str> {
    // Each column's type, and whether it may be empty, computed once.
    static TYPES: std::sync::OnceLock<Vec<(DataType, bool)>> = std::sync::OnceLock::new();
    let types = TYPES.get_or_init(|| {
        rows::header()
            .into_iter()
            .zip(rows::schema().iter_values())
            .map(|(column, t)| {
                let optional = rows::VALIDATION.iter().any(|(name, _)| *name == column);
                (t.clone(), optional)
            })
            .collect()
    });
    let (t, optional) = types.get(k)?;
    match *t {
        _ if *optional && value.is_empty() => None,
        DataType::Int64 if value.parse::<i64>().is_err() => Some("a whole number"),
        DataType::Float64 if !value.is_empty() && value.parse::<f64>().is_err() => Some("a number"),
        _ => None,
    }
}

/// The sweep's results folder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SweepDir(pub(crate) PathBuf);

impl SweepDir {
    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Its parts in the shard store.
    pub(crate) fn shards(&self) -> ShardDir<'_> {
        ShardDir {
            dir: &self.0,
            layout: &PART,
        }
    }

    /// `settings-<trace>.toml`: the settings a trace was swept at (every setting but
    /// the axes, which each row names), for `export --sweep-dir`.
    pub(crate) fn settings(&self, trace: &str) -> PathBuf {
        self.0.join(format!("settings-{trace}.toml"))
    }

    /// `slo_table.csv`.
    pub(crate) fn slo_table(&self) -> PathBuf {
        self.0.join("slo_table.csv")
    }

    /// Writes each trace's settings ([`Self::settings`]).
    pub(crate) fn write_settings(&self, grid: &Grid) -> Result<()> {
        let files: Vec<(PathBuf, Vec<u8>)> = grid
            .traces
            .iter()
            .enumerate()
            .map(|(t, spec)| {
                (
                    self.settings(&spec.name),
                    grid.trace_settings(t).to_toml().into_bytes(),
                )
            })
            .collect();
        write_all_atomic(&files).context("writing the traces' settings")
    }

    /// `sweep.csv`: every row, merged and sorted.
    pub(crate) fn sweep_csv(&self) -> PathBuf {
        self.0.join("sweep.csv")
    }

    /// Writes the merged results as one set: `sweep.csv`, `slo_table.csv` and a
    /// frontier plot per trace.
    pub(crate) fn write_results(
        &self,
        sweep: Vec<u8>,
        slo_table: Vec<u8>,
        frontiers: Vec<(String, Vec<u8>)>,
    ) -> Result<()> {
        let mut files: Vec<(PathBuf, Vec<u8>)> =
            vec![(self.sweep_csv(), sweep), (self.slo_table(), slo_table)];
        for (trace, png) in frontiers {
            files.push((self.0.join(format!("frontier_{trace}.png")), png));
        }
        write_all_atomic(&files).context("writing the sweep's results")
    }
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
