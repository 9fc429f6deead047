use std::hash::{BuildHasher, RandomState};

/// SplitMix64: small, fast, and exact for a given seed, which is all the
/// jitter of a backoff needs (it is not a cryptographic source).
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub(crate) const fn seeded(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// A generator seeded from the process's random hasher keys, so two
    /// unseeded retries do not jitter in step.
    pub(crate) fn random() -> Self {
        let seed = RandomState::new().hash_one(std::time::SystemTime::now());
        Rng::seeded(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..=max`, uniform up to a bias below 2^-64 * max.
    pub(crate) fn up_to(&mut self, max: u64) -> u64 {
        // Multiply-shift (Lemire) maps 64 random bits onto the range
        // without the cost of a division.
        let span = u128::from(max) + 1;
        ((u128::from(self.next_u64()) * span) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::seeded(7);
        let mut b = Rng::seeded(7);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut c = Rng::seeded(8);
        assert_ne!(xs[0], c.next_u64());
    }

    #[test]
    fn up_to_stays_in_range_and_reaches_both_ends() {
        let mut rng = Rng::seeded(1);
        let mut seen = [false; 4];
        for _ in 0..1000 {
            let v = rng.up_to(3);
            assert!(v <= 3);
            seen[v as usize] = true;
        }
        assert_eq!(seen, [true; 4]);
        assert_eq!(rng.up_to(0), 0);
        // The full range does not overflow.
        let _ = rng.up_to(u64::MAX);
    }
}
