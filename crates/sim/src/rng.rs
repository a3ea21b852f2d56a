//! A small deterministic random number generator.
//!
//! Hand-rolled on purpose: the simulator promises byte-identical output for the same arguments
//! across releases, and a library generator may change its stream in any minor version. This
//! is SplitMix64 for deriving seeds and xoshiro256++ for streams — both public-domain
//! algorithms with well-known test vectors.

/// One step of SplitMix64: a good 64-bit mixer, used to derive independent stream seeds.
pub const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed derived from a parent seed and a path of labels (world, day, account…), so that
/// every entity and day draws from its own stream and generation order does not matter.
pub fn derive(seed: u64, labels: &[u64]) -> u64 {
    labels
        .iter()
        .fold(mix(seed), |acc, &label| mix(acc ^ mix(label)))
}

/// xoshiro256++.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix(z.wrapping_sub(0x9e37_79b9_7f4a_7c15))
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// A stream for one entity of one run: `Rng::for_path(seed, &[DAY, day, account])`.
    pub fn for_path(seed: u64, labels: &[u64]) -> Self {
        Rng::new(derive(seed, labels))
    }

    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.s;
        let result = s0.wrapping_add(s3).rotate_left(23).wrapping_add(s0);
        let t = s1 << 17;
        let s2 = s2 ^ s0;
        let s3 = s3 ^ s1;
        let s1 = s1 ^ s2;
        let s0 = s0 ^ s3;
        let s2 = s2 ^ t;
        let s3 = s3.rotate_left(45);
        self.s = [s0, s1, s2, s3];
        result
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is irrelevant here). `n > 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given weights (not all zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    /// A Poisson-distributed count with mean `lambda` (Knuth's method; fine for small means).
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        let limit = (-lambda).exp();
        let mut product = self.unit();
        let mut count = 0;
        while product > limit && count < 1000 {
            product *= self.unit();
            count += 1;
        }
        count
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `count` distinct indices from `0..n`, in ascending order (`count <= n`).
    pub fn sample_indices(&mut self, n: usize, count: usize) -> Vec<usize> {
        // Floyd's algorithm: exact, and proportional to `count` rather than `n`.
        let mut chosen = std::collections::BTreeSet::new();
        for j in n - count..n {
            let t = self.below(j as u64 + 1) as usize;
            if !chosen.insert(t) {
                chosen.insert(j);
            }
        }
        chosen.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_vector() {
        // First outputs of the reference SplitMix64 seeded with 1234567.
        let mut state: u64 = 1_234_567;
        let mut next = || {
            let out = mix(state);
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            out
        };
        assert_eq!(next(), 6_457_827_717_110_365_317);
        assert_eq!(next(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4)
            .map(|_| Rng::for_path(7, &[1, 2]).next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::for_path(7, &[1, 2]).next_u64(),
            Rng::for_path(7, &[2, 1]).next_u64()
        );
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let x = rng.below(7) as usize;
            seen[x] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn sample_indices_are_distinct_and_sorted() {
        let mut rng = Rng::new(3);
        let picked = rng.sample_indices(50, 20);
        assert_eq!(picked.len(), 20);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        assert!(picked.iter().all(|&i| i < 50));
    }

    #[test]
    fn poisson_mean_is_close() {
        let mut rng = Rng::new(9);
        let total: u32 = (0..10_000).map(|_| rng.poisson(1.5)).sum();
        let mean = f64::from(total) / 10_000.0;
        assert!((mean - 1.5).abs() < 0.05, "{mean}");
    }
}
