//! A chosen policy as manifests `kubectl apply` takes (`docs/experiment.md`, Export): the
//! reactive scalers as their own objects, with every setting the simulation used.
//!
//! - `reactive-hpa`: an `autoscaling/v2` HorizontalPodAutoscaler on CPU utilization (or,
//!   for `--hpa-metric rps`, a Pods metric named by `--pods-metric`), with the behavior
//!   the simulation modelled: scale-up of the larger of +100 % and +4 pods per 15 s, no
//!   scale-up window, the 5-minute scale-down window the simulation used.
//! - `keda`: a KEDA `ScaledObject` (keda.sh/v1alpha1) whose prometheus trigger reads the
//!   service's requests per second (`--query` on `--prometheus`) against the HPA target
//!   per pod, 30 s polling, 300 s cooldown, `minReplicaCount` from `--min-replicas` (0:
//!   scale to zero), the same HPA behavior under `advanced`.
//! - `knative-kpa`: a Knative Service whose revision template carries the KPA's
//!   annotations (concurrency metric, target percentage, windows, min and max scale) and
//!   `containerConcurrency`, running `--image`.
//!
//! - a forecast policy: `prescale serve` running it (a Deployment and its Service, the
//!   model, the policy, the knob it picked and every setting the run changed as flags,
//!   reading `--query` on `--prometheus` as requests per second), and a KEDA
//!   `ScaledObject` whose `metrics-api` trigger reads serve's `GET /desired`: value
//!   `replicas`, metric type `AverageValue` with target 1, so that KEDA's HPA asks for
//!   exactly the replicas served, its behavior under `advanced` letting any change
//!   through at once (the policy already decided how fast to move).

pub(crate) mod yaml;

use serde_json::{json, Value};
use thiserror::Error;

use crate::config::HpaMetric;
use crate::hold::chance_about;
use crate::recommend::Choice;
use crate::settings::Settings;

/// Where the exported scaler points, and what the user adds that no run knows.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Target {
    /// The Deployment (or Knative Service) name.
    pub(crate) name: String,
    /// Its namespace.
    pub(crate) namespace: String,
    /// keda: the Prometheus the trigger queries.
    pub(crate) prometheus: Option<String>,
    /// keda: the PromQL giving the service's requests per second.
    pub(crate) query: Option<String>,
    /// knative-kpa: the container image.
    pub(crate) image: Option<String>,
    /// reactive-hpa under `--hpa-metric rps`: the per-pod requests-per-second metric's
    /// name in the custom metrics API.
    pub(crate) pods_metric: Option<String>,
    /// A forecast policy: the image whose `prescale` runs `serve`.
    pub(crate) serve_image: Option<String>,
}

/// The port `prescale serve` listens on in the exported Deployment.
const SERVE_PORT: u16 = 9464;

/// Why a choice cannot be exported.
#[derive(Debug, Error, PartialEq)]
pub(crate) enum ExportError {
    /// The policy is a reference or has no deployed counterpart.
    #[error("{0} is not a scaler anyone deploys")]
    NotDeployable(String),
    /// A flag the manifest needs.
    #[error("{policy} needs {flag}: {why}")]
    Missing {
        /// The policy.
        policy: String,
        /// The flag.
        flag: &'static str,
        /// What it is for.
        why: &'static str,
    },
    /// A Kubernetes name that is not one.
    #[error("{flag} {value:?}: a Kubernetes name is 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit")]
    Name {
        /// The flag.
        flag: &'static str,
        /// The value.
        value: String,
    },
}

/// Whether `s` is a DNS-1123 label, what Kubernetes names a Deployment and a namespace.
fn is_label(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    (1..=63).contains(&s.len())
        && s.chars().all(|c| ok(c) || c == '-')
        && s.starts_with(ok)
        && s.ends_with(ok)
}

/// The autoscaling/v2 behavior the simulation modelled (`docs/experiment.md`,
/// reactive-hpa).
fn behavior(settings: &Settings) -> Value {
    json!({
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": 15},
                {"type": "Pods", "value": 4, "periodSeconds": 15}
            ]
        },
        "scaleDown": {
            "stabilizationWindowSeconds": 60 * settings.policy.hpa_stabilization_min,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]
        }
    })
}

/// The choice's value of `knob`, else the run's setting.
fn knob_or(choice: &Choice, knob: &str, setting: f64) -> f64 {
    match choice.knob_value {
        Some(v) if choice.knob == knob => v,
        _ => setting,
    }
}

/// A number as a Kubernetes quantity string: at most 3 decimals, no trailing zeros.
fn quantity(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The manifests for `choice`, simulated with `settings`, pointed at `target`.
pub(crate) fn manifests(
    choice: &Choice,
    settings: &Settings,
    target: &Target,
) -> Result<Vec<Value>, ExportError> {
    for (flag, value) in [("--name", &target.name), ("--namespace", &target.namespace)] {
        if !is_label(value) {
            return Err(ExportError::Name {
                flag,
                value: value.clone(),
            });
        }
    }
    let cluster = &settings.cluster;
    let metadata = json!({"name": target.name, "namespace": target.namespace});
    let missing = |flag, why| ExportError::Missing {
        policy: choice.policy.clone(),
        flag,
        why,
    };
    match choice.policy.as_str() {
        "reactive-hpa" => {
            let share = knob_or(choice, "hpa-target", settings.policy.hpa_target_utilization);
            let metric = match settings.policy.hpa_metric {
                HpaMetric::Utilization => json!({
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {
                        "type": "Utilization",
                        "averageUtilization": (100.0 * share).round() as i64
                    }}
                }),
                HpaMetric::Rps => {
                    let name = target.pods_metric.clone().ok_or_else(|| {
                        missing("--pods-metric", "the per-pod requests-per-second metric the HPA reads under --hpa-metric rps")
                    })?;
                    json!({
                        "type": "Pods",
                        "pods": {"metric": {"name": name}, "target": {
                            "type": "AverageValue",
                            "averageValue": quantity(share * cluster.capacity_per_min / 60.0)
                        }}
                    })
                }
                HpaMetric::Demand => {
                    return Err(ExportError::NotDeployable(
                        "reactive-hpa on --hpa-metric demand (the true demand, which no HPA reads)"
                            .into(),
                    ))
                }
            };
            Ok(vec![json!({
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": metadata,
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target.name},
                    "minReplicas": cluster.min_replicas.max(1),
                    "maxReplicas": cluster.max_replicas,
                    "metrics": [metric],
                    "behavior": behavior(settings)
                }
            })])
        }
        "keda" => {
            let prometheus = target
                .prometheus
                .clone()
                .ok_or_else(|| missing("--prometheus", "the Prometheus its trigger queries"))?;
            let query = target.query.clone().ok_or_else(|| {
                missing("--query", "the PromQL of the service's requests per second")
            })?;
            let share = knob_or(choice, "hpa-target", settings.policy.hpa_target_utilization);
            Ok(vec![json!({
                "apiVersion": "keda.sh/v1alpha1",
                "kind": "ScaledObject",
                "metadata": metadata,
                "spec": {
                    "scaleTargetRef": {"name": target.name},
                    "pollingInterval": 30,
                    "cooldownPeriod": 300,
                    "minReplicaCount": cluster.min_replicas,
                    "maxReplicaCount": cluster.max_replicas,
                    "advanced": {"horizontalPodAutoscalerConfig": {"behavior": behavior(settings)}},
                    "triggers": [{
                        "type": "prometheus",
                        "metricType": "AverageValue",
                        "metadata": {
                            "serverAddress": prometheus,
                            "query": query,
                            "threshold": quantity(share * cluster.capacity_per_min / 60.0),
                            "activationThreshold": "0"
                        }
                    }]
                }
            })])
        }
        "knative-kpa" => {
            let image = target
                .image
                .clone()
                .ok_or_else(|| missing("--image", "the container a Knative Service runs"))?;
            let share = knob_or(choice, "kpa-target", settings.policy.kpa_target);
            let a = |k: &str| format!("autoscaling.knative.dev/{k}");
            Ok(vec![json!({
                "apiVersion": "serving.knative.dev/v1",
                "kind": "Service",
                "metadata": metadata,
                "spec": {"template": {
                    "metadata": {"annotations": {
                        a("class"): "kpa.autoscaling.knative.dev",
                        a("metric"): "concurrency",
                        a("target-utilization-percentage"): quantity(100.0 * share),
                        a("min-scale"): cluster.min_replicas.to_string(),
                        a("max-scale"): cluster.max_replicas.to_string(),
                        a("initial-scale"): "1",
                        a("window"): format!("{}s", settings.policy.kpa_window_s),
                        a("scale-down-delay"): format!("{}s", settings.policy.kpa_scale_down_delay_s),
                        a("panic-window-percentage"): "10.0",
                        a("panic-threshold-percentage"): "200.0"
                    }},
                    "spec": {
                        "containerConcurrency": cluster.serving.concurrency.max(1),
                        "containers": [{"image": image}]
                    }
                }}
            })])
        }
        "oracle" | "optimal" => Err(ExportError::NotDeployable(choice.policy.clone())),
        policy if policy.starts_with("static-") => Err(ExportError::NotDeployable(format!(
            "{policy} (a fixed count: set the Deployment's replicas)"
        ))),
        _ if cluster.tick_seconds != 0 => Err(ExportError::NotDeployable(format!(
            "{} as simulated at --tick {} s (serve decides at its trace's step; export a run at the step)",
            choice.policy, cluster.tick_seconds
        ))),
        _ => {
            let prometheus = target.prometheus.clone().ok_or_else(|| {
                missing(
                    "--prometheus",
                    "the Prometheus `prescale serve` reads the demand from",
                )
            })?;
            let query = target.query.clone().ok_or_else(|| {
                missing("--query", "the PromQL of the service's requests per second")
            })?;
            let image = target.serve_image.clone().ok_or_else(|| {
                missing(
                    "--serve-image",
                    "the container image whose prescale runs `serve`",
                )
            })?;
            let serve = format!("{}-prescale", target.name);
            if !is_label(&serve) {
                return Err(ExportError::Name {
                    flag: "--name",
                    value: serve,
                });
            }
            let mut args: Vec<String> = [
                "serve",
                "--prometheus",
                &prometheus,
                "--query",
                &query,
                "--count-unit",
                "per-second",
            ]
            .iter()
            .map(|a| a.to_string())
            .collect();
            if choice.model != crate::metrics::NO_MODEL {
                args.extend(["--model".to_string(), choice.model.clone()]);
            }
            args.extend(["--policy".to_string(), choice.policy.clone()]);
            args.extend(serve_flags(choice, settings));
            args.extend(["--listen".to_string(), format!("0.0.0.0:{SERVE_PORT}")]);
            let labels = json!({"app.kubernetes.io/name": serve});
            let probe = |path: &str| json!({"httpGet": {"path": path, "port": "http"}});
            let deployment = json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": serve, "namespace": target.namespace},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{
                            "name": "prescale",
                            "image": image,
                            "command": ["prescale"],
                            "args": args,
                            "ports": [{"name": "http", "containerPort": SERVE_PORT}],
                            "readinessProbe": probe("/healthz"),
                            "livenessProbe": {"httpGet": {"path": "/metrics", "port": "http"}},
                            "resources": {"requests": {"cpu": "50m", "memory": "256Mi"}}
                        }]}
                    }
                }
            });
            let service = json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": serve, "namespace": target.namespace},
                "spec": {
                    "selector": labels,
                    "ports": [{"name": "http", "port": SERVE_PORT, "targetPort": "http"}]
                }
            });
            let any_change = json!({
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": cluster.max_replicas, "periodSeconds": 15}]
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": 0,
                    "selectPolicy": "Max",
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]
                }
            });
            let scaled = json!({
                "apiVersion": "keda.sh/v1alpha1",
                "kind": "ScaledObject",
                "metadata": metadata,
                "spec": {
                    "scaleTargetRef": {"name": target.name},
                    "pollingInterval": 15,
                    // To zero as soon as serve asks for it, as the run did (KEDA's
                    // default waits 300 s).
                    "cooldownPeriod": 0,
                    "minReplicaCount": cluster.min_replicas,
                    "maxReplicaCount": cluster.max_replicas,
                    "advanced": {"horizontalPodAutoscalerConfig": {"behavior": any_change}},
                    "triggers": [{
                        "type": "metrics-api",
                        "metricType": "AverageValue",
                        "metadata": {
                            "url": format!("http://{serve}.{}.svc:{SERVE_PORT}/desired", target.namespace),
                            "format": "json",
                            "valueLocation": "replicas",
                            "targetValue": "1",
                            "activationTargetValue": "0"
                        }
                    }]
                }
            });
            Ok(vec![deployment, service, scaled])
        }
    }
}

/// The flags that give `prescale serve` the run's settings: the step of the trace it
/// simulated, every setting the models and the policies read that the run set away from
/// its default (a capacity `--service-time` states is left to it), and the knob the
/// choice picked.
fn serve_flags(choice: &Choice, settings: &Settings) -> Vec<String> {
    use crate::settings::find;
    let mut s = settings.clone();
    if let (Some(v), Some(knob)) = (choice.knob_value, find(&choice.knob)) {
        if let Ok(value) = knob.parse(&v.to_string()) {
            (knob.set)(&mut s, value);
        }
    }
    let step = s.generate.step_seconds;
    let derived = s.cluster.serving.service_time_s > 0.0;
    let step_flag = (step != 60).then(|| ["--step".to_string(), format!("{step}s")]);
    step_flag
        .into_iter()
        .flatten()
        .chain(serve_settings(&s, derived))
        .collect()
}

/// `serve_flags`' settings part: each setting the models and policies read, away from
/// its default, as `--name value`.
fn serve_settings(s: &Settings, derived_capacity: bool) -> Vec<String> {
    use crate::settings::{Stage, ALL, CAPACITY};
    ALL.iter()
        .filter(|x| x.read_by(Stage::Train) || x.read_by(Stage::Simulate))
        .filter(|x| !(derived_capacity && x.name == CAPACITY.name))
        // A number that is none (NaN) is unset, as in `settings.toml`.
        .filter(|x| !matches!((x.get)(s), crate::settings::Value::Number(n) if !n.is_finite()))
        .filter(|x| (x.get)(s).to_string() != x.default_value().to_string())
        .flat_map(|x| [format!("--{}", x.name), (x.get)(s).to_string()])
        .collect()
}

/// The comment block that opens the file: what was chosen, on which window, how often
/// it held, and the file of the settings it ran with.
pub(crate) fn header(choice: &Choice, settings: &std::path::Path) -> String {
    let setting = match (choice.knob_value, choice.tuned_value) {
        (Some(v), _) => format!(" at {} {v}", choice.knob),
        (None, Some(t)) => format!(" at tuned value {t}"),
        (None, None) => String::new(),
    };
    // What a feedback policy holds, which `serve` tunes again from the data it reads.
    let setting = match choice.aiming() {
        Some(a) => format!("{setting}, {a} in time"),
        None => setting,
    };
    let hold = choice.hold_pct.map_or(String::new(), |p| {
        format!("; expected to meet it on {} of days", chance_about(p))
    });
    [
        format!("prescale export: the {} choice", choice.role),
        format!(
            "{} × {}{setting}, for an SLO of {} % {}",
            choice.model, choice.policy, choice.slo_pct, choice.slo_terms
        ),
        format!(
            "chosen on the validation window {} to {}, without test data: {:.2} % at {:.3}× the optimum, met on {} of {} days{hold}",
            choice.validation_start,
            choice.validation_end,
            choice.validation_slo_pct,
            choice.validation_cost_vs_optimal,
            choice.validation_days_met,
            choice.validation_days
        ),
        format!(
            "test period after it: {:.2} % at {:.3}× the optimum, met on {} of {} days",
            choice.test_slo_pct,
            choice.test_cost_vs_optimal,
            choice.test_days_met,
            choice.test_days
        ),
        format!("settings: the run's {}", settings.display()),
    ]
    .iter()
    .map(|l| format!("# {l}\n"))
    .collect()
}

/// The file: the header, then each manifest as a YAML document.
pub(crate) fn file(choice: &Choice, settings: &std::path::Path, manifests: &[Value]) -> String {
    let mut out = header(choice, settings);
    for m in manifests {
        out.push_str("---\n");
        out.push_str(&yaml::to_yaml(m));
    }
    out
}

/// A sweep's recommendation for one trace at one SLO level: a `recommended` row of
/// `slo_table.csv`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SweepPick {
    /// The trace.
    pub(crate) trace: String,
    /// Its axes' key column values, in [`crate::settings::AXES`] order.
    pub(crate) at: Vec<f64>,
    /// The SLO level, percent.
    pub(crate) level: f64,
    /// The choice (model, policy, knob value, tuned value).
    pub(crate) choice: Choice,
    /// Rows of the trace at the level: more than one where it was swept at several
    /// axis values (the first is exported).
    pub(crate) of: usize,
}

/// The first `recommended` row of each trace at SLO `level` in `slo_table.csv`'s bytes,
/// in table order; `Err` names what cannot be read.
pub(crate) fn sweep_picks(bytes: &[u8], level: f64) -> Result<Vec<SweepPick>, String> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no {name} column"))
    };
    let axes: Vec<usize> = crate::settings::AXES
        .iter()
        .map(|s| col(s.axis.as_ref().expect("an axis").column))
        .collect::<Result<_, _>>()?;
    let [trace, family, lvl, model, policy, knob, value, tuned, attained, cost] = [
        "trace",
        "family",
        "slo_level",
        "model",
        "policy",
        "knob",
        "value",
        "tuned_value",
        "slo_attained_pct",
        "cost_vs_optimal",
    ]
    .map(col);
    let (trace, family, lvl, model, policy, knob, value, tuned, attained, cost) = (
        trace?, family?, lvl?, model?, policy?, knob?, value?, tuned?, attained?, cost?,
    );
    // A feedback pick's aim; a table written before the column has none.
    let aim = col("aim_pct").ok();
    let mut out: Vec<SweepPick> = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("row {}: {e}", i + 2))?;
        let number = |k: usize| row.get(k).and_then(|v| v.parse::<f64>().ok());
        if row.get(family) != Some("recommended")
            || number(lvl).is_none_or(|l| (l - level).abs() > 1e-9)
        {
            continue;
        }
        let name = row.get(trace).unwrap_or_default().to_string();
        if let Some(p) = out.iter_mut().find(|p| p.trace == name) {
            p.of += 1;
            continue;
        }
        out.push(SweepPick {
            at: axes
                .iter()
                .map(|&k| number(k).unwrap_or(f64::NAN))
                .collect(),
            level,
            choice: Choice {
                role: "recommended".into(),
                model: row.get(model).unwrap_or_default().to_string(),
                policy: row.get(policy).unwrap_or_default().to_string(),
                knob: row.get(knob).unwrap_or_default().to_string(),
                knob_value: number(value),
                tuned_value: number(tuned),
                aim_pct: aim.and_then(number),
                slo_pct: level,
                test_slo_pct: number(attained).unwrap_or(f64::NAN),
                test_cost_vs_optimal: number(cost).unwrap_or(f64::NAN),
                ..Choice::default()
            },
            trace: name,
            of: 1,
        });
    }
    Ok(out)
}

/// `settings` at the pick's axis values and SLO level: what its rows were simulated
/// with.
pub(crate) fn at_pick(settings: &Settings, pick: &SweepPick) -> Settings {
    use crate::settings::{Value, AXES, SLO};
    let mut s = settings.clone();
    for (setting, &x) in AXES.iter().zip(&pick.at) {
        if let (Some(axis), true) = (&setting.axis, x.is_finite()) {
            (setting.set)(&mut s, axis.value_of(x));
        }
    }
    (SLO.set)(&mut s, Value::Number(pick.level));
    s
}

/// One trace's set from a sweep: its comment block, then each manifest.
pub(crate) fn sweep_file(pick: &SweepPick, manifests: &[Value]) -> String {
    use crate::settings::AXES;
    let c = &pick.choice;
    let at: Vec<String> = AXES
        .iter()
        .zip(&pick.at)
        .map(|(s, &x)| {
            let axis = s.axis.as_ref().expect("an axis");
            format!("{} {}", axis.heading, axis.console(x))
        })
        .collect();
    let mut lines = vec![
        format!(
            "prescale export: the sweep's recommendation for trace {} at SLO {} %",
            pick.trace, pick.level
        ),
        format!(
            "{}, chosen on the validation window before the test period; on the test period {:.2} % at {:.3}× the optimum",
            c.name(),
            c.test_slo_pct,
            c.test_cost_vs_optimal
        ),
        format!("at {}", at.join(", ")),
    ];
    if pick.of > 1 {
        lines.push(format!(
            "the sweep ran this trace at {} settings of its axes; this is the first (slo_table.csv has the others)",
            pick.of
        ));
    }
    lines.push(format!(
        "settings: the sweep's settings-{}.toml at these values",
        pick.trace
    ));
    let mut out: String = lines.iter().map(|l| format!("# {l}\n")).collect();
    for m in manifests {
        out.push_str("---\n");
        out.push_str(&yaml::to_yaml(m));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forecast_pick() -> Choice {
        Choice {
            role: "recommended".into(),
            model: "lstm".into(),
            policy: "buffered".into(),
            knob: "buffer".into(),
            knob_value: Some(0.25),
            ..Choice::default()
        }
    }

    fn target() -> Target {
        Target {
            name: "model-api".into(),
            namespace: "ml".into(),
            prometheus: Some("http://prometheus:9090".into()),
            query: Some("sum(rate(requests_total[1m]))".into()),
            serve_image: Some("prescale:1".into()),
            ..Target::default()
        }
    }

    #[test]
    fn serve_gets_the_runs_step_its_knob_and_what_it_can_take() {
        let mut s = Settings::default();
        s.generate.step_seconds = 300;
        s.cluster.serving.service_time_s = 0.6;
        s.cluster.capacity_per_min = 100.0;
        let flags = serve_flags(&forecast_pick(), &s);
        let after = |flag: &str| {
            let i = flags.iter().position(|f| f == flag)?;
            flags.get(i + 1).cloned()
        };
        assert_eq!(after("--step").as_deref(), Some("300s"));
        assert_eq!(after("--buffer").as_deref(), Some("0.25"));
        assert_eq!(after("--service-time").as_deref(), Some("0.6"));
        // The capacity the service time states is left to it: serve refuses both.
        assert_eq!(after("--capacity"), None);
        // At the defaults, nothing but the knob.
        assert_eq!(
            serve_flags(&forecast_pick(), &Settings::default()),
            ["--buffer", "0.25"]
        );
    }

    #[test]
    fn a_run_decided_at_a_finer_tick_is_not_exported_for_serve() {
        let mut s = Settings::default();
        s.cluster.tick_seconds = 15;
        let err = manifests(&forecast_pick(), &s, &target()).unwrap_err();
        assert!(err.to_string().contains("--tick 15 s"), "{err}");
        assert!(manifests(&forecast_pick(), &Settings::default(), &target()).is_ok());
    }

    #[test]
    fn the_header_names_a_knob_a_tuned_value_and_a_feedback_aim() {
        let line = |c: &Choice| {
            header(c, std::path::Path::new("reports/settings.toml"))
                .lines()
                .nth(1)
                .unwrap()
                .to_string()
        };
        let feedback = Choice {
            model: "lstm".into(),
            policy: "slo-feedback".into(),
            tuned_value: Some(0.539),
            aim_pct: Some(90.14),
            slo_pct: 90.0,
            slo_terms: "of requests within 3 s".into(),
            ..Choice::default()
        };
        assert_eq!(
            line(&feedback),
            "# lstm × slo-feedback at tuned value 0.539, aiming at 90.14 % in time, for an SLO of 90 % of requests within 3 s"
        );
        let targeted = Choice {
            policy: "slo-targeted".into(),
            aim_pct: None,
            ..feedback.clone()
        };
        assert_eq!(
            line(&targeted),
            "# lstm × slo-targeted at tuned value 0.539, for an SLO of 90 % of requests within 3 s"
        );
        let knob = Choice {
            slo_pct: 90.0,
            slo_terms: "of requests within 3 s".into(),
            ..forecast_pick()
        };
        assert_eq!(
            line(&knob),
            "# lstm × buffered at buffer 0.25, for an SLO of 90 % of requests within 3 s"
        );
    }
}
