//! What the history keeps of a value a Get returned: its length and a hash from which the
//! hash of a concatenation follows, instead of the text. In simulation the clerks make
//! hundreds of thousands of operations a test, and their Gets return values of tens of
//! kilobytes: kept whole (as Go's `OpLog` keeps them) they take tens of gigabytes, and the
//! model would copy them at every Append.

use porcupine::models::kv::{KvInput, KvOp};
use porcupine::{Model, Operation};

/// The Mersenne prime 2^61 - 1: the hash is a polynomial in `BASE` modulo it.
const MODULUS: u64 = (1 << 61) - 1;
/// An arbitrary base below the modulus.
const BASE: u64 = 0x1f3d_5b79_a2c4_e681 % MODULUS;

/// A string's length and polynomial hash. Two different strings of length at most `n`
/// share a digest with probability about `n / 2^61`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest {
    hash: u64,
    len: u64,
}

/// `x` modulo 2^61 - 1, for `x` below 2^64, by folding (2^61 is 1 modulo 2^61 - 1): a
/// division of a u128 costs a call per byte hashed, and Gets return tens of kilobytes.
fn reduce(x: u64) -> u64 {
    let folded = (x & MODULUS) + (x >> 61);
    if folded >= MODULUS {
        folded - MODULUS
    } else {
        folded
    }
}

/// `a * b` modulo 2^61 - 1, for `a` and `b` below it.
fn mul(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    // product < 2^122: its low 61 bits and the rest are each below 2^61.
    reduce((product as u64 & MODULUS) + (product >> 61) as u64)
}

/// `a + b` modulo 2^61 - 1, for `a` and `b` below it.
fn add(a: u64, b: u64) -> u64 {
    reduce(a + b)
}

fn power(mut base: u64, mut exponent: u64) -> u64 {
    let mut result = 1;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = mul(result, base);
        }
        base = mul(base, base);
        exponent >>= 1;
    }
    result
}

impl Digest {
    pub const EMPTY: Digest = Digest { hash: 0, len: 0 };

    pub fn of(text: &str) -> Digest {
        // Bytes count from 1, so that a zero byte still changes the hash.
        let hash = text
            .bytes()
            .fold(0, |hash, byte| add(mul(hash, BASE), u64::from(byte) + 1));
        Digest {
            hash,
            len: text.len() as u64,
        }
    }

    /// The digest of `self`'s string followed by `suffix`'s.
    pub fn then(self, suffix: Digest) -> Digest {
        Digest {
            hash: add(mul(self.hash, power(BASE, suffix.len)), suffix.hash),
            len: self.len + suffix.len,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What a Get returned, as the history keeps it: the digest, and the ends of the text for
/// the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub digest: Digest,
    pub preview: String,
}

/// How much of each end of a long value the page shows.
const PREVIEW_CHARS: usize = 24;

impl Observed {
    pub fn of(text: &str) -> Observed {
        // Only the ends are walked: values run to tens of kilobytes.
        let short = text.char_indices().nth(2 * PREVIEW_CHARS + 3).is_none();
        let preview = if short {
            text.to_owned()
        } else {
            let head_end = text
                .char_indices()
                .nth(PREVIEW_CHARS)
                .map_or(0, |(at, _)| at);
            let tail_start = text.char_indices().rev().nth(PREVIEW_CHARS - 1);
            let tail_start = tail_start.map_or(0, |(at, _)| at);
            format!("{}...{}", &text[..head_end], &text[tail_start..])
        };
        Observed {
            digest: Digest::of(text),
            preview,
        }
    }
}

/// Go's `models.KvModel` on digests: the state is the digest of the key's value.
#[derive(Debug, Clone, Copy, Default)]
pub struct KvDigestModel;

impl Model for KvDigestModel {
    type State = Digest;
    type Input = KvInput;
    type Output = Observed;

    fn init(&self) -> Digest {
        Digest::EMPTY
    }

    fn step(&self, state: &Digest, input: &KvInput, output: &Observed) -> Option<Digest> {
        match input.op {
            KvOp::Get => (output.digest == *state).then_some(*state),
            KvOp::Put => Some(Digest::of(&input.value)),
            KvOp::Append => Some(state.then(Digest::of(&input.value))),
        }
    }

    /// One partition per key, in key order.
    fn partition(&self, history: &[Operation<KvInput, Observed>]) -> Vec<Vec<usize>> {
        let mut by_key: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (index, operation) in history.iter().enumerate() {
            by_key.entry(&operation.input.key).or_default().push(index);
        }
        by_key.into_values().collect()
    }

    fn describe_operation(&self, input: &KvInput, output: &Observed) -> String {
        match input.op {
            KvOp::Get => format!("get('{}') -> '{}'", input.key, output.preview),
            KvOp::Put => format!("put('{}', '{}')", input.key, input.value),
            KvOp::Append => format!("append('{}', '{}')", input.key, input.value),
        }
    }

    fn describe_state(&self, state: &Digest) -> String {
        format!("a value of {} bytes", state.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_computes_the_remainder() {
        let remainder =
            |a: u64, b: u64| ((u128::from(a) * u128::from(b)) % u128::from(MODULUS)) as u64;
        let edges = [
            0,
            1,
            2,
            BASE,
            MODULUS - 2,
            MODULUS - 1,
            1 << 60,
            (1 << 60) + 12_345,
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values = edges.to_vec();
        for _ in 0..1000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            values.push(x % MODULUS);
        }
        for &a in &values {
            for &b in &values[..40] {
                assert_eq!(mul(a, b), remainder(a, b), "{a} * {b}");
                assert_eq!(add(a, b), (a + b) % MODULUS, "{a} + {b}");
            }
        }
    }

    #[test]
    fn the_digest_of_a_concatenation_follows_from_its_parts() {
        let (a, b) = ("x 0 1 yx 0 2 y", "x 1 7 y");
        assert_eq!(
            Digest::of(a).then(Digest::of(b)),
            Digest::of(&format!("{a}{b}"))
        );
        assert_eq!(Digest::EMPTY.then(Digest::of(a)), Digest::of(a));
        assert_ne!(Digest::of("ab"), Digest::of("ba"));
        assert_ne!(Digest::of("\0"), Digest::of(""));
    }

    #[test]
    fn a_long_value_is_previewed_by_its_ends() {
        let long = "a".repeat(30) + &"b".repeat(30);
        let observed = Observed::of(&long);
        assert_eq!(
            observed.preview,
            format!("{}...{}", "a".repeat(24), "b".repeat(24))
        );
        assert_eq!(Observed::of("short").preview, "short");
        // Up to 51 characters, of any width, the value is whole; from 52, its ends.
        let fits = "é".repeat(51);
        assert_eq!(Observed::of(&fits).preview, fits);
        let over = "é".repeat(26) + &"ü".repeat(26);
        assert_eq!(
            Observed::of(&over).preview,
            format!("{}...{}", "é".repeat(24), "ü".repeat(24))
        );
    }
}
