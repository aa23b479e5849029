//! `export`: a run's choice as manifests `kubectl apply` takes, from the run's
//! `recommended.csv` and `settings.toml` ([`crate::export`]).

use anyhow::{bail, Context, Result};

use crate::export;
use crate::plan::ExportPlan;
use crate::recommend::Choice;
use crate::settings::Settings;
use crate::store::reports::from_csv;
use crate::store::{read, write_atomic};

/// Writes the manifests of `p.role`'s row.
pub(super) fn run(p: &ExportPlan) -> Result<()> {
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
    let settings_path = p.reports.settings();
    if !settings_path.exists() {
        bail!(
            "no {}: these reports are older than `export`; run `prescale simulate` again",
            settings_path.display()
        );
    }
    let text = String::from_utf8_lossy(&read(&settings_path)?).into_owned();
    let settings = Settings::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", settings_path.display()))?;
    let manifests = export::manifests(choice, &settings, &p.target)?;
    let file = export::file(choice, &manifests);
    if p.out.as_os_str() == "-" {
        print!("{file}");
    } else {
        write_atomic(&p.out, file.as_bytes())
            .with_context(|| format!("writing {}", p.out.display()))?;
        eprintln!(
            "export: {} × {} ({}) -> {}",
            choice.model,
            choice.policy,
            choice.role,
            p.out.display()
        );
    }
    Ok(())
}
