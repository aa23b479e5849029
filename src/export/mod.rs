//! A chosen policy as manifests `kubectl apply` takes (`docs/experiment.md`, Export): the
//! reactive scalers as their own objects, with every setting the simulation used.
//!
//! - `reactive-hpa`: an `autoscaling/v2` HorizontalPodAutoscaler on CPU utilization (or,
//!   for `--hpa-metric rps`, a Pods metric named by `--pods-metric`), with the behavior
//!   the simulation modelled: scale-up of the larger of +100 % and +4 pods per 15 s, no
//!   scale-up window, the scale-down window of `--hpa-stabilization` minutes.
//! - `keda`: a KEDA `ScaledObject` (keda.sh/v1alpha1) whose prometheus trigger reads the
//!   service's requests per second (`--query` on `--prometheus`) against the HPA target
//!   per pod, 30 s polling, 300 s cooldown, `minReplicaCount` from `--min-replicas` (0:
//!   scale to zero), the same HPA behavior under `advanced`.
//! - `knative-kpa`: a Knative Service whose revision template carries the KPA's
//!   annotations (concurrency metric, target percentage, windows, min and max scale) and
//!   `containerConcurrency`, running `--image`.
//!
//! A forecast policy runs as `prescale serve` behind a ScaledObject, which this version
//! does not have: it is refused in one line, naming the roles that can be exported.

pub(crate) mod yaml;

use serde_json::{json, Value};
use thiserror::Error;

use crate::config::HpaMetric;
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
}

/// Why a choice cannot be exported.
#[derive(Debug, Error, PartialEq)]
pub(crate) enum ExportError {
    /// A forecast policy needs `prescale serve`.
    #[error("{model} × {policy} is a forecast policy: it runs as `prescale serve` behind a KEDA ScaledObject, which this version does not have yet; export --role reactive-hpa (or a keda or knative-kpa pick) instead")]
    NeedsServe {
        /// The model.
        model: String,
        /// The policy.
        policy: String,
    },
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
        _ => Err(ExportError::NeedsServe {
            model: choice.model.clone(),
            policy: choice.policy.clone(),
        }),
    }
}

/// The comment block that opens the file: what was chosen, on which window, and how
/// often it held.
pub(crate) fn header(choice: &Choice) -> String {
    let setting = match (choice.knob_value, choice.tuned_value) {
        (Some(v), _) => format!(" at {} {v}", choice.knob),
        (None, Some(t)) => format!(" at tuned value {t}"),
        (None, None) => String::new(),
    };
    let hold = choice.hold_pct.map_or(String::new(), |p| {
        format!("; expected to meet it on about {p:.0} % of days")
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
        "settings: the run's reports/settings.toml".to_string(),
    ]
    .iter()
    .map(|l| format!("# {l}\n"))
    .collect()
}

/// The file: the header, then each manifest as a YAML document.
pub(crate) fn file(choice: &Choice, manifests: &[Value]) -> String {
    let mut out = header(choice);
    for m in manifests {
        out.push_str("---\n");
        out.push_str(&yaml::to_yaml(m));
    }
    out
}
