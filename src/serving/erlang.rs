//! Erlang's C formula: the probability that an arrival to an M/M/c queue waits.

/// `C(c, a)`: the probability that an arrival waits in an M/M/c queue with `c` servers
/// and offered load `a = λ / μ` (erlangs), for `a < c`; 1 at or above. By Erlang B's
/// recursion `B(n) = a·B(n−1) / (n + a·B(n−1))`, then `C = c·B / (c − a·(1 − B))`,
/// which stays stable for hundreds of servers.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if c == 0 || a >= f64::from(c) {
        return 1.0;
    }
    if a <= 0.0 {
        return 0.0;
    }
    let mut b = 1.0;
    for n in 1..=c {
        b = a * b / (f64::from(n) + a * b);
    }
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_values() {
        // One server: C = ρ. Two servers at a = 1 erlang: C = 1/3 (Kleinrock, Queueing
        // Systems I, M/M/2: C = 2ρ² / (1 + ρ) at ρ = 1/2).
        for rho in [0.1, 0.5, 0.9] {
            assert!((erlang_c(1, rho) - rho).abs() < 1e-12);
        }
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // Ten servers at 8 erlangs: 0.409 (the standard Erlang C table value 0.4092).
        assert!((erlang_c(10, 8.0) - 0.4092).abs() < 5e-4);
        assert_eq!(erlang_c(3, 3.0), 1.0);
        assert_eq!(erlang_c(3, 0.0), 0.0);
    }
}
