//! A latency distribution on fixed geometric bins: what both queue models fill, one
//! request at a time or as a distribution's mass, and where the percentiles are read.

use std::sync::OnceLock;

/// The lowest bin edge above 0, seconds.
const LOW_S: f64 = 1e-3;
/// Bins per decade: neighbouring edges 5.9 % apart.
const PER_DECADE: f64 = 40.0;
/// Bins above [`LOW_S`]: seven decades, to 10,000 s; the last takes everything above.
const BINS: usize = 280;

/// The bin edges: `edges()[i]` is bin `i`'s lower edge (bin 0 is `[0, LOW_S)`), and the
/// last entry is the upper edge of the last finite bin.
pub(crate) fn edges() -> &'static [f64] {
    static EDGES: OnceLock<Vec<f64>> = OnceLock::new();
    EDGES.get_or_init(|| {
        std::iter::once(0.0)
            .chain((0..=BINS).map(|i| LOW_S * 10f64.powf(i as f64 / PER_DECADE)))
            .collect()
    })
}

/// Number of bins.
pub(crate) const LEN: usize = BINS + 1;

/// The bin a latency falls in.
pub(crate) fn bin(x: f64) -> usize {
    if x.is_nan() || x < LOW_S {
        return 0;
    }
    // ln is cheaper than log10; the bin is floor(log10(x / LOW) · PER_DECADE) + 1.
    (1 + ((x / LOW_S).ln() * (PER_DECADE / std::f64::consts::LN_10)) as usize).min(BINS)
}

/// A latency distribution: request counts (or expected counts) per bin.
#[derive(Debug, Clone, PartialEq)]
pub struct Latencies {
    mass: Vec<f64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self {
            mass: vec![0.0; LEN],
        }
    }
}

impl Latencies {
    /// A distribution from counts per bin (`LEN` of them).
    pub(crate) fn from_counts(counts: &[f64]) -> Self {
        Self {
            mass: counts.to_vec(),
        }
    }

    /// Adds one request of latency `x` seconds.
    pub fn add(&mut self, x: f64) {
        self.add_to_bin(bin(x));
    }

    /// Adds one request to bin `i` ([`bin`]).
    pub(crate) fn add_to_bin(&mut self, i: usize) {
        self.mass[i] += 1.0;
    }

    /// Adds `weight` requests distributed by the bin masses `mass` (one per bin).
    pub(crate) fn add_mass(&mut self, mass: &[f64], weight: f64) {
        for (m, x) in self.mass.iter_mut().zip(mass) {
            *m += weight * x;
        }
    }

    /// Adds another distribution.
    pub fn merge(&mut self, other: &Latencies) {
        self.add_mass(&other.mass, 1.0);
    }

    /// Requests in it.
    pub fn total(&self) -> f64 {
        self.mass.iter().sum()
    }

    /// The `q` quantile (q in (0, 1)), interpolated inside its bin (geometrically, and
    /// linearly in the first); NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        let total = self.total();
        if total.is_nan() || total <= 0.0 {
            return f64::NAN;
        }
        let want = q * total;
        let e = edges();
        let mut below = 0.0;
        for (i, &m) in self.mass.iter().enumerate() {
            if m > 0.0 && below + m >= want {
                let f = ((want - below) / m).clamp(0.0, 1.0);
                return if i == 0 {
                    f * e[1]
                } else {
                    e[i] * (e[i + 1] / e[i]).powf(f)
                };
            }
            below += m;
        }
        e[BINS + 1]
    }
}

/// The masses per bin of a distribution given by its CDF.
pub(crate) fn mass_of(cdf: impl Fn(f64) -> f64) -> Vec<f64> {
    let e = edges();
    let mut at: Vec<f64> = e
        .iter()
        .map(|&x| if x > 0.0 { cdf(x) } else { 0.0 })
        .collect();
    // Everything above the last edge is in the last bin.
    at[BINS + 1] = 1.0;
    at.windows(2).map(|w| (w[1] - w[0]).max(0.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_distributions() {
        // 1,000 requests at 1, 2, …, 1000 ms: the median is 0.5 s, read to within a
        // bin (5.9 %).
        let mut l = Latencies::default();
        for i in 1..=1000 {
            l.add(f64::from(i) / 1000.0);
        }
        assert_eq!(l.total(), 1000.0);
        assert!((l.quantile(0.5) / 0.5 - 1.0).abs() < 0.06);
        // An exponential with mean 2 s as a mass: its p99 is 2 ln 100 = 9.21 s.
        let mut e = Latencies::default();
        e.add_mass(&mass_of(|x| 1.0 - (-x / 2.0).exp()), 10.0);
        assert!((e.total() - 10.0).abs() < 1e-9);
        assert!((e.quantile(0.99) / (2.0 * 100f64.ln()) - 1.0).abs() < 0.01);
        assert!(Latencies::default().quantile(0.5).is_nan());
    }
}
