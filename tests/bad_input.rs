//! The error catalogue: bad inputs that must fail cleanly. For each: exit code 1 (2 for
//! command-line usage errors, as clap does), one `Error: ...` line that names the file,
//! line or flag and what was wrong, no panic and no backtrace, and the reports folder
//! exactly as it was.

mod common;
use common::{prescale, snapshot};

use std::fs;

/// A valid `timestamp,requests` trace of `minutes` one-minute steps.
fn trace(minutes: usize) -> String {
    let mut s = String::from("timestamp,requests\n");
    for i in 0..minutes {
        let (day, hour, minute) = (5 + i / 1440, (i / 60) % 24, i % 60);
        s.push_str(&format!(
            "2026-01-{day:02}T{hour:02}:{minute:02}:00Z,{}\n",
            100 + i % 7
        ));
    }
    s
}

struct Case {
    name: &'static str,
    /// Files written into the working folder first.
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    code: i32,
    /// Every one of these must appear in the error line.
    mentions: Vec<&'static str>,
}

fn case(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &[&'static str],
    code: i32,
    mentions: &[&'static str],
) -> Case {
    Case {
        name,
        files,
        args: args.to_vec(),
        code,
        mentions: mentions.to_vec(),
    }
}

fn text(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// A Prometheus query_range answer of about 300 KB.
fn big_prometheus_json() -> Vec<u8> {
    let values: Vec<String> = (0..12_000)
        .map(|k| format!("[{},\"{}\"]", 1_767_225_600 + 15 * k, k % 97))
        .collect();
    format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"job":"api"}},"values":[{}]}}]}}}}"#,
        values.join(",")
    )
    .into_bytes()
}

/// A gzipped trace cut in half.
fn truncated_gzip() -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(trace(3000).as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    bytes[..bytes.len() / 2].to_vec()
}

/// Six days of one-minute steps with the third and fourth days missing.
fn gapped_trace() -> String {
    trace(6 * 1440)
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || !(2 * 1440 + 1..=4 * 1440).contains(i))
        .map(|(_, l)| format!("{l}\n"))
        .collect()
}

fn cases() -> Vec<Case> {
    // The committed baseline (27 rows), and it with its first row again at the end (line 29).
    let baseline = fs::read("tests/baseline/metrics_summary.csv").unwrap();
    let first = String::from_utf8_lossy(&baseline)
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let twice = [baseline.clone(), format!("{first}\n").into_bytes()].concat();
    let sim = ["simulate", "--trace", "t.csv", "--test-days", "0.5"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        sim.iter().copied().chain(extra.iter().copied()).collect()
    };
    vec![
        case("empty file", vec![("t.csv", vec![])], &sim, 1, &["t.csv", "empty"]),
        case("header only", vec![("t.csv", text("timestamp,requests\n"))], &sim, 1, &["t.csv", "no data rows"]),
        case(
            "missing count column",
            vec![("t.csv", text("timestamp,other\n2026-01-05T00:00:00Z,1\n"))],
            &sim,
            1,
            &["t.csv", "no count column", "--count-column"],
        ),
        case(
            "wrong column names, no flag",
            vec![("t.csv", text("when,hits\n2026-01-05T00:00:00Z,1\n"))],
            &sim,
            1,
            &["t.csv", "no timestamp column", "--time-column"],
        ),
        case(
            "named column absent",
            vec![("t.csv", text("timestamp,requests\n2026-01-05T00:00:00Z,1\n"))],
            &with(&["--count-column", "hits"]),
            1,
            &["--count-column hits", "no such column"],
        ),
        case(
            "non-numeric count",
            vec![("t.csv", text("timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,lots\n"))],
            &sim,
            1,
            &["t.csv", "line 3", "\"lots\" is not a number"],
        ),
        case(
            "negative count",
            vec![("t.csv", text("timestamp,requests\n2026-01-05T00:00:00Z,-4\n"))],
            &sim,
            1,
            &["t.csv", "line 2", "negative"],
        ),
        case(
            "NaN count",
            vec![("t.csv", text("timestamp,requests\n2026-01-05T00:00:00Z,NaN\n"))],
            &sim,
            1,
            &["t.csv", "line 2", "not finite"],
        ),
        case(
            "infinite count",
            vec![("t.csv", text("timestamp,requests\n2026-01-05T00:00:00Z,inf\n"))],
            &sim,
            1,
            &["t.csv", "line 2", "not finite"],
        ),
        case(
            "duplicate timestamps",
            vec![("t.csv", text("timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:00:00Z,2\n"))],
            &sim,
            1,
            &["t.csv", "line 3", "duplicate timestamp", "line 2"],
        ),
        case(
            "unparseable timestamp",
            vec![("t.csv", text("timestamp,requests\n2026-01-05T00:00:00Z,1\n5 Jan 2026,2\n"))],
            &sim,
            1,
            &["t.csv", "line 3", "cannot read timestamp"],
        ),
        case(
            "irregular step",
            vec![(
                "t.csv",
                text("timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,1\n2026-01-05T00:02:00Z,1\n2026-01-05T00:03:30Z,1\n"),
            )],
            &sim,
            1,
            &["t.csv", "line 5", "not a multiple"],
        ),
        case(
            "non-UTF-8 file",
            vec![("t.csv", b"timestamp,requests\n2026-01-05T00:00:00Z,\xff\xfe\n".to_vec())],
            &sim,
            1,
            &["t.csv", "line 2", "UTF-8"],
        ),
        case("trace file missing", vec![], &sim, 1, &["t.csv", "No such file"]),
        case(
            "a Prometheus JSON of 300 KB read as CSV",
            vec![("t.csv", big_prometheus_json())],
            &with(&["--format", "csv"]),
            1,
            &["t.csv", "this looks like JSON", "try --format prometheus"],
        ),
        case(
            "JSON that is not a query result",
            vec![("t.json", text(&format!("{{\"items\": [{}]}}", "1,".repeat(50_000) + "1")))],
            &["simulate", "--trace", "t.json"],
            1,
            &["t.json", "not a Prometheus query_range result", "status"],
        ),
        case(
            "Prometheus's own error",
            vec![("t.json", text(r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected <EOF>"}"#))],
            &["simulate", "--trace", "t.json"],
            1,
            &["Prometheus returned an error (bad_data): invalid parameter"],
        ),
        case(
            "an instant query's result",
            vec![("t.json", text(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#))],
            &["simulate", "--trace", "t.json"],
            1,
            &["resultType is vector", "/api/v1/query_range"],
        ),
        case(
            "truncated gzip",
            vec![("t.csv.gz", truncated_gzip())],
            &["simulate", "--trace", "t.csv.gz"],
            1,
            &["t.csv.gz", "gzip data does not decompress"],
        ),
        case(
            "a log with only malformed lines",
            vec![("access.log", text("this is not\na log at all\n"))],
            &["simulate", "--trace", "access.log", "--format", "access-log"],
            1,
            &["access.log", "2 of 2 lines are not Common/Combined Log Format records", "line 1: this is not"],
        ),
        case(
            "a wide file with no count columns",
            vec![("d01.csv", text("HashOwner,HashApp,HashFunction,Trigger\no,a,f,http\n"))],
            &["simulate", "--trace", "d01.csv"],
            1,
            &["d01.csv", "no minute columns 1…1440"],
        ),
        case(
            "a two-day gap in a six-day trace",
            vec![("t.csv", text(&gapped_trace()))],
            &sim,
            1,
            &["t.csv", "a gap of 2 d", "from 2026-01-06T23:59:00Z to 2026-01-09T00:00:00Z", "--max-gap 1 h", "cut the trace"],
        ),
        case(
            "a step of seconds no step that divides a day is a multiple of",
            vec![("t.csv", text("timestamp,requests\n1767225600,1\n1767225607,1\n1767225614,1\n"))],
            &sim,
            1,
            &["t.csv", "the trace's step is 7 s", "resample the trace to whole seconds"],
        ),
        case("unknown format", vec![], &["import", "x.csv", "--format", "parquet"], 1, &["`format` = parquet", "prometheus"]),
        // An import option's bad value is refused as a setting's is: exit 1, one line.
        case("a step that is no duration", vec![], &["simulate", "--step", "banana"], 1, &["`step` = banana: `banana` is not a duration"]),
        case("a step that does not divide a day", vec![], &["import", "x.csv", "--step", "7s"], 1, &["`step` = 7s", "does not divide a day"]),
        case("a Prometheus URL without its scheme", vec![], &["import", "--prometheus", "prom:9090", "--query", "up", "--start", "2026-01-05T00:00:00Z", "--end", "2026-01-05T01:00:00Z"], 1, &["--prometheus prom:9090: give the server's URL with its scheme"]),
        case("a Prometheus range backwards", vec![], &["import", "--prometheus", "http://127.0.0.1:1", "--query", "up", "--start", "2026-01-05T00:00:00Z", "--end", "2026-01-04T00:00:00Z"], 1, &["--start 2026-01-05T00:00:00Z is after --end"]),
        case("a Prometheus time that is no time", vec![], &["import", "--prometheus", "http://127.0.0.1:1", "--query", "up", "--start", "yesterday", "--end", "2026-01-04T00:00:00Z"], 1, &["--start yesterday: not an RFC 3339 time"]),
        case("export without a run", vec![], &["export", "--name", "api", "--reports-dir", "nowhere"], 1, &["no nowhere/recommended.csv", "run `prescale simulate`"]),
        case("a tick that does not divide a day", vec![], &["simulate", "--tick", "7s"], 1, &["`tick` = 7s"]),
        case("a sweep's delay of seconds", vec![], &["sweep", "--startup-delay", "90s"], 1, &["`startup-delay` = 90s: must be whole minutes in a sweep"]),
        case(
            "trace shorter than the test split",
            vec![("t.csv", text(&trace(600)))],
            &sim,
            1,
            &["600 steps", "0.5-day test period"],
        ),
        case(
            "train shorter than the LSTM window",
            vec![("t.csv", text(&trace(780)))],
            &["train", "--trace", "t.csv", "--model", "lstm", "--test-days", "0.5"],
            1,
            &["780 steps", "72 train steps", "lstm"],
        ),
        case(
            "train shorter than Prophet's minimum",
            vec![("t.csv", text(&trace(1200)))],
            &["train", "--trace", "t.csv", "--model", "prophet", "--test-days", "0.5"],
            1,
            // One day of 1-minute steps, plus lead − 1 = 2 (the default 2-minute delay):
            // with refits the first fit stops where the first decision's data does.
            &["1200 steps", "1442 train steps", "prophet"],
        ),
        case("zero capacity", vec![], &["simulate", "--capacity", "0"], 1, &["`capacity` = 0: must be a positive number of requests per minute"]),
        case("negative capacity", vec![], &["run-all", "--capacity", "-5"], 1, &["`capacity` = -5: must be a positive"]),
        case(
            "min replicas above max",
            vec![],
            &["simulate", "--min-replicas", "8", "--max-replicas", "4"],
            1,
            &["`min-replicas` = 8: must be at most `max-replicas` (4)"],
        ),
        case("negative startup delay", vec![], &["simulate", "--startup-delay", "-1"], 1, &["`startup-delay` = -1: must be a duration (90s, 2m; a bare number counts minutes)"]),
        case("negative buffer", vec![], &["simulate", "--buffer", "-0.5"], 1, &["`buffer` = -0.5: must be a fraction of the forecast, at least 0"]),
        case("buffer not a number", vec![], &["run-all", "--buffer", "lots"], 1, &["`buffer` = lots: must be a fraction"]),
        case("interval width of 1.5", vec![], &["train", "--interval-width", "1.5"], 1, &["`interval-width` = 1.5: must be strictly between 0 and 1"]),
        case("refit interval without a unit", vec![], &["train", "--refit-every", "6"], 1, &["`refit-every` = 6: must be `never` or a duration such as \"30m\", \"6h\" or \"1d\""]),
        case("refit interval of zero", vec![], &["run-all", "--refit-every", "0h"], 1, &["`refit-every` = 0h: must be"]),
        case("zero epochs", vec![], &["train", "--epochs", "0"], 1, &["`epochs` = 0: must be a whole number, at least 1"]),
        case("Prophet fitted on one point", vec![], &["run-all", "--prophet-max-points", "1"], 1, &["`prophet-max-points` = 1: must be 0 (every step) or a whole number from 2"]),
        case("a setting its stage does not read", vec![], &["simulate", "--epochs", "3"], 2, &["--epochs"]),
        case("a file-import option to serve, which reads Prometheus", vec![], &["serve", "--prometheus", "http://127.0.0.1:1", "--query", "q", "--policy", "reactive-hpa", "--format", "csv"], 2, &["--format"]),
        case("a finer tick to serve, which decides at its step", vec![], &["serve", "--prometheus", "http://127.0.0.1:1", "--query", "q", "--policy", "reactive-hpa", "--tick", "15s"], 2, &["--tick"]),
        case("unknown policy", vec![], &["simulate", "--policy", "bufferd"], 2, &["bufferd", "buffered"]),
        case("unknown model", vec![], &["train", "--model", "prophett"], 2, &["prophett", "prophet"]),
        case(
            "simulate before train",
            vec![("t.csv", text(&trace(2880)))],
            &["simulate", "--trace", "t.csv", "--model", "seasonal-naive", "--test-days", "0.25"],
            1,
            &["no forecasts for seasonal-naive", "prescale train --model seasonal-naive"],
        ),
        case(
            "simulate before generate",
            vec![],
            &["simulate"],
            1,
            &["data/workload.csv", "prescale generate"],
        ),
        case(
            "corrupt forecast sidecar",
            vec![
                ("t.csv", text(&trace(2880))),
                ("data/forecasts/lstm.json", text("{ not json")),
                ("data/forecasts/lstm.csv", text("garbage")),
            ],
            &["simulate", "--trace", "t.csv", "--model", "lstm", "--test-days", "0.25"],
            1,
            &["data/forecasts/lstm.json"],
        ),
        case(
            "unwritable reports folder",
            vec![("t.csv", text(&trace(2880))), ("blocker", text("a file, not a folder"))],
            &["run-all", "--trace", "t.csv", "--model", "seasonal-naive", "--test-days", "0.25", "--reports-dir", "blocker/reports"],
            1,
            &["--reports-dir blocker/reports: blocker is a file, not a folder"],
        ),
        case(
            "a sweep into a folder of another shard count's parts",
            vec![("sh/sweep.part-1-of-3.json", text("{}"))],
            &["sweep", "--days", "3", "--test-days", "1", "--model", "seasonal-naive", "--policy", "buffered", "--reports-dir", "sh"],
            1,
            &["sh holds sweep.part-1-of-3.json", "another number of shards than this one's 1"],
        ),
        case(
            "more containers than a Kubernetes cluster holds",
            vec![],
            &["simulate", "--max-replicas", "1000000"],
            1,
            &["`max-replicas` = 1000000: must be a whole number from 1 to 150000"],
        ),
        case(
            "a startup delay longer than the train period",
            vec![("t.csv", text(&trace(2880)))],
            &["simulate", "--trace", "t.csv", "--test-days", "1", "--policy", "static-2", "--startup-delay", "2000"],
            1,
            &["--startup-delay (120000 s): the first decision looks back that far and one step more: the trace has 2880 steps"],
        ),
        case(
            "an export whose trigger would query no server",
            vec![],
            &["export", "--name", "web", "--prometheus", "not a url", "--query", "up"],
            1,
            &["--prometheus not a url: give the server's URL with its scheme"],
        ),
        case(
            "an export whose trigger would run no query",
            vec![],
            &["export", "--name", "web", "--prometheus", "http://prom:9090", "--query", " "],
            1,
            &["--query is empty"],
        ),
        case(
            "a row twice in the file a check reads",
            vec![("cur.csv", twice.clone()), ("base.csv", baseline.clone())],
            &["check", "--baseline", "base.csv", "--current", "cur.csv"],
            1,
            &["cur.csv", "none × static-2 is on lines 2 and 29", "one row each"],
        ),
        case(
            "a tolerance that is no number",
            vec![("base.csv", baseline.clone())],
            &["check", "--baseline", "base.csv", "--current", "base.csv", "--violation-rel-tol", "nan"],
            1,
            &["--violation-rel-tol NaN: must be a number, at least 0"],
        ),
        case(
            "a negative tolerance",
            vec![("base.csv", baseline.clone())],
            &["check", "--baseline", "base.csv", "--current", "base.csv", "--cost-rel-tol=-1"],
            1,
            &["--cost-rel-tol -1: must be a number, at least 0"],
        ),
        case(
            "a count beyond any service",
            vec![("t.csv", text("timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,1e300\n"))],
            &["import", "t.csv"],
            1,
            &["t.csv", "line 3: count 1e300 is above 1e15 requests"],
        ),
        case(
            "malformed baseline for check",
            vec![("base.csv", text("model,policy\nnone\n")), ("reports/metrics_summary.csv", text("sentinel"))],
            &["check", "--baseline", "base.csv", "--current", "base.csv"],
            1,
            &["base.csv", "line 2"],
        ),
        // An SLO the service time alone misses, refused before any fitting, saying what
        // is reachable and the deadline that would make it so.
        case(
            "unreachable slo in run-all",
            vec![("t.csv", text(&trace(2880)))],
            &["run-all", "--trace", "t.csv", "--test-days", "0.5", "--slo", "99"],
            1,
            &["SLO 99 %", "93.5 % of requests within 3 s", "--deadline of 5.886 s"],
        ),
        case(
            "unreachable slo in simulate",
            vec![("t.csv", text(&trace(2880)))],
            &with(&["--slo", "95", "--capacity", "80"]),
            1,
            &["SLO 95 %", "within 1.875 s", "no cluster reaches it"],
        ),
        case(
            "unreachable slo in backtest",
            vec![("t.csv", text(&trace(2880)))],
            &["backtest", "--trace", "t.csv", "--slo", "99.9"],
            1,
            &["SLO 99.9 %", "no cluster reaches it"],
        ),
        case(
            "a fleet with two traces of one name",
            vec![("fleet.toml", text("[[trace]]\nname = \"api\"\ndays = 4\n[[trace]]\nname = \"api\"\ndays = 5\n"))],
            &["backtest", "--grid", "fleet.toml"],
            1,
            &["two traces are named `api`"],
        ),
        case(
            "a fleet trace name that is no folder name",
            vec![("fleet.toml", text("[[trace]]\nname = \"team/api\"\ndays = 4\n"))],
            &["backtest", "--grid", "fleet.toml"],
            1,
            &["trace name `team/api`", "folder"],
        ),
        case(
            "a fleet trace at two capacities",
            vec![("fleet.toml", text("[[trace]]\nname = \"a\"\ndays = 4\n[[trace]]\nname = \"b\"\ndays = 4\ncapacity = [40, 80]\n"))],
            &["backtest", "--grid", "fleet.toml"],
            1,
            &["a backtest runs at one `capacity`; 2 were given for trace `b`"],
        ),
        case(
            "a backtest's --trace beside --grid",
            vec![("fleet.toml", text("[[trace]]\ndays = 4\n"))],
            &["backtest", "--grid", "fleet.toml", "--trace", "t.csv"],
            1,
            &["--trace cannot be given with --grid"],
        ),
        case(
            "unreachable slo knob in sweep",
            vec![("t.csv", text(&trace(2880)))],
            &["sweep", "--trace", "t.csv", "--slo", "90,97"],
            1,
            &["SLO 97 %", "no cluster reaches it"],
        ),
    ]
}

#[test]
fn every_bad_input_fails_cleanly() {
    let all = cases();
    assert!(all.len() >= 20);
    let mut failures = Vec::new();
    let mut longest = (0usize, "");
    for c in &all {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // A previous run's reports, which a failed run must leave alone.
        fs::create_dir_all(root.join("reports")).unwrap();
        fs::write(root.join("reports/metrics_summary.csv"), "earlier report\n").unwrap();
        for (name, bytes) in &c.files {
            let p = root.join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, bytes).unwrap();
        }
        let before = snapshot(&root.join("reports"));
        let out = prescale().current_dir(root).args(&c.args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        let error_lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("Error:") || l.starts_with("error:"))
            .collect();
        let mut problems = Vec::new();
        if code != Some(c.code) {
            problems.push(format!("exit {code:?}, expected {}", c.code));
        }
        if error_lines.len() != 1 {
            problems.push(format!("{} error lines", error_lines.len()));
        }
        let line = error_lines.first().copied().unwrap_or("");
        if c.code == 1 && line.chars().count() >= 300 {
            problems.push(format!("error line of {} characters", line.chars().count()));
        }
        if line.chars().count() > longest.0 {
            longest = (line.chars().count(), c.name);
        }
        if c.code == 1 && !line.starts_with("Error: ") {
            problems.push("no `Error: ` line".to_string());
        }
        // clap puts its suggestion on a line of its own.
        let searched = if c.code == 2 { stderr.as_ref() } else { line };
        for m in &c.mentions {
            if !searched.contains(m) {
                problems.push(format!("error line lacks {m:?}"));
            }
        }
        if stderr.contains("panicked")
            || stderr.contains("backtrace")
            || stderr.contains("RUST_BACKTRACE")
        {
            problems.push("panic or backtrace".to_string());
        }
        if snapshot(&root.join("reports")) != before {
            problems.push("reports folder changed".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n  stderr: {}",
                c.name,
                problems.join("; "),
                stderr.trim()
            ));
        }
    }
    eprintln!(
        "{} bad inputs tried, {} failed cleanly; longest error line {} characters ({})",
        all.len(),
        all.len() - failures.len(),
        longest.0,
        longest.1
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
