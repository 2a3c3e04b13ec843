//! Type fingerprints: a short hash of a type's serde shape, remembered per type.

use std::any::{type_name, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{LazyLock, PoisonError, RwLock};

use serde::de::DeserializeOwned;
use serde_reflection::{
    ContainerFormat, Format, Named, Registry, Samples, Tracer, TracerConfig, VariantFormat,
};

use crate::Gob;

/// The serde shape of a type, as labgob frames its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// The Rust type's name, as `std::any::type_name` gives it.
    pub type_name: &'static str,
    /// A hash of the type's names, field names, field order and field types.
    pub fingerprint: u32,
}

/// What labgob remembers of one type for the life of the process.
pub(crate) struct TypeRecord {
    pub(crate) shape: Shape,
    /// How many values of the type were encoded: the field check samples some of them.
    pub(crate) encodes: AtomicU64,
    /// Whether the field check has already reported this type.
    pub(crate) reported: AtomicBool,
    /// The fields serde sends, by struct name (serde's), for every struct the type reaches:
    /// the field check names a field missing here as the one lost.
    pub(crate) sent_fields: HashMap<String, Vec<String>>,
}

static BY_TYPE: LazyLock<RwLock<HashMap<TypeId, &'static TypeRecord>>> =
    LazyLock::new(Default::default);
static BY_FINGERPRINT: LazyLock<RwLock<HashMap<u32, &'static str>>> =
    LazyLock::new(Default::default);

/// The shape of `T`, computed once per process.
pub fn shape_of<T: Gob>() -> Shape {
    record::<T>().shape
}

pub(crate) fn record<T: Gob>() -> &'static TypeRecord {
    let id = TypeId::of::<T>();
    if let Some(record) = BY_TYPE
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
    {
        return record;
    }
    let (fingerprint, sent_fields) = fingerprint::<T>();
    let shape = Shape {
        type_name: type_name::<T>(),
        fingerprint,
    };
    let record = *BY_TYPE
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(id)
        // One small record per type the program encodes: a bounded set, kept for good.
        .or_insert_with(|| {
            Box::leak(Box::new(TypeRecord {
                shape,
                encodes: AtomicU64::new(0),
                reported: AtomicBool::new(false),
                sent_fields,
            }))
        });
    BY_FINGERPRINT
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(shape.fingerprint)
        .or_insert(shape.type_name);
    record
}

/// The name of a type of this fingerprint, if this process has met one.
pub(crate) fn type_with_fingerprint(fingerprint: u32) -> Option<&'static str> {
    BY_FINGERPRINT
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&fingerprint)
        .copied()
}

fn fingerprint<T: DeserializeOwned>() -> (u32, HashMap<String, Vec<String>>) {
    let Some((description, registry)) = describe::<T>() else {
        // Types whose Deserialize cannot be traced (self-describing ones, such as a JSON
        // value) are told apart by name alone.
        log::debug!(
            "labgob: shape of {} not traceable; using its name",
            type_name::<T>()
        );
        let description = format!("untraced {}", type_name::<T>());
        return (fold(fnv1a(description.as_bytes())), HashMap::new());
    };
    (fold(fnv1a(description.as_bytes())), sent_fields(&registry))
}

/// The named fields of every struct, and of every struct-like enum variant whose name no
/// struct has, in `registry`.
fn sent_fields(registry: &Registry) -> HashMap<String, Vec<String>> {
    let names = |fields: &[Named<Format>]| fields.iter().map(|f| f.name.clone()).collect();
    let mut sent = HashMap::new();
    for (name, container) in registry {
        match container {
            ContainerFormat::Struct(fields) => {
                sent.insert(name.clone(), names(fields));
            }
            ContainerFormat::Enum(variants) => {
                for variant in variants.values() {
                    if let VariantFormat::Struct(fields) = &variant.value {
                        sent.entry(variant.name.clone())
                            .or_insert_with(|| names(fields));
                    }
                }
            }
            _ => {}
        }
    }
    sent
}

/// The serde data model of `T`: its format and every container it reaches, in a stable text.
///
/// serde-reflection finds an enum's variants one per pass, and `trace_simple_type` repeats
/// passes only for an enum at the top. So enums anywhere inside `T` are traced here: passes
/// repeat while a known enum still has variants left, and each enum the registry reports
/// as incomplete joins the known ones for a fresh trace (at most one restart per enum).
fn describe<T: DeserializeOwned>() -> Option<(String, Registry)> {
    const MAX_PASSES: usize = 10_000;
    let mut enums: Vec<String> = Vec::new();
    let mut passes = 0;
    loop {
        let mut tracer = Tracer::new(TracerConfig::default());
        let format = loop {
            passes += 1;
            if passes > MAX_PASSES {
                return None;
            }
            let (format, _) = tracer.trace_type_once::<T>(&SAMPLES).ok()?;
            // Clearing an enum's mark lets the next pass visit its next variant.
            let mut incomplete = false;
            for name in &enums {
                incomplete |= tracer.check_incomplete_enum(name).is_some();
            }
            if !incomplete {
                break format;
            }
        };
        match tracer.registry() {
            Ok(registry) => return Some((format!("{format:?} {registry:?}"), registry)),
            Err(serde_reflection::Error::MissingVariants(names)) => {
                let before = enums.len();
                for name in names {
                    if !enums.contains(&name) {
                        enums.push(name);
                    }
                }
                if enums.len() == before {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
}

static SAMPLES: LazyLock<Samples> = LazyLock::new(Samples::new);

fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

fn fold(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}
