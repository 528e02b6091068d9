//! Deterministic seeds and draws derived by hashing, independent of order and concurrency.

use sha2::{Digest, Sha256};

/// The first 8 bytes (little endian) of the SHA-256 of the length-prefixed `parts`.
pub(crate) fn hash_u64(parts: &[&[u8]]) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// Maps a hash uniformly onto [0, 1).
pub(crate) fn unit_interval(hash: u64) -> f64 {
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

/// The seed of one example of a run.
pub(crate) fn example_seed(run_seed: u64, example_id: &str) -> u64 {
    hash_u64(&[b"example", &run_seed.to_le_bytes(), example_id.as_bytes()])
}

/// The sampler seed of the `index`-th generation request made for an example.
pub(crate) fn request_seed(example_seed: u64, index: u64) -> u64 {
    hash_u64(&[
        b"request",
        &example_seed.to_le_bytes(),
        &index.to_le_bytes(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_depend_on_every_input() {
        let a = example_seed(1, "dev/0");
        assert_eq!(a, example_seed(1, "dev/0"));
        assert_ne!(a, example_seed(2, "dev/0"));
        assert_ne!(a, example_seed(1, "dev/1"));
        assert_ne!(request_seed(a, 0), request_seed(a, 1));
        // Length prefixes keep ("ab", "c") apart from ("a", "bc").
        assert_ne!(hash_u64(&[b"ab", b"c"]), hash_u64(&[b"a", b"bc"]));
    }

    #[test]
    fn unit_interval_stays_in_range() {
        assert_eq!(unit_interval(0), 0.0);
        assert!(unit_interval(u64::MAX) < 1.0);
    }
}
