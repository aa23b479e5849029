//! FNV-1a, 64-bit: the project's one content hash, behind the fingerprints of grids and
//! traces and the manifests of a sweep's parts. Stable across runs and machines (it
//! reads bytes, never addresses). It detects accidental change (a cut, an edit, a row
//! written twice), not a deliberate forgery, which no one has reason to make here.

/// A running FNV-1a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fnv(u64);

impl Fnv {
    /// The empty hash (FNV's offset basis).
    pub(crate) fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    /// Feeds bytes.
    pub(crate) fn eat(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash as 16 hex digits.
    pub(crate) fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

/// The hash of `bytes`, as 16 hex digits.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut h = Fnv::new();
    h.eat(bytes);
    h.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_fnv1a_64_values() {
        // The reference values of FNV-1a 64 (Fowler, Noll, Vo: the test suite of the
        // FNV reference code): "" and "a" and "foobar".
        assert_eq!(hex(b""), "cbf29ce484222325");
        assert_eq!(hex(b"a"), "af63dc4c8601ec8c");
        assert_eq!(hex(b"foobar"), "85944171f73967e8");
        let mut h = Fnv::new();
        h.eat(b"foo");
        h.eat(b"bar");
        assert_eq!(h.hex(), hex(b"foobar"));
    }
}
