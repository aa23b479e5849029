//! `export`: a run's choice as manifests `kubectl apply` takes, from the run's
//! `recommended.csv` and `settings.toml` ([`crate::export`]).

use anyhow::{bail, Context, Result};

use crate::export;
use crate::plan::ExportPlan;
use crate::recommend::Choice;
use crate::settings::Settings;
use crate::store::reports::from_csv;
use crate::store::sweep::SweepDir;
use crate::store::{read, write_atomic};

/// Writes the manifests of `p.role`'s row, or of each trace's recommendation of a
/// sweep.
pub(super) fn run(p: &ExportPlan) -> Result<()> {
    if let Some((dir, level)) = &p.sweep {
        return sweep(p, &SweepDir(dir.clone()), *level);
    }
    let path = p.reports.recommended();
    if !path.exists() {
        bail!(
            "no {} (run `prescale simulate` or `run-all` first, with a validation window)",
            path.display()
        );
    }
    let choices: Vec<Choice> =
        from_csv(&read(&path)?).with_context(|| format!("reading {}", path.display()))?;
    let Some(choice) = choices.iter().find(|c| c.role == p.role) else {
        bail!("{} has no {} row", path.display(), p.role);
    };
    let settings = read_settings(
        &p.reports.settings(),
        "these reports are older than `export`; run `prescale simulate` again",
    )?;
    let manifests = export::manifests(choice, &settings, &p.target)?;
    let file = export::file(choice, &p.reports.settings(), &manifests);
    emit(
        p,
        &file,
        &format!("{} × {} ({})", choice.model, choice.policy, choice.role),
    )
}

/// The settings a run or a sweep wrote to `path`; where there is none, `older` says why.
fn read_settings(path: &std::path::Path, older: &str) -> Result<Settings> {
    if !path.exists() {
        bail!("no {}: {older}", path.display());
    }
    let text = String::from_utf8_lossy(&read(path)?).into_owned();
    Settings::from_toml(&text).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
}

/// Writes `file` to `--out` (or standard output), saying what went where.
fn emit(p: &ExportPlan, file: &str, what: &str) -> Result<()> {
    if p.out.as_os_str() == "-" {
        print!("{file}");
    } else {
        write_atomic(&p.out, file.as_bytes())
            .with_context(|| format!("writing {}", p.out.display()))?;
        eprintln!("export: {what} -> {}", p.out.display());
    }
    Ok(())
}

/// One set of manifests per trace of the sweep in `dir`: its recommendation at `level`,
/// at the settings it was swept with, scaling the Deployment named after the trace.
fn sweep(p: &ExportPlan, dir: &SweepDir, level: f64) -> Result<()> {
    let path = dir.slo_table();
    if !path.exists() {
        bail!(
            "no {} (run `prescale sweep` first, or `merge` its shards)",
            path.display()
        );
    }
    let picks = export::sweep_picks(&read(&path)?, level)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    if picks.is_empty() {
        bail!(
            "{} has no recommended row at SLO level {level} (give one of the sweep's --slo-levels)",
            path.display()
        );
    }
    let mut file = String::new();
    for pick in &picks {
        let settings = read_settings(
            &dir.settings(&pick.trace),
            "this sweep is older than `export --sweep-dir`; run it again",
        )?;
        let target = export::Target {
            name: pick.trace.clone(),
            ..p.target.clone()
        };
        let manifests = export::manifests(&pick.choice, &export::at_pick(&settings, pick), &target)
            .with_context(|| format!("trace {} (its name names the Deployment: give the trace a name such as name = \"model-api\" in the grid)", pick.trace))?;
        file.push_str(&export::sweep_file(pick, &manifests));
    }
    emit(
        p,
        &file,
        &format!(
            "{} at SLO {level} %",
            crate::words::count(picks.len(), "trace")
        ),
    )
}
