//! Go's labgob tests (`src/labgob/test_test.go`) in spirit.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct T1 {
    t1int0: i64,
    t1int1: i64,
    t1string0: String,
    t1string1: String,
}

/// Go's `T2t3 interface{}` field holds a registered `T3`: an enum plays that part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Any {
    Nothing,
    T3(T3),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct T2 {
    t2slice: Vec<T1>,
    t2map: HashMap<i64, Box<T1>>,
    t2t3: Any,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct T3 {
    t3int999: i64,
}

/// Values of several types in one stream decode back, field by field, with no warning.
#[test]
fn gob() {
    let t1 = T1 {
        t1int1: 1,
        t1string1: "6.824".into(),
        ..T1::default()
    };
    let t2 = T2 {
        t2slice: vec![T1::default(), t1.clone()],
        t2map: HashMap::from([(
            99,
            Box::new(T1 {
                t1int0: 1,
                t1int1: 2,
                t1string0: "x".into(),
                t1string1: "y".into(),
            }),
        )]),
        t2t3: Any::T3(T3 { t3int999: 999 }),
    };
    let mut encoder = labgob::Encoder::new();
    encoder.encode(&0i64).unwrap();
    encoder.encode(&1i64).unwrap();
    encoder.encode(&t1).unwrap();
    encoder.encode(&t2).unwrap();
    let data = encoder.into_bytes();

    let mut decoder = labgob::Decoder::new(&data);
    let x0: i64 = decoder.decode().unwrap();
    let x1: i64 = decoder.decode().unwrap();
    let d1: T1 = decoder.decode().unwrap();
    let d2: T2 = decoder.decode().unwrap();
    decoder.finish().unwrap();

    assert_eq!((x0, x1), (0, 1));
    assert_eq!((d1.t1int0, d1.t1int1), (0, 1));
    assert_eq!(
        (d1.t1string0.as_str(), d1.t1string1.as_str()),
        ("", "6.824")
    );
    assert_eq!(d2.t2slice.len(), 2);
    assert_eq!(d2.t2slice[1].t1int1, 1);
    assert_eq!(d2.t2map.len(), 1);
    assert_eq!(d2.t2map[&99].t1string1, "y");
    assert_eq!(d2.t2t3, Any::T3(T3 { t3int999: 999 }));
    assert_eq!(d2, t2);
    assert_eq!(
        Any::Nothing,
        labgob::decode(&labgob::encode(&Any::Nothing).unwrap()).unwrap()
    );

    let ours = ["::T1", "::T2", "::T3", "::Any"];
    let warned: Vec<String> = labgob::warnings()
        .into_iter()
        .filter(|w| ours.iter().any(|t| w.contains(t)))
        .collect();
    assert!(warned.is_empty(), "unexpected warnings: {warned:?}");
}

/// A field serde does not send, as Go's lower-case field, which gob does not send.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct T4 {
    yes: i64,
    #[serde(skip)]
    no: i64,
}

/// A field that does not survive encoding is reported once, naming the struct and the field.
///
/// Serde hides skipped fields, so labgob finds them by decoding a sample of the values it
/// encodes and comparing: the value must hold a non-default `no` for the loss to show (Go,
/// which inspects the type, warns even for an empty slice).
#[test]
fn capital() {
    let count = || {
        labgob::warnings()
            .iter()
            .filter(|w| w.contains("field `no` of struct `T4`"))
            .count()
    };
    let value: Vec<HashMap<T4, i64>> = vec![HashMap::from([(T4 { yes: 1, no: 2 }, 5)])];
    let data = labgob::encode(&value).unwrap();
    assert_eq!(
        count(),
        1,
        "failed to warn about the skipped field: {:?}",
        labgob::warnings()
    );

    // The value decodes, with the field lost, as the warning said.
    let back: Vec<HashMap<T4, i64>> = labgob::decode(&data).unwrap();
    assert_eq!(back[0].keys().next(), Some(&T4 { yes: 1, no: 0 }));

    // Once per type.
    for _ in 0..10 {
        labgob::encode(&value).unwrap();
    }
    assert_eq!(count(), 1, "warned twice about one type");
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct DD {
    x: i64,
}

/// Go warns when a reply is decoded into a variable that already holds non-default values,
/// since gob leaves fields whose sent value is the default untouched. Rust's decode returns
/// a new value, so that mistake cannot be made: a default value always decodes as the default.
#[test]
fn default() {
    let data = labgob::encode(&DD::default()).unwrap();
    let mut reply = DD { x: 99 };
    assert_eq!(reply.x, 99);
    reply = labgob::decode(&data).unwrap();
    assert_eq!(reply, DD { x: 0 });
}
