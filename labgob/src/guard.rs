//! Limits on what a payload can make decoding do, beyond bincode's byte limit: how deep
//! values nest (each level costs stack, and a recursive type would otherwise overflow it)
//! and how many elements may take no bytes (a zero-sized element costs time but no input,
//! so a forged length of a `Vec<()>` would otherwise loop for ever).
//!
//! [`Guarded`] wraps bincode's deserializer and hands wrapped visitors, accessors and seeds
//! down, so that every nested value passes through it.

use std::cell::Cell;
use std::fmt;
use std::io::Read;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// How deep values may nest: options, newtypes, sequences, tuples, maps, structs and enums
/// each count one level.
pub const MAX_DEPTH: usize = 128;

/// How many sequence elements or map keys that take no input bytes (zero-sized ones, such
/// as `()` or a unit struct) one decode may produce.
pub const MAX_EMPTY_ELEMENTS: u64 = 1 << 20;

/// What one decode has used.
pub(crate) struct Budget {
    depth: Cell<usize>,
    consumed: Cell<u64>,
    total: u64,
    empty_left: Cell<u64>,
}

impl Budget {
    pub(crate) fn new(total: usize) -> Self {
        Budget {
            depth: Cell::new(0),
            consumed: Cell::new(0),
            total: total as u64,
            empty_left: Cell::new(MAX_EMPTY_ELEMENTS),
        }
    }

    fn remaining(&self) -> u64 {
        self.total.saturating_sub(self.consumed.get())
    }

    fn enter<E: de::Error>(&self) -> Result<(), E> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            return Err(E::custom(format_args!(
                "the value nests deeper than labgob's limit of {MAX_DEPTH} levels"
            )));
        }
        self.depth.set(depth);
        Ok(())
    }

    fn leave(&self) {
        self.depth.set(self.depth.get() - 1);
    }

    /// Checks a sequence's or map's claimed length: every element takes a byte, except
    /// the zero-sized ones, which the empty-element allowance bounds.
    fn check_length<E: de::Error>(&self, claimed: Option<usize>) -> Result<(), E> {
        let Some(claimed) = claimed else {
            return Ok(());
        };
        let possible = self.remaining().saturating_add(self.empty_left.get());
        if claimed as u64 > possible {
            return Err(E::custom(format_args!(
                "a length of {claimed} elements exceeds the {} bytes left (and labgob's \
                 allowance of {MAX_EMPTY_ELEMENTS} zero-sized elements)",
                self.remaining()
            )));
        }
        Ok(())
    }

    /// Called after an element that started when `before` bytes had been read.
    fn after_element<E: de::Error>(&self, before: u64) -> Result<(), E> {
        if self.consumed.get() != before {
            return Ok(());
        }
        match self.empty_left.get().checked_sub(1) {
            Some(left) => {
                self.empty_left.set(left);
                Ok(())
            }
            None => Err(E::custom(format_args!(
                "more than labgob's limit of {MAX_EMPTY_ELEMENTS} zero-sized elements"
            ))),
        }
    }
}

/// A reader over the payload that tells the budget how far it has read.
pub(crate) struct CountingReader<'a> {
    pub(crate) rest: &'a [u8],
    pub(crate) budget: &'a Budget,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.rest.read(buf)?;
        self.budget
            .consumed
            .set(self.budget.consumed.get() + n as u64);
        Ok(n)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        self.rest.read_exact(buf)?;
        self.budget
            .consumed
            .set(self.budget.consumed.get() + buf.len() as u64);
        Ok(())
    }
}

pub(crate) struct Guarded<'b, D> {
    pub(crate) inner: D,
    pub(crate) budget: &'b Budget,
}

struct GuardedVisitor<'b, V> {
    inner: V,
    budget: &'b Budget,
}

struct GuardedSeed<'b, S> {
    inner: S,
    budget: &'b Budget,
}

struct GuardedAccess<'b, A> {
    inner: A,
    budget: &'b Budget,
}

impl<'b, V> GuardedVisitor<'b, V> {
    fn new(inner: V, budget: &'b Budget) -> Self {
        GuardedVisitor { inner, budget }
    }
}

/// Forwards a method that cannot nest, wrapping only its visitor.
macro_rules! flat {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(GuardedVisitor::new(visitor, self.budget))
        }
    )*};
}

/// Forwards a method that can nest: one level deeper while it runs.
macro_rules! nested {
    ($self:ident, $call:expr) => {{
        $self.budget.enter::<D::Error>()?;
        let result = $call;
        $self.budget.leave();
        result
    }};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Guarded<'_, D> {
    type Error = D::Error;

    flat!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
    );

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_any(GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_ignored_any(GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_option(GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_unit_struct(name, GuardedVisitor::new(visitor, self.budget))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_newtype_struct(name, GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_seq(GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_tuple(len, GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner.deserialize_tuple_struct(
                name,
                len,
                GuardedVisitor::new(visitor, self.budget)
            )
        )
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_map(GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_struct(name, fields, GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        nested!(
            self,
            self.inner
                .deserialize_enum(name, variants, GuardedVisitor::new(visitor, self.budget))
        )
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Forwards visits of plain values.
macro_rules! visit {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for GuardedVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(formatter)
    }

    visit!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>),
    );

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Guarded {
            inner: deserializer,
            budget: self.budget,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Guarded {
            inner: deserializer,
            budget: self.budget,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.budget.check_length(seq.size_hint())?;
        self.inner.visit_seq(GuardedAccess {
            inner: seq,
            budget: self.budget,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.budget.check_length(map.size_hint())?;
        self.inner.visit_map(GuardedAccess {
            inner: map,
            budget: self.budget,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(GuardedAccess {
            inner: data,
            budget: self.budget,
        })
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for GuardedSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Guarded {
            inner: deserializer,
            budget: self.budget,
        })
    }
}

impl<'b, A> GuardedAccess<'b, A> {
    fn seed<S>(&self, inner: S) -> GuardedSeed<'b, S> {
        GuardedSeed {
            inner,
            budget: self.budget,
        }
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for GuardedAccess<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let before = self.budget.consumed.get();
        let element = self.inner.next_element_seed(self.seed(seed))?;
        if element.is_some() {
            self.budget.after_element(before)?;
        }
        Ok(element)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for GuardedAccess<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let before = self.budget.consumed.get();
        let key = self.inner.next_key_seed(self.seed(seed))?;
        if key.is_some() {
            self.budget.after_element(before)?;
        }
        Ok(key)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(self.seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'b, 'de, A: EnumAccess<'de>> EnumAccess<'de> for GuardedAccess<'b, A> {
    type Error = A::Error;
    type Variant = GuardedAccess<'b, A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let seed = self.seed(seed);
        let (value, variant) = self.inner.variant_seed(seed)?;
        Ok((
            value,
            GuardedAccess {
                inner: variant,
                budget: self.budget,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for GuardedAccess<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        let seed = self.seed(seed);
        self.inner.newtype_variant_seed(seed)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner
            .tuple_variant(len, GuardedVisitor::new(visitor, self.budget))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner
            .struct_variant(fields, GuardedVisitor::new(visitor, self.budget))
    }
}
