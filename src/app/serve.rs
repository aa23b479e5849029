//! `serve`: the chosen policy running live against a running Prometheus, or a past
//! period stepped through it (`docs/experiment.md`, Serving the policy live). At the
//! start it reads `--history` of the demand, fits the model and builds the policy as
//! `train` and `simulate` do ([`fit`], [`build_on`]); then at each step it reads the step
//! that ended, forecasts, decides ([`Scaler`]: the simulator's own loop) and serves the
//! decision: `GET /desired` (JSON), `GET /metrics` (Prometheus' text format) and
//! `GET /healthz`. While Prometheus is down, refuses, or has not got the step yet, it
//! keeps serving its last decision marked stale, and says so once per incident.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, Utc};

use crate::experiment::{build_on, Built, ModelForecast};
use crate::forecast::fit::{build_models, common_validation, fit};
use crate::forecast::{Forecast, Forecaster};
use crate::interrupt;
use crate::live::{Decision, Forecasts, Scaler};
use crate::plan::ServePlan;
use crate::policy::{Policy, PolicyContext};
use crate::remote::{self, Auth, RangeQuery};
use crate::store::write_atomic;
use crate::trace::{format_timestamp, Split, Trace};

/// Runs `serve`: a replay where the plan has one, else the live scaler.
pub(super) fn run(p: &ServePlan) -> Result<()> {
    let auth = Auth::from_files(p.bearer_token_file.as_deref(), p.basic_auth_file.as_deref())?;
    let now = p.clock.unwrap_or_else(Utc::now);
    match &p.replay {
        Some(out) => {
            // The days before --clock, or before the step after the last sample.
            let end = match p.clock {
                Some(clock) => floor(clock, step_of(p)),
                None => {
                    let last = remote::last_sample(&p.url, &p.query, now, step_of(p), &auth)?
                        .ok_or_else(|| {
                            anyhow!(
                                "query {:?}: Prometheus at {} holds no sample of it in the ten years before now",
                                p.query,
                                p.url
                            )
                        })?;
                    floor(last, step_of(p)) + steps(1, step_of(p))
                }
            };
            replay(p, &auth, end, out)
        }
        None => live(p, &auth, now),
    }
}

/// The demand's step, seconds.
fn step_of(p: &ServePlan) -> u32 {
    p.options.step_seconds.unwrap_or(60)
}

/// `t` at the start of its step.
fn floor(t: DateTime<Utc>, step_s: u32) -> DateTime<Utc> {
    let s = i64::from(step_s);
    DateTime::from_timestamp(t.timestamp().div_euclid(s) * s, 0).unwrap_or(t)
}

/// `n` steps of `step_s` seconds.
fn steps(n: usize, step_s: u32) -> chrono::Duration {
    chrono::Duration::seconds(n as i64 * i64::from(step_s))
}

/// The demand of the steps from `from` up to `to` (excluded), read as `import
/// --prometheus` reads it.
fn read(p: &ServePlan, auth: &Auth, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Trace> {
    let step = step_of(p);
    let q = RangeQuery {
        url: p.url.clone(),
        query: p.query.clone(),
        start: from,
        end: to - steps(1, step),
        step_seconds: step,
    };
    // The pages once: a bridge (below) reads them again, not the server.
    let pages = remote::fetch(&q, auth)?.pages;
    let import = |options: &crate::trace::import::ImportOptions| {
        crate::trace::import::read_pages(&pages, options)
            .with_context(|| format!("reading query {:?} from {}", q.query, q.url))
    };
    let e = match import(&p.options) {
        Ok(read) => return Ok(read.trace),
        Err(e) => e,
    };
    // A hole longer than --max-gap (Prometheus down, or a query with no series while
    // the service had no pods) would stop every later tick, and a restart reading the
    // same history: a live scaler bridges it, once, and says so (the gap whole, the
    // query shortened).
    let Some(gap @ crate::trace::TraceError::GapTooLong { .. }) =
        e.downcast_ref::<crate::trace::TraceError>()
    else {
        return Err(e);
    };
    eprintln!(
        "serve: warning: {gap} in query {:?}; bridged by linear interpolation, as a live scaler cannot wait for data that will not come",
        crate::trace::excerpt(&q.query, 80)
    );
    let bridging = crate::trace::import::ImportOptions {
        max_gap_minutes: u32::MAX,
        ..p.options.clone()
    };
    Ok(import(&bridging)?.trace)
}

/// The policy built and, for a forecast policy, its model fitted.
struct Chosen {
    policy: Box<dyn Policy>,
    fitted: Option<Fitted>,
}

/// A model fitted on a train period.
struct Fitted {
    /// Its forecasts of the steps after the train period.
    forecast: Forecast,
    /// The model.
    model: Box<dyn Forecaster>,
    /// Its interval's calibration.
    stretch: Option<f64>,
    /// The first step it forecast (the validation window's).
    origin: usize,
}

/// Fits the model on `trace`'s train period (its validation window the last days of
/// it), forecasting the test period after it, and builds the policy on those forecasts,
/// tuned on the window: what `train` then `simulate` do for this model and policy.
fn choose(p: &ServePlan, trace: &Trace, split: Split) -> Result<Chosen> {
    let cluster = &p.settings.cluster;
    let step = cluster.at_step(trace.step_seconds);
    let policy_cfg = p.settings.policy_config(&p.settings.model);
    let Some(kind) = p.model else {
        let ctx = PolicyContext {
            cluster: &step,
            tuned: None,
        };
        return Ok(Chosen {
            policy: p.policy.build(&policy_cfg, &ctx),
            fitted: None,
        });
    };
    let mut models = build_models(&[kind], &p.settings.model);
    let (cfg, note) = common_validation(&p.settings.model, &models, trace, split, cluster);
    if let Some(note) = note {
        eprintln!("{note}");
    }
    let mut model = models.pop().expect("one model");
    let started = Instant::now();
    let trained = fit(model.as_mut(), trace, split, cluster, &cfg)?;
    for note in model
        .notes()
        .into_iter()
        .chain(trained.notes.iter().cloned())
    {
        eprintln!("{note}");
    }
    let mf = ModelForecast::of(&trained);
    let (policy, tuned) = match build_on(trace, &mf, p.policy, &policy_cfg, &step)? {
        Built::Policy(policy, tuned) => (policy, tuned),
        Built::Skipped(why) => bail!("cannot run {why}"),
    };
    eprintln!(
        "serve: {} fitted on {} steps and {} built{} in {:.2} s",
        kind.name(),
        split.train_len,
        p.policy.name(),
        match (tuned, policy.note()) {
            (_, Some(note)) => format!(" ({note})"),
            (Some(t), None) => format!(" (tuned {})", t.value),
            (None, None) => String::new(),
        },
        started.elapsed().as_secs_f64()
    );
    let origin = mf.validation.as_ref().map_or(split.train_len, |v| v.start);
    let stretch = trained.interval.map(|c| c.stretch);
    Ok(Chosen {
        policy,
        fitted: Some(Fitted {
            forecast: trained.forecast,
            model,
            stretch,
            origin,
        }),
    })
}

/// `serve --replay`: the `--test-days` before `end` (`--clock`, or the step after the
/// query's last sample) stepped through the live scaler, one
/// tick a step, after the model is fitted on the `--history` before them; each step's
/// target and the forecast its decision read go to `out`.
fn replay(p: &ServePlan, auth: &Auth, end: DateTime<Utc>, out: &Path) -> Result<()> {
    let started = Instant::now();
    let step_s = step_of(p);
    let per_day = crate::config::SECONDS_PER_DAY / step_s;
    let test_len = ((p.settings.split.test_days * f64::from(per_day)).round() as usize).max(1);
    let from = end - steps(test_len, step_s) - chrono::Duration::seconds(i64::from(p.history_s));
    let trace = read(p, auth, from, end)?;
    if trace.timestamp(trace.len().saturating_sub(1)) != end - steps(1, step_s) {
        bail!(
            "query {:?}: its last step is {}, not the step before --clock {}: Prometheus holds nothing later",
            p.query,
            format_timestamp(trace.timestamp(trace.len().saturating_sub(1))),
            format_timestamp(end)
        );
    }
    let step = p.settings.cluster.at_step(trace.step_seconds);
    let d = step.delay_steps;
    if trace.len() < test_len + d + 1 {
        bail!(
            "query {:?}: {} steps read, fewer than the {test_len} replayed and the {} a first decision looks back",
            p.query,
            trace.len(),
            d + 1
        );
    }
    let split = Split {
        train_len: trace.len() - test_len,
        test_len,
    };
    let chosen = choose(p, &trace, split)?;
    let t0 = split.train_len;
    let first = t0 - d;
    let forecast = chosen.fitted.as_ref().map(|f| &f.forecast);
    let mut scaler = Scaler::new(chosen.policy, &step, first);
    let mut read_forecasts = Vec::with_capacity(test_len);
    let ticking = Instant::now();
    for t in first..trace.len() - d {
        let f = forecast.map(|f| f.at(t + d - t0));
        let decision = scaler.tick(&trace.requests[..t], f)?;
        if t >= t0 {
            read_forecasts.push(decision.forecast);
        }
    }
    scaler.feed(&trace.requests)?;
    let ticked = ticking.elapsed().as_secs_f64();
    let targets = scaler.targets();
    let mut csv = String::from("timestamp,target,forecast\n");
    for (i, t) in (t0..trace.len()).enumerate() {
        let forecast = read_forecasts
            .get(i)
            .copied()
            .flatten()
            .map_or(String::new(), |f| {
                format!("{}", crate::metrics::round6(f.yhat))
            });
        csv.push_str(&format!(
            "{},{},{forecast}\n",
            format_timestamp(trace.timestamp(t)),
            targets[t - first]
        ));
    }
    write_atomic(out, csv.as_bytes()).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "serve --replay: {} x {} over {} steps from {} ({} ticks in {ticked:.3} s, {:.1} µs a tick), {:.2} s in all -> {}",
        p.model.map_or("none", |m| m.name()),
        p.policy.name(),
        test_len,
        format_timestamp(trace.timestamp(t0)),
        trace.len() - d - first,
        1e6 * ticked / (trace.len() - d - first) as f64,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// What the endpoints serve, as the loop last left it.
#[derive(Debug, Clone, Default)]
struct Status {
    policy: &'static str,
    model: Option<&'static str>,
    step_s: u32,
    /// The last decision, the time of its step and of the step it is for.
    decision: Option<(Decision, DateTime<Utc>, DateTime<Utc>)>,
    /// The clock: its time at an instant, to tell at answer time whether the decision
    /// served is older than the current step.
    clock: Option<(DateTime<Utc>, Instant)>,
    ticks: u64,
    errors: u64,
    fits: u64,
    last_fit: Option<DateTime<Utc>>,
    fit_seconds: f64,
    tick_seconds: f64,
    tick_cpu_seconds: f64,
}

impl Status {
    /// Whether the decision served is stale: the clock has passed the step it was made
    /// at (the tick since could not decide, or is late, or is still reading).
    fn is_stale(&self) -> bool {
        match (self.decision, self.clock) {
            (Some((_, at, _)), Some((t0, i0))) => {
                let now = t0 + chrono::Duration::milliseconds(i0.elapsed().as_millis() as i64);
                floor(now, self.step_s) > at
            }
            _ => false,
        }
    }

    /// `GET /desired`: the last decision as JSON; `None` before the first.
    fn desired(&self) -> Option<String> {
        let (d, at, to) = self.decision?;
        let doc = serde_json::json!({
            "replicas": d.replicas,
            "forecast": d.forecast.map(|f| crate::metrics::round6(f.yhat)),
            "time": format_timestamp(at),
            "for": format_timestamp(to),
            "step": crate::trace::step_in_words(self.step_s),
            "stale": self.is_stale(),
            "policy": self.policy,
            "model": self.model,
        });
        Some(format!("{doc}\n"))
    }

    /// `GET /metrics`: Prometheus' text exposition format.
    fn metrics(&self) -> String {
        let labels = format!(
            "{{policy=\"{}\",model=\"{}\"}}",
            self.policy,
            self.model.unwrap_or("none")
        );
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: Option<f64>| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            if let Some(v) = value {
                out.push_str(&format!("{name}{labels} {v}\n"));
            }
        };
        let decision = self.decision.map(|(d, at, _)| (d, at));
        metric(
            "prescale_desired_replicas",
            "gauge",
            "Replicas the policy decided at its last tick, to be ready a startup delay later.",
            decision.map(|(d, _)| f64::from(d.replicas)),
        );
        metric(
            "prescale_forecast_requests",
            "gauge",
            "The forecast demand, requests per step, of the step the last decision is for.",
            decision.and_then(|(d, _)| d.forecast).map(|f| f.yhat),
        );
        metric(
            "prescale_decision_timestamp_seconds",
            "gauge",
            "Start of the step the last decision was made at, unix seconds.",
            decision.map(|(_, at)| at.timestamp() as f64),
        );
        metric(
            "prescale_stale",
            "gauge",
            "1 while the decision served is older than the current step (Prometheus down, refusing or behind), else 0.",
            Some(f64::from(u8::from(self.is_stale()))),
        );
        metric(
            "prescale_last_fit_timestamp_seconds",
            "gauge",
            "When the model was last fitted or refitted, unix seconds.",
            self.last_fit.map(|t| t.timestamp() as f64),
        );
        metric(
            "prescale_fit_duration_seconds",
            "gauge",
            "Wall time of the fit at the start.",
            self.last_fit.map(|_| self.fit_seconds),
        );
        metric(
            "prescale_fits_total",
            "counter",
            "Fits and refits of the model.",
            Some(self.fits as f64),
        );
        metric(
            "prescale_ticks_total",
            "counter",
            "Ticks taken, one a step.",
            Some(self.ticks as f64),
        );
        metric(
            "prescale_errors_total",
            "counter",
            "Ticks that could not decide: Prometheus unreachable, refusing, or without the step.",
            Some(self.errors as f64),
        );
        metric(
            "prescale_tick_duration_seconds",
            "gauge",
            "Wall time of the last tick: the read, the forecast and the decision.",
            Some(self.tick_seconds),
        );
        metric(
            "prescale_tick_cpu_seconds",
            "gauge",
            "CPU time (user and system) of the last tick.",
            Some(self.tick_cpu_seconds),
        );
        metric(
            "prescale_resident_memory_bytes",
            "gauge",
            "Resident memory of the process.",
            resident_bytes(),
        );
        out
    }
}

/// The process's CPU seconds so far (user and system), where `/proc` says.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and
    // 13th of them, in clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let field = |i: usize| -> f64 {
        rest.split_whitespace()
            .nth(i)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    (field(11) + field(12)) / 100.0
}

/// The process's resident memory, bytes, where `/proc` says.
fn resident_bytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Answers one request from `status`.
fn respond(request: tiny_http::Request, status: &Mutex<Status>) {
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let get = *request.method() == tiny_http::Method::Get;
    let s = status.lock().map(|s| s.clone()).unwrap_or_default();
    let (code, kind, body) = match (get, path.as_str()) {
        (true, "/desired") => match s.desired() {
            Some(json) => (200, "application/json", json),
            None => (
                503,
                "application/json",
                "{\"error\":\"no decision yet: fitting\"}\n".to_string(),
            ),
        },
        (true, "/metrics") => (200, "text/plain; version=0.0.4", s.metrics()),
        (true, "/healthz") if s.decision.is_some() => (200, "text/plain", "ok\n".to_string()),
        (true, "/healthz") => (503, "text/plain", "fitting\n".to_string()),
        _ => (
            404,
            "text/plain",
            "not found: GET /desired, /metrics or /healthz\n".to_string(),
        ),
    };
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], kind.as_bytes())
        .expect("a valid header");
    let _ = request.respond(
        tiny_http::Response::from_string(body)
            .with_status_code(code)
            .with_header(header),
    );
}

/// The live scaler: listens, fits on the history before `start`'s step, then ticks once
/// a step of its clock (the system's, or running on from `--clock`) until interrupted.
fn live(p: &ServePlan, auth: &Auth, start: DateTime<Utc>) -> Result<()> {
    // The clock runs from here: the history read and the fit take their time on it.
    let clock_from = Instant::now();
    let now =
        move || start + chrono::Duration::milliseconds(clock_from.elapsed().as_millis() as i64);
    let step_s = step_of(p);
    let status = Arc::new(Mutex::new(Status {
        policy: p.policy.name(),
        model: p.model.map(|m| m.name()),
        step_s,
        clock: Some((start, clock_from)),
        ..Status::default()
    }));
    let server =
        tiny_http::Server::http(&p.listen).map_err(|e| anyhow!("--listen {}: {e}", p.listen))?;
    let addr = server
        .server_addr()
        .to_ip()
        .map_or(p.listen.clone(), |a| a.to_string());
    let shared = Arc::clone(&status);
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            respond(request, &shared);
        }
    });
    eprintln!("serve: listening on http://{addr} (GET /desired, /metrics, /healthz)");

    let from = floor(start, step_s) - chrono::Duration::seconds(i64::from(p.history_s));
    let history = read(p, auth, from, floor(start, step_s))?;
    let step = p.settings.cluster.at_step(history.step_seconds);
    let d = step.delay_steps;
    // The first decision is made at the step after the last one read (the step `start`
    // begins, unless Prometheus is behind).
    let first = history.len();
    let first_at = history.timestamp(first);
    // The fit forecasts the d + 1 steps after the history (each from data seen by then),
    // the first decision's target the last of them.
    let mut padded = history.clone();
    padded.requests.resize(first + d + 1, 0.0);
    let fitting = Instant::now();
    let chosen = choose(
        p,
        &padded,
        Split {
            train_len: first,
            test_len: d + 1,
        },
    )?;
    let mut forecasts = chosen.fitted.map(|f| {
        let every = f.model.refit_every().steps(step_s);
        Forecasts::new(f.model, f.stretch, every, f.origin, first, f.forecast)
    });
    {
        let mut s = status.lock().expect("not poisoned");
        s.fits = 1;
        s.last_fit = Some(Utc::now());
        s.fit_seconds = fitting.elapsed().as_secs_f64();
    }
    let mut scaler = Scaler::new(chosen.policy, &step, first);
    let mut seen = history;
    let mut incident: Option<String> = None;
    let mut last_tick: Option<usize> = None;
    let mut refits = 0;
    loop {
        interrupt::check()?;
        let t = first
            + ((floor(now(), step_s) - first_at).num_seconds() / i64::from(step_s)).max(0) as usize;
        if last_tick.is_some_and(|l| l >= t) {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        let wall = Instant::now();
        let cpu = cpu_seconds();
        let at = first_at + steps(t - first, step_s);
        let outcome = tick(p, auth, &mut seen, t, &mut scaler, forecasts.as_mut(), d);
        // The replicas running, read before the status is locked (the endpoints answer
        // while Prometheus is slow).
        let shadow = match (&outcome, &p.actual_query) {
            (Ok(_), Some(q)) => match remote::instant(&p.url, q, at, auth) {
                Ok(Some(running)) => format!(", running {running}"),
                Ok(None) => ", running unknown (no series)".to_string(),
                Err(e) => format!(", running unknown ({e})"),
            },
            _ => String::new(),
        };
        let mut s = status.lock().expect("not poisoned");
        s.ticks += 1;
        match outcome {
            Ok(decision) => {
                if let Some(was) = incident.take() {
                    eprintln!(
                        "serve: deciding again at {} (stale since: {was})",
                        format_timestamp(at)
                    );
                }
                s.decision = Some((decision, at, at + steps(d, step_s)));
                if let Some(f) = &forecasts {
                    if f.refits() > refits {
                        refits = f.refits();
                        s.fits += 1;
                        s.last_fit = Some(Utc::now());
                    }
                }
                let forecast = decision
                    .forecast
                    .map_or(String::new(), |f| format!(", forecast {:.1}", f.yhat));
                eprintln!(
                    "serve: {} desired {} for {}{forecast}{shadow}",
                    format_timestamp(at),
                    decision.replicas,
                    format_timestamp(at + steps(d, step_s))
                );
            }
            Err(why) => {
                s.errors += 1;
                if incident.is_none() {
                    let serving = match s.decision {
                        Some((d, made, _)) => format!(
                            "serving the decision made at {} ({} replicas), marked stale",
                            format_timestamp(made),
                            d.replicas
                        ),
                        None => "no decision to serve yet".to_string(),
                    };
                    eprintln!(
                        "serve: {} cannot decide: {}; {serving}, until it can",
                        format_timestamp(at),
                        crate::trace::excerpt(&format!("{why:#}"), 240)
                    );
                    incident = Some(format_timestamp(at));
                }
            }
        }
        s.tick_seconds = wall.elapsed().as_secs_f64();
        s.tick_cpu_seconds = cpu_seconds() - cpu;
        drop(s);
        last_tick = Some(t);
    }
}

/// Steps read again before the ones a tick lacks.
const OVERLAP: usize = 5;

/// One tick at step `t`: reads the steps `seen` lacks up to `t` (excluded), then
/// decides. An error where Prometheus cannot say the demand of every step before `t`.
fn tick(
    p: &ServePlan,
    auth: &Auth,
    seen: &mut Trace,
    t: usize,
    scaler: &mut Scaler,
    forecasts: Option<&mut Forecasts>,
    d: usize,
) -> Result<Decision> {
    if seen.len() < t {
        // From a few steps back: the import tells a series' step from two samples or
        // more, and a gap's ends are interpolated only between samples it has.
        let from = seen.timestamp(seen.len());
        let to = seen.timestamp(t);
        let new = read(
            p,
            auth,
            seen.timestamp(seen.len().saturating_sub(OVERLAP)),
            to,
        )?;
        let skip = (from - new.start).num_seconds() / i64::from(seen.step_seconds);
        if skip < 0 {
            bail!(
                "Prometheus has no value for {} (its first is at {})",
                format_timestamp(from),
                format_timestamp(new.start)
            );
        }
        seen.requests
            .extend(new.requests.iter().skip(skip as usize).copied());
        seen.requests.truncate(t);
    }
    if seen.len() < t {
        bail!(
            "Prometheus has no value for {} yet",
            format_timestamp(seen.timestamp(seen.len()))
        );
    }
    let forecast = match forecasts {
        Some(f) => Some(f.at(seen, t + d)?),
        None => None,
    };
    Ok(scaler.tick(&seen.requests[..t], forecast)?)
}
