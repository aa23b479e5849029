//! The console summary: one line per (model, policy), the SLO best met first, every cost
//! also read against the optimal schedule's.

use crate::metrics::{self, pareto_front, PolicyMetrics};

/// The footnote under the table.
pub(crate) const FOOTNOTE: &str = "* = on the Pareto front of container-minutes vs SLO attainment among deployable policies; oracle and optimal read the future: references, never starred";

/// The table's cells: the header, then one row per metrics row in display order (what
/// the SLO measures first: the highest attainment, then the lowest cost), the first cell
/// a star for the Pareto front; the metric columns are those of [`metrics::COLUMNS`]
/// that are shown.
pub(crate) fn cells(rows: &[PolicyMetrics]) -> Vec<Vec<String>> {
    let front = pareto_front(rows);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&rows[a], &rows[b]);
        y.slo_attained_pct
            .total_cmp(&x.slo_attained_pct)
            .then_with(|| {
                (x.container_minutes, &x.model, &x.policy).cmp(&(
                    y.container_minutes,
                    &y.model,
                    &y.policy,
                ))
            })
    });
    let shown = metrics::shown_columns();
    let mut header = vec![String::new(), "model".to_string(), "policy".to_string()];
    header.extend(shown.iter().map(|s| s.header.to_string()));
    let mut table = vec![header];
    for &i in &order {
        let r = &rows[i];
        let mut line = vec![
            if front.contains(&i) { "*" } else { "" }.to_string(),
            r.model.clone(),
            r.policy.clone(),
        ];
        line.extend(shown.iter().map(|s| (s.cell)(r)));
        table.push(line);
    }
    table
}

/// What `simulate` and `report` print: the answer first (the recommendation block, where
/// the run has one), then the table.
pub(crate) fn summary(results: &crate::results::Results) -> String {
    let mut out = String::new();
    if let Some(r) = &results.recommendation {
        out.push_str(&crate::recommend::render(&r.choices));
        out.push('\n');
    }
    out.push_str(&render(&results.rows));
    out
}

/// Renders the rows as an aligned text table, sorted by SLO attainment (highest first),
/// then container-minutes. Deployable rows on the Pareto front of cost vs violations are
/// starred.
pub(crate) fn render(rows: &[PolicyMetrics]) -> String {
    let table = cells(rows);
    let widths: Vec<usize> = (0..table[0].len())
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

/// Markdown as a terminal shows it well: a table's rows as aligned columns (without
/// the pipes and the alignment row), no `**` or backticks; other lines as they are.
/// What `backtest` prints of the `recommendation.md` it writes.
pub(crate) fn from_markdown(md: &str) -> String {
    let plain = |s: &str| s.replace("**", "").replace('`', "");
    let mut out = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with('|') {
            out.push_str(&plain(lines[i]));
            out.push('\n');
            i += 1;
            continue;
        }
        let mut rows: Vec<Vec<String>> = Vec::new();
        while i < lines.len() && lines[i].starts_with('|') {
            let cells: Vec<String> = lines[i]
                .trim()
                .trim_matches('|')
                .split('|')
                .map(|c| plain(c.trim()))
                .collect();
            let alignment = cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'));
            if !alignment {
                rows.push(cells);
            }
            i += 1;
        }
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                rows.iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, s)| format!("{s:<w$}", w = widths[c]))
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
    }
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
            slo_attained_pct: 100.0 - v as f64,
            ..PolicyMetrics::default()
        }
    }

    #[test]
    fn markdown_reads_as_plain_aligned_text() {
        let md = "# Title\n\n**lstm × buffered** — met `2 of 4`.\n\n| fold | pick |\n| ---: | :--- |\n| 1 | buffer 0.2 |\n| 10 | - |\n\nafter\n";
        assert_eq!(
            from_markdown(md),
            "# Title\n\nlstm × buffered — met 2 of 4.\n\nfold  pick\n1     buffer 0.2\n10    -\n\nafter\n"
        );
    }

    #[test]
    fn sorts_by_slo_attainment_then_cost_and_stars_only_deployable_rows() {
        let rows = vec![
            row("none", "static-2", 40, 60),
            row("none", "oracle", 0, 100),
            row("none", "optimal", 0, 80),
            row("m", "buffered", 0, 150),
        ];
        let t = render(&rows);
        let lines: Vec<&str> = t.lines().collect();
        // The header, its columns two spaces apart or more.
        let header: Vec<&str> = lines[0]
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            header,
            [
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
                "in time %",
                "p99 s"
            ],
            "{t}"
        );
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
        assert_eq!(
            cells[cells.len() - 5..],
            ["1.875", "1.500", "0", "-", "-"],
            "{t}"
        );
        // An SLO row shows what it achieved beside its aim (98.00 of 99.9), then the
        // share of requests in time and the p99 latency.
        let mut slo = row("m", "slo-targeted", 2, 90);
        slo.slo_target = Some(99.9);
        slo.slo_attained_pct = 98.0;
        slo.requests_within_deadline_pct = 98.0;
        slo.latency_p99_s = Some(2.345);
        let t = render(&[slo]);
        let cells: Vec<&str> = t.lines().nth(2).unwrap().split_whitespace().collect();
        assert_eq!(
            cells[cells.len() - 3..],
            ["98.00/99.9", "98.00", "2.35"],
            "{t}"
        );
        assert!(lines[5].contains("40.00"), "{t}");
    }
}
