//! The console summary: one line per (model, policy), best trade-offs first.

use crate::metrics::{pareto_front, PolicyMetrics};

/// Renders the rows as an aligned text table, sorted by SLA violation minutes, then
/// container-minutes. Rows on the Pareto front of cost vs violations are starred.
pub(crate) fn render(rows: &[PolicyMetrics]) -> String {
    let front = pareto_front(rows);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&rows[a], &rows[b]);
        (
            x.sla_violation_minutes,
            x.container_minutes,
            &x.model,
            &x.policy,
        )
            .cmp(&(
                y.sla_violation_minutes,
                y.container_minutes,
                &y.model,
                &y.policy,
            ))
    });
    let header = [
        "",
        "model",
        "policy",
        "viol. min",
        "viol. %",
        "unserved req",
        "container-min",
        "x oracle",
        "switches",
    ];
    let mut table: Vec<[String; 9]> = vec![header.map(String::from)];
    for &i in &order {
        let r = &rows[i];
        table.push([
            if front.contains(&i) { "*" } else { "" }.to_string(),
            r.model.clone(),
            r.policy.clone(),
            r.sla_violation_minutes.to_string(),
            format!("{:.2}", 100.0 * r.violation_rate),
            format!("{:.0}", r.unserved_requests),
            r.container_minutes.to_string(),
            if r.cost_vs_oracle.is_finite() {
                format!("{:.3}", r.cost_vs_oracle)
            } else {
                "-".to_string()
            },
            r.scaling_switches.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|c| table.iter().map(|row| row[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (n, row) in table.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                // Names left-aligned, numbers right-aligned.
                if c <= 2 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if n == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out.push_str("* = on the Pareto front of container-minutes vs SLA violation minutes\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(model: &str, policy: &str, v: u64, c: u64) -> PolicyMetrics {
        PolicyMetrics {
            model: model.into(),
            policy: policy.into(),
            sla_violation_minutes: v,
            violation_rate: v as f64 / 100.0,
            unserved_requests: 0.0,
            container_minutes: c,
            scaling_switches: 0,
            cost_vs_oracle: c as f64 / 100.0,
        }
    }

    #[test]
    fn sorts_by_violations_then_cost_and_stars_the_front() {
        let rows = vec![
            row("none", "static-2", 40, 200),
            row("none", "oracle", 0, 100),
            row("m", "buffered", 0, 150),
        ];
        let t = render(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[2].starts_with('*') && lines[2].contains("oracle"),
            "{t}"
        );
        assert!(
            lines[3].contains("buffered") && !lines[3].starts_with('*'),
            "{t}"
        );
        // static-2 is dominated by the oracle (more violations and more cost).
        assert!(
            lines[4].contains("static-2") && !lines[4].starts_with('*'),
            "{t}"
        );
        assert!(lines[4].contains("40.00"), "{t}");
    }
}
