//! Prophet's MAP fit without Stan: the model's negative log density, as Stan's optimizer
//! sees it, with its analytic gradient, minimized by a port of Stan's L-BFGS.
//!
//! The objective is `-log p(θ | y)` with constants dropped (Stan's `propto`) and without
//! the Jacobian of the `sigma_obs > 0` transform (Stan's optimizer default), in Stan's
//! unconstrained coordinates θ = (k, m, δ₁…δ_S, log σ, β₁…β_K):
//!
//! ```text
//! f(θ) = k²/50 + m²/50 + Σ|δ_j|/τ + 2σ² + Σ β_j²/(2 s_j²) + T·log σ + Σ r_i²/(2σ²)
//! r_i  = y_i − trend_i − Σ_j X_ij β_j
//! ```
//!
//! for Prophet's priors k, m ~ N(0, 5), δ ~ Laplace(0, τ), σ ~ N⁺(0, 0.5), β ~ N(0, s)
//! and its Gaussian likelihood, with a linear (or flat) trend and additive features. The
//! gradient's changepoint terms are suffix sums over the sorted times: one pass over the
//! rows per evaluation, O(T·K + T + S).
//!
//! The minimizer follows Stan's `BFGSMinimizer` with `LBFGSUpdate` (history 5) and
//! `WolfeLineSearch` (strong Wolfe, c1 1e-4, c2 0.9, cubic-interpolation zoom, first
//! step 1e-3), and its five convergence tests with CmdStan's default tolerances
//! (`stan/optimization/bfgs.hpp`, `bfgs_linesearch.hpp`, `lbfgs_update.hpp`).

use std::collections::VecDeque;
use std::ops::Range;

use augurs_prophet::optimizer::{
    Data, InitialParams, OptimizeOpts, OptimizedParams, TrendIndicator,
};
use augurs_prophet::{Optimizer, PositiveFloat};

/// Prophet's model for one data set: the parts of `Data` the objective reads.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    y: Vec<f64>,
    t: Vec<f64>,
    /// Row-major, T × K.
    x: Vec<f64>,
    /// The same, column-major (K × T), for X·β row-parallel.
    x_cols: Vec<f64>,
    k: usize,
    t_change: Vec<f64>,
    /// Index of the first row at or after each changepoint.
    first_row: Vec<usize>,
    inv_var_beta: Vec<f64>,
    tau: f64,
    flat: bool,
}

/// Why the native optimizer cannot fit a model.
fn unsupported(what: &str) -> augurs_prophet::optimizer::Error {
    augurs_prophet::optimizer::Error::string(format!(
        "the native Prophet optimizer does not support {what} yet"
    ))
}

impl Model {
    /// The model of `data`; logistic trends and multiplicative features are refused.
    pub(crate) fn new(data: &Data) -> Result<Self, augurs_prophet::optimizer::Error> {
        let flat = match data.trend_indicator {
            TrendIndicator::Linear => false,
            TrendIndicator::Flat => true,
            TrendIndicator::Logistic => return Err(unsupported("a logistic trend")),
        };
        if data.s_m.iter().any(|&m| m != 0) {
            return Err(unsupported("multiplicative seasonality"));
        }
        let k = data.K as usize;
        if k == 0 {
            // Prophet always has a column (an all-zero one without seasonality).
            return Err(augurs_prophet::optimizer::Error::static_str(
                "the model has no feature columns",
            ));
        }
        let t = data.t.clone();
        if t.windows(2).any(|w| w[1] < w[0]) {
            return Err(augurs_prophet::optimizer::Error::static_str(
                "times must be sorted",
            ));
        }
        // Additive features only: X_sa = X where s_a is 1 (all of them here).
        let x: Vec<f64> = (0..t.len())
            .flat_map(|i| (0..k).map(move |j| (i, j)))
            .map(|(i, j)| data.X[i * k + j] * f64::from(data.s_a[j]))
            .collect();
        let sigmas: Vec<f64> = data.sigmas.iter().map(|s| **s).collect();
        let model = Self::from_parts(
            data.y.clone(),
            t,
            x,
            k,
            data.t_change.clone(),
            &sigmas,
            *data.tau,
        );
        Ok(Self { flat, ..model })
    }

    /// The linear-trend model of data already in Prophet's scaled units (row-major `x`,
    /// T × `k`, `k` at least 1), with a prior scale per feature and changepoint scale `tau`.
    pub(crate) fn from_parts(
        y: Vec<f64>,
        t: Vec<f64>,
        x: Vec<f64>,
        k: usize,
        t_change: Vec<f64>,
        prior_scales: &[f64],
        tau: f64,
    ) -> Self {
        assert!(
            k > 0 && x.len() == k * t.len(),
            "x must be T × k with k ≥ 1"
        );
        let first_row = t_change
            .iter()
            .map(|&c| t.partition_point(|&ti| ti < c))
            .collect();
        let x_cols = (0..k)
            .flat_map(|j| x.iter().skip(j).step_by(k).copied())
            .collect();
        Self {
            y,
            t,
            x,
            x_cols,
            k,
            t_change,
            first_row,
            inv_var_beta: prior_scales.iter().map(|s| 1.0 / (s * s)).collect(),
            tau,
            flat: false,
        }
    }

    /// How far σ² at `theta` is from the σ² that solves its own stationarity condition
    /// (4σ² + T = RSS/σ², so σ² = (−T + √(T² + 16·RSS))/8), relative to the latter.
    pub(crate) fn sigma_stationarity(&self, theta: &[f64]) -> f64 {
        let s = self.t_change.len();
        let rss: f64 = self.residuals(theta).iter().map(|r| r * r).sum();
        let n = self.y.len() as f64;
        let stationary = (-n + (n * n + 16.0 * rss).sqrt()) / 8.0;
        ((2.0 * theta[2 + s]).exp() - stationary).abs() / stationary
    }

    /// Number of unconstrained parameters: k, m, δ, log σ, β.
    pub(crate) fn dim(&self) -> usize {
        3 + self.t_change.len() + self.k
    }

    /// The trend's linear pieces for (k, m, δ): each run of rows between changepoints with
    /// its rate and offset (one piece of rate 0 for a flat trend).
    fn segments(&self, k: f64, m: f64, delta: &[f64]) -> Vec<(Range<usize>, f64, f64)> {
        let n = self.t.len();
        if self.flat {
            return vec![(0..n, 0.0, m)];
        }
        let (mut rate, mut offset, mut from) = (k, m, 0);
        let mut out = Vec::with_capacity(delta.len() + 1);
        for (j, &first_row) in self.first_row.iter().chain([&n]).enumerate() {
            let to = first_row.max(from);
            out.push((from..to, rate, offset));
            if let Some(&d) = delta.get(j) {
                rate += d;
                offset -= self.t_change[j] * d;
            }
            from = to;
        }
        out
    }

    /// The trend at every row for (k, m, δ).
    fn trend(&self, k: f64, m: f64, delta: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.t.len());
        for (rows, rate, offset) in self.segments(k, m, delta) {
            out.extend(self.t[rows].iter().map(|&ti| rate * ti + offset));
        }
        out
    }

    /// The residuals y − μ at `theta`: X·β column by column (each row's sum in the order
    /// of a row-wise dot product, so the same bits, but independent across rows, so it
    /// vectorizes), then the trend piece by piece.
    fn residuals(&self, theta: &[f64]) -> Vec<f64> {
        let s = self.t_change.len();
        let n = self.t.len();
        let mut r = vec![0.0; n];
        for (col, b) in self.x_cols.chunks_exact(n.max(1)).zip(&theta[3 + s..]) {
            for (v, x) in r.iter_mut().zip(col) {
                *v += x * b;
            }
        }
        for (rows, rate, offset) in self.segments(theta[0], theta[1], &theta[2..2 + s]) {
            let (t, y) = (&self.t[rows.clone()], &self.y[rows.clone()]);
            for ((v, &ti), &yi) in r[rows].iter_mut().zip(t).zip(y) {
                let trend = rate * ti + offset;
                *v = yi - (trend + *v);
            }
        }
        r
    }

    /// The objective at `theta` and its gradient (into `grad`): the residuals, one pass
    /// forward for the RSS and β's gradient, one backward for the trend's.
    pub(crate) fn eval(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let s = self.t_change.len();
        let (k, m) = (theta[0], theta[1]);
        let delta = &theta[2..2 + s];
        let log_sigma = theta[2 + s];
        let beta = &theta[3 + s..];
        let sigma = log_sigma.exp();
        let inv_var = 1.0 / (sigma * sigma);
        let n = self.t.len();
        grad.iter_mut().for_each(|v| *v = 0.0);
        // g_i = ∂f/∂μ_i = −r_i/σ², with the RSS and Xᵀg row by row.
        let mut g = self.residuals(theta);
        let mut rss = 0.0;
        for (gi, row) in g.iter_mut().zip(self.x.chunks_exact(self.k)) {
            let r = *gi;
            rss += r * r;
            *gi = -r * inv_var;
            for (gb, x) in grad[3 + s..].iter_mut().zip(row) {
                *gb += *gi * x;
            }
        }
        let f = (k * k + m * m) / 50.0
            + delta.iter().map(|d| d.abs()).sum::<f64>() / self.tau
            + 2.0 * sigma * sigma
            + beta
                .iter()
                .zip(&self.inv_var_beta)
                .map(|(b, iv)| 0.5 * b * b * iv)
                .sum::<f64>()
            + n as f64 * log_sigma
            + 0.5 * rss * inv_var;
        // Trend gradients: ∂trend_i/∂k = t_i (linear), ∂/∂m = 1, ∂/∂δ_j = (t_i − c_j) for
        // rows at or after c_j: suffix sums of g and g·t, accumulated backwards once and
        // read at each changepoint's first row (changepoints are sorted).
        let (mut sum_g, mut sum_gt) = (0.0, 0.0);
        let mut j = s;
        for i in (0..n).rev() {
            while j > 0 && self.first_row[j - 1] > i {
                j -= 1;
                grad[2 + j] = if self.flat {
                    0.0
                } else {
                    sum_gt - self.t_change[j] * sum_g
                };
            }
            sum_g += g[i];
            sum_gt += g[i] * self.t[i];
        }
        while j > 0 {
            j -= 1;
            grad[2 + j] = if self.flat {
                0.0
            } else {
                sum_gt - self.t_change[j] * sum_g
            };
        }
        grad[0] = if self.flat { 0.0 } else { sum_gt } + k / 25.0;
        grad[1] = sum_g + m / 25.0;
        for (gd, d) in grad[2..2 + s].iter_mut().zip(delta) {
            // Stan's double_exponential has derivative sign(δ)/τ, 0 at δ = 0.
            let sign = if *d > 0.0 {
                1.0
            } else if *d < 0.0 {
                -1.0
            } else {
                0.0
            };
            *gd += sign / self.tau;
        }
        // ∂f/∂log σ = σ·∂f/∂σ = 4σ² + T − RSS/σ².
        grad[2 + s] = 4.0 * sigma * sigma + n as f64 - rss * inv_var;
        for (gb, (b, iv)) in grad[3 + s..]
            .iter_mut()
            .zip(beta.iter().zip(&self.inv_var_beta))
        {
            *gb += b * iv;
        }
        f
    }
}

/// Stan's `CubicInterp` (four-argument form): the minimizer on `[lo, hi]` of the cubic
/// through (0, 0) and (x1, f1) with slopes df0 and df1.
fn cubic_interp(df0: f64, x1: f64, f1: f64, df1: f64, lo: f64, hi: f64) -> f64 {
    let c3 = (-12.0 * f1 + 6.0 * x1 * (df0 + df1)) / (x1 * x1 * x1);
    let c2 = -(4.0 * df0 + 2.0 * df1) / x1 + 6.0 * f1 / (x1 * x1);
    let c1 = df0;
    let t_s = (c2 * c2 - 2.0 * c1 * c3).sqrt();
    let s1 = -(c2 + t_s) / c3;
    let s2 = -(c2 - t_s) / c3;
    let value = |x: f64| x * (x * (x * c3 / 3.0 + c2) / 2.0 + c1);
    let (mut min_f, mut min_x) = (value(lo), lo);
    if value(hi) < min_f {
        min_f = value(hi);
        min_x = hi;
    }
    for s in [s1, s2] {
        if lo < s && s < hi && value(s) < min_f {
            min_f = value(s);
            min_x = s;
        }
    }
    min_x
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A point with its objective and gradient.
#[derive(Debug, Clone)]
struct Point {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
}

/// The objective as the line search calls it: `None` where it is not finite.
fn evaluate(model: &Model, x: Vec<f64>) -> Option<Point> {
    let mut g = vec![0.0; x.len()];
    let f = model.eval(&x, &mut g);
    (f.is_finite() && g.iter().all(|v| v.is_finite())).then_some(Point { x, f, g })
}

fn along(x0: &[f64], alpha: f64, p: &[f64]) -> Vec<f64> {
    x0.iter().zip(p).map(|(x, d)| x + alpha * d).collect()
}

/// Stan's `WolfLSZoom`.
#[allow(clippy::too_many_arguments)]
fn zoom(
    model: &Model,
    start: &Point,
    p: &[f64],
    c1dfp: f64,
    c2dfp: f64,
    (mut alo, mut alo_f, mut alo_dfp): (f64, f64, f64),
    (mut ahi, mut ahi_f, mut ahi_dfp): (f64, f64, f64),
) -> Option<(f64, Point)> {
    const MIN_RANGE: f64 = 1e-16;
    let mut it = 0;
    loop {
        it += 1;
        if (alo - ahi).abs() < MIN_RANGE || next_after(alo, ahi) == ahi {
            return None;
        }
        let mut alpha = if it % 5 == 0 {
            0.5 * (alo + ahi)
        } else {
            let d1 = alo_dfp + ahi_dfp - 3.0 * (alo_f - ahi_f) / (alo - ahi);
            let mut d2 = (d1 * d1 - alo_dfp * ahi_dfp).sqrt();
            if ahi < alo {
                d2 = -d2;
            }
            let a = ahi - (ahi - alo) * (ahi_dfp + d2 - d1) / (ahi_dfp - alo_dfp + 2.0 * d2);
            let spread = 0.01 * (alo - ahi).abs();
            if !a.is_finite() || a < alo.min(ahi) + spread || a > alo.max(ahi) - spread {
                0.5 * (alo + ahi)
            } else {
                a
            }
        };
        let new = loop {
            if let Some(pt) = evaluate(model, along(&start.x, alpha, p)) {
                break pt;
            }
            let prev = alpha;
            alpha = 0.5 * (alpha + alo.min(ahi));
            if (alo.min(ahi) - alpha).abs() < MIN_RANGE || alpha == prev {
                return None;
            }
        };
        let new_dfp = dot(&new.g, p);
        if new.f > start.f + alpha * c1dfp || new.f >= alo_f {
            (ahi, ahi_f, ahi_dfp) = (alpha, new.f, new_dfp);
        } else {
            if new_dfp.abs() <= -c2dfp {
                return Some((alpha, new));
            }
            if new_dfp * (ahi - alo) >= 0.0 {
                (ahi, ahi_f, ahi_dfp) = (alo, alo_f, alo_dfp);
            }
            (alo, alo_f, alo_dfp) = (alpha, new.f, new_dfp);
        }
    }
}

/// The next double after `x` towards `to`.
fn next_after(x: f64, to: f64) -> f64 {
    if x == to || x.is_nan() || to.is_nan() {
        return to;
    }
    let bits = x.to_bits();
    let up = to > x;
    let next = if x == 0.0 {
        if up {
            1
        } else {
            (1u64 << 63) | 1
        }
    } else if (x > 0.0) == up {
        bits + 1
    } else {
        bits - 1
    };
    f64::from_bits(next)
}

/// Stan's `WolfeLineSearch` from `start` along `p`, first trying `alpha`.
fn line_search(model: &Model, start: &Point, p: &[f64], alpha: f64) -> Option<(f64, Point)> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    const MIN_ALPHA: f64 = 1e-12;
    const MAX_ITS: usize = 20;
    const MAX_RESTARTS: usize = 10;
    let dfp = dot(&start.g, p);
    let (c1dfp, c2dfp) = (C1 * dfp, C2 * dfp);
    let (mut alpha0, mut alpha1) = (MIN_ALPHA, alpha);
    let (mut prev_f, mut prev_dfp) = (start.f, dfp);
    let (mut nits, mut restarts) = (0, 0);
    loop {
        if nits >= MAX_ITS {
            return None;
        }
        let Some(new) = evaluate(model, along(&start.x, alpha1, p)) else {
            if restarts >= MAX_RESTARTS {
                return None;
            }
            alpha1 = 0.5 * (alpha0 + alpha1);
            restarts += 1;
            continue;
        };
        restarts = 0;
        let new_dfp = dot(&new.g, p);
        // Stan tests sufficient decrease against the first trial step `alpha` here.
        if new.f > start.f + alpha * c1dfp || (new.f >= prev_f && nits > 0) {
            return zoom(
                model,
                start,
                p,
                c1dfp,
                c2dfp,
                (alpha0, prev_f, prev_dfp),
                (alpha1, new.f, new_dfp),
            );
        }
        if new_dfp.abs() <= -c2dfp {
            return Some((alpha1, new));
        }
        if new_dfp >= 0.0 {
            return zoom(
                model,
                start,
                p,
                c1dfp,
                c2dfp,
                (alpha1, new.f, new_dfp),
                (alpha0, prev_f, prev_dfp),
            );
        }
        alpha0 = alpha1;
        prev_f = new.f;
        prev_dfp = new_dfp;
        alpha1 *= 10.0;
        nits += 1;
    }
}

/// Stan's `LBFGSUpdate`: the last `history` (1/sᵀy, y, s) triples.
struct Lbfgs {
    history: usize,
    buf: VecDeque<(f64, Vec<f64>, Vec<f64>)>,
    gamma: f64,
}

impl Lbfgs {
    fn update(&mut self, y: &[f64], s: &[f64], reset: bool) -> f64 {
        let sy = dot(y, s);
        let yy = dot(y, y);
        let b0 = if reset {
            self.buf.clear();
            yy / sy
        } else {
            1.0
        };
        self.gamma = sy / yy;
        if self.buf.len() == self.history {
            self.buf.pop_front();
        }
        self.buf.push_back((1.0 / sy, y.to_vec(), s.to_vec()));
        b0
    }

    fn direction(&self, g: &[f64]) -> Vec<f64> {
        let mut p: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut alphas = vec![0.0; self.buf.len()];
        for (k, (rho, y, s)) in self.buf.iter().enumerate().rev() {
            let a = rho * dot(s, &p);
            p.iter_mut().zip(y).for_each(|(pi, yi)| *pi -= a * yi);
            alphas[k] = a;
        }
        p.iter_mut().for_each(|pi| *pi *= self.gamma);
        for (k, (rho, y, s)) in self.buf.iter().enumerate() {
            let b = rho * dot(y, &p);
            p.iter_mut()
                .zip(s)
                .for_each(|(pi, si)| *pi += (alphas[k] - b) * si);
        }
        p
    }
}

/// How a minimization ended (Stan's termination codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Termination {
    /// Absolute change of the objective below `tol_obj`.
    AbsF,
    /// Relative change of the objective below `tol_rel_obj · ε`.
    RelF,
    /// Gradient norm below `tol_grad`.
    AbsGrad,
    /// Relative gradient magnitude below `tol_rel_grad · ε`.
    RelGrad,
    /// Parameter change below `tol_param`.
    AbsX,
    /// Iteration cap reached.
    MaxIt,
    /// The line search found no sufficient decrease, even after a reset.
    LineSearch,
}

/// The tolerances, CmdStan's defaults where `opts` leaves them unset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tolerances {
    tol_obj: f64,
    tol_rel_obj: f64,
    tol_grad: f64,
    tol_rel_grad: f64,
    tol_param: f64,
    history: usize,
    init_alpha: f64,
    max_iters: usize,
}

impl Tolerances {
    /// From augurs' options; the iteration cap is Python Prophet's 10,000.
    pub(crate) fn of(opts: &OptimizeOpts) -> Self {
        Self {
            tol_obj: opts.tol_obj.unwrap_or(1e-12),
            tol_rel_obj: opts.tol_rel_obj.unwrap_or(1e4),
            tol_grad: opts.tol_grad.unwrap_or(1e-8),
            tol_rel_grad: opts.tol_rel_grad.unwrap_or(1e7),
            tol_param: opts.tol_param.unwrap_or(1e-8),
            history: opts.history_size.unwrap_or(5).max(1) as usize,
            init_alpha: opts.init_alpha.unwrap_or(1e-3),
            max_iters: opts.iter.unwrap_or(10_000) as usize,
        }
    }
}

/// Minimizes `model` from `x0` as Stan's L-BFGS does; returns the point, how it ended and
/// the iterations used.
pub(crate) fn minimize(
    model: &Model,
    x0: Vec<f64>,
    tol: &Tolerances,
) -> Result<(Vec<f64>, Termination, usize), augurs_prophet::optimizer::Error> {
    let eps = f64::EPSILON;
    let mut cur = evaluate(model, x0).ok_or_else(|| {
        augurs_prophet::optimizer::Error::static_str("the initial point has a non-finite objective")
    })?;
    let mut qn = Lbfgs {
        history: tol.history,
        buf: VecDeque::new(),
        gamma: 1.0,
    };
    let mut p: Vec<f64> = cur.g.iter().map(|v| -v).collect();
    // The previous step's direction, objective, gradient and step size, for the cubic
    // guess of the next step.
    let mut prev: Option<(Vec<f64>, f64, Vec<f64>, f64)> = None;
    let mut it = 0;
    loop {
        it += 1;
        let mut reset = it == 1;
        let (alpha, next) = loop {
            if reset {
                p = cur.g.iter().map(|v| -v).collect();
            }
            let alpha0 = match (&prev, reset) {
                (Some((p_1, f_1, g_1, a_1)), false) => (1.01
                    * cubic_interp(
                        dot(g_1, p_1),
                        *a_1,
                        cur.f - f_1,
                        dot(&cur.g, p_1),
                        1e-12,
                        1.0,
                    ))
                .min(1.0),
                _ => tol.init_alpha,
            };
            match line_search(model, &cur, &p, alpha0) {
                Some(found) => break found,
                None if reset => return Ok((cur.x, Termination::LineSearch, it)),
                None => reset = true,
            }
        };
        let s: Vec<f64> = next.x.iter().zip(&cur.x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next.g.iter().zip(&cur.g).map(|(a, b)| a - b).collect();
        let grad_norm = dot(&next.g, &next.g).sqrt();
        let step_norm = dot(&s, &s).sqrt();
        let (f_prev, g_prev) = (cur.f, cur.g.clone());
        let (p_prev, alpha_prev) = if reset {
            let b0 = qn.update(&y, &s, true);
            (p.iter().map(|v| v / b0).collect::<Vec<_>>(), alpha * b0)
        } else {
            qn.update(&y, &s, false);
            (p.clone(), alpha)
        };
        cur = next;
        p = qn.direction(&cur.g);
        prev = Some((p_prev, f_prev, g_prev, alpha_prev));
        let scale = cur.f.abs().max(1.0);
        let rel_obj = (f_prev - cur.f).abs() / f_prev.abs().max(scale);
        let rel_grad = -dot(&p, &cur.g) / scale;
        let ended = if (f_prev - cur.f).abs() < tol.tol_obj {
            Some(Termination::AbsF)
        } else if grad_norm < tol.tol_grad {
            Some(Termination::AbsGrad)
        } else if step_norm < tol.tol_param {
            Some(Termination::AbsX)
        } else if it >= tol.max_iters {
            Some(Termination::MaxIt)
        } else if rel_obj < tol.tol_rel_obj * eps {
            Some(Termination::RelF)
        } else if rel_grad < tol.tol_rel_grad * eps {
            Some(Termination::RelGrad)
        } else {
            None
        };
        if let Some(t) = ended {
            return Ok((cur.x, t, it));
        }
    }
}

/// The native optimizer, for augurs' `Prophet`: it reports the iterations of its last fit.
#[derive(Debug, Default)]
pub(crate) struct NativeOptimizer {
    /// Iterations, termination and final objective of the last fit, shared with whoever
    /// built it.
    pub(crate) last: std::sync::Arc<std::sync::Mutex<Option<(usize, Termination, f64)>>>,
}

impl Optimizer for NativeOptimizer {
    fn optimize(
        &self,
        init: &InitialParams,
        data: &Data,
        opts: &OptimizeOpts,
    ) -> Result<OptimizedParams, augurs_prophet::optimizer::Error> {
        let model = Model::new(data)?;
        let s = model.t_change.len();
        let mut x0 = Vec::with_capacity(model.dim());
        x0.push(init.k);
        x0.push(init.m);
        x0.extend(init.delta.iter().take(s).copied());
        x0.resize(2 + s, 0.0);
        x0.push(init.sigma_obs.ln());
        x0.extend(init.beta.iter().copied());
        x0.resize(model.dim(), 0.0);
        let (x, end, iters) = minimize(&model, x0, &Tolerances::of(opts))?;
        let mut g = vec![0.0; x.len()];
        let objective = model.eval(&x, &mut g);
        *self.last.lock().expect("not poisoned") = Some((iters, end, objective));
        let (k, m) = (x[0], x[1]);
        let delta = x[2..2 + s].to_vec();
        let sigma = x[2 + s].exp();
        Ok(OptimizedParams {
            k,
            m,
            delta: delta.clone(),
            beta: x[3 + s..].to_vec(),
            sigma_obs: PositiveFloat::try_new(sigma).map_err(|_| {
                augurs_prophet::optimizer::Error::static_str("sigma_obs is not positive")
            })?,
            trend: model.trend(k, m, &delta),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// A small linear-trend model with two features and three changepoints, changepoint
    /// prior scale `tau`.
    fn model_with(tau: f64) -> Model {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let n = 60;
        let t: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
        let x: Vec<f64> = t
            .iter()
            .flat_map(|&ti| [(6.0 * ti).sin(), (6.0 * ti).cos()])
            .collect();
        let y: Vec<f64> = t
            .iter()
            .enumerate()
            .map(|(i, &ti)| 0.3 + 0.5 * ti + 0.1 * x[2 * i] + rng.random_range(-0.05..0.05))
            .collect();
        // Prior scale 10 for both features, as Prophet's default.
        Model::from_parts(y, t, x, 2, vec![0.2, 0.5, 0.8], &[10.0, 10.0], tau)
    }

    fn model() -> Model {
        model_with(0.05)
    }

    #[test]
    fn the_gradient_matches_central_differences() {
        // The linear trend and the flat one (where k and δ meet only their priors).
        for m in [
            model(),
            Model {
                flat: true,
                ..model()
            },
        ] {
            gradient_matches(&m);
        }
    }

    fn gradient_matches(m: &Model) {
        // Away from δ = 0, where |δ| has its kink.
        let theta = [0.4, 0.25, 0.03, -0.02, 0.05, (0.07f64).ln(), 0.08, -0.01];
        let mut g = vec![0.0; m.dim()];
        m.eval(&theta, &mut g);
        for i in 0..m.dim() {
            let h = 1e-6;
            let (mut up, mut down) = (theta.to_vec(), theta.to_vec());
            up[i] += h;
            down[i] -= h;
            let mut scratch = vec![0.0; m.dim()];
            let fd = (m.eval(&up, &mut scratch) - m.eval(&down, &mut scratch)) / (2.0 * h);
            assert!(
                (fd - g[i]).abs() <= 1e-5 * fd.abs().max(1.0),
                "parameter {i} (flat trend: {}): analytic {} vs central difference {fd}",
                m.flat,
                g[i]
            );
        }
    }

    #[test]
    fn minimizes_to_a_stationary_sigma_and_reruns_bit_for_bit() {
        // A weak changepoint prior keeps the optimum off the |δ| kinks, where Stan's
        // L-BFGS (and this port) can stop early; Prophet's own τ = 0.05 is checked on real
        // data against Python Prophet in tests/prophet_reference.rs.
        let m = model_with(10.0);
        let x0 = vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let tol = Tolerances::of(&OptimizeOpts::default());
        let (x, end, iters) = minimize(&m, x0.clone(), &tol).unwrap();
        // With τ = 0.05 the optimum sits on |δ| kinks, where Stan's L-BFGS too ends when
        // no step along the gradient decreases the objective; any end but the cap will do.
        assert_ne!(end, Termination::MaxIt);
        assert!(iters > 5, "{iters}");
        // σ at the end nearly solves its own stationarity condition: Stan's relative-gradient
        // stop (tol_rel_grad 1e7·ε) leaves it 6e-4 off here.
        let mut g = vec![0.0; m.dim()];
        let f_opt = m.eval(&x, &mut g);
        let off = m.sigma_stationarity(&x);
        assert!(
            off < 1e-3,
            "σ² off its stationary value by {off} (ended {end:?} after {iters})"
        );
        // No point nearby is lower by more than what that stop leaves (≈ ½·f''·Δ²).
        let mut scratch = vec![0.0; m.dim()];
        for i in 0..m.dim() {
            for h in [1e-4, -1e-4] {
                let mut y = x.clone();
                y[i] += h;
                assert!(
                    m.eval(&y, &mut scratch) >= f_opt - 1e-5,
                    "parameter {i}, step {h}"
                );
            }
        }
        let (again, _, _) = minimize(&m, x0, &tol).unwrap();
        assert_eq!(x, again);
    }

    #[test]
    fn cubic_interpolation_finds_a_parabolas_minimum() {
        // g(x) = x³ − 3x on [0, 3]: g'(0) = −3; at x1 = 2, g = 2, g' = 9; minimum at 1.
        assert!((cubic_interp(-3.0, 2.0, 2.0, 9.0, 0.0, 3.0) - 1.0).abs() < 1e-12);
    }
}
