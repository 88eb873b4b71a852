//! splitmix64: the one source of randomness of the corpus.
//!
//! Hand-written rather than taken from `rand` because the corpus is a fixture: the same seed must
//! give the same bytes on every machine and with every version of every dependency, forever.
//! `rand` documents that its generators' output may change between releases, and its float
//! helpers go through platform `libm`; this is twelve lines of integer arithmetic with published
//! reference values (Vigna's `splitmix64.c`), so the output can only change if this file does.
//! Everything built on it below stays in integers for the same reason: `f64::ln`/`exp` are not
//! guaranteed bit-identical across platforms.

/// The splitmix64 generator (Steele, Lea & Flood 2014; constants from Vigna's reference code).
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

/// The splitmix64 output function. A bijection on `u64`, so it also turns a counter into a
/// unique, random-looking id.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// A generator whose whole future is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// A value in `0..n` (0 when `n` is 0). Multiply-high instead of `%`: no division, and the
    /// bias (below 2^-40 for the ranges used here) does not matter for a fixture.
    pub fn below(&mut self, n: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(n);
        // The high half of a u64×u64 product always fits in u64.
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// A value in `lo..=hi` (`lo` when `hi <= lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < u64::from(percent)
    }

    /// True with probability `per_million`/1,000,000.
    pub fn per_million(&mut self, per_million: u32) -> bool {
        self.below(1_000_000) < u64::from(per_million)
    }

    /// A heavy-tailed value in `lo..=hi`: a power of two between them is picked uniformly, then a
    /// value uniformly inside that octave, so each doubling of size is about equally likely
    /// (log-uniform) — the shape of real payload sizes — without any floating point.
    pub fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let lo = lo.max(1);
        if hi <= lo {
            return lo;
        }
        let a = u64::from(63 - lo.leading_zeros());
        let b = u64::from(63 - hi.leading_zeros());
        let k = self.range(a, b);
        let octave_lo = (1u64 << k).max(lo);
        let octave_hi = if k >= 63 {
            hi
        } else {
            ((1u64 << (k + 1)) - 1).min(hi)
        };
        self.range(octave_lo, octave_hi)
    }

    /// An index drawn with the given integer weights (0 when all are 0).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        0
    }

    /// One element of a non-empty slice (`None` for an empty one).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let n = u64::try_from(items.len()).unwrap_or(u64::MAX);
        items.get(usize::try_from(self.below(n)).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_splitmix64() {
        // Reference outputs of Vigna's splitmix64.c seeded with 1234567, cross-checked with an
        // independent Python transcription of that C code.
        let mut r = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn ranges_hold() {
        let mut r = SplitMix64::new(7);
        for _ in 0..100_000 {
            let v = r.log_uniform(1000, 10 * 1024 * 1024);
            assert!((1000..=10 * 1024 * 1024).contains(&v));
            let w = r.range(5, 9);
            assert!((5..=9).contains(&w));
            assert!(r.below(3) < 3);
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.log_uniform(10, 10), 10);
    }

    #[test]
    fn log_uniform_spreads_over_octaves() {
        // Between 1 KiB and 1 MiB there are 11 octaves; each should get roughly 1/11 of draws.
        let mut r = SplitMix64::new(99);
        let mut per_octave = [0u32; 11];
        for _ in 0..110_000 {
            let v = r.log_uniform(1024, 1024 * 1024);
            per_octave[(63 - v.leading_zeros() - 10) as usize] += 1;
        }
        for n in per_octave {
            assert!((9_000..11_000).contains(&n), "{per_octave:?}");
        }
    }

    #[test]
    fn mix_is_a_bijection_on_samples() {
        let ids: std::collections::HashSet<u64> = (0..100_000u64).map(mix).collect();
        assert_eq!(ids.len(), 100_000);
    }
}
