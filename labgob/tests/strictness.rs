//! Bytes of another shape, cut short, with bytes left over, or with forged lengths are
//! errors: never a wrong value, a panic or a huge allocation.

use labgob::Error;
use serde::{Deserialize, Serialize};

mod v1 {
    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Point {
        pub x: u64,
        pub y: u64,
    }
}

/// The same name, other field order.
mod reordered {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Point {
        pub y: u64,
        pub x: u64,
    }
}

/// The same name, another field name.
mod renamed {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Point {
        pub x: u64,
        pub z: u64,
    }
}

/// The same name, another field type.
mod retyped {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Point {
        pub x: u64,
        pub y: i32,
    }
}

/// Another name, the same fields.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Vector {
    x: u64,
    y: u64,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Message {
    term: u64,
    text: String,
    data: Vec<u8>,
    parts: Vec<v1::Point>,
}

fn message() -> Message {
    Message {
        term: 7,
        text: "hello, raft".into(),
        data: vec![1, 2, 3, 250, 251, 252],
        parts: vec![v1::Point { x: 1, y: 300 }, v1::Point { x: 70000, y: 0 }],
    }
}

fn assert_wrong_type<T: labgob::Gob>(bytes: &[u8], expected: &str, found: &str) {
    match labgob::decode::<T>(bytes) {
        Err(err @ Error::WrongType { .. }) => {
            let text = err.to_string();
            assert!(text.contains(expected) && text.contains(found), "{text}");
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
}

#[test]
fn a_value_of_another_shape_is_a_wrong_type_naming_both() {
    let bytes = labgob::encode(&v1::Point { x: 1, y: 2 }).unwrap();
    assert_wrong_type::<reordered::Point>(&bytes, "reordered::Point", "v1::Point");
    assert_wrong_type::<renamed::Point>(&bytes, "renamed::Point", "v1::Point");
    assert_wrong_type::<retyped::Point>(&bytes, "retyped::Point", "v1::Point");
    assert_wrong_type::<Vector>(&bytes, "Vector", "v1::Point");
    assert_wrong_type::<u64>(&bytes, "u64", "v1::Point");
    assert_wrong_type::<v1::Point>(&labgob::encode(&5u64).unwrap(), "v1::Point", "u64");
    assert_wrong_type::<i64>(&labgob::encode(&5u64).unwrap(), "i64", "u64");
}

#[test]
fn every_cut_of_a_value_is_an_error() {
    let bytes = labgob::encode(&message()).unwrap();
    for cut in 0..bytes.len() {
        match labgob::decode::<Message>(&bytes[..cut]) {
            Err(Error::Truncated { .. } | Error::Malformed { .. }) => {}
            other => panic!("a cut at {cut} of {} bytes gave {other:?}", bytes.len()),
        }
    }
    assert_eq!(labgob::decode::<Message>(&bytes), Ok(message()));
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut bytes = labgob::encode(&message()).unwrap();
    bytes.push(0);
    assert!(matches!(
        labgob::decode::<Message>(&bytes),
        Err(Error::TrailingBytes { count: 1, .. })
    ));
    let mut decoder = labgob::Decoder::new(&bytes);
    assert_eq!(decoder.decode::<Message>(), Ok(message()));
    assert_eq!(decoder.remaining(), 1);
    assert!(decoder.finish().is_err());
}

/// A frame whose payload is one more byte than its value needs.
#[test]
fn bytes_left_inside_a_frame_are_an_error() {
    let fingerprint = labgob::shape_of::<u64>().fingerprint.to_le_bytes();
    let frame = [&fingerprint[..], &[2, 5, 0]].concat();
    assert!(matches!(
        labgob::decode::<u64>(&frame),
        Err(Error::TrailingBytes { count: 1, .. })
    ));
}

/// bincode's varint: 253 announces a u64 in the next eight bytes.
fn huge_varint() -> Vec<u8> {
    [&[253u8][..], &(u64::MAX / 2).to_le_bytes()].concat()
}

#[test]
fn a_frame_longer_than_the_input_is_truncated() {
    let fingerprint = labgob::shape_of::<String>().fingerprint.to_le_bytes();
    let bytes = [&fingerprint[..], &huge_varint(), b"abc"].concat();
    assert!(matches!(
        labgob::decode::<String>(&bytes),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn a_forged_length_inside_a_value_fails_without_allocating() {
    for forged in [
        labgob::shape_of::<String>(),
        labgob::shape_of::<Vec<u8>>(),
        labgob::shape_of::<Vec<String>>(),
    ] {
        let payload = [&huge_varint()[..], b"abc"].concat();
        let bytes = [
            &forged.fingerprint.to_le_bytes()[..],
            &[payload.len() as u8],
            &payload,
        ]
        .concat();
        let result = match forged.type_name {
            name if name.contains("String>") => labgob::decode::<Vec<String>>(&bytes).map(|_| ()),
            name if name.contains("u8") => labgob::decode::<Vec<u8>>(&bytes).map(|_| ()),
            _ => labgob::decode::<String>(&bytes).map(|_| ()),
        };
        assert!(
            matches!(result, Err(Error::Malformed { .. })),
            "{}: {result:?}",
            forged.type_name
        );
    }
}

#[test]
fn empty_input_is_truncated() {
    assert!(matches!(
        labgob::decode::<u64>(&[]),
        Err(Error::Truncated { needed: 4, .. })
    ));
}

/// Structs that hold enums, in three modules: `a` and `b` have one serde shape, `c` another.
mod a {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub enum Kind {
        Buy,
        Sell(u32),
    }
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Order {
        pub kind: Kind,
        pub n: u64,
    }
}
mod b {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub enum Kind {
        Buy,
        Sell(u32),
    }
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Order {
        pub kind: Kind,
        pub n: u64,
    }
}
mod c {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub enum Kind {
        Buy,
        Sell(u32),
        Hold { until: u64 },
    }
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Order {
        pub kind: Kind,
        pub n: u64,
    }
}

/// A struct holding an enum gets a fingerprint of its serde shape, not of its Rust name:
/// the same shape under another path decodes, and an enum with another variant does not.
#[test]
fn structs_holding_enums_are_fingerprinted_by_shape() {
    let bytes = labgob::encode(&a::Order {
        kind: a::Kind::Sell(3),
        n: 9,
    })
    .unwrap();
    assert_eq!(
        labgob::decode::<b::Order>(&bytes),
        Ok(b::Order {
            kind: b::Kind::Sell(3),
            n: 9
        })
    );
    assert_wrong_type::<c::Order>(&bytes, "c::Order", "::Order");
    assert_ne!(
        labgob::shape_of::<Vec<Option<a::Order>>>().fingerprint,
        labgob::shape_of::<Vec<Option<c::Order>>>().fingerprint
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Tree {
    Leaf,
    Node(Box<Tree>),
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Chain {
    next: Option<Box<Chain>>,
}

/// Recursive types trace (for their fingerprints) and round-trip.
#[test]
fn recursive_types_round_trip() {
    let tree = Tree::Node(Box::new(Tree::Node(Box::new(Tree::Leaf))));
    assert_eq!(labgob::decode(&labgob::encode(&tree).unwrap()), Ok(tree));
    let chain = Chain {
        next: Some(Box::new(Chain { next: None })),
    };
    assert_eq!(labgob::decode(&labgob::encode(&chain).unwrap()), Ok(chain));
}
