//! The round-trip check: a field that does not come back from encoding (a `#[serde(skip)]`
//! field, or a lossy `Serialize`) is reported once per type, as Go's labgob reports
//! lower-case fields.
//!
//! Serde hides skipped fields from every trait, serde-reflection and serde's own value
//! trees included, so only `Debug` shows them: the check decodes a sample of the encoded
//! values of each type (the 1st, 2nd, 4th, 8th, ... so the cost vanishes) and compares their
//! pretty `Debug` texts, with the entries of maps and sets sorted (a `HashMap` may iterate
//! in another order after the trip). Formatting costs far more than encoding, so values
//! whose encoding exceeds [`MAX_CHECKED_PAYLOAD`] are not checked: a type is checked on its
//! smaller values.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

use crate::shape::TypeRecord;
use crate::Gob;

/// Encodings longer than this are not checked (a 64 KiB value formats in milliseconds).
pub const MAX_CHECKED_PAYLOAD: usize = 64 << 10;

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
    if record.reported.load(Ordering::Relaxed) || payload.len() > MAX_CHECKED_PAYLOAD {
        return;
    }
    let nth = record.encodes.fetch_add(1, Ordering::Relaxed) + 1;
    if !nth.is_power_of_two() {
        return;
    }
    let Some(problem) = round_trip_problem(record, value, payload) else {
        return;
    };
    if record.reported.swap(true, Ordering::Relaxed) {
        return;
    }
    let warning = format!(
        "labgob: {problem} does not survive encoding, in a value of type `{}`; a \
         field that is not sent (such as #[serde(skip)]) is lost in RPCs and in persisted state",
        record.shape.type_name
    );
    // Past cargo test's capture, as Go prints its warning: a passing test shows it too.
    lab_runtime::console::warning(&warning);
    WARNINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(warning);
}

/// What differs between `value` and the value decoded from its payload, if anything.
fn round_trip_problem<T: Gob>(record: &TypeRecord, value: &T, payload: &[u8]) -> Option<String> {
    let back: T = match crate::codec::decode_payload(payload, record.shape) {
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
    let sent_tree = Node::parse_all(&sent_lines);
    let received_tree = Node::parse_all(&received_lines);
    if sent_tree == received_tree {
        return None;
    }
    Some(describe_difference(record, &sent_tree, &received_tree))
}

/// One entry of a pretty `Debug` text: a line and the entries indented under it, then
/// maybe a closing line that goes on (`}: 5,` after a map key, `}: T {` ...), and so on.
/// Equal entries compare equal whatever the order of the entries of their maps and sets,
/// which are sorted.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Node<'a> {
    segments: Vec<(&'a str, Vec<Node<'a>>)>,
}

impl<'a> Node<'a> {
    fn parse_all(lines: &[&'a str]) -> Vec<Node<'a>> {
        let mut at = 0;
        let mut nodes = Vec::new();
        while at < lines.len() {
            nodes.push(Node::parse(lines, &mut at));
        }
        nodes
    }

    /// Parses the entry starting at `lines[*at]`; consumes at least that line.
    fn parse(lines: &[&'a str], at: &mut usize) -> Node<'a> {
        let indent = indentation(lines[*at]);
        let mut segments = Vec::new();
        loop {
            let line = lines[*at].trim();
            *at += 1;
            let mut children = Vec::new();
            while *at < lines.len() && indentation(lines[*at]) > indent {
                children.push(Node::parse(lines, at));
            }
            if opens_map_or_set(line) {
                children.sort();
            }
            segments.push((line, children));
            let goes_on = lines.get(*at).is_some_and(|next| {
                indentation(next) == indent && next.trim_start().starts_with(['}', ']', ')'])
            });
            if !goes_on {
                return Node { segments };
            }
        }
    }

    fn first_line(&self) -> &'a str {
        self.segments.first().map_or("", |(line, _)| line)
    }
}

/// `{` alone, or after a field name or a map key: a struct's line is `Name {` instead.
fn opens_map_or_set(line: &str) -> bool {
    line == "{" || line.ends_with(": {")
}

/// Names the first field (outermost first) on the way to the first difference that serde
/// does not send; else the innermost field there, which a lossy `Serialize` changed.
fn describe_difference<'a>(
    record: &TypeRecord,
    sent: &[Node<'a>],
    received: &[Node<'a>],
) -> String {
    // (field name, name of the struct holding it) along the way down.
    let mut path: Vec<(&'a str, Option<&'a str>)> = Vec::new();
    let mut holder: Option<&'a str> = None;
    let (mut sent, mut received) = (sent, received);
    let (shown_sent, shown_received) = loop {
        let Some((a, b)) = sent.iter().zip(received).find(|(a, b)| a != b) else {
            // One side has more entries.
            break (
                extra_line(sent, received.len()),
                extra_line(received, sent.len()),
            );
        };
        if let Some(field) = field_name(a.first_line()) {
            path.push((field, holder));
        }
        let same_shape = a.segments.len() == b.segments.len()
            && a.segments
                .iter()
                .zip(&b.segments)
                .all(|((la, _), (lb, _))| la == lb);
        let Some(((line, next_sent), (_, next_received))) = a
            .segments
            .iter()
            .zip(&b.segments)
            .find(|((_, ca), (_, cb))| ca != cb)
            .filter(|_| same_shape)
        else {
            break (a.first_line(), b.first_line());
        };
        holder = struct_name(line);
        sent = next_sent;
        received = next_received;
    };
    let not_sent = path.iter().position(|(field, holder)| {
        holder
            .and_then(|name| record.sent_fields.get(name))
            .is_some_and(|fields| !fields.iter().any(|f| f == field))
    });
    let end = not_sent.map_or(path.len(), |at| at + 1);
    let what = match path[..end].last() {
        Some((_, holder)) => {
            let dotted: Vec<&str> = path[..end].iter().map(|(field, _)| *field).collect();
            match holder {
                Some(name) => format!("field `{}` of struct `{name}`", dotted.join(".")),
                None => format!("field `{}`", dotted.join(".")),
            }
        }
        None => "a part".to_owned(),
    };
    format!("{what} (sent `{shown_sent}`, received `{shown_received}`)")
}

/// The first line of the entry at `at`, if there is one.
fn extra_line<'a>(nodes: &[Node<'a>], at: usize) -> &'a str {
    nodes.get(at).map_or("", Node::first_line)
}

/// `T4` for a line `T4 {`, `no: T4 {` or `}: T4 {`; `None` for other lines.
fn struct_name(line: &str) -> Option<&str> {
    let header = line.strip_suffix(" {")?;
    let name = header.rsplit_once(": ").map_or(header, |(_, name)| name);
    let name = name.rsplit_once("::").map_or(name, |(_, name)| name);
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_alphabetic() || first == '_') && chars.all(|c| c.is_alphanumeric() || c == '_'))
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
