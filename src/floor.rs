//! The offline cost floor: the fewest container-steps any schedule can bill while
//! serving every test step it can, under exactly the simulator's cluster model
//! (`docs/experiment.md`, "The offline optimum"). Pure.
//!
//! Containers are interchangeable, so a schedule is a stack of unit "layers": layer k is
//! needed at the steps whose need is at least k. Between two needed runs of a layer,
//! a gap of g steps costs min(g, d): keep the container (g steps billed), or remove it
//! when the gap starts and relaunch it d steps before the next run (d steps billed while
//! it starts). Before its first needed step f a layer above the first target costs
//! min(f, d) (its launch, billed from the test period's start at most); after its last,
//! nothing. Choosing each gap's cheaper side independently is optimal because the kept
//! gaps of layer k + 1 lie inside kept gaps or runs of layer k (needs are nested), so the
//! per-layer choices stack into one schedule whose bill is their sum.

use crate::serving::StepCluster;

/// Containers each test step needs to serve its demand ([`crate::serving::need`]: its
/// capacity need under `threshold`; under the queue models the fewest that meet the SLO
/// in a step that starts with nothing waiting), clamped to `[min, max]`: where demand
/// exceeds `max` containers the step violates whatever any schedule does. Each distinct
/// demand is sized once.
pub fn needs(demand: &[f64], cluster: &StepCluster) -> Vec<u32> {
    let mut known: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    demand
        .iter()
        .map(|&x| {
            *known
                .entry(x.to_bits())
                .or_insert_with(|| crate::serving::need(cluster, x))
        })
        .collect()
}

/// What a schedule of targets bills, in container-steps: `ready[k]` is the target that
/// serves test step k; a rise at decision k ≥ 1 launches containers billed for the
/// min(k, d) steps they start inside the test period.
pub fn billed(ready: &[u32], delay_steps: usize) -> u64 {
    let serving: u64 = ready.iter().map(|&r| u64::from(r)).sum();
    let starting: u64 = (1..ready.len())
        .map(|k| u64::from(ready[k].saturating_sub(ready[k - 1])) * k.min(delay_steps) as u64)
        .sum();
    serving + starting
}

/// The cheapest schedule that is at least `need` at every step: the target serving each
/// step. Its bill ([`billed`]) is [`floor_cost`].
pub fn schedule(need: &[u32], delay_steps: usize) -> Vec<u32> {
    let n = need.len();
    let mut ready = vec![0u32; n];
    let top = need.iter().copied().max().unwrap_or(0);
    for layer in 1..=top {
        let needed: Vec<usize> = (0..n).filter(|&i| need[i] >= layer).collect();
        for pair in needed.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            // Keep the container through a gap no longer than the delay.
            let gap = b - a - 1;
            if gap > 0 && gap <= delay_steps {
                for r in &mut ready[a + 1..b] {
                    *r += 1;
                }
            }
        }
        for &i in &needed {
            ready[i] += 1;
        }
    }
    ready
}

/// The floor itself, in container-steps, by the layer sum (independent of
/// [`schedule`], so each checks the other).
pub fn floor_cost(need: &[u32], delay_steps: usize) -> u64 {
    let top = need.iter().copied().max().unwrap_or(0);
    let first_target = need.first().copied().unwrap_or(0);
    let mut cost = 0u64;
    for layer in 1..=top {
        let needed: Vec<usize> = (0..need.len()).filter(|&i| need[i] >= layer).collect();
        cost += needed.len() as u64;
        cost += needed
            .windows(2)
            .map(|p| (p[1] - p[0] - 1).min(delay_steps) as u64)
            .sum::<u64>();
        if layer > first_target {
            cost += needed[0].min(delay_steps) as u64;
        }
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The cheapest of every schedule with `ready[i]` in `need[i]..=max`, by exhaustive
    /// enumeration.
    fn brute_force(need: &[u32], max: u32, d: usize) -> u64 {
        let n = need.len();
        let mut ready = need.to_vec();
        let mut best = u64::MAX;
        loop {
            best = best.min(billed(&ready, d));
            // Next schedule, odometer-style.
            let mut i = 0;
            loop {
                if i == n {
                    return best;
                }
                if ready[i] < max {
                    ready[i] += 1;
                    break;
                }
                ready[i] = need[i];
                i += 1;
            }
        }
    }

    #[test]
    fn hand_worked_gaps_cost_the_cheaper_of_keeping_and_relaunching() {
        // d = 2. Layer 1 needed everywhere: 6. Layer 2 needed at 1 and 5 (gap of 3 > d:
        // relaunch, 2) and first needed at 1 > first target 1 (launch, min(1, 2) = 1):
        // 2 + 2 + 1 = 5. Total 11.
        let need = [1, 2, 1, 1, 1, 2];
        assert_eq!(floor_cost(&need, 2), 11);
        assert_eq!(schedule(&need, 2), vec![1, 2, 1, 1, 1, 2]);
        assert_eq!(billed(&schedule(&need, 2), 2), 11);
        // d = 3: the gap of 3 is kept instead (3), so layer 2 costs 2 + 3 + 1 = 6.
        assert_eq!(floor_cost(&need, 3), 12);
        assert_eq!(schedule(&need, 3), vec![1, 2, 2, 2, 2, 2]);
        assert_eq!(billed(&schedule(&need, 3), 3), 12);
    }

    #[test]
    fn matches_an_exhaustive_search_on_small_traces() {
        // Every schedule of up to 12 steps and 4 containers, d in {1, 2, 3}, is tried
        // where the search space stays under 300,000 schedules.
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let mut cases = 0;
        while cases < 400 {
            let n = rng.random_range(1..=12);
            let max = 4u32;
            let need: Vec<u32> = (0..n).map(|_| rng.random_range(0..=max)).collect();
            let space: u64 = need.iter().map(|&x| u64::from(max - x + 1)).product();
            if space > 300_000 {
                continue;
            }
            for d in 1..=3 {
                let floor = floor_cost(&need, d);
                assert_eq!(brute_force(&need, max, d), floor, "need {need:?}, d {d}");
                let s = schedule(&need, d);
                assert!(s.iter().zip(&need).all(|(r, x)| r >= x), "{s:?} < {need:?}");
                assert_eq!(billed(&s, d), floor, "need {need:?}, d {d}: {s:?}");
            }
            cases += 1;
        }
    }

    #[test]
    fn zero_delay_costs_exactly_the_need() {
        let need = [3, 0, 5, 1, 1];
        assert_eq!(floor_cost(&need, 0), 10);
        assert_eq!(schedule(&need, 0), need.to_vec());
    }
}
