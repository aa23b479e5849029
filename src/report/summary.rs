//! `summary.md`: the console table as a Markdown table and links to the plots, for a CI
//! job or a pull request to show.

use super::console::{cells, FOOTNOTE};
use crate::metrics::PolicyMetrics;
use crate::recommend::{render, Choice};

/// The Markdown summary of `rows`, linking the plot files named in `pngs` (relative to
/// the reports folder, where the summary lies).
pub(crate) fn markdown(rows: &[PolicyMetrics], pngs: &[String], recommended: &[Choice]) -> String {
    let table = cells(rows);
    let mut out = String::from("# prescale: which policy?\n\n");
    // The answer first: the block the console prints after the table, as a list.
    for (k, line) in render(recommended).lines().enumerate() {
        out.push_str(&if k == 0 {
            format!("**{line}**\n\n")
        } else {
            format!("- {}\n", line.trim_start())
        });
    }
    if !recommended.is_empty() {
        out.push('\n');
    }
    for (n, row) in table.iter().enumerate() {
        let mut cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        if n == 0 {
            cells[0] = "front".to_string();
        } else if cells[0] == "*" {
            cells[0] = "★".to_string();
        }
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
        if n == 0 {
            // Names left, numbers right.
            let align: Vec<&str> = (0..row.len())
                .map(|c| if c <= 2 { ":---" } else { "---:" })
                .collect();
            out.push_str(&format!("| {} |\n", align.join(" | ")));
        }
    }
    out.push_str(&format!("\n{}\n", FOOTNOTE.replacen('*', "★", 1)));
    if !pngs.is_empty() {
        out.push_str("\n## Plots\n\n");
        for p in pngs {
            out.push_str(&format!("- [{p}]({p})\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_markdown_table_with_the_stars_and_the_links() {
        let row = |policy: &str, v: u64, c: u64| PolicyMetrics {
            model: "none".into(),
            policy: policy.into(),
            sla_violation_minutes: v,
            violation_rate: v as f64 / 100.0,
            unserved_requests: 0.0,
            container_minutes: c,
            scaling_switches: 3,
            cost_vs_oracle: 1.0,
            cost_vs_optimal: c as f64 / 50.0,
            ..PolicyMetrics::default()
        };
        let md = markdown(
            &[row("static-2", 40, 200), row("optimal", 0, 50)],
            &["pareto.png".to_string()],
            &[],
        );
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(
            lines[2],
            "| front | model | policy | viol. min | viol. % | unserved req | container-min | x optimal | x oracle | switches | SLO % got/aim | in time % | p99 s |"
        );
        assert_eq!(
            lines[3],
            "| :--- | :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        // Sorted by violations: the optimum first, not starred; static-2 starred.
        assert_eq!(
            lines[4],
            "|  | none | optimal | 0 | 0.00 | 0 | 50 | 1.000 | 1.000 | 3 |  | - | - |"
        );
        assert!(
            lines[5].starts_with("| ★ | none | static-2 | 40 | 40.00 |"),
            "{md}"
        );
        assert!(md.contains("- [pareto.png](pareto.png)\n"), "{md}");
    }
}
