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

    // The recommendation is a forecast policy here: refused in one line.
    let refused = export(&reports, &[]).code(1);
    let err = String::from_utf8(refused.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("is a forecast policy: it runs as `prescale serve`"),
        "{err}"
    );

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
