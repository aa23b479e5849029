//! The one shard store, for every kind of sharded work (a sweep's units, a backtest's
//! folds): shard `i` of `n` writes `<stem>.part-<i>-of-<n>.csv` and its manifest
//! (`.json`) together after every unit, so a killed worker resumes where it stopped; the
//! merge checks that every unit of the grid is in exactly one part, from one grid, that
//! each manifest agrees with itself and every part is the bytes its manifest records
//! (each unit's row count and hash, the file's length and hash). A kind says what its
//! part's rows are ([`Layout`]) and what else its manifest records (`M`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{read, write_all_atomic};

/// What a kind of shard writes.
#[derive(Debug)]
pub(crate) struct Layout {
    /// The files' stem: `sweep` for `sweep.part-1-of-4.csv`.
    pub(crate) stem: &'static str,
    /// What one unit is, for messages (`unit`, `fold`).
    pub(crate) unit: &'static str,
    /// The part's header.
    pub(crate) header: fn() -> Vec<&'static str>,
    /// The leading columns that name a run: no two rows of a part share them.
    pub(crate) key_columns: usize,
    /// What the value of column `k` must be, where `value` is not that (`a number`).
    pub(crate) check: fn(usize, &str) -> Option<&'static str>,
    /// The shard (1-based) that runs unit `k` (0-based) of `len` when there are `n`
    /// ([`round_robin`], or the kind's own), for naming a missing part.
    pub(crate) owner: fn(usize, usize, usize) -> usize,
}

/// Unit `k` goes to shard `k mod n + 1`: a sweep's units.
pub(crate) fn round_robin(k: usize, _len: usize, n: usize) -> usize {
    k % n + 1
}

/// What a part's manifest records: the store's fields and the kind's own (`meta`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest<M> {
    /// The grid's fingerprint: parts of one sweep or backtest share it.
    pub(crate) fingerprint: String,
    /// This part's shard, 1-based.
    pub(crate) shard: usize,
    /// Shards in all.
    pub(crate) of: usize,
    /// Units finished, in order, with the rows each wrote and their hash.
    pub(crate) units: Vec<UnitRows>,
    /// Every unit of the grid, in order.
    pub(crate) grid_units: Vec<String>,
    /// What the kind records besides.
    #[serde(flatten)]
    pub(crate) meta: M,
    /// The part file this manifest describes.
    pub(crate) part: PartFile,
}

impl<M> Manifest<M> {
    /// A manifest of shard `shard` of `of` with no unit finished yet.
    pub(crate) fn fresh(
        fingerprint: String,
        (shard, of): (usize, usize),
        grid_units: Vec<String>,
        meta: M,
    ) -> Self {
        Self {
            fingerprint,
            shard,
            of,
            units: Vec::new(),
            grid_units,
            meta,
            part: PartFile::default(),
        }
    }

    /// Whether unit `id` is finished.
    pub(crate) fn done(&self, id: &str) -> bool {
        self.units.iter().any(|u| u.id == id)
    }
}

/// What a part's manifest records of one finished unit: how many rows it wrote, and
/// their hash ([`crate::hash`], over the rows' CSV bytes as the part holds them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UnitRows {
    /// The unit.
    pub(crate) id: String,
    /// Its rows in the part.
    pub(crate) rows: usize,
    /// Their hash.
    pub(crate) hash: String,
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

/// A part whose rows are not what its manifest says: one line, naming the line or the
/// unit at fault (the caller names the part).
#[derive(Debug, Error, PartialEq)]
pub(crate) enum PartError {
    /// The header is not this version's.
    #[error("its columns are not this version's (line 1)")]
    Header,
    /// A line that is not a whole row.
    #[error("line {line}: {message}")]
    Malformed {
        /// The line (the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A value of the wrong type.
    #[error("line {line}: column {column}: `{value}` is not {want}")]
    Value {
        /// The line.
        line: u64,
        /// The column.
        column: &'static str,
        /// The value, shortened.
        value: String,
        /// What it must be.
        want: &'static str,
    },
    /// Two rows of the same run.
    #[error("line {line} repeats the run of line {first} ({run}): a row written twice")]
    Duplicate {
        /// The later line.
        line: u64,
        /// The earlier.
        first: u64,
        /// The run's key, shortened.
        run: String,
    },
    /// A unit with fewer rows than its manifest records.
    #[error("unit {unit} has {have} of its {want} rows: the file was cut short")]
    Short {
        /// The unit.
        unit: String,
        /// Rows found.
        have: usize,
        /// Rows recorded.
        want: usize,
    },
    /// A unit whose rows hash differently from the record.
    #[error("unit {unit}: its {rows} rows are not those its manifest recorded (hash {have}, recorded {want}): edited after they were written")]
    Edited {
        /// The unit.
        unit: String,
        /// Its rows.
        rows: usize,
        /// The hash found.
        have: String,
        /// The hash recorded.
        want: String,
    },
    /// Rows after the last recorded unit.
    #[error(
        "{extra} rows after those of its last recorded unit{last}: rows its manifest does not list"
    )]
    Long {
        /// How many.
        extra: usize,
        /// ` name` of the last unit, or empty.
        last: String,
    },
}

/// At most 40 characters of `text`, shortened with "…".
fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(39).collect::<String>())
    }
}

/// A part file's rows, kept as text: a resumed shard writes the rows of its finished
/// units back byte for byte and appends the new ones.
#[derive(Debug, Clone)]
pub(crate) struct PartRows {
    layout: &'static Layout,
    rows: Vec<::csv::StringRecord>,
}

impl PartRows {
    /// No rows yet.
    pub(crate) fn new(layout: &'static Layout) -> Self {
        Self {
            layout,
            rows: Vec::new(),
        }
    }

    /// The rows of a part file, each checked: the header is this version's, every line a
    /// whole row, every value of its column's type.
    pub(crate) fn read(layout: &'static Layout, bytes: &[u8]) -> Result<Self, PartError> {
        let mut r = ::csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(bytes);
        let names = (layout.header)();
        let head = r.headers().map_err(|_| PartError::Header)?.clone();
        if head.iter().ne(names.iter().copied()) {
            return Err(PartError::Header);
        }
        let mut rows = Vec::new();
        for (k, rec) in r.records().enumerate() {
            let line = k as u64 + 2;
            let rec = rec.map_err(|e| PartError::Malformed {
                line,
                message: shorten(&e.to_string()),
            })?;
            if rec.len() != names.len() {
                return Err(PartError::Malformed {
                    line,
                    message: format!("{} of its {} columns (cut short?)", rec.len(), names.len()),
                });
            }
            for (column, value) in rec.iter().enumerate() {
                if let Some(want) = (layout.check)(column, value) {
                    return Err(PartError::Value {
                        line,
                        column: names[column],
                        value: shorten(value),
                        want,
                    });
                }
            }
            rows.push(rec);
        }
        Ok(Self { layout, rows })
    }

    /// Rows in the part.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Appends rows, each serialized as one CSV record.
    pub(crate) fn extend<T: Serialize>(&mut self, rows: impl IntoIterator<Item = T>) {
        // Through the CSV writer and back, so a row is held as the text a file holds.
        let mut w = ::csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        for row in rows {
            w.serialize(row).expect("in-memory CSV write");
        }
        let bytes = w.into_inner().expect("in-memory CSV flush");
        let mut r = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        self.rows
            .extend(r.records().map(|x| x.expect("just written")));
    }

    /// Keeps the first `n` rows.
    pub(crate) fn truncate(&mut self, n: usize) {
        self.rows.truncate(n);
    }

    /// The hash of rows `range`, over their CSV bytes.
    pub(crate) fn hash(&self, range: std::ops::Range<usize>) -> String {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        for r in &self.rows[range] {
            w.write_record(r).expect("in-memory CSV write");
        }
        crate::hash::hex(&w.into_inner().expect("in-memory CSV flush"))
    }

    /// Checks the rows against the units a manifest records, in order: no run twice,
    /// each unit's rows all there and unchanged. Returns the rows they cover; rows after
    /// them (a unit whose record was never written) are the caller's to judge.
    pub(crate) fn verify(&self, units: &[UnitRows]) -> Result<usize, PartError> {
        let key_len = self.layout.key_columns;
        let mut seen: std::collections::HashMap<Vec<&str>, u64> = Default::default();
        for (k, rec) in self.rows.iter().enumerate() {
            let key: Vec<&str> = rec.iter().take(key_len).collect();
            let line = k as u64 + 2;
            if let Some(&first) = seen.get(&key) {
                return Err(PartError::Duplicate {
                    line,
                    first,
                    run: shorten(&key.join(",")),
                });
            }
            seen.insert(key, line);
        }
        let mut at = 0;
        for u in units {
            let have = self.rows.len().saturating_sub(at).min(u.rows);
            if have < u.rows {
                return Err(PartError::Short {
                    unit: u.id.clone(),
                    have,
                    want: u.rows,
                });
            }
            let hash = self.hash(at..at + u.rows);
            if hash != u.hash {
                return Err(PartError::Edited {
                    unit: u.id.clone(),
                    rows: u.rows,
                    have: hash,
                    want: u.hash.clone(),
                });
            }
            at += u.rows;
        }
        Ok(at)
    }

    /// Records the rows from `from` on as unit `id`'s in `manifest`.
    pub(crate) fn record<M>(&self, manifest: &mut Manifest<M>, id: &str, from: usize) {
        manifest.units.push(UnitRows {
            id: id.to_string(),
            rows: self.len() - from,
            hash: self.hash(from..self.len()),
        });
    }

    /// The part file: the header and every row.
    pub(crate) fn to_csv(&self) -> Vec<u8> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        w.write_record((self.layout.header)())
            .expect("in-memory CSV write");
        for r in &self.rows {
            w.write_record(r).expect("in-memory CSV write");
        }
        w.into_inner().expect("in-memory CSV flush")
    }
}

/// A part checked by the merge: its name, its manifest and its rows' bytes.
pub(crate) type CheckedPart<M> = (String, Manifest<M>, Vec<u8>);

/// One shard's pair of files.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Part {
    /// The rows.
    pub(crate) csv: PathBuf,
    /// The manifest.
    pub(crate) manifest: PathBuf,
}

/// A folder of parts of one kind.
#[derive(Clone, Copy)]
pub(crate) struct ShardDir<'a> {
    /// The folder.
    pub(crate) dir: &'a Path,
    /// The kind.
    pub(crate) layout: &'static Layout,
}

impl ShardDir<'_> {
    /// The name of shard `i` of `n`'s part, without its extension.
    pub(crate) fn part_name(&self, i: usize, n: usize) -> String {
        format!("{}.part-{i}-of-{n}", self.layout.stem)
    }

    /// How a part is named, for messages: `sweep.part-I-of-N`.
    pub(crate) fn pattern(&self) -> String {
        format!("{}.part-I-of-N", self.layout.stem)
    }

    /// The part of shard `i` of `n`.
    pub(crate) fn part(&self, i: usize, n: usize) -> Part {
        let stem = self.part_name(i, n);
        Part {
            csv: self.dir.join(format!("{stem}.csv")),
            manifest: self.dir.join(format!("{stem}.json")),
        }
    }

    /// Shard `i` of `n`'s manifest and rows to go on from: the part in the folder where
    /// it is of the same grid (`fresh`'s fingerprint) and its rows are those its manifest
    /// vouches for (rows after them, from a unit whose manifest never landed, dropped so
    /// that unit runs again); else `fresh` with no rows, saying why where a part was
    /// there. Removes the temporary files a killed writer of this shard left.
    pub(crate) fn resume<M: DeserializeOwned>(
        &self,
        fresh: Manifest<M>,
    ) -> Result<(Manifest<M>, PartRows)> {
        let (i, n) = (fresh.shard, fresh.of);
        // Parts of a run in another number of shards: with this run's, no merge could
        // join them, so say so before any unit runs.
        let manifests = match self.dir.is_dir() {
            true => self.manifest_names()?,
            false => Vec::new(),
        };
        let other = manifests.into_iter().find(|name| {
            name.strip_suffix(".json")
                .and_then(|r| r.rsplit_once("-of-"))
                .is_some_and(|(_, of)| of != n.to_string())
        });
        if let Some(name) = other {
            bail!(
                "{} holds {name}, a part of a run in another number of shards than this one's {n}: merge could not join them; remove the old parts or use another folder",
                self.dir.display()
            );
        }
        self.clean_temp(i, n)?;
        let part = self.part(i, n);
        let empty = PartRows::new(self.layout);
        if !(part.manifest.exists() && part.csv.exists()) {
            return Ok((fresh, empty));
        }
        let found = (|| -> Result<(Manifest<M>, Vec<u8>)> {
            let m = serde_json::from_slice(&read(&part.manifest)?)
                .with_context(|| format!("reading {}", part.manifest.display()))?;
            Ok((m, read(&part.csv)?))
        })();
        let (old, csv) = match found {
            Ok(f) => f,
            Err(e) => {
                eprintln!("warning: {e:#}; its units are run again");
                return Ok((fresh, empty));
            }
        };
        if old.fingerprint != fresh.fingerprint {
            return Ok((fresh, empty));
        }
        let checked = PartRows::read(self.layout, &csv).and_then(|mut rows| {
            let covered = rows.verify(&old.units)?;
            rows.truncate(covered);
            Ok(rows)
        });
        match checked {
            Ok(rows) => Ok((old, rows)),
            Err(why) => {
                eprintln!(
                    "warning: {}: {why}; its units are run again",
                    part.csv.display()
                );
                Ok((fresh, empty))
            }
        }
    }

    /// Writes a part's rows and its manifest as one set: both go to temporary files,
    /// then the rows are renamed into place, then the manifest, which records the rows'
    /// length and hash. A crash between the renames leaves new rows beside the old
    /// manifest; the rerun keeps only the rows the manifest vouches for.
    pub(crate) fn write_part<M: Serialize>(
        &self,
        rows: &PartRows,
        manifest: &mut Manifest<M>,
    ) -> Result<()> {
        let part = self.part(manifest.shard, manifest.of);
        let csv = rows.to_csv();
        manifest.part = PartFile::of(&csv);
        let mut json = serde_json::to_vec_pretty(manifest).expect("plain struct");
        json.push(b'\n');
        write_all_atomic(&[(&part.csv, csv), (&part.manifest, json)])
            .with_context(|| format!("writing the {}'s part", self.layout.stem))
    }

    /// Removes what a killed writer of shard `i` of `n` left: its temporary files (see
    /// [`super::write_all_atomic`]), never renamed into place.
    fn clean_temp(&self, i: usize, n: usize) -> Result<()> {
        let prefix = format!(".{}.", self.part_name(i, n));
        super::remove_stale(self.dir, &[], |name| {
            name.starts_with(&prefix) && name.contains(".tmp-")
        })
    }

    /// The names of the files in the folder.
    fn file_names(&self) -> Result<Vec<String>> {
        std::fs::read_dir(self.dir)
            .with_context(|| format!("reading {}", self.dir.display()))?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect()
    }

    /// Whether the folder holds a part of this kind (a manifest).
    pub(crate) fn holds_parts(&self) -> Result<bool> {
        Ok(!self.manifest_names()?.is_empty())
    }

    /// The file names of the folder's part manifests (`sweep.part-I-of-N.json`).
    fn manifest_names(&self) -> Result<Vec<String>> {
        let prefix = format!("{}.part-", self.layout.stem);
        Ok(self
            .file_names()?
            .into_iter()
            .filter(|n| n.starts_with(&prefix) && n.ends_with(".json"))
            .collect())
    }

    /// Every part in the folder, checked to be one whole grid, with its rows' bytes, by
    /// shard: no part without its manifest, one fingerprint, every manifest agreeing with
    /// itself and the others (its finished units among the grid's, one grid), every unit
    /// of the grid in exactly one part, each part the bytes its manifest recorded.
    pub(crate) fn checked_parts<M: DeserializeOwned>(&self) -> Result<Vec<CheckedPart<M>>> {
        let names = self.file_names()?;
        let prefix = format!("{}.part-", self.layout.stem);
        let mut orphans: Vec<&str> = names
            .iter()
            .filter_map(|n| n.strip_prefix(&prefix).and(n.strip_suffix(".csv")))
            .filter(|stem| !names.contains(&format!("{stem}.json")))
            .collect();
        orphans.sort();
        if let Some(orphan) = orphans.first() {
            bail!(
                "part {orphan} has no manifest ({orphan}.json): its rows cannot be vouched for; rerun its shard"
            );
        }
        let mut parts: Vec<(String, Manifest<M>)> = Vec::new();
        for name in self.manifest_names()? {
            let path = self.dir.join(&name);
            let m: Manifest<M> = serde_json::from_slice(&read(&path)?).with_context(|| {
                format!(
                    "reading {} (a manifest this prescale does not read, of another version?): rerun its shard",
                    path.display()
                )
            })?;
            parts.push((name.trim_end_matches(".json").to_string(), m));
        }
        parts.sort_by_key(|(_, m)| (m.of, m.shard));
        let Some((first_name, first)) = parts.first() else {
            bail!(
                "no {} parts ({}.json) in {}",
                self.layout.stem,
                self.pattern(),
                self.dir.display()
            );
        };
        for (name, m) in &parts {
            if m.fingerprint != first.fingerprint {
                bail!(
                    "{name} is from another grid (fingerprint {}, {first_name} has {}): merge the parts of one {}",
                    m.fingerprint,
                    first.fingerprint,
                    self.layout.stem
                );
            }
            if m.grid_units != first.grid_units {
                bail!(
                    "{name} lists other {}s of the grid than {first_name}: its manifest was edited; rerun its shard",
                    self.layout.unit
                );
            }
            if let Some(u) = m.units.iter().find(|u| !m.grid_units.contains(&u.id)) {
                bail!(
                    "{name} holds {} {}, which its grid does not list: its manifest contradicts itself; rerun its shard",
                    self.layout.unit,
                    u.id
                );
            }
        }
        let mut owner: BTreeMap<&str, &str> = Default::default();
        for (name, m) in &parts {
            for u in m.units.iter().map(|u| u.id.as_str()) {
                if let Some(other) = owner.insert(u, name) {
                    bail!(
                        "{} {u} is in both {other} and {name}: duplicate shards, remove one",
                        self.layout.unit
                    );
                }
            }
        }
        let missing: Vec<(usize, &String)> = first
            .grid_units
            .iter()
            .enumerate()
            .filter(|(_, u)| !owner.contains_key(u.as_str()))
            .collect();
        if let Some((k, u)) = missing.first() {
            let n = first.of;
            bail!(
                "{} of {} {}s are in no part, {u} first: {} is missing or unfinished",
                missing.len(),
                first.grid_units.len(),
                self.layout.unit,
                self.part_name((self.layout.owner)(*k, first.grid_units.len(), n), n)
            );
        }
        let mut out = Vec::new();
        for (name, m) in parts {
            let csv = read(&self.dir.join(format!("{name}.csv")))?;
            self.verify(&name, &m, &csv)?;
            out.push((name, m, csv));
        }
        Ok(out)
    }

    /// A part's rows, checked against its manifest: every line a whole row of the right
    /// types, no run twice, every unit's rows there and unchanged, nothing else, and the
    /// file the bytes the manifest recorded.
    fn verify<M>(&self, name: &str, manifest: &Manifest<M>, csv: &[u8]) -> Result<()> {
        let rows =
            PartRows::read(self.layout, csv).map_err(|e| anyhow::anyhow!("part {name}: {e}"))?;
        let covered = rows
            .verify(&manifest.units)
            .map_err(|e| anyhow::anyhow!("part {name}: {e}"))?;
        if covered < rows.len() {
            let last = manifest
                .units
                .last()
                .map_or(String::new(), |u| format!(" {}", u.id));
            let e = PartError::Long {
                extra: rows.len() - covered,
                last,
            };
            bail!("part {name}: {e}");
        }
        let found = PartFile::of(csv);
        if found != manifest.part {
            bail!(
                "part {name}: {} bytes (hash {}), its manifest recorded {} bytes (hash {}): the file was changed outside its rows",
                found.bytes,
                found.hash,
                manifest.part.bytes,
                manifest.part.hash
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small kind: a run is (unit, policy); its cost a whole number.
    static TOY: Layout = Layout {
        stem: "toy",
        unit: "unit",
        header: || vec!["unit", "policy", "cost"],
        key_columns: 2,
        check: |k, v| (k == 2 && v.parse::<u64>().is_err()).then_some("a whole number"),
        owner: round_robin,
    };

    /// Shard 1 of 1 of a grid of units a and b, with the rows of `units` finished.
    fn written(units: &[(&str, &[(&str, u64)])]) -> (Manifest<()>, PartRows) {
        let mut m = Manifest::fresh("f".into(), (1, 1), vec!["a".into(), "b".into()], ());
        let mut rows = PartRows::new(&TOY);
        for (id, r) in units {
            let before = rows.len();
            rows.extend(r.iter().map(|(p, c)| (*id, *p, *c)));
            rows.record(&mut m, id, before);
        }
        m.part = PartFile::of(&rows.to_csv());
        (m, rows)
    }

    fn write(dir: &Path, m: &Manifest<()>, csv: &[u8]) {
        let mut json = serde_json::to_vec_pretty(m).unwrap();
        json.push(b'\n');
        std::fs::write(dir.join("toy.part-1-of-1.json"), json).unwrap();
        std::fs::write(dir.join("toy.part-1-of-1.csv"), csv).unwrap();
    }

    #[test]
    fn a_crash_between_the_renames_resumes_from_the_rows_the_manifest_vouches_for() {
        // Unit a's pair landed; then unit b's rows were renamed into place and the
        // process died before b's manifest: the manifest still records a alone.
        let a: &[(&str, u64)] = &[("static-2", 10), ("oracle", 7)];
        let b: &[(&str, u64)] = &[("optimal", 6)];
        let (after_a, rows_a) = written(&[("a", a)]);
        let (after_b, rows_b) = written(&[("a", a), ("b", b)]);
        let tmp = tempfile::tempdir().unwrap();
        let store = ShardDir {
            dir: tmp.path(),
            layout: &TOY,
        };
        write(tmp.path(), &after_a, &rows_b.to_csv());
        let fresh = Manifest::fresh("f".into(), (1, 1), after_a.grid_units.clone(), ());
        let (m, resumed) = store.resume(fresh.clone()).unwrap();
        assert_eq!(
            (m.units.clone(), resumed.to_csv()),
            (after_a.units.clone(), rows_a.to_csv())
        );
        // The merge refuses the torn pair and says why.
        let torn = store.checked_parts::<()>().unwrap_err().to_string();
        assert_eq!(
            torn,
            "1 of 2 units are in no part, b first: toy.part-1-of-1 is missing or unfinished"
        );
        // Rerunning b on the resumed rows gives the uninterrupted bytes, which merge.
        let mut m = m;
        let mut again = resumed;
        again.extend(b.iter().map(|(p, c)| ("b", *p, *c)));
        again.record(&mut m, "b", 2);
        store.write_part(&again, &mut m).unwrap();
        assert_eq!(again.to_csv(), rows_b.to_csv());
        assert_eq!(m, after_b);
        let parts = store.checked_parts::<()>().unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].2, rows_b.to_csv());
        // A part of another grid is not resumed from.
        let other = Manifest::fresh("g".into(), (1, 1), after_a.grid_units.clone(), ());
        assert!(store.resume(other).unwrap().0.units.is_empty());
    }

    #[test]
    fn the_merge_refuses_a_manifest_that_contradicts_itself_or_its_rows() {
        let a: &[(&str, u64)] = &[("static-2", 10)];
        let b: &[(&str, u64)] = &[("optimal", 6)];
        let (whole, rows) = written(&[("a", a), ("b", b)]);
        let tmp = tempfile::tempdir().unwrap();
        let store = ShardDir {
            dir: tmp.path(),
            layout: &TOY,
        };
        let csv = rows.to_csv();
        write(tmp.path(), &whole, &csv);
        assert!(store.checked_parts::<()>().is_ok());
        // The grid's list edited to drop a unit the part holds.
        let mut edited = whole.clone();
        edited.grid_units = vec!["a".into()];
        write(tmp.path(), &edited, &csv);
        assert_eq!(
            store.checked_parts::<()>().unwrap_err().to_string(),
            "toy.part-1-of-1 holds unit b, which its grid does not list: its manifest contradicts itself; rerun its shard"
        );
        // A row edited after it was written.
        let changed = String::from_utf8(csv.clone()).unwrap().replace(",6", ",5");
        write(tmp.path(), &whole, changed.as_bytes());
        let err = store.checked_parts::<()>().unwrap_err().to_string();
        assert!(
            err.starts_with(
                "part toy.part-1-of-1: unit b: its 1 rows are not those its manifest recorded"
            ),
            "{err}"
        );
        // A value of the wrong type, named by line and column.
        let bad = String::from_utf8(csv).unwrap().replace(",6", ",six");
        write(tmp.path(), &whole, bad.as_bytes());
        assert_eq!(
            store.checked_parts::<()>().unwrap_err().to_string(),
            "part toy.part-1-of-1: line 3: column cost: `six` is not a whole number"
        );
    }
}
