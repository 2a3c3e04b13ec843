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

fn mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(MODULUS)) as u64
}

fn add(a: u64, b: u64) -> u64 {
    (a + b) % MODULUS
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
        let chars = text.chars().count();
        let preview = if chars <= 2 * PREVIEW_CHARS + 3 {
            text.to_owned()
        } else {
            let head: String = text.chars().take(PREVIEW_CHARS).collect();
            let tail: String = text.chars().skip(chars - PREVIEW_CHARS).collect();
            format!("{head}...{tail}")
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
    }
}
