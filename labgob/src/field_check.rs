//! The round-trip check: a field that does not come back from encoding (a `#[serde(skip)]`
//! field, or a lossy `Serialize`) is reported once per type, as Go's labgob reports
//! lower-case fields.
//!
//! Serde hides skipped fields from every trait, so the check compares values: it decodes a
//! sample of the encoded values of each type (the 1st, 2nd, 4th, 8th, ... so the cost vanishes)
//! and compares their `Debug` texts. The first line that differs names the field.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

use bincode::Options;

use crate::shape::TypeRecord;
use crate::Gob;

static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Every warning labgob has printed in this process.
pub fn warnings() -> Vec<String> {
    WARNINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// How many warnings labgob has printed in this process (Go's `errorCount`).
pub fn warning_count() -> usize {
    WARNINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len()
}

pub(crate) fn after_encode<T: Gob>(record: &TypeRecord, value: &T, payload: &[u8]) {
    if record.reported.load(Ordering::Relaxed) {
        return;
    }
    let nth = record.encodes.fetch_add(1, Ordering::Relaxed) + 1;
    if !nth.is_power_of_two() {
        return;
    }
    let Some(problem) = round_trip_problem(value, payload) else {
        return;
    };
    if record.reported.swap(true, Ordering::Relaxed) {
        return;
    }
    let warning = format!(
        "labgob warning: {problem} does not survive encoding, in a value of type `{}`; a \
         field that is not sent (such as #[serde(skip)]) is lost in RPCs and in persisted state",
        record.shape.type_name
    );
    eprintln!("{warning}");
    WARNINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(warning);
}

/// What differs between `value` and the value decoded from its payload, if anything.
fn round_trip_problem<T: Gob>(value: &T, payload: &[u8]) -> Option<String> {
    let back: T = match bincode::DefaultOptions::new().deserialize(payload) {
        Ok(back) => back,
        Err(err) => return Some(format!("a value (it does not decode: {err})")),
    };
    let sent = format!("{value:#?}");
    let received = format!("{back:#?}");
    if sent == received {
        return None;
    }
    let sent_lines: Vec<&str> = sent.lines().collect();
    let received_lines: Vec<&str> = received.lines().collect();
    let at = sent_lines
        .iter()
        .zip(&received_lines)
        .position(|(a, b)| a != b)
        .unwrap_or(sent_lines.len().min(received_lines.len()));
    let shown = |lines: &[&str]| lines.get(at).map_or("", |l| l.trim()).to_owned();
    let what = match (
        field_path(&sent_lines, at),
        enclosing_struct(&sent_lines, at),
    ) {
        (Some(path), Some(name)) => format!("field `{path}` of struct `{name}`"),
        (Some(path), None) => format!("field `{path}`"),
        (None, _) => "a part".to_owned(),
    };
    Some(format!(
        "{what} (sent `{}`, received `{}`)",
        shown(&sent_lines),
        shown(&received_lines)
    ))
}

/// The dotted path of struct fields leading to line `at` of a pretty `Debug` text.
fn field_path(lines: &[&str], at: usize) -> Option<String> {
    let line = lines.get(at)?;
    let mut indent = indentation(line);
    let mut path: Vec<&str> = field_name(line).into_iter().collect();
    for line in lines[..at].iter().rev() {
        if indentation(line) < indent {
            indent = indentation(line);
            path.extend(field_name(line));
        }
    }
    path.reverse();
    (!path.is_empty()).then(|| path.join("."))
}

/// The name of the innermost struct whose pretty `Debug` text holds line `at`
/// (`T4` for a line inside `T4 {` or `field: T4 {`).
fn enclosing_struct<'a>(lines: &[&'a str], at: usize) -> Option<&'a str> {
    let indent = indentation(lines.get(at)?);
    let header = lines[..at]
        .iter()
        .rev()
        .find(|line| indentation(line) < indent)?
        .trim()
        .strip_suffix(" {")?;
    let name = header.rsplit_once(": ").map_or(header, |(_, name)| name);
    let name = name.rsplit_once('(').map_or(name, |(_, name)| name);
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ':'))
    .then_some(name)
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// `name` of a `name: value` line, when `name` is an identifier.
fn field_name(line: &str) -> Option<&str> {
    let (name, _) = line.trim_start().split_once(": ")?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_alphabetic() || first == '_') && chars.all(|c| c.is_alphanumeric() || c == '_'))
        .then_some(name)
}
