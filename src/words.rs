//! Counts as people write them: `1 run`, `2 runs`.

/// `n` and `noun`, plural (an `s`) unless `n` is 1.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_every_other_count_plural() {
        assert_eq!(count(1, "run"), "1 run");
        assert_eq!(count(0, "part"), "0 parts");
        assert_eq!(count(22, "row"), "22 rows");
        assert_eq!(count(1, "malformed line"), "1 malformed line");
    }
}
