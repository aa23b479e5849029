//! `export` end to end: a quick run's picks as manifests, read back with a YAML library
//! and checked against the published schemas (`tests/data/README.md`): the
//! autoscaling/v2 HPA schema (strict: an unknown field fails) and KEDA's ScaledObject
//! CRD; values against the run's own recommended.csv and settings.

use std::path::Path;

mod common;
use common::{prescale, quick_run};
use serde_json::Value;

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The YAML documents of an export, without its comment header.
fn documents(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .skip(1)
        .map(|d| serde_yaml::from_str(d).unwrap())
        .collect()
}

/// Every schema error of `doc`, as text.
fn errors(schema: &Value, doc: &Value) -> Vec<String> {
    let v = jsonschema::validator_for(schema).unwrap();
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn export(reports: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    prescale()
        .args([
            "export",
            "--name",
            "model-api",
            "--namespace",
            "ml",
            "--reports-dir",
        ])
        .arg(reports)
        .args(args)
        .assert()
}

/// A column of `role`'s row in recommended.csv.
fn chosen(reports: &Path, role: &str, column: &str) -> String {
    let text = std::fs::read_to_string(reports.join("recommended.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == column).unwrap();
    let row = lines.find(|l| l.starts_with(&format!("{role},"))).unwrap();
    row.split(',').nth(col).unwrap().to_string()
}

#[test]
fn the_picks_export_as_manifests_the_published_schemas_accept() {
    let dir = tempfile::tempdir().unwrap();
    let (data_dir, reports) = (dir.path().join("data"), dir.path().join("reports"));
    quick_run(&data_dir, &reports);

    // reactive-hpa's own pick: an HPA the strict schema accepts, at the knob it picked.
    let out = export(&reports, &["--role", "reactive-hpa"]).success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with("# prescale export: the reactive-hpa choice\n"),
        "{text}"
    );
    // The settings it ran with, in the folder it was read from.
    let settings = format!(
        "# settings: the run's {}\n",
        reports.join("settings.toml").display()
    );
    assert!(text.contains(&settings), "{text}");
    let docs = documents(&text);
    assert_eq!(docs.len(), 1);
    let hpa_schema: Value =
        serde_json::from_str(&data("horizontalpodautoscaler-autoscaling-v2.json")).unwrap();
    assert_eq!(errors(&hpa_schema, &docs[0]), Vec::<String>::new());
    let spec = &docs[0]["spec"];
    let target: f64 = chosen(&reports, "reactive-hpa", "knob_value")
        .parse()
        .unwrap();
    assert_eq!(
        spec["metrics"][0]["resource"]["target"]["averageUtilization"],
        (100.0 * target).round() as i64
    );
    assert_eq!(
        (spec["minReplicas"].as_i64(), spec["maxReplicas"].as_i64()),
        (Some(1), Some(100))
    );
    assert_eq!(
        spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
        300
    );
    // The strict schema is a real check: a misspelt field fails it.
    let mut bad = docs[0].clone();
    bad["spec"]["minReplica"] = Value::from(1);
    assert!(!errors(&hpa_schema, &bad).is_empty());

    // The recommendation is a forecast policy here: `prescale serve` running it, and a
    // ScaledObject reading its /desired. Without the flags it needs: one line.
    let refused = export(&reports, &[]).code(1);
    let err = String::from_utf8(refused.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs --prometheus"), "{err}");
    let (model, policy) = (
        chosen(&reports, "recommended", "model"),
        chosen(&reports, "recommended", "policy"),
    );
    let rps = r#"sum(rate(http_requests_total{job="model-api"}[1m]))"#;
    let served = export(
        &reports,
        &[
            "--prometheus",
            "http://prometheus.monitoring:9090",
            "--query",
            rps,
            "--serve-image",
            "registry.example/prescale:1",
        ],
    )
    .success();
    let docs = documents(&String::from_utf8(served.get_output().stdout.clone()).unwrap());
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Deployment", "Service", "ScaledObject"]);
    let crd: Value = serde_yaml::from_str(&data("keda.sh_scaledobjects.yaml")).unwrap();
    let so_schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    assert_eq!(errors(so_schema, &docs[2]), Vec::<String>::new());
    let trigger = &docs[2]["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "metrics-api");
    assert_eq!(trigger["metricType"], "AverageValue");
    assert_eq!(
        trigger["metadata"]["url"],
        "http://model-api-prescale.ml.svc:9464/desired"
    );
    assert_eq!(trigger["metadata"]["valueLocation"], "replicas");
    assert_eq!(trigger["metadata"]["targetValue"], "1");
    // To zero as soon as serve asks for none, as the run did, not after KEDA's 300 s.
    assert_eq!(docs[2]["spec"]["cooldownPeriod"], 0);
    // The Service selects the Deployment's pods, on the port serve listens on.
    let pod = &docs[0]["spec"]["template"];
    assert_eq!(docs[1]["spec"]["selector"], pod["metadata"]["labels"]);
    let args: Vec<String> = pod["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let after = |flag: &str| {
        let i = args.iter().position(|a| a == flag).unwrap();
        args[i + 1].clone()
    };
    assert_eq!((after("--model"), after("--policy")), (model, policy));
    assert_eq!(after("--query"), rps);
    assert_eq!(after("--listen"), "0.0.0.0:9464");
    // The quick run's settings that differ from the defaults travel as flags, and
    // `prescale serve` takes every one: it gets as far as the clock given last.
    assert_eq!(after("--validation-days"), "1");
    let taken = prescale()
        .args(&args)
        .args(["--clock", "then"])
        .assert()
        .code(1);
    let err = String::from_utf8(taken.get_output().stderr.clone()).unwrap();
    assert!(err.contains("--clock then: not an RFC 3339 time"), "{err}");

    // keda at --min-replicas 0: a ScaledObject KEDA's CRD schema accepts, scaling to zero.
    let keda_reports = dir.path().join("keda");
    prescale()
        .args([
            "simulate",
            "--policy",
            "keda",
            "--min-replicas",
            "0",
            "--test-days",
            "2",
        ])
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--reports-dir")
        .arg(&keda_reports)
        .assert()
        .success();
    assert_eq!(chosen(&keda_reports, "recommended", "policy"), "keda");
    let missing = export(&keda_reports, &[]).code(1);
    let err = String::from_utf8(missing.get_output().stderr.clone()).unwrap();
    assert!(err.contains("keda needs --prometheus"), "{err}");
    let query = r#"sum(rate(http_requests_total{job="model-api"}[1m]))"#;
    let out = export(
        &keda_reports,
        &[
            "--prometheus",
            "http://prometheus.monitoring:9090",
            "--query",
            query,
        ],
    )
    .success();
    let docs = documents(&String::from_utf8(out.get_output().stdout.clone()).unwrap());
    let crd: Value = serde_yaml::from_str(&data("keda.sh_scaledobjects.yaml")).unwrap();
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    assert_eq!(errors(schema, &docs[0]), Vec::<String>::new());
    let spec = &docs[0]["spec"];
    assert_eq!(spec["minReplicaCount"], 0);
    assert_eq!(spec["triggers"][0]["metadata"]["query"], query);
    // The HPA's target per pod in requests per second: the knob × 50 a minute / 60.
    let share: f64 = chosen(&keda_reports, "recommended", "knob_value")
        .parse()
        .unwrap();
    let threshold: f64 = spec["triggers"][0]["metadata"]["threshold"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (threshold - share * 50.0 / 60.0).abs() < 5e-4,
        "{threshold}"
    );
    // The CRD checks types too: a count given as text fails it.
    let mut bad = docs[0].clone();
    bad["spec"]["minReplicaCount"] = Value::from("zero");
    assert!(!errors(schema, &bad).is_empty());

    // A name Kubernetes would refuse is refused here first.
    let bad_name = prescale()
        .args([
            "export",
            "--role",
            "reactive-hpa",
            "--name",
            "Model_API",
            "--reports-dir",
        ])
        .arg(&reports)
        .assert()
        .code(1);
    let err = String::from_utf8(bad_name.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("--name \"Model_API\": a Kubernetes name"),
        "{err}"
    );
}

#[test]
fn a_sweep_exports_one_set_per_trace() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.toml");
    std::fs::write(
        &grid,
        r#"startup-delay = [1, 3]
model = ["seasonal-naive"]
policy = ["reactive-hpa", "buffered"]
test-days = 1
validation-days = 1
slo-levels = [90]

[[trace]]
name = "model-api"
days = 4

[[trace]]
name = "search-api"
days = 4
capacity = [80]
max-replicas = 40
"#,
    )
    .unwrap();
    let sweep = dir.path().join("sweep");
    prescale()
        .args(["sweep", "--grid"])
        .arg(&grid)
        .arg("--reports-dir")
        .arg(&sweep)
        .assert()
        .success();
    let out = prescale()
        .args(["export", "--slo-level", "90", "--sweep-dir"])
        .arg(&sweep)
        .args([
            "--namespace",
            "ml",
            "--prometheus",
            "http://prometheus:9090",
        ])
        .args([
            "--query",
            "sum(rate(requests_total[1m]))",
            "--serve-image",
            "prescale:1",
        ])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    // Each trace's set opens with its own comment block and scales its own Deployment.
    let heads: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("# prescale export:"))
        .collect();
    assert_eq!(
        heads,
        [
            "# prescale export: the sweep's recommendation for trace model-api at SLO 90 %",
            "# prescale export: the sweep's recommendation for trace search-api at SLO 90 %"
        ]
    );
    assert!(text.contains("# the sweep ran this trace at 2 settings of its axes"));
    let docs = documents(&text);
    let hpa_schema: Value =
        serde_json::from_str(&data("horizontalpodautoscaler-autoscaling-v2.json")).unwrap();
    let crd: Value = serde_yaml::from_str(&data("keda.sh_scaledobjects.yaml")).unwrap();
    let so_schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    // The scaler of each trace: its kind from the recommended row of slo_table.csv at
    // the trace's first delay, its bounds from its own settings.
    let table = std::fs::read_to_string(sweep.join("slo_table.csv")).unwrap();
    for (trace, max) in [("model-api", 100), ("search-api", 40)] {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("90.0,{trace},1,")) && l.contains(",recommended,"))
            .unwrap();
        let policy = row.split(',').nth(8).unwrap();
        let scaler = docs
            .iter()
            .find(|d| {
                d["metadata"]["name"] == trace
                    && ["HorizontalPodAutoscaler", "ScaledObject"]
                        .contains(&d["kind"].as_str().unwrap())
            })
            .unwrap();
        match policy {
            "reactive-hpa" => {
                assert_eq!(scaler["kind"], "HorizontalPodAutoscaler");
                assert_eq!(errors(&hpa_schema, scaler), Vec::<String>::new());
                assert_eq!(scaler["spec"]["maxReplicas"], max);
            }
            _ => {
                assert_eq!(scaler["kind"], "ScaledObject");
                assert_eq!(errors(so_schema, scaler), Vec::<String>::new());
                assert_eq!(scaler["spec"]["maxReplicaCount"], max);
            }
        }
    }
    // A level the sweep did not ask for: one line.
    let none = prescale()
        .args(["export", "--slo-level", "95", "--sweep-dir"])
        .arg(&sweep)
        .assert()
        .code(1);
    let err = String::from_utf8(none.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("has no recommended row at SLO level 95"),
        "{err}"
    );
}
