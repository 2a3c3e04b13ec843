//! Framing: each value is its shape's fingerprint (4 bytes, little-endian), the payload's
//! length (a bincode varint) and the payload (bincode, varint integers).

use bincode::Options;

use crate::error::Error;
use crate::guard::{Budget, CountingReader, Guarded};
use crate::shape::{self, Shape};
use crate::{field_check, Gob};

const FINGERPRINT_LEN: usize = 4;
/// A varint of a u64 takes at most 9 bytes in bincode's encoding.
const MAX_LENGTH_PREFIX: u64 = 9;

fn options() -> impl Options {
    bincode::DefaultOptions::new()
}

/// Encodes one value into a fresh buffer.
pub fn encode<T: Gob>(value: &T) -> Result<Vec<u8>, Error> {
    let mut encoder = Encoder::new();
    encoder.encode(value)?;
    Ok(encoder.into_bytes())
}

/// Decodes exactly one value of type `T`: bytes left over are an error.
pub fn decode<T: Gob>(bytes: &[u8]) -> Result<T, Error> {
    let mut decoder = Decoder::new(bytes);
    let value = decoder.decode()?;
    decoder.finish()?;
    Ok(value)
}

/// Encodes values one after another into one buffer, as Go's `labgob.NewEncoder`.
#[derive(Debug, Default)]
pub struct Encoder {
    bytes: Vec<u8>,
}

impl Encoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one value.
    pub fn encode<T: Gob>(&mut self, value: &T) -> Result<(), Error> {
        let record = shape::record::<T>();
        // serialize_into makes one pass; `serialize` makes two (it sizes the buffer first).
        let mut payload = Vec::new();
        options()
            .serialize_into(&mut payload, value)
            .map_err(|err| Error::Encode {
                type_name: record.shape.type_name,
                detail: err.to_string(),
            })?;
        self.bytes
            .extend_from_slice(&record.shape.fingerprint.to_le_bytes());
        options()
            .serialize_into(&mut self.bytes, &(payload.len() as u64))
            .map_err(|err| Error::Encode {
                type_name: record.shape.type_name,
                detail: err.to_string(),
            })?;
        self.bytes.extend_from_slice(&payload);
        field_check::after_encode(record, value, &payload);
        Ok(())
    }

    /// The encoded values.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Decodes values one after another from a buffer, as Go's `labgob.NewDecoder`.
#[derive(Debug)]
pub struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Decoder { rest: bytes }
    }

    /// Decodes the next value, which must have been encoded from a `T`.
    pub fn decode<T: Gob>(&mut self) -> Result<T, Error> {
        let expected = shape::shape_of::<T>();
        let (fingerprint, after_fingerprint) = self.take_fingerprint(expected)?;
        if fingerprint != expected.fingerprint {
            return Err(Error::WrongType {
                expected: expected.type_name,
                expected_shape: expected.fingerprint,
                found: shape::type_with_fingerprint(fingerprint)
                    .map_or_else(|| "an unknown type".to_owned(), |name| format!("`{name}`")),
                found_shape: fingerprint,
            });
        }
        let (payload, rest) = split_frame(after_fingerprint, expected)?;
        let value = decode_payload(payload, expected)?;
        self.rest = rest;
        Ok(value)
    }

    /// Succeeds when every byte was decoded.
    pub fn finish(self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                count: self.rest.len(),
                after: "the last value".to_owned(),
            })
        }
    }

    /// How many bytes are left to decode.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    fn take_fingerprint(&self, expected: Shape) -> Result<(u32, &'a [u8]), Error> {
        match self.rest.split_first_chunk::<FINGERPRINT_LEN>() {
            Some((head, rest)) => Ok((u32::from_le_bytes(*head), rest)),
            None => Err(Error::Truncated {
                type_name: expected.type_name,
                needed: (FINGERPRINT_LEN - self.rest.len()) as u64,
                available: self.rest.len(),
            }),
        }
    }
}

/// Splits a length-prefixed frame into its payload and what follows it.
fn split_frame(bytes: &[u8], expected: Shape) -> Result<(&[u8], &[u8]), Error> {
    let mut reader = bytes;
    let length: u64 = options()
        .with_limit(MAX_LENGTH_PREFIX)
        .deserialize_from(&mut reader)
        .map_err(|err| match *err {
            bincode::ErrorKind::Io(ref io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                Error::Truncated {
                    type_name: expected.type_name,
                    needed: 1,
                    available: bytes.len(),
                }
            }
            other => Error::Malformed {
                type_name: expected.type_name,
                detail: format!("bad length prefix: {other}"),
            },
        })?;
    match usize::try_from(length) {
        Ok(length) if length <= reader.len() => Ok(reader.split_at(length)),
        _ => Err(Error::Truncated {
            type_name: expected.type_name,
            needed: length - reader.len() as u64,
            available: reader.len(),
        }),
    }
}

pub(crate) fn decode_payload<T: Gob>(payload: &[u8], expected: Shape) -> Result<T, Error> {
    let budget = Budget::new(payload.len());
    let mut reader = CountingReader {
        rest: payload,
        budget: &budget,
    };
    // The limit makes a forged length inside the payload fail before anything is allocated;
    // the guard bounds nesting and zero-sized elements, which take no bytes.
    let options = options().with_limit(payload.len() as u64);
    let mut deserializer = bincode::Deserializer::with_reader(&mut reader, options);
    let value = T::deserialize(Guarded {
        inner: &mut deserializer,
        budget: &budget,
    })
    .map_err(|err| Error::Malformed {
        type_name: expected.type_name,
        detail: match *err {
            bincode::ErrorKind::SizeLimit => {
                "a length inside the value claims more bytes than the value holds".to_owned()
            }
            bincode::ErrorKind::Io(ref io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                "the value ends before its fields do".to_owned()
            }
            other => other.to_string(),
        },
    })?;
    if !reader.rest.is_empty() {
        return Err(Error::TrailingBytes {
            count: reader.rest.len(),
            after: format!("a `{}` inside its frame", expected.type_name),
        });
    }
    Ok(value)
}
