//! Scaling policies: the one trait every policy implements, and the registry.
//!
//! At the start of step `t` a policy sees the demand up to `t − 1` (and, for forecast
//! policies, the forecast for `t + d`) and sets the target: the number of containers
//! that shall be ready at `t + d`. The simulator clamps the target to the cluster's
//! `[min, max]`. The rules are stated in `docs/experiment.md`.
//!
//! A policy is one file that defines its type and a [`PolicySpec`] named `SPEC`, plus
//! its `mod` line and its entry in [`PolicyKind::ALL`] below. Everything else (the
//! command line, the experiment loop, the tests) reads the registry.

mod buffered;
mod burst;
mod confidence_aware;
mod keda;
mod knative_kpa;
mod optimal;
mod oracle;
mod policy_aware;
mod predictive_hpa;
mod reactive_hpa;
mod simple_ceiling;
mod slo_feedback;
mod slo_targeted;
mod static_n;

/// The README's template of a new policy, compiled and run here so it cannot rot.
#[cfg(test)]
#[path = "../../docs/policy_template.rs"]
mod policy_template;

pub use buffered::Buffered;
pub use confidence_aware::ConfidenceAware;
pub use keda::Keda;
pub use knative_kpa::KnativeKpa;
pub use oracle::Oracle;
pub use policy_aware::PolicyAware;
pub use reactive_hpa::ReactiveHpa;
pub use simple_ceiling::SimpleCeiling;
pub use static_n::StaticN;

use crate::cluster::StepOutcome;
use crate::config::PolicyConfig;
use crate::forecast::PointForecast;
use crate::serving::StepCluster;
use crate::settings::{Setting, Settings, Value};

/// What a policy sees when it decides at step `t`.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// Demand that arrived per step up to `t − 1` (what an ingress counts).
    pub history: &'a [f64],
    /// What the cluster did in each step simulated so far, oldest first (from the first
    /// decision on): ready containers, requests served, unserved; what a deployed
    /// autoscaler's metrics could show of the past.
    pub past: &'a [StepOutcome],
    /// The forecast for the target step `t + d`, for policies that use a model.
    pub forecast: Option<PointForecast>,
    /// The forecast that was made for the last observed step `t − 1` (inside the test
    /// period only), to tell a burst the model did not see coming.
    pub past_forecast: Option<PointForecast>,
    /// The actual demand from the target step `t + d` to the end of the test period:
    /// perfect foresight, read only by the reference policies ([`Input::Foresight`]).
    pub future: &'a [f64],
    /// The target the previous decision set (after clamping); `None` at the first.
    pub previous_target: Option<u32>,
}

impl Observation<'_> {
    /// Seconds from the trace's first step to this decision's step: the clock a scaler
    /// keeps its windows, polls and syncs by.
    pub fn now_s(&self, cluster: &StepCluster) -> u64 {
        self.history.len() as u64 * u64::from(cluster.step_seconds)
    }
}

/// A scaling policy.
pub trait Policy {
    /// Decides the target for `t + d` (before clamping to `[min, max]`).
    fn decide(&mut self, obs: &Observation, cluster: &StepCluster) -> i64;

    /// The share of minutes without a violation the policy aims for, in percent, for
    /// policies that take an SLO.
    fn slo_target(&self) -> Option<f64> {
        None
    }

    /// What the policy chose while being built (a calibrated headroom), for the user.
    fn note(&self) -> Option<String> {
        None
    }
}

/// What a policy may look at while it is built.
#[derive(Debug, Clone, Copy)]
pub struct PolicyContext<'a> {
    /// The cluster in steps.
    pub cluster: &'a StepCluster,
    /// The value the policy tuned on the validation window ([`Tune`]), for a policy
    /// that tunes one; `None` otherwise.
    pub tuned: Option<Tuned>,
}

/// A value a policy tuned on the validation window, and what it reached there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuned {
    /// The value (slo-targeted: the headroom, a fraction of the forecast).
    pub value: f64,
    /// The SLO attainment the policy reached at it on the window, in percent.
    pub attained_pct: f64,
    /// Days of the window that met the SLO at it, and its days
    /// ([`crate::metrics::daily_attained_pct`]).
    pub days_met: (usize, usize),
    /// The chance of a day meeting the SLO at it as stated ([`crate::hold::Rule::stated`]);
    /// `None` for a window of one day.
    pub chance: Option<f64>,
    /// Steps of the window.
    pub steps: usize,
    /// The share in time a policy that then holds one by feedback aims at
    /// ([`Tune::aims`]), tuned after the value, closed loop; `None` for the rest, and
    /// until it is tuned. The fields above stay the value's, open loop.
    pub aim: Option<Aim>,
}

/// The share in time a policy holds by feedback ([`Tune::aims`]), and why that one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aim {
    /// The share, percent.
    pub pct: f64,
    /// Why that share.
    pub why: AimWhy,
}

/// Why a policy aims at the share it does ([`Aim`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AimWhy {
    /// The least whose own run on the window, closed loop, met the rule.
    Least,
    /// What the value reached on the window, open loop: no share from the SLO up to it
    /// (to the step below it) met the rule, or none a step apart lies between.
    Reached,
    /// The SLO: the value reached less on the window.
    Slo,
}

impl Tuned {
    /// Whether this is a value being tried by the search ([`Self::trying`]), not one
    /// the search returned.
    pub fn is_trial(&self) -> bool {
        self.attained_pct.is_nan()
    }

    /// A value to run a policy at while it is being tuned: nothing reached yet.
    pub fn trying(value: f64, steps: usize) -> Self {
        Self {
            value,
            attained_pct: f64::NAN,
            steps,
            days_met: (0, 0),
            chance: None,
            aim: None,
        }
    }
}

/// How a policy tunes one value on the validation window: the smallest value in
/// `[low, high]` whose simulated run of the whole policy on the window meets the SLO,
/// found by bisection on the multiples of `tolerance` (attainment never falls as the
/// value grows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tune {
    /// The policy whose runs the search makes (its registry name): a policy tuned as
    /// another is (slo-feedback, open loop while it is tuned, runs as slo-targeted)
    /// shares its search, so its tuned value is the other's, searched once.
    pub runs: &'static str,
    /// What the value is, for the reports ("headroom"); a fraction, shown in percent.
    pub name: &'static str,
    /// The smallest value tried.
    pub low: f64,
    /// The largest value tried.
    pub high: f64,
    /// The step between the values tried (1 over a whole number); the bisection stops
    /// once the bracket is one step wide.
    pub tolerance: f64,
    /// Whether the policy, once at its value, holds a share in time by feedback, and
    /// tunes that share next on the same window, closed loop ([`Aim`]): the least, from
    /// the SLO up to what its value reached, whose run of the policy itself meets the
    /// rule; where none does, what the value reached (slo-feedback; `docs/experiment.md`,
    /// slo-feedback).
    pub aims: bool,
}

impl Tune {
    /// A tuned value as the reports show it: `headroom +43.0 %`.
    pub fn show(&self, value: f64) -> String {
        format!("{} {:+.1} %", self.name, 100.0 * value)
    }

    /// The smallest value meeting `want_pct` by `attained_pct` (the SLO attainment in
    /// percent of a run at a value), and what it reached; where even `high` falls short,
    /// `high` and its attainment. Every value returned was run and reached what is
    /// returned with it.
    pub fn search(&self, want_pct: f64, attained_pct: impl FnMut(f64) -> f64) -> (f64, f64) {
        self.search_by(attained_pct, |&at| at >= want_pct)
    }

    /// The smallest value whose run (`run`) `meets` a goal, and the run: [`bisect`] on
    /// the search's values.
    pub fn search_by<R>(&self, run: impl FnMut(f64) -> R, meets: impl Fn(&R) -> bool) -> (f64, R) {
        bisect((self.low, self.high), self.tolerance, run, meets)
    }
}

/// The smallest value from `low` to `high` whose run (`run`) `meets` a goal, and the
/// run, found by bisection (`meets` is taken to hold from some value up); where even
/// `high` falls short, `high` and its run. Every value returned was run. The values tried
/// are the whole multiples of `step` (`k / 1000` for 0.001) in the bounds, so a value
/// reads as the short decimal it is in the reports; at least one must lie there.
pub fn bisect<R>(
    (low, high): (f64, f64),
    step: f64,
    mut run: impl FnMut(f64) -> R,
    meets: impl Fn(&R) -> bool,
) -> (f64, R) {
    let per_unit = (1.0 / step).round();
    let value = |k: i64| k as f64 / per_unit;
    // The multiples inside the bounds (a bound a float's error off one is that one).
    let (mut lo, mut hi) = (
        (low * per_unit - 1e-6).ceil() as i64,
        (high * per_unit + 1e-6).floor() as i64,
    );
    let first = run(value(lo));
    if meets(&first) {
        return (value(lo), first);
    }
    let mut top = run(value(hi));
    if !meets(&top) {
        return (value(hi), top);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let at = run(value(mid));
        if meets(&at) {
            (hi, top) = (mid, at);
        } else {
            lo = mid;
        }
    }
    (value(hi), top)
}

/// Which way a knob's value moves the capacity a policy holds: its SLO attainment on
/// every day, and its cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rises {
    /// Both rise with the value (a buffer, an interval's width).
    WithValue,
    /// Both rise as the value falls (a target utilization).
    AgainstValue,
}

impl Rises {
    /// A knob value's place along the capacity it holds, least first: the order a knob
    /// search walks and a tie in cost falls.
    pub fn rank(self, value: f64) -> f64 {
        match self {
            Rises::WithValue => value,
            Rises::AgainstValue => -value,
        }
    }
}

/// What a policy reads besides the demand history. It decides how often the policy runs
/// (once, or once per model), whether a model without an interval can drive it, and
/// whether a user could deploy it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The observed demand only: runs once, with model `none`.
    History,
    /// A model's point forecast: runs once per model.
    Forecast,
    /// A model's forecast interval: runs once per model that has an interval.
    Interval,
    /// A model's forecast, with one value tuned on its validation window ([`Tune`]):
    /// runs once per model that has a validation window.
    Validated,
    /// The future demand itself: a reference no deployed policy can match; runs once,
    /// with model `none`, and is never starred as a choice.
    Foresight,
}

/// A registered policy: its name, what it reads, and how to build it.
#[derive(Debug)]
pub struct PolicySpec {
    /// The command-line name.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// What it reads.
    pub input: Input,
    /// Builds the policy with fresh state.
    pub build: fn(&PolicyConfig, &PolicyContext) -> Box<dyn Policy>,
    /// The setting a sweep turns as the policy's knob to trace its frontier (from
    /// [`crate::settings`]); `None` for policies with nothing to tune.
    pub knob: Option<&'static Setting>,
    /// Which way the SLO attainment of every day and the cost rise along the knob's
    /// values, where they do: a backtest then finds a family's pick by bisection of the
    /// knob's values on the window it is chosen on ([`crate::choice::trials`]);
    /// `None` where they do not (or for no knob). Tested on the traces of `tests/data`.
    pub knob_rises: Option<Rises>,
    /// The value the policy tunes on the validation window before it runs
    /// ([`Input::Validated`] policies); `None` for the rest.
    pub tune: Option<Tune>,
}

impl PolicyKind {
    /// Every knob some policy declares, each once, in registry order.
    pub fn knobs() -> Vec<&'static Setting> {
        let mut out: Vec<&'static Setting> = Vec::new();
        for k in Self::ALL.iter().filter_map(|p| p.knob()) {
            if !out.iter().any(|o| o.name == k.name) {
                out.push(k);
            }
        }
        out
    }

    /// The knob the policy declares.
    pub fn knob(self) -> Option<&'static Setting> {
        self.0.knob
    }

    /// Which way its SLO attainment and cost rise along its knob, where they do.
    pub fn knob_rises(self) -> Option<Rises> {
        self.0.knob_rises
    }

    /// The values a choice tries the policy at without a list of its own: its knob's
    /// trials, or its one setting (`None`) for a policy without a knob or trials.
    pub fn trials(self) -> Vec<Option<f64>> {
        match self.knob() {
            Some(k) if !k.trials.is_empty() => k.trials.iter().copied().map(Some).collect(),
            _ => vec![None],
        }
    }

    /// `settings` with the policy's knob set to `value` where the setting lives, and the
    /// knob's name and value (`None` for no value or no knob).
    pub fn at_knob(
        self,
        settings: &Settings,
        value: Option<f64>,
    ) -> (Settings, Option<(&'static str, f64)>) {
        let mut settings = settings.clone();
        let knob = self.knob().zip(value).map(|(k, x)| {
            (k.set)(&mut settings, Value::Number(x));
            (k.name, x)
        });
        (settings, knob)
    }
}

/// What a run of `policy` set, as the reports show it: its knob (`buffer 0.2`), or the
/// value it tuned on the validation window (`headroom +43.0 %`), with the share in time
/// a feedback policy aims at after it (`headroom +57.1 %, aiming at 90.14 %`); `None`
/// for neither.
pub fn setting_label(
    policy: &str,
    knob: Option<(&str, f64)>,
    tuned: Option<f64>,
    aim_pct: Option<f64>,
) -> Option<String> {
    let tune = PolicyKind::from_name(policy).and_then(|p| p.tune());
    let label = match (knob, tuned.zip(tune)) {
        (Some((k, v)), _) => format!("{k} {v}"),
        (None, Some((v, tune))) => tune.show(v),
        (None, None) => return None,
    };
    Some(match aim_pct {
        Some(a) => format!("{label}, {}", aiming(a)),
        None => label,
    })
}

/// A feedback policy's aim (percent in time), as the reports show it: `aiming at 90.14 %`.
pub fn aiming(pct: f64) -> String {
    format!("aiming at {pct:.2} %")
}

/// A policy of the registry, as named on the command line.
#[derive(Debug, Clone, Copy)]
pub struct PolicyKind(&'static PolicySpec);

impl PolicyKind {
    /// Every policy, in report order.
    pub const ALL: &'static [PolicyKind] = &[
        PolicyKind(&static_n::SPEC),
        PolicyKind(&simple_ceiling::SPEC),
        PolicyKind(&buffered::SPEC),
        PolicyKind(&confidence_aware::SPEC),
        PolicyKind(&policy_aware::SPEC),
        PolicyKind(&reactive_hpa::SPEC),
        PolicyKind(&knative_kpa::SPEC),
        PolicyKind(&keda::SPEC),
        PolicyKind(&predictive_hpa::SPEC),
        PolicyKind(&slo_targeted::SPEC),
        PolicyKind(&slo_feedback::SPEC),
        PolicyKind(&oracle::SPEC),
        PolicyKind(&optimal::SPEC),
    ];

    /// The policy's command-line name.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// One line describing the rule.
    pub fn about(self) -> &'static str {
        self.0.about
    }

    /// What the policy reads.
    pub fn input(self) -> Input {
        self.0.input
    }

    /// Looks a policy up by its command-line name.
    pub fn from_name(name: &str) -> Option<PolicyKind> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// Position in [`Self::ALL`]: the report order.
    pub fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|p| p.name() == self.name())
            .expect("every kind comes from ALL")
    }

    /// Whether the policy reads a forecast (and so runs once per model).
    pub fn uses_forecast(self) -> bool {
        match self.input() {
            Input::Forecast | Input::Interval | Input::Validated => true,
            Input::History | Input::Foresight => false,
        }
    }

    /// Whether the policy needs the forecast's interval.
    pub fn needs_interval(self) -> bool {
        match self.input() {
            Input::Interval => true,
            Input::History | Input::Forecast | Input::Validated | Input::Foresight => false,
        }
    }

    /// Whether the policy needs the model's validation window.
    pub fn needs_validation(self) -> bool {
        match self.input() {
            Input::Validated => true,
            Input::History | Input::Forecast | Input::Interval | Input::Foresight => false,
        }
    }

    /// Whether a user could deploy the policy: it does not read the future.
    pub fn realizable(self) -> bool {
        match self.input() {
            Input::Foresight => false,
            Input::History | Input::Forecast | Input::Interval | Input::Validated => true,
        }
    }

    /// The value the policy tunes on the validation window, if any.
    pub fn tune(self) -> Option<Tune> {
        self.0.tune
    }

    /// Builds the policy with fresh state.
    pub fn build(self, cfg: &PolicyConfig, ctx: &PolicyContext) -> Box<dyn Policy> {
        (self.0.build)(cfg, ctx)
    }
}

impl PartialEq for PolicyKind {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for PolicyKind {}

impl PartialOrd for PolicyKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PolicyKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.index().cmp(&other.index())
    }
}

/// The point forecast of a forecast policy's observation. The simulator hands every
/// forecast policy a forecast, so a missing one is a wiring bug, and it scales to zero
/// (the cluster's minimum) rather than panicking.
fn yhat(obs: &Observation) -> f64 {
    obs.forecast.map_or(0.0, |f| f.yhat)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::config::ClusterConfig;

    /// The default cluster at 1-minute steps: 50 requests per container, served by the
    /// threshold rule (the policies' hand-worked cases count capacity).
    pub(crate) fn cluster() -> StepCluster {
        ClusterConfig::threshold().at_step(60)
    }

    /// An observation with a forecast of `yhat` (bounds `lower`, `upper`).
    pub(crate) fn with_forecast(
        yhat: f64,
        lower: f64,
        upper: f64,
        prev: Option<u32>,
    ) -> Observation<'static> {
        Observation {
            history: &[],
            past: &[],
            forecast: Some(PointForecast {
                yhat,
                lower: Some(lower),
                upper: Some(upper),
            }),
            past_forecast: None,
            future: &[],
            previous_target: prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policies_that_read_a_validation_window_are_the_ones_that_tune() {
        // Input::Validated decides which models a policy runs for; `tune` is what it
        // tunes there: one without the other would run untuned or be skipped for nothing.
        for p in PolicyKind::ALL {
            assert_eq!(p.needs_validation(), p.tune().is_some(), "{}", p.name());
        }
        assert!(PolicyKind::from_name("slo-targeted")
            .unwrap()
            .needs_validation());
        // A search runs a registered policy that tunes by that very search (an aim,
        // tuned after it closed loop, is the tuned policy's own).
        for p in PolicyKind::ALL.iter().filter(|p| p.tune().is_some()) {
            let own = p.tune().unwrap();
            let runs = PolicyKind::from_name(own.runs).unwrap();
            let search = runs.tune().map(|t| Tune {
                aims: own.aims,
                ..t
            });
            assert_eq!(search, Some(own), "{}", p.name());
        }
    }

    #[test]
    fn a_knob_is_set_where_its_setting_lives_and_trials_come_from_the_table() {
        let kind = PolicyKind::from_name("buffered").unwrap();
        let (s, knob) = kind.at_knob(&Settings::default(), Some(0.4));
        assert_eq!(knob, Some(("buffer", 0.4)));
        assert_eq!(s.policy.buffer, 0.4);
        assert_eq!(kind.at_knob(&Settings::default(), None).1, None);
        // buffer's 7 trials (src/settings.rs); a policy without a knob runs once.
        assert_eq!(
            kind.trials(),
            [0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0].map(Some).to_vec()
        );
        assert_eq!(
            PolicyKind::from_name("static-2").unwrap().trials(),
            vec![None]
        );
    }

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, p) in PolicyKind::ALL.iter().enumerate() {
            assert_eq!(PolicyKind::from_name(p.name()), Some(*p));
            assert_eq!(p.index(), i);
            assert!(!p.about().is_empty(), "{}", p.name());
        }
        assert_eq!(PolicyKind::from_name("nope"), None);
    }

    #[test]
    fn input_decides_how_a_policy_runs() {
        // Derived from each policy's declared input, checked against the definitions in
        // docs/experiment.md: forecast policies run per model, references are not
        // realizable, only confidence-aware needs an interval.
        let kind = |n| PolicyKind::from_name(n).unwrap();
        assert!(!kind("static-2").uses_forecast() && kind("static-2").realizable());
        assert!(!kind("reactive-hpa").uses_forecast() && kind("reactive-hpa").realizable());
        assert!(!kind("oracle").uses_forecast() && !kind("oracle").realizable());
        assert!(!kind("optimal").uses_forecast() && !kind("optimal").realizable());
        assert!(kind("buffered").uses_forecast() && !kind("buffered").needs_interval());
        assert!(kind("confidence-aware").needs_interval());
        for p in PolicyKind::ALL {
            assert!(!p.needs_interval() || p.uses_forecast(), "{}", p.name());
        }
    }

    #[test]
    fn the_readmes_policy_template_is_verbatim_and_runs_as_a_registered_policy() {
        let readme = include_str!("../../README.md");
        let template = include_str!("../../docs/policy_template.rs");
        assert!(
            readme.contains(&format!("```rust\n{template}```")),
            "README.md must show docs/policy_template.rs verbatim"
        );
        let kind = PolicyKind(&policy_template::SPEC);
        assert!(kind.uses_forecast());
        assert_eq!(kind.knob().map(|k| k.name), Some("buffer"));
        let cluster = test_support::cluster();
        let ctx = PolicyContext {
            cluster: &cluster,
            tuned: None,
        };
        let mut p = kind.build(&PolicyConfig::default(), &ctx);
        let obs = test_support::with_forecast(100.0, 0.0, 0.0, None);
        assert_eq!(p.decide(&obs, &cluster), 3);
    }
}
