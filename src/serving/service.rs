//! The service time of one request on one slot: lognormal with a given mean and
//! coefficient of variation (constant at CV 0), as both queue models use it.

/// A lognormal service time, stated by its mean and CV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceTime {
    /// Mean, seconds.
    pub mean_s: f64,
    /// Coefficient of variation (standard deviation over mean).
    pub cv: f64,
    /// Location of `ln S`.
    mu: f64,
    /// Scale of `ln S` (0: constant).
    sigma: f64,
}

impl ServiceTime {
    /// The lognormal with mean `mean_s` and CV `cv`: `σ² = ln(1 + cv²)`,
    /// `μ = ln mean − σ² / 2`.
    pub fn new(mean_s: f64, cv: f64) -> Self {
        let var = (1.0 + cv * cv).ln();
        Self {
            mean_s,
            cv,
            mu: mean_s.ln() - var / 2.0,
            sigma: var.sqrt(),
        }
    }

    /// `P(S ≤ x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        if self.sigma == 0.0 {
            return f64::from(u8::from(x >= self.mean_s));
        }
        normal_cdf((x.ln() - self.mu) / self.sigma)
    }

    /// The `p`-quantile: the smallest `x` with `P(S ≤ x) ≥ p` (infinite at 1 unless the
    /// service time is constant).
    pub fn quantile(&self, p: f64) -> f64 {
        if self.sigma == 0.0 {
            return self.mean_s;
        }
        if p >= 1.0 {
            return f64::INFINITY;
        }
        (self.mu + self.sigma * normal_quantile(p)).exp()
    }

    /// `n` equiprobable points of the distribution (the quantiles at `(i + ½) / n`), for
    /// integrals over the service time by the midpoint rule.
    pub fn points(&self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| (self.mu + self.sigma * normal_quantile((i as f64 + 0.5) / n as f64)).exp())
            .collect()
    }

    /// `ln S = mu + sigma · z` for a standard normal `z`: the sampler's parameters.
    pub(crate) fn log_params(&self) -> (f64, f64) {
        (self.mu, self.sigma)
    }
}

/// The standard normal CDF, `Φ(z) = erfc(−z / √2) / 2`.
pub(crate) fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The complementary error function, by the Chebyshev fit of Numerical Recipes
/// (`erfcc`, fractional error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The standard normal quantile, by Acklam's rational approximation (relative error
/// below 1.2e-9), for `p` in (0, 1).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let low = 0.024_25;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < low {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - low {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_and_quantile_against_tables() {
        // Standard normal table values (Abramowitz & Stegun, Table 26.1).
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_746).abs() < 2e-7);
        assert!((normal_cdf(-1.959_963_985) - 0.025).abs() < 2e-7);
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-8);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-8);
        for p in [0.01, 0.2, 0.5, 0.7, 0.99] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-6, "{p}");
        }
    }

    #[test]
    fn the_quantile_inverts_the_cdf() {
        // The median of a lognormal is e^μ = mean / √(1 + cv²): 1.2 / √2 s at CV 1.
        let s = ServiceTime::new(1.2, 1.0);
        assert!((s.quantile(0.5) - 1.2 / 2f64.sqrt()).abs() < 1e-9);
        for x in [0.3, 1.0, 3.0, 9.0] {
            assert!((s.quantile(s.cdf(x)) - x).abs() < 1e-6 * x, "{x}");
        }
        assert_eq!(s.quantile(1.0), f64::INFINITY);
        assert_eq!(ServiceTime::new(1.2, 0.0).quantile(1.0), 1.2);
    }

    #[test]
    fn the_lognormal_has_the_mean_and_cv_asked_for() {
        let s = ServiceTime::new(1.2, 1.0);
        let pts = s.points(20_000);
        let mean = pts.iter().sum::<f64>() / pts.len() as f64;
        let sd = (pts.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / pts.len() as f64).sqrt();
        assert!((mean - 1.2).abs() < 0.01, "{mean}");
        assert!((sd / mean - 1.0).abs() < 0.03, "{}", sd / mean);
        // The median of a lognormal is exp(μ) = mean / sqrt(1 + cv²).
        assert!((s.cdf(1.2 / 2f64.sqrt()) - 0.5).abs() < 1e-6);
        let constant = ServiceTime::new(2.0, 0.0);
        assert_eq!((constant.cdf(1.999), constant.cdf(2.0)), (0.0, 1.0));
        assert!(constant.points(4).iter().all(|&x| (x - 2.0).abs() < 1e-12));
    }
}
