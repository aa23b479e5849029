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

/// The bin a latency falls in: [`bin_by_formula`]'s, read from a table of the least
/// latency of each bin (a lookup by the float's top bits, then a comparison or two,
/// where the formula takes a logarithm: a fifth of the discrete-event model's time).
/// The same bin for every latency: tested on every bin's edges and millions of others.
pub(crate) fn bin(x: f64) -> usize {
    if x.is_nan() || x < LOW_S {
        return 0;
    }
    let index = BinIndex::get();
    let Some(&start) = index
        .start
        .get(((x.to_bits() >> SHIFT) - index.first_key) as usize)
    else {
        return BINS;
    };
    let mut b = usize::from(start);
    while b < BINS && x >= index.least[b + 1] {
        b += 1;
    }
    b
}

/// The bin by its formula, `floor(log10(x / LOW) · PER_DECADE) + 1` (by ln, cheaper than
/// log10), kept to `BINS` (an infinite latency in the last bin too): what [`bin`] reads
/// from its table.
fn bin_by_formula(x: f64) -> usize {
    if x.is_nan() || x < LOW_S {
        return 0;
    }
    (((x / LOW_S).ln() * (PER_DECADE / std::f64::consts::LN_10)) as usize)
        .saturating_add(1)
        .min(BINS)
}

/// Bits of a float's exponent and top mantissa bits that key [`BinIndex::start`]: 64
/// keys an octave, each spanning 1.1 % of latency against a bin's 5.9 %, so a key holds
/// at most two bins.
const SHIFT: u32 = 52 - 6;

/// [`bin`]'s table.
struct BinIndex {
    /// `least[b]`: the least latency in bin `b` by the formula (`b` in 1..=BINS; the
    /// formula never falls as the latency grows).
    least: Vec<f64>,
    /// The formula's bin at each key's least latency, from [`Self::first_key`] (that of
    /// `LOW_S`) to the key of the last bin's least latency.
    start: Vec<u16>,
    first_key: u64,
}

impl BinIndex {
    fn get() -> &'static Self {
        static INDEX: OnceLock<BinIndex> = OnceLock::new();
        INDEX.get_or_init(Self::new)
    }

    fn new() -> Self {
        // The least latency of bin b: bisection on the (ordered) bits of positive floats.
        let least_of = |b: usize| {
            let (mut lo, mut hi) = (LOW_S.to_bits(), 1e6f64.to_bits());
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if bin_by_formula(f64::from_bits(mid)) >= b {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            f64::from_bits(lo)
        };
        let least: Vec<f64> = (0..=BINS)
            .map(|b| if b == 0 { 0.0 } else { least_of(b) })
            .collect();
        let first_key = LOW_S.to_bits() >> SHIFT;
        let last_key = least[BINS].to_bits() >> SHIFT;
        let start = (first_key..=last_key)
            .map(|k| bin_by_formula(f64::from_bits(k << SHIFT).max(LOW_S)) as u16)
            .collect();
        Self {
            least,
            start,
            first_key,
        }
    }
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
    fn the_table_bins_every_latency_as_the_formula_does() {
        // Every bin's least latency and the floats beside it, then 2 million latencies
        // spread evenly in log from 0.1 ms to 100,000 s, and the odd ones.
        let index = BinIndex::get();
        let mut checked = 0;
        for &x in &index.least[1..] {
            for y in [
                f64::from_bits(x.to_bits() - 1),
                x,
                f64::from_bits(x.to_bits() + 1),
            ] {
                assert_eq!(bin(y), bin_by_formula(y), "{y:e}");
                checked += 1;
            }
        }
        for i in 0..2_000_000u32 {
            let x = 1e-4 * 10f64.powf(9.0 * f64::from(i) / 2e6);
            assert_eq!(bin(x), bin_by_formula(x), "{x:e}");
            checked += 1;
        }
        for x in [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            LOW_S,
            1e4,
            1e300,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(bin(x), bin_by_formula(x), "{x:e}");
        }
        assert_eq!(checked, 3 * BINS + 2_000_000);
        // The edges are the formula's: bin 1 from LOW_S, bin 41 from about 10 · LOW_S.
        assert_eq!(index.least[1], LOW_S);
        assert!((index.least[41] / (10.0 * LOW_S) - 1.0).abs() < 1e-12);
    }

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
