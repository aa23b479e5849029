//! The answer first: which (model, policy) at which knob to deploy, chosen without test
//! data. The backtest's choice on one fold whose test window is the test period
//! (`docs/experiment.md`, Backtests): every deployable family runs along its knob's
//! trials on the validation window before the test period (the same forecasts the test
//! period's come from, [`crate::forecast::Validation`]); each family's pick is its
//! cheapest trial that met the SLO there ([`choice::pick`]); the families are ranked on
//! those runs alone ([`choice::ranking`]): [`choose`]. Only then are the
//! recommendation, the runner-up and reactive-hpa's own pick run on the test period
//! ([`judge`]; a run the test period's own runs already made is read from them). Pure: no
//! files.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::choice::trials::{self, Bench, Window};
use crate::choice::{self, Trial};
use crate::config::ModelConfig;
use crate::config::PolicyConfig;
use crate::experiment::{self, ModelForecast, Outcome, Run};
use crate::hold::chance_about;
use crate::metrics::NO_MODEL;
use crate::policy::PolicyKind;
use crate::serving::{SloMeasure, StepCluster};
use crate::settings::Settings;
use crate::sim::{SimError, Timeline};
use crate::trace::{format_timestamp, Split, Trace};

/// One family's pick and how it did on both windows: a row of `recommendation.csv`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct Choice {
    /// `recommended`, `runner-up` or `reactive-hpa`.
    pub(crate) role: String,
    /// Model, or `none`.
    pub(crate) model: String,
    /// Policy.
    pub(crate) policy: String,
    /// The knob's name; empty for a policy without one.
    pub(crate) knob: String,
    /// The knob's picked value.
    pub(crate) knob_value: Option<f64>,
    /// The value a tuned policy chose on the validation window (slo-targeted's headroom,
    /// a fraction of the forecast).
    pub(crate) tuned_value: Option<f64>,
    /// The SLO, in percent.
    pub(crate) slo_pct: f64,
    /// What the SLO counts ("of requests within 3 s").
    pub(crate) slo_terms: String,
    /// First step of the validation window.
    pub(crate) validation_start: String,
    /// First step after it (the test period's first).
    pub(crate) validation_end: String,
    /// SLO attainment on the validation window, in percent.
    pub(crate) validation_slo_pct: f64,
    /// Cost over the optimum on the validation window.
    pub(crate) validation_cost_vs_optimal: f64,
    /// SLO attainment on the test period, in percent.
    pub(crate) test_slo_pct: f64,
    /// Cost over the optimum on the test period.
    pub(crate) test_cost_vs_optimal: f64,
    /// Container-minutes on the test period.
    pub(crate) test_container_minutes: u64,
    /// How sure the pick had to be that the SLO holds on a day (`--confidence`), percent;
    /// 0: the bare rule.
    pub(crate) confidence_pct: f64,
    /// Days of the validation window.
    pub(crate) validation_days: usize,
    /// Of them, the days the pick met the SLO on.
    pub(crate) validation_days_met: usize,
    /// The chance of a day meeting the SLO the validation days give the pick, percent
    /// ([`crate::hold::Rule::stated`]); empty for a window of one day.
    pub(crate) hold_pct: Option<f64>,
    /// Days of the test period, and the days the pick met the SLO on.
    pub(crate) test_days: usize,
    /// Of them, the days it met the SLO on.
    pub(crate) test_days_met: usize,
    /// The family's bare pick (the cheapest that met the SLO on the validation window as
    /// a whole), as [`Trial::setting`] shows it; empty where it is the pick itself.
    pub(crate) bare_setting: String,
    /// The bare pick's SLO attainment on the test period, percent.
    pub(crate) bare_test_slo_pct: Option<f64>,
    /// The bare pick's container-minutes on the test period.
    pub(crate) bare_test_container_minutes: Option<u64>,
    /// The share in time, percent, a pick that holds one by feedback aims at, tuned on
    /// the validation window after its value (slo-feedback's); empty for the rest.
    #[serde(default)]
    pub(crate) aim_pct: Option<f64>,
}

impl Choice {
    /// The family and its knob, as a user reads it: `lstm × buffered at buffer 0.2`.
    pub(crate) fn name(&self) -> String {
        let knob = crate::policy::setting_label(
            &self.policy,
            self.knob_value.map(|v| (self.knob.as_str(), v)),
            self.tuned_value,
            self.aim_pct,
        )
        .map_or(String::new(), |s| format!(" at {s}"));
        format!("{} × {}{knob}", self.model, self.policy)
    }

    /// The share in time a pick that holds one by feedback aims at, as a user reads it:
    /// `aiming at 90.14 %`.
    pub(crate) fn aiming(&self) -> Option<String> {
        self.aim_pct.map(crate::policy::aiming)
    }

    /// Whether it met the SLO on the test period.
    pub(crate) fn met_on_test(&self) -> bool {
        choice::attains(self.test_slo_pct, self.slo_pct)
    }
}

/// The recommendation, the runner-up and reactive-hpa at its own pick, and the
/// recommendation's timeline on the test period.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recommendation {
    /// The recommendation first.
    pub(crate) choices: Vec<Choice>,
    /// The recommendation's run on the test period.
    pub(crate) timeline: Timeline,
}

/// What a recommendation is chosen from.
pub(crate) struct Inputs<'a> {
    /// The trace.
    pub(crate) trace: &'a Trace,
    /// The train/test split.
    pub(crate) split: Split,
    /// Each model's test forecasts, with its validation window's.
    pub(crate) models: &'a [ModelForecast],
    /// The policies selected; the deployable ones are the families.
    pub(crate) policies: &'a [PolicyKind],
    /// The resolved settings (each trial sets its knob on a copy).
    pub(crate) settings: &'a Settings,
    /// How the models were trained.
    pub(crate) model_cfg: &'a ModelConfig,
    /// The cluster in steps (its SLO judges).
    pub(crate) step: &'a StepCluster,
    /// The validation window: the last steps of the train period.
    pub(crate) window: Range<usize>,
}

/// The families chosen on the validation window, in their roles (the recommendation, the
/// runner-up, reactive-hpa's own pick): what [`judge`] runs on the test period.
pub(crate) struct Chosen {
    roles: Vec<Role>,
}

/// One family in its role: its pick by the rule, and its bare pick where that differs.
struct Role {
    role: &'static str,
    pick: Trial,
    /// The cheapest trial that met the SLO on the window as a whole, where the rule's
    /// margin chose another; `None` where they are the same.
    bare: Option<Trial>,
}

impl Inputs<'_> {
    /// What every trial shares.
    fn bench(&self) -> Bench<'_> {
        Bench {
            trace: self.trace,
            settings: self.settings,
            model_cfg: self.model_cfg,
            step: self.step,
        }
    }

    /// The same settings and cluster under the bare rule (`--confidence 0`).
    fn bare(&self) -> (Settings, StepCluster) {
        let mut settings = self.settings.clone();
        settings.cluster.serving.confidence_percent = 0.0;
        let mut step = *self.step;
        step.serving.confidence_pct = 0.0;
        (settings, step)
    }

    /// The models of `family` among `models` (none for a model-free policy).
    fn models_of<'m>(models: &'m [ModelForecast], model: &str) -> &'m [ModelForecast] {
        models
            .iter()
            .position(|m| m.model == model)
            .map_or(&[][..], |k| &models[k..=k])
    }
}

/// Chooses on the validation window, reading nothing of the test period; `None` without
/// a window (`--validation-days 0`) or without a deployable family.
pub(crate) fn choose(i: &Inputs) -> Result<Option<Chosen>, SimError> {
    let window = i.window.clone();
    if window.is_empty() {
        return Ok(None);
    }
    // The models whose validation window is this one (a model that could not spare it
    // has none and is left out), on that window.
    let on_window = experiment::on_window(i.models, &window);
    let vsplit = Split {
        train_len: window.start,
        test_len: window.len(),
    };
    let bench = i.bench();
    let chosen_on = Window::new(&bench, vsplit, &on_window)?;
    let jobs = trials::jobs(i.policies, PolicyKind::trials);
    // Every value runs: the margin's cost is read against the bare pick among them.
    let trials = trials::run(&bench, &jobs, 1, &chosen_on, None, None)?;
    let rule = choice::Rule::of(i.step);
    let records = choice::records(&trials, 1, &rule);
    let order = choice::ranking(&records);
    let Some(&first) = order.first() else {
        return Ok(None);
    };
    let mut roles = vec![("recommended", first)];
    if let Some(&second) = order.get(1) {
        roles.push(("runner-up", second));
    }
    // reactive-hpa's own pick, for comparison, unless it is the recommendation.
    if let Some(r) = records
        .iter()
        .position(|r| r.model == NO_MODEL && r.policy == "reactive-hpa")
        .filter(|&r| r != first)
    {
        roles.push(("reactive-hpa", r));
    }
    // Each family's bare pick, for what the margin costs: among its trials where the
    // margin only moved the knob, run again under the bare rule where it moved a tuned
    // value.
    let (bare_settings, bare_step) = i.bare();
    let bare_bench = Bench {
        settings: &bare_settings,
        step: &bare_step,
        ..bench
    };
    let bare_rule = choice::Rule::new(rule.slo, 0.0, rule.ceiling);
    let mut chosen = Vec::new();
    for (role, r) in roles {
        let pick = trials[records[r].picks[0]].clone();
        let tuned = PolicyKind::from_name(&pick.policy).filter(|p| p.tune().is_some());
        let bare = if rule.confidence.is_none() {
            None
        } else if let Some(policy) = tuned {
            let mine = Window {
                models: Inputs::models_of(&on_window, &pick.model),
                ..chosen_on
            };
            let jobs = trials::jobs(&[policy], PolicyKind::trials);
            let again = trials::run(&bare_bench, &jobs, 1, &mine, None, None)?;
            let figures: Vec<&choice::Figures> = again.iter().map(Trial::chosen).collect();
            choice::pick(&figures, &bare_rule).map(|k| again[k].clone())
        } else {
            let mut mine: Vec<&Trial> = trials
                .iter()
                .filter(|t| t.family() == pick.family())
                .collect();
            mine.sort_by(|a, b| a.tie_rank().total_cmp(&b.tie_rank()));
            let figures: Vec<&choice::Figures> = mine.iter().map(|t| t.chosen()).collect();
            choice::pick(&figures, &bare_rule).map(|k| mine[k].clone())
        };
        let bare = bare.filter(|b| (b.knob, b.tuned) != (pick.knob, pick.tuned));
        chosen.push(Role { role, pick, bare });
    }
    Ok(Some(Chosen { roles: chosen }))
}

/// Runs the chosen families on the test period and says how they did. `tested` is the
/// test period's outcome at `tested_cfg`: a chosen family it already ran at those
/// settings (the same model, policy and settings give the same run) is read from it, not
/// simulated again, and every cost ratio is over its references.
pub(crate) fn judge(
    i: &Inputs,
    chosen: &Chosen,
    tested: &Outcome,
    tested_cfg: &PolicyConfig,
) -> Result<Option<Recommendation>, SimError> {
    let window = i.window.clone();
    let rule = choice::Rule::of(i.step);
    let stamp = |k: usize| format_timestamp(i.trace.timestamp(k));
    let terms = slo_terms(i.step);
    let (bare_settings, bare_step) = i.bare();
    let bare_bench = Bench {
        settings: &bare_settings,
        step: &bare_step,
        ..i.bench()
    };
    let test_window = Window {
        split: i.split,
        models: i.models,
        references: tested.references,
    };
    // A trial on the test period, by `bench`: only its own model's run.
    let simulate = |bench: &Bench, t: &Trial| -> Result<Option<Run>, SimError> {
        let policy = PolicyKind::from_name(&t.policy).expect("a trial's policy is registered");
        let runs = trials::run_job(
            bench,
            (policy, t.knob.map(|k| k.1)),
            &Window {
                models: Inputs::models_of(i.models, &t.model),
                ..test_window
            },
        )?;
        Ok(runs.into_iter().find(|r| r.metrics.model == t.model))
    };
    let mut choices = Vec::new();
    let mut timeline = Timeline::default();
    for Role {
        role,
        pick: t,
        bare,
    } in &chosen.roles
    {
        let policy = PolicyKind::from_name(&t.policy).expect("a trial's policy is registered");
        let (settings, _) = policy.at_knob(i.settings, t.knob.map(|k| k.1));
        let cfg = settings.policy_config(i.model_cfg);
        let mine = |r: &Run| r.metrics.model == t.model && r.metrics.policy == t.policy;
        let run = match tested.runs.iter().find(|r| mine(r)) {
            Some(r) if cfg == *tested_cfg => Some(r.clone()),
            _ => simulate(&i.bench(), t)?,
        };
        let Some(run) = run else {
            continue;
        };
        // The bare pick on the test period, tuned (where it tunes) under the bare rule.
        let bare_run = match bare {
            Some(b) => simulate(&bare_bench, b)?,
            None => None,
        };
        if *role == "recommended" {
            timeline = run.timeline.clone();
        }
        let test_days = crate::metrics::daily_attained_pct(&run.timeline, i.step);
        choices.push(Choice {
            role: role.to_string(),
            model: t.model.clone(),
            policy: t.policy.clone(),
            knob: t.knob.map_or(String::new(), |k| k.0.to_string()),
            knob_value: t.knob.map(|k| k.1),
            tuned_value: run.tuned,
            slo_pct: rule.slo,
            slo_terms: terms.clone(),
            validation_start: stamp(window.start),
            validation_end: stamp(window.end),
            validation_slo_pct: t.chosen().attained_pct,
            validation_cost_vs_optimal: t.chosen().cost_vs_optimal,
            test_slo_pct: run.metrics.slo_attained_pct,
            test_cost_vs_optimal: run.metrics.cost_vs_optimal,
            test_container_minutes: run.metrics.container_minutes,
            confidence_pct: i.step.serving.confidence_pct,
            validation_days: t.chosen().days.len(),
            validation_days_met: t.chosen().days_met(rule.slo),
            hold_pct: rule
                .stated(&t.chosen().days)
                .map(|p| crate::metrics::round6(100.0 * p)),
            test_days: test_days.len(),
            test_days_met: crate::hold::days_met(&test_days, rule.slo),
            bare_setting: match (bare, &bare_run) {
                (Some(b), Some(r)) => Trial {
                    tuned: r.tuned,
                    aim_pct: r.aim_pct,
                    ..b.clone()
                }
                .setting(),
                _ => String::new(),
            },
            bare_test_slo_pct: bare_run.as_ref().map(|r| r.metrics.slo_attained_pct),
            bare_test_container_minutes: bare_run.as_ref().map(|r| r.metrics.container_minutes),
            aim_pct: run.aim_pct.map(crate::metrics::round6),
        });
    }
    Ok((!choices.is_empty()).then_some(Recommendation { choices, timeline }))
}

/// What the SLO of `step` counts, for the reports: "of requests within 3 s".
pub(crate) fn slo_terms(step: &StepCluster) -> String {
    match step.serving.model.kind().measure() {
        SloMeasure::MinutesWithoutViolation => "of minutes without a violation".to_string(),
        SloMeasure::RequestsInTime => format!(
            "of requests within {} s",
            crate::serving::seconds(step.serving.deadline_s, false)
        ),
    }
}

/// The block `run-all` and `simulate` print before the table (and `summary.md` opens
/// with): the recommendation, marked as chosen without test data, with its evidence on
/// the validation days, how sure it is, its figures on the test period and what its
/// margin cost over the bare pick; then the runner-up and reactive-hpa's pick.
pub(crate) fn render(choices: &[Choice]) -> String {
    let Some(first) = choices.first() else {
        return String::new();
    };
    let days = |met: usize, n: usize| {
        if n == 1 {
            format!("{met} of 1 day")
        } else {
            format!("{met} of {n} days")
        }
    };
    let figures = |c: &Choice| {
        format!(
            "validation {:.2} % at {:.3}× the optimum, met on {}; test period {:.2} % at {:.3}× ({}, on {})",
            c.validation_slo_pct,
            c.validation_cost_vs_optimal,
            days(c.validation_days_met, c.validation_days),
            c.test_slo_pct,
            c.test_cost_vs_optimal,
            if c.met_on_test() { "met" } else { "missed" },
            days(c.test_days_met, c.test_days),
        )
    };
    let mut out = format!(
        "Recommended at SLO {} % {}: {}\n  chosen on the validation window {} to {}, without test data: {}\n",
        first.slo_pct,
        first.slo_terms,
        first.name(),
        first.validation_start,
        first.validation_end,
        figures(first)
    );
    out.push_str(&format!("  {}\n", sureness(first)));
    if let (Some(slo), Some(minutes)) = (first.bare_test_slo_pct, first.bare_test_container_minutes)
    {
        out.push_str(&format!(
            "  the margin costs {:+.1} % container-minutes on the test period over the bare pick ({}: {:.2} %, {})\n",
            100.0 * (first.test_container_minutes as f64 / minutes.max(1) as f64 - 1.0),
            first.bare_setting,
            slo,
            if crate::hold::attains(slo, first.slo_pct) {
                "met"
            } else {
                "missed"
            }
        ));
    }
    for c in &choices[1..] {
        let what = match c.role.as_str() {
            "runner-up" => "runner-up",
            _ => "reactive-hpa at its own pick",
        };
        out.push_str(&format!("  {what}: {}: {}\n", c.name(), figures(c)));
    }
    out
}

/// How sure the pick is, in words: the chance its validation days give a day of meeting
/// the SLO against the confidence asked, or why there is none.
fn sureness(c: &Choice) -> String {
    match c.hold_pct {
        Some(p) if c.confidence_pct > 0.0 => format!(
            "expected to meet the SLO on {} of days (from its validation days; picked as the cheapest setting whose spread puts a day at --confidence {} % or more)",
            chance_about(p),
            c.confidence_pct
        ),
        Some(p) => format!(
            "expected to meet the SLO on {} of days (from its validation days; --confidence 0: picked as the cheapest setting that met it on the validation window, no margin)",
            chance_about(p)
        ),
        None => "how sure: not stated, one validation day shows no spread (--validation-days 2 or more states it)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slo_terms_round_the_deadline_to_what_it_means() {
        // --capacity 8.4: a mean service time of 60 / 8.4 s and the automatic deadline
        // 2.5 times it, 17.857142857142854 s in floating point.
        let step = crate::config::ClusterConfig {
            capacity_per_min: 8.4,
            ..Default::default()
        }
        .at_step(60);
        assert_eq!(slo_terms(&step), "of requests within 17.857 s");
        let default = crate::config::ClusterConfig::default().at_step(60);
        assert_eq!(slo_terms(&default), "of requests within 3 s");
        let threshold = crate::config::ClusterConfig::threshold().at_step(60);
        assert_eq!(slo_terms(&threshold), "of minutes without a violation");
    }

    #[test]
    fn a_chosen_family_read_from_the_test_runs_equals_its_own_simulation() {
        // Two generated days, the second the test period, the 600 steps before it the
        // validation window; the forecast is the demand a step late.
        let (trace, v, split, models) = experiment::fixture::two_days_late(600);
        let settings = Settings::default();
        let step = settings.cluster.at_step(60);
        let cfg = settings.policy_config(&settings.model);
        let inputs = Inputs {
            trace: &trace,
            split,
            models: &models,
            policies: PolicyKind::ALL,
            settings: &settings,
            model_cfg: &settings.model,
            step: &step,
            window: v,
        };
        let chosen = choose(&inputs).unwrap().unwrap();
        let tested = experiment::run(&trace, split, &models, PolicyKind::ALL, &cfg, &step).unwrap();
        // With no test runs to read, every chosen family is simulated here.
        let none = Outcome {
            runs: Vec::new(),
            ..tested.clone()
        };
        let read = judge(&inputs, &chosen, &tested, &cfg).unwrap().unwrap();
        let simulated = judge(&inputs, &chosen, &none, &cfg).unwrap().unwrap();
        assert!(read.choices.len() >= 2, "{:?}", read.choices);
        assert_eq!(read, simulated);
        // And some were read, not simulated: marked test runs show through.
        let mut marked = tested.clone();
        for r in &mut marked.runs {
            r.metrics.container_minutes = 7;
        }
        let shown = judge(&inputs, &chosen, &marked, &cfg).unwrap().unwrap();
        let read_back = shown
            .choices
            .iter()
            .filter(|c| c.test_container_minutes == 7)
            .count();
        assert!(read_back >= 1, "{:?}", shown.choices);
        // A family at another knob than the test runs' is simulated all the same.
        let mut other = cfg.clone();
        other.hpa_target_utilization += 0.0123;
        let apart = judge(&inputs, &chosen, &marked, &other).unwrap().unwrap();
        assert_eq!(apart, simulated);
    }

    fn choice(
        role: &str,
        policy: &str,
        knob: Option<(&str, f64)>,
        tuned: Option<f64>,
        test_slo: f64,
    ) -> Choice {
        Choice {
            role: role.into(),
            model: if policy == "reactive-hpa" {
                "none"
            } else {
                "lstm"
            }
            .into(),
            policy: policy.into(),
            knob: knob.map_or(String::new(), |k| k.0.into()),
            knob_value: knob.map(|k| k.1),
            tuned_value: tuned,
            slo_pct: 90.0,
            slo_terms: "of requests within 3 s".into(),
            validation_start: "2026-01-15T00:00:00Z".into(),
            validation_end: "2026-01-16T00:00:00Z".into(),
            validation_slo_pct: 90.5,
            validation_cost_vs_optimal: 0.912,
            test_slo_pct: test_slo,
            test_cost_vs_optimal: 0.9,
            test_container_minutes: 17000,
            confidence_pct: 90.0,
            validation_days: 7,
            validation_days_met: 6,
            hold_pct: Some(91.5),
            test_days: 3,
            test_days_met: 2,
            bare_setting: String::new(),
            bare_test_slo_pct: None,
            bare_test_container_minutes: None,
            aim_pct: None,
        }
    }

    #[test]
    fn a_file_written_before_the_aim_reads_without_one() {
        // recommended.csv as run-all wrote it before the aim_pct column.
        let old = "role,model,policy,knob,knob_value,tuned_value,slo_pct,slo_terms,validation_start,validation_end,validation_slo_pct,validation_cost_vs_optimal,test_slo_pct,test_cost_vs_optimal,test_container_minutes,confidence_pct,validation_days,validation_days_met,hold_pct,test_days,test_days_met,bare_setting,bare_test_slo_pct,bare_test_container_minutes\n\
                   recommended,lstm,slo-feedback,,,0.539,90.0,of requests within 3 s,2026-01-09T00:00:00Z,2026-01-16T00:00:00Z,90.136228,1.064069,90.142549,1.066627,17994,95.0,7,7,96.020026,3,3,headroom +46.0 %,89.990405,17940\n";
        let choices: Vec<Choice> = crate::store::reports::from_csv(old.as_bytes()).unwrap();
        assert_eq!(choices.len(), 1);
        assert_eq!(choices[0].aim_pct, None);
        assert_eq!(choices[0].tuned_value, Some(0.539));
        assert_eq!(choices[0].bare_test_container_minutes, Some(17940));
    }

    #[test]
    fn the_block_names_the_pick_its_windows_and_whether_it_held() {
        let mut first = choice("recommended", "buffered", Some(("buffer", 0.2)), None, 89.0);
        first.bare_setting = "buffer 0.1".into();
        first.bare_test_slo_pct = Some(88.0);
        first.bare_test_container_minutes = Some(16000);
        // A pick that holds a share by feedback names its aim.
        let runner_up = Choice {
            aim_pct: Some(90.14),
            ..choice("runner-up", "slo-feedback", None, Some(0.4321), 89.5)
        };
        let text = render(&[
            first,
            runner_up,
            choice(
                "reactive-hpa",
                "reactive-hpa",
                Some(("hpa-target", 0.6)),
                None,
                90.0,
            ),
        ]);
        // The margin: 17 000 container-minutes against the bare pick's 16 000, +6.25 %.
        assert_eq!(
            text,
            "Recommended at SLO 90 % of requests within 3 s: lstm × buffered at buffer 0.2\n  \
             chosen on the validation window 2026-01-15T00:00:00Z to 2026-01-16T00:00:00Z, without test data: validation 90.50 % at 0.912× the optimum, met on 6 of 7 days; test period 89.00 % at 0.900× (missed, on 2 of 3 days)\n  \
             expected to meet the SLO on about 92 % of days (from its validation days; picked as the cheapest setting whose spread puts a day at --confidence 90 % or more)\n  \
             the margin costs +6.2 % container-minutes on the test period over the bare pick (buffer 0.1: 88.00 %, missed)\n  \
             runner-up: lstm × slo-feedback at headroom +43.2 %, aiming at 90.14 %: validation 90.50 % at 0.912× the optimum, met on 6 of 7 days; test period 89.50 % at 0.900× (missed, on 2 of 3 days)\n  \
             reactive-hpa at its own pick: none × reactive-hpa at hpa-target 0.6: validation 90.50 % at 0.912× the optimum, met on 6 of 7 days; test period 90.00 % at 0.900× (met, on 2 of 3 days)\n"
        );
        assert_eq!(render(&[]), "");
    }
}
