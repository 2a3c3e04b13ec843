/// Why a value could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes were encoded from a value of another shape.
    #[error(
        "labgob: cannot decode a `{expected}` (shape {expected_shape:08x}) from bytes of \
         {found} (shape {found_shape:08x})"
    )]
    WrongType {
        expected: &'static str,
        expected_shape: u32,
        /// "`Type`" when this process knows the shape, else "an unknown type".
        found: String,
        found_shape: u32,
    },
    /// The input ends before the value does.
    #[error("labgob: truncated input: decoding a `{type_name}` needs {needed} more bytes than the {available} left")]
    Truncated {
        type_name: &'static str,
        needed: u64,
        available: usize,
    },
    /// Bytes are left over after the last value (or inside a value's frame).
    #[error("labgob: {count} trailing bytes after {after}")]
    TrailingBytes { count: usize, after: String },
    /// The bytes are not a valid encoding of the type.
    #[error("labgob: malformed bytes for a `{type_name}`: {detail}")]
    Malformed {
        type_name: &'static str,
        detail: String,
    },
    /// The value's `Serialize` implementation failed.
    #[error("labgob: cannot encode a `{type_name}`: {detail}")]
    Encode {
        type_name: &'static str,
        detail: String,
    },
}
