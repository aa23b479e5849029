//! The crate's shape, read from its source: which top-level module imports which
//! (`crate::x` paths in code that is not a test), with no cycle among them, and no stage
//! of `src/app/` importing another stage (what two stages share lives in the domain).
//!
//! `cargo test --release --test architecture -- --nocapture` prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level module → the top-level modules its non-test code names.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// `text` with comments, string and char literals blanked (their length kept), so
/// neither a `crate::` in a doc comment nor a brace in a string is read as code.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            while i < b.len() && !b[i..].starts_with(b"*/") {
                out.push(b' ');
                i += 1;
            }
            out.extend_from_slice(b"  ");
            i = (i + 2).min(b.len());
        } else if b[i] == b'r'
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            && (b[i + 1..].starts_with(b"\"") || b[i + 1..].starts_with(b"#"))
        {
            // A raw string r"…" or r#"…"#: blank to its closing quote and hashes.
            let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
            if b.get(i + 1 + hashes) != Some(&b'"') {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let mut j = i + 2 + hashes;
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            j = (j + close.len()).min(b.len());
            out.extend(std::iter::repeat_n(b' ', j - i));
            i = j;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            j = (j + 1).min(b.len());
            out.extend(std::iter::repeat_n(b' ', j - i));
            i = j;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '{') — not a lifetime ('a).
            let end = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..]
                    .iter()
                    .position(|&c| c == b'\'')
                    .map(|p| i + 3 + p)
            } else if b.get(i + 2) == Some(&b'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(j) => {
                    out.extend(std::iter::repeat_n(b' ', j - i));
                    i = j;
                }
                None => {
                    out.push(b[i]);
                    i += 1;
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `code` without the items marked `#[cfg(test)]` (a test module, a test helper).
fn without_tests(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let item = &rest[at + MARK.len()..];
        let end = match item.find(['{', ';']) {
            Some(k) if item.as_bytes()[k] == b'{' => {
                let mut depth = 0usize;
                let mut end = item.len();
                for (j, c) in item.char_indices().skip_while(|&(j, _)| j < k) {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = j + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            Some(k) => k + 1,
            None => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The first segment of every path after `crate::`, through `use crate::{a, b::c}` groups.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if preceded {
            continue; // `$crate::` or `my_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            // The group's top-level entries, up to its matching brace.
            let mut depth = 1;
            let mut entry = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        found.insert(first_segment(&entry));
                        entry.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                entry.push(c);
            }
            found.insert(first_segment(&entry));
        } else {
            found.insert(first_segment(rest));
        }
    }
    found.remove("");
    found.remove("self");
    found
}

fn first_segment(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module graph of `src/` and, per stage of `src/app/`, the other stages it names.
fn read_graph(src: &Path) -> (Graph, BTreeMap<String, BTreeSet<String>>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let stages: BTreeSet<String> = fs::read_dir(src.join("app"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|s| s != "mod")
        .collect();
    let mut graph = Graph::new();
    let mut stage_edges = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(src).unwrap();
        let mut parts = rel.iter().map(|p| p.to_string_lossy().into_owned());
        let first = parts.next().unwrap();
        let top = first.trim_end_matches(".rs").to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let code = without_tests(&code_only(&fs::read_to_string(&path).unwrap()));
        let names = crate_paths(&code);
        let edges = graph.entry(top.clone()).or_default();
        edges.extend(names.iter().filter(|n| **n != top).cloned());
        if top == "app" && rel.components().count() == 2 {
            let stage = rel.file_stem().unwrap().to_string_lossy().into_owned();
            if stage != "mod" {
                // `super::other_stage` or `crate::app::other_stage`.
                let named: BTreeSet<String> = stages
                    .iter()
                    .filter(|s| **s != stage)
                    .filter(|s| {
                        code.contains(&format!("super::{s}"))
                            || code.contains(&format!("crate::app::{s}"))
                            || code.contains(&format!("super::{{{s}"))
                    })
                    .cloned()
                    .collect();
                stage_edges.insert(stage, named);
            }
        }
    }
    (graph, stage_edges)
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, to)| {
            let to: Vec<_> = to.iter().map(String::as_str).collect();
            format!("{m} -> {}\n", to.join(" "))
        })
        .collect()
}

#[test]
fn no_cycle_among_top_level_modules_and_no_stage_imports_a_stage() {
    let (graph, stages) = read_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    println!("{}", render(&graph));
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles among top-level modules: {found:?}"
    );
    let crossing: Vec<_> = stages.iter().filter(|(_, to)| !to.is_empty()).collect();
    assert!(
        crossing.is_empty(),
        "stages of src/app/ that import other stages: {crossing:?}"
    );
    // The reader sees the modules it must: the domain's core and every stage.
    for m in [
        "app", "config", "forecast", "policy", "serving", "sim", "store",
    ] {
        assert!(graph.contains_key(m), "{m} missing from {graph:?}");
    }
    assert!(stages.contains_key("simulate") && stages.contains_key("train"));
}

/// The reader on hand-written sources: a cycle through a `use crate::{…}` group is found,
/// and nothing inside a comment, a string or a test module counts.
#[test]
fn the_reader_finds_what_code_imports_and_nothing_else() {
    let src = "//! See [`crate::zeta`].\n\
        use crate::{alpha::A, beta::{self, B}};\n\
        fn f() { let s = \"crate::gamma {\"; let c = '{'; crate::delta::g(); }\n\
        #[cfg(test)]\nmod tests { use crate::epsilon; fn h() { if true { } } }\n\
        fn after() { crate::eta::x(); }";
    let names = crate_paths(&without_tests(&code_only(src)));
    let expected: BTreeSet<String> = ["alpha", "beta", "delta", "eta"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, expected);

    let mut g = Graph::new();
    let edge = |g: &mut Graph, a: &str, b: &str| {
        g.entry(a.into()).or_default().insert(b.into());
        g.entry(b.into()).or_default();
    };
    edge(&mut g, "a", "b");
    edge(&mut g, "b", "c");
    edge(&mut g, "c", "a");
    edge(&mut g, "c", "d");
    edge(&mut g, "e", "d");
    assert_eq!(
        cycles(&g),
        vec![vec!["a".to_string(), "b".into(), "c".into()]]
    );
    g.get_mut("c").unwrap().remove("a");
    assert!(cycles(&g).is_empty());
}
