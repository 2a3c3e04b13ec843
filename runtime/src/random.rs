//! Random draws. In simulation every draw comes from the run's seed.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A uniform draw from `0..n`, as Go's `rand.Int() % n` (for `n > 0`).
pub fn below(n: u64) -> u64 {
    madsim::rand::thread_rng().gen_range(0..n)
}

/// A uniform draw from `range`.
pub fn in_range<T, R>(range: R) -> T
where
    T: rand::distributions::uniform::SampleUniform,
    R: rand::distributions::uniform::SampleRange<T>,
{
    madsim::rand::thread_rng().gen_range(range)
}

/// True with probability `numerator / denominator`.
pub fn chance(numerator: u64, denominator: u64) -> bool {
    below(denominator) < numerator
}

/// A fast generator of one's own, seeded from the runtime's randomness: deterministic in
/// simulation, so a component may own its generator without breaking replay.
pub fn small_rng() -> SmallRng {
    SmallRng::seed_from_u64(madsim::rand::thread_rng().gen())
}

/// A string of `n` characters from the URL-safe base64 alphabet, like the Go tester's
/// `randstring`.
pub fn string(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = madsim::rand::thread_rng();
    (0..n)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
