//! The docs a newcomer reads first say true things: every repository path that the
//! README, docs/experiment.md and the module docs (`//!`) name exists, and the crate
//! states the Rust it needs.

use std::path::Path;

/// Paths named in `text` (as `src/...`, `tests/...`, `docs/...`, `deploy/...`,
/// `benches/...`, `scripts/...`), without placeholders (`<model>`) or globs.
fn paths(text: &str) -> Vec<String> {
    const ROOTS: [&str; 6] = ["src/", "tests/", "docs/", "deploy/", "benches/", "scripts/"];
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for root in ROOTS {
        let mut from = 0;
        while let Some(k) = text[from..].find(root) {
            let start = from + k;
            from = start + root.len();
            // A path starts a word: not inside another path or name.
            if start > 0
                && (bytes[start - 1].is_ascii_alphanumeric() || b"/_.-".contains(&bytes[start - 1]))
            {
                continue;
            }
            let end = text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || "_./-<>*".contains(c)))
                .map_or(text.len(), |e| start + e);
            let path = text[start..end].trim_end_matches('.');
            if !path.contains(['<', '*']) {
                out.push(path.to_string());
            }
        }
    }
    out
}

fn module_docs(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            module_docs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            let docs: String = text
                .lines()
                .filter(|l| l.trim_start().starts_with("//!"))
                .collect::<Vec<_>>()
                .join("\n");
            out.push((path.display().to_string(), docs));
        }
    }
}

#[test]
fn every_path_the_docs_name_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = vec![
        (
            "README.md".to_string(),
            std::fs::read_to_string(root.join("README.md")).unwrap(),
        ),
        (
            "docs/experiment.md".to_string(),
            std::fs::read_to_string(root.join("docs/experiment.md")).unwrap(),
        ),
    ];
    module_docs(&root.join("src"), &mut texts);
    let mut checked = 0;
    let mut missing = Vec::new();
    for (file, text) in &texts {
        for p in paths(text) {
            checked += 1;
            if !root.join(&p).exists() {
                missing.push(format!("{file}: {p}"));
            }
        }
    }
    assert!(missing.is_empty(), "named but absent: {missing:?}");
    // The README alone names more than twenty paths; a scanner that found none would
    // check nothing.
    assert!(checked > 20, "only {checked} paths found");
}

#[test]
fn the_scanner_finds_paths_and_skips_placeholders() {
    assert_eq!(
        paths(
            "see `src/sim.rs`, tests/data/x.csv. and data/forecasts/<model>.csv or src/policy/*.rs"
        ),
        vec!["src/sim.rs", "tests/data/x.csv"]
    );
}

#[test]
fn the_crate_states_its_rust_version() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    assert!(
        manifest.lines().any(|l| l.starts_with("rust-version = ")),
        "Cargo.toml has no rust-version"
    );
}
