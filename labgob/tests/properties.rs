//! Properties over arbitrary values and bytes: exact round trips, and no panic on any input.

use std::collections::HashMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    Plain,
    Count(u32),
    Named { name: String, weight: i16 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: u64,
    name: String,
    tags: Vec<String>,
    score: Option<i32>,
    kinds: Vec<Kind>,
    index: HashMap<u32, Vec<u8>>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Plain),
        any::<u32>().prop_map(Kind::Count),
        (".{0,12}", any::<i16>()).prop_map(|(name, weight)| Kind::Named { name, weight }),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (
        any::<u64>(),
        ".{0,20}",
        prop::collection::vec(".{0,8}", 0..5),
        any::<Option<i32>>(),
        prop::collection::vec(kind(), 0..5),
        prop::collection::hash_map(
            any::<u32>(),
            prop::collection::vec(any::<u8>(), 0..10),
            0..4,
        ),
    )
        .prop_map(|(id, name, tags, score, kinds, index)| Record {
            id,
            name,
            tags,
            score,
            kinds,
            index,
        })
}

proptest! {
    #[test]
    fn values_come_back_exactly(value in record()) {
        let bytes = labgob::encode(&value).unwrap();
        prop_assert_eq!(labgob::decode::<Record>(&bytes).unwrap(), value);
    }

    #[test]
    fn any_bytes_decode_or_fail_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = labgob::decode::<Record>(&bytes);
        let _ = labgob::decode::<String>(&bytes);
    }

    /// With the right fingerprint in front, random bytes reach bincode's decoder itself.
    #[test]
    fn any_payload_behind_a_right_fingerprint_fails_without_panic(
        payload in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let fingerprint = labgob::shape_of::<Record>().fingerprint.to_le_bytes();
        let length = payload.len().min(250) as u8;
        let bytes = [&fingerprint[..], &[length], &payload].concat();
        let _ = labgob::decode::<Record>(&bytes);
    }

    #[test]
    fn every_proper_prefix_is_an_error(value in record()) {
        let bytes = labgob::encode(&value).unwrap();
        for cut in 0..bytes.len() {
            prop_assert!(labgob::decode::<Record>(&bytes[..cut]).is_err(), "prefix of {} bytes", cut);
        }
    }

    #[test]
    fn streams_decode_in_order_and_finish_only_at_the_end(
        numbers in prop::collection::vec(any::<u64>(), 1..6),
        texts in prop::collection::vec(".{0,10}", 1..6),
    ) {
        let mut encoder = labgob::Encoder::new();
        for (number, text) in numbers.iter().zip(&texts) {
            encoder.encode(number).unwrap();
            encoder.encode(text).unwrap();
        }
        let bytes = encoder.into_bytes();
        let mut decoder = labgob::Decoder::new(&bytes);
        for (number, text) in numbers.iter().zip(&texts) {
            prop_assert_eq!(&decoder.decode::<u64>().unwrap(), number);
            prop_assert!(decoder.remaining() > 0);
            prop_assert_eq!(&decoder.decode::<String>().unwrap(), text);
        }
        prop_assert!(decoder.finish().is_ok());
    }
}
