//! The round-trip field check: order-free for maps and sets, names the struct that holds
//! the lost field, and costs nothing on large values.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// The warnings that mention `needle`.
fn warnings_about(needle: &str) -> Vec<String> {
    labgob::warnings()
        .into_iter()
        .filter(|w| w.contains(needle))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Index {
    by_name: HashMap<String, u64>,
    seen: HashSet<u64>,
    nested: Vec<HashMap<u64, HashSet<String>>>,
}

/// A map or set that comes back in another iteration order is no lost field.
#[test]
fn maps_and_sets_in_another_order_are_no_loss() {
    let index = Index {
        by_name: (0..100).map(|i| (format!("key{i}"), i)).collect(),
        seen: (0..100).collect(),
        nested: vec![(0..20)
            .map(|i| (i, (0..5).map(|j| format!("{i}-{j}")).collect()))
            .collect()],
    };
    for _ in 0..8 {
        let back: Index = labgob::decode(&labgob::encode(&index).unwrap()).unwrap();
        assert_eq!(back, index);
    }
    assert_eq!(warnings_about("::Index`"), Vec::<String>::new());
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    a: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Outer {
    keep: u64,
    inner: Inner,
    #[serde(skip)]
    lost: Inner,
}

/// The skipped field holds a struct: the warning names the skipped field and the struct
/// that holds it, not the field inside.
#[test]
fn the_warning_names_the_struct_holding_the_lost_field() {
    let value = vec![Outer {
        keep: 1,
        inner: Inner { a: 2 },
        lost: Inner { a: 3 },
    }];
    labgob::encode(&value).unwrap();
    let warned = warnings_about("::Outer>`");
    assert_eq!(warned.len(), 1, "{:?}", labgob::warnings());
    assert!(
        warned[0].contains("field `lost` of struct `Outer`"),
        "{}",
        warned[0]
    );
}

static FORMATTED: AtomicUsize = AtomicUsize::new(0);

/// A snapshot whose `Debug` counts its uses.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct Snapshot {
    data: Vec<u8>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        FORMATTED.fetch_add(1, Ordering::Relaxed);
        f.debug_struct("Snapshot")
            .field("data", &self.data)
            .finish()
    }
}

/// Values larger than the check's bound are not formatted (formatting a 10 MB value took
/// over a second and 128 MB); smaller values of the same type still are.
#[test]
fn large_values_are_not_formatted() {
    let large = Snapshot {
        data: vec![7; 10 << 20],
    };
    assert!(large.data.len() > labgob::MAX_CHECKED_PAYLOAD);
    // The 1st and 2nd values of a type are both in the check's sample.
    for _ in 0..2 {
        labgob::encode(&large).unwrap();
    }
    assert_eq!(FORMATTED.load(Ordering::Relaxed), 0);
    labgob::encode(&Snapshot {
        data: vec![7; 5000],
    })
    .unwrap();
    assert_eq!(
        FORMATTED.load(Ordering::Relaxed),
        2,
        "a small value is checked: formatted once sent, once received"
    );
}
