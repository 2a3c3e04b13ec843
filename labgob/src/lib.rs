//! labgob: the lab's strict codec.
//!
//! Go's labgob wraps gob and warns about struct fields that gob silently drops. This port
//! wraps serde + bincode and is strict in the Rust way:
//!
//! * every value is framed with a 4-byte fingerprint of its serde shape (type and field
//!   names, field order, field types), checked on decode: bytes of another shape are an
//!   [`Error::WrongType`] naming both types, never a wrong value;
//! * truncated input, trailing bytes and forged lengths are errors, never a panic or a huge
//!   allocation; nesting deeper than [`MAX_DEPTH`] levels and more than
//!   [`MAX_EMPTY_ELEMENTS`] zero-sized elements are errors too, never a stack overflow or an
//!   endless loop;
//! * a field that does not survive a round trip (a `#[serde(skip)]` field, say) is reported
//!   once per type on standard error, naming the type and the field, as Go's labgob warns
//!   about lower-case fields (values encoded to more than [`MAX_CHECKED_PAYLOAD`] bytes are
//!   not checked, so large snapshots cost no check).
//!
//! ```
//! #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
//! struct RequestVote { term: u64, candidate: u64 }
//!
//! let bytes = labgob::encode(&RequestVote { term: 3, candidate: 1 }).unwrap();
//! let back: RequestVote = labgob::decode(&bytes).unwrap();
//! assert_eq!(back, RequestVote { term: 3, candidate: 1 });
//! assert!(labgob::decode::<String>(&bytes).is_err());
//! ```

mod codec;
mod error;
mod field_check;
mod guard;
mod shape;

pub use codec::{decode, encode, Decoder, Encoder};
pub use error::Error;
pub use field_check::{warning_count, warnings, MAX_CHECKED_PAYLOAD};
pub use guard::{MAX_DEPTH, MAX_EMPTY_ELEMENTS};
pub use shape::{shape_of, Shape};

/// What labgob can carry: any serde type. `Debug` lets labgob name a field that does not
/// survive the trip; `'static` lets it remember each type's shape.
pub trait Gob: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug + 'static {}

impl<T> Gob for T where T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug + 'static
{}
