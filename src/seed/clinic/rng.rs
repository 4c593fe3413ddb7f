//! A small seeded PRNG (xoshiro256**, seeded by SplitMix64) and id derivation: every random choice and
//! every UUID of a seed run is a pure function of (seed, what it is for), so output never depends on
//! thread scheduling or iteration order elsewhere.

/// Tags that keep derived ids of different kinds apart.
pub mod tag {
    pub const USER: u64 = 1;
    pub const PROGRAM: u64 = 2;
    pub const SESSION: u64 = 3;
    pub const EVENT: u64 = 4;
    pub const ALERT: u64 = 5;
    pub const ITEM: u64 = 6;
    pub const TEMPLATE: u64 = 7;
    pub const ANALYSIS: u64 = 8;
    pub const REP: u64 = 9;
    pub const MISSED: u64 = 10;
    pub const WEEK: u64 = 11;
    pub const TREND: u64 = 12;
    pub const METRIC: u64 = 13;
    pub const PATIENT_RNG: u64 = 14;
    pub const AUTH_RNG: u64 = 15;
    pub const CONSENT: u64 = 16;
    pub const LOGIN: u64 = 17;
    pub const AUDIT: u64 = 18;
    pub const BREAK_GLASS: u64 = 19;
}

/// SplitMix64 step: a strong 64-bit mixer, used for seeding and for hashing ids.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a seed and a path of numbers (e.g. kind, patient index, session index).
pub fn hash(seed: u64, parts: &[u64]) -> u64 {
    parts.iter().fold(mix(seed), |h, &p| mix(h ^ mix(p)))
}

/// A version-4 UUID derived from the seed and a path: same inputs, same id.
pub fn uuid(seed: u64, parts: &[u64]) -> [u8; 16] {
    let a = hash(seed, parts);
    let b = mix(a ^ 0x5EED);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

/// xoshiro256**: fast, good statistical quality, fully deterministic.
#[derive(Debug, Clone)]
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64, parts: &[u64]) -> Self {
        let mut s = hash(seed, parts);
        let mut state = [0u64; 4];
        for slot in &mut state {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            *slot = mix(s);
        }
        Self(state)
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        // Wrapping two's-complement arithmetic: the span of any [lo, hi] fits u64.
        let span = (hi - lo + 1).cast_unsigned();
        lo.wrapping_add((((self.next_u64() >> 32) * span) >> 32).cast_signed())
    }

    /// [`Rng::range`] for a bounded count or index (the same draw).
    pub fn range_usize(&mut self, lo: usize, hi: usize) -> usize {
        let wide = |v: usize| i64::try_from(v).expect("a count below 2^63");
        usize::try_from(self.range(wide(lo), wide(hi))).expect("within [lo, hi]")
    }

    /// [`Rng::range`] for a small number (the same draw).
    pub fn range_i16(&mut self, lo: i16, hi: i16) -> i16 {
        i16::try_from(self.range(lo.into(), hi.into())).expect("within [lo, hi]")
    }

    /// [`Rng::range`] for a small count (the same draw).
    pub fn range_u16(&mut self, lo: u16, hi: u16) -> u16 {
        u16::try_from(self.range(lo.into(), hi.into())).expect("within [lo, hi]")
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Roughly normal (sum of three uniforms), mean `mean`, spread about `sd`.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u = self.f64() + self.f64() + self.f64() - 1.5;
        mean + u * 2.0 * sd
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range_usize(0, items.len().saturating_sub(1))]
    }

    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_ids() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7, &[1, 2]);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7, &[1, 2]);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(uuid(7, &[1]), uuid(8, &[1]));
        let u = uuid::Uuid::from_bytes(uuid(7, &[1]));
        assert_eq!(u.get_version_num(), 4);
    }

    #[test]
    fn range_stays_inside_bounds() {
        let mut r = Rng::new(1, &[]);
        for _ in 0..10_000 {
            let v = r.range(-3, 5);
            assert!((-3..=5).contains(&v));
        }
    }
}
