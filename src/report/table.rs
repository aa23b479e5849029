//! The console summary: one line per (model, policy), best trade-offs first, every cost
//! also read against the optimal schedule's.

use crate::metrics::{pareto_front, PolicyMetrics};

/// The header of the table.
const HEADER: [&str; 11] = [
    "",
    "model",
    "policy",
    "viol. min",
    "viol. %",
    "unserved req",
    "container-min",
    "x optimal",
    "x oracle",
    "switches",
    "SLO % got/aim",
];

/// The footnote under the table.
pub(crate) const FOOTNOTE: &str = "* = on the Pareto front of container-minutes vs SLA violation minutes among deployable policies; oracle and optimal read the future: references, never starred";

/// The table's cells: the header, then one row per metrics row in display order
/// (violation minutes, then cost), the first cell a star for the Pareto front.
pub(crate) fn cells(rows: &[PolicyMetrics]) -> Vec<[String; 11]> {
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
    let ratio = |x: f64| {
        if x.is_finite() {
            format!("{x:.3}")
        } else {
            "-".to_string()
        }
    };
    let mut table: Vec<[String; 11]> = vec![HEADER.map(String::from)];
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
            ratio(r.cost_vs_optimal),
            ratio(r.cost_vs_oracle),
            r.scaling_switches.to_string(),
            r.slo_target
                .map(|aim| format!("{:.2}/{aim}", 100.0 * (1.0 - r.violation_rate)))
                .unwrap_or_default(),
        ]);
    }
    table
}

/// Renders the rows as an aligned text table, sorted by SLA violation minutes, then
/// container-minutes. Deployable rows on the Pareto front of cost vs violations are
/// starred.
pub(crate) fn render(rows: &[PolicyMetrics]) -> String {
    let table = cells(rows);
    let widths: Vec<usize> = (0..HEADER.len())
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
    out.push_str(FOOTNOTE);
    out.push('\n');
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
            cost_vs_optimal: c as f64 / 80.0,
            slo_target: None,
        }
    }

    #[test]
    fn sorts_by_violations_then_cost_and_stars_only_deployable_rows() {
        let rows = vec![
            row("none", "static-2", 40, 60),
            row("none", "oracle", 0, 100),
            row("none", "optimal", 0, 80),
            row("m", "buffered", 0, 150),
        ];
        let t = render(&rows);
        let lines: Vec<&str> = t.lines().collect();
        // The references lead by cost and are never starred; buffered, the cheapest
        // deployable row without violations, is; static-2 trades violations for cost.
        assert!(
            lines[2].contains("optimal") && !lines[2].starts_with('*'),
            "{t}"
        );
        assert!(
            lines[3].contains("oracle") && !lines[3].starts_with('*'),
            "{t}"
        );
        assert!(
            lines[4].contains("buffered") && lines[4].starts_with('*'),
            "{t}"
        );
        assert!(
            lines[5].contains("static-2") && lines[5].starts_with('*'),
            "{t}"
        );
        // x optimal before x oracle: buffered costs 150/80 and 150/100.
        let cells: Vec<&str> = lines[4].split_whitespace().collect();
        assert_eq!(cells[cells.len() - 3..], ["1.875", "1.500", "0"], "{t}");
        // An SLO row shows what it achieved beside its aim: 2 % violations, 98.00 of 99.9.
        let mut slo = row("m", "slo-targeted", 2, 90);
        slo.slo_target = Some(99.9);
        let t = render(&[slo]);
        assert!(t.lines().nth(2).unwrap().ends_with("98.00/99.9"), "{t}");
        assert!(lines[5].contains("40.00"), "{t}");
    }
}
