//! Forged input that would cost time without bytes (lengths of zero-sized elements) or
//! stack (deep nesting) is an error, quickly.

use std::sync::mpsc;
use std::time::Duration;

use labgob::{Error, Gob, MAX_DEPTH, MAX_EMPTY_ELEMENTS};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Tree {
    Leaf,
    Node(Box<Tree>),
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Chain {
    next: Option<Box<Chain>>,
}

/// Frames `payload` as a value of `T`.
fn frame<T: Gob>(payload: &[u8]) -> Vec<u8> {
    let mut bytes = labgob::shape_of::<T>().fingerprint.to_le_bytes().to_vec();
    let length = payload.len() as u64;
    // bincode's varint: below 251 in one byte, else 253 and eight bytes.
    if length < 251 {
        bytes.push(length as u8);
    } else {
        bytes.push(253);
        bytes.extend_from_slice(&length.to_le_bytes());
    }
    bytes.extend_from_slice(payload);
    bytes
}

/// bincode's varint for a u64.
fn varint(n: u64) -> Vec<u8> {
    [&[253u8][..], &n.to_le_bytes()].concat()
}

/// Decodes in a thread of its own and waits at most ten seconds, so a decoder that loops
/// fails the test instead of hanging it. Returns the error text.
fn decode_error_in_time<T: Gob>(bytes: Vec<u8>) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = labgob::decode::<T>(&bytes).map(|_| ());
        let _ = tx.send(result);
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Err(err @ Error::Malformed { .. })) => err.to_string(),
        Ok(other) => panic!("expected a Malformed error, got {other:?}"),
        Err(_) => panic!("decoding forged input still runs after 10 s"),
    }
}

#[test]
fn a_forged_length_of_zero_sized_elements_is_an_error() {
    let text = decode_error_in_time::<Vec<()>>(frame::<Vec<()>>(&varint(u64::MAX / 2)));
    assert!(text.contains("length"), "{text}");
    decode_error_in_time::<Vec<Unit>>(frame::<Vec<Unit>>(&varint(u64::MAX / 2)));
    decode_error_in_time::<std::collections::BTreeMap<(), ()>>(frame::<
        std::collections::BTreeMap<(), ()>,
    >(&varint(u64::MAX / 2)));
}

/// Many short sequences, each claiming a length within the allowance (65,535 zero-sized
/// elements, in three bytes), share one allowance.
#[test]
fn zero_sized_elements_share_one_allowance() {
    let inner = [&[251u8][..], &u16::MAX.to_le_bytes()].concat();
    let count = 1000u64;
    let payload = [varint(count), inner.repeat(count as usize)].concat();
    let text = decode_error_in_time::<Vec<Vec<()>>>(frame::<Vec<Vec<()>>>(&payload));
    assert!(text.contains(&MAX_EMPTY_ELEMENTS.to_string()), "{text}");
}

#[test]
fn zero_sized_elements_within_the_allowance_round_trip() {
    let units = vec![(); 1000];
    assert_eq!(labgob::decode(&labgob::encode(&units).unwrap()), Ok(units));
    let units = vec![Unit, Unit];
    assert_eq!(labgob::decode(&labgob::encode(&units).unwrap()), Ok(units));
}

fn tree(depth: usize) -> Tree {
    (1..depth).fold(Tree::Leaf, |tree, _| Tree::Node(Box::new(tree)))
}

/// A tree `depth` levels deep, as bincode encodes it: 1 (Node) per level, then 0 (Leaf).
fn tree_payload(depth: usize) -> Vec<u8> {
    let mut payload = vec![1u8; depth - 1];
    payload.push(0);
    payload
}

#[test]
fn deep_nesting_is_an_error_naming_the_limit() {
    for depth in [MAX_DEPTH + 1, 1_000_000] {
        let text = decode_error_in_time::<Tree>(frame::<Tree>(&tree_payload(depth)));
        assert!(text.contains(&format!("limit of {MAX_DEPTH}")), "{text}");
    }
    // Option<Box<Chain>> in a struct: Some is 1, None is 0.
    let mut chain = vec![1u8; 1_000_000];
    chain.push(0);
    let text = decode_error_in_time::<Chain>(frame::<Chain>(&chain));
    assert!(text.contains(&format!("limit of {MAX_DEPTH}")), "{text}");
}

#[test]
fn nesting_up_to_the_limit_decodes() {
    let deepest = tree(MAX_DEPTH);
    let bytes = frame::<Tree>(&tree_payload(MAX_DEPTH));
    assert_eq!(labgob::encode(&deepest).unwrap(), bytes);
    assert_eq!(labgob::decode::<Tree>(&bytes), Ok(deepest));
}
