//! Reading porcupine's test histories (Jepsen's etcd logs and the kv logs) into event
//! histories, exactly as porcupine's `porcupine_test.go` does: the same line patterns, the
//! same handling of timeouts and of calls left open at the end. Shared by the tests and the
//! benchmark example.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use porcupine::models::etcd::{EtcdInput, EtcdOutput};
use porcupine::models::kv::{KvInput, KvOp, KvOutput};
use porcupine::{Event, EventValue, Model};

pub type EtcdEvent = Event<EventValue<EtcdInput, EtcdOutput>>;
pub type KvEvent = Event<EventValue<KvInput, KvOutput>>;

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The etcd logs porcupine tests, with the verdict it expects (`true`: linearizable). Log
/// 95 is absent: etcd failed to start in that run.
pub const JEPSEN_VERDICTS: [(u32, bool); 102] = [
    (0, false),
    (1, false),
    (2, true),
    (3, false),
    (4, false),
    (5, true),
    (6, false),
    (7, true),
    (8, false),
    (9, false),
    (10, false),
    (11, false),
    (12, false),
    (13, false),
    (14, false),
    (15, false),
    (16, false),
    (17, false),
    (18, true),
    (19, false),
    (20, false),
    (21, false),
    (22, false),
    (23, false),
    (24, false),
    (25, true),
    (26, false),
    (27, false),
    (28, false),
    (29, false),
    (30, false),
    (31, true),
    (32, false),
    (33, false),
    (34, false),
    (35, false),
    (36, false),
    (37, false),
    (38, true),
    (39, false),
    (40, false),
    (41, false),
    (42, false),
    (43, false),
    (44, false),
    (45, true),
    (46, false),
    (47, false),
    (48, true),
    (49, true),
    (50, false),
    (51, true),
    (52, false),
    (53, true),
    (54, false),
    (55, false),
    (56, true),
    (57, false),
    (58, false),
    (59, false),
    (60, false),
    (61, false),
    (62, false),
    (63, false),
    (64, false),
    (65, false),
    (66, false),
    (67, true),
    (68, false),
    (69, false),
    (70, false),
    (71, false),
    (72, false),
    (73, false),
    (74, false),
    (75, true),
    (76, true),
    (77, false),
    (78, false),
    (79, false),
    (80, true),
    (81, false),
    (82, false),
    (83, false),
    (84, false),
    (85, false),
    (86, false),
    (87, true),
    (88, false),
    (89, false),
    (90, false),
    (91, false),
    (92, true),
    (93, false),
    (94, false),
    (96, false),
    (97, false),
    (98, true),
    (99, false),
    (100, true),
    (101, true),
    (102, true),
];

/// The kv logs porcupine tests, with the verdict it expects.
pub const KV_VERDICTS: [(&str, bool); 6] = [
    ("c01-ok", true),
    ("c01-bad", false),
    ("c10-ok", true),
    ("c10-bad", false),
    ("c50-ok", true),
    ("c50-bad", false),
];

pub fn jepsen_path(number: u32) -> PathBuf {
    data_dir().join(format!("jepsen/etcd_{number:03}.log"))
}

pub fn kv_path(name: &str) -> PathBuf {
    data_dir().join(format!("kv/{name}.txt"))
}

/// Matches calls to returns by process: a process has at most one call open.
struct Pairing {
    next_id: usize,
    open: BTreeMap<usize, usize>,
}

impl Pairing {
    fn new() -> Self {
        Pairing {
            next_id: 0,
            open: BTreeMap::new(),
        }
    }

    fn call(&mut self, process: usize) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        self.open.insert(process, id);
        id
    }

    fn ret(&mut self, process: usize, line: &str) -> usize {
        self.open
            .remove(&process)
            .unwrap_or_else(|| panic!("a return with no open call: {line}"))
    }
}

fn number<T: std::str::FromStr>(text: &str, line: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("not a number {text:?} in {line}"))
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A Jepsen etcd log as events. Lines are `INFO jepsen.util - <process> <type> <f> <value>`
/// separated by whitespace; lines of any other shape (including `:info` timeouts, whose
/// calls stay open) are skipped, as porcupine's regular expressions skip them. Calls still
/// open at the end get an unknown return there.
pub fn parse_jepsen_log(path: &Path) -> Vec<EtcdEvent> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    let mut events = Vec::new();
    let mut pairing = Pairing::new();
    for line in text.lines() {
        if line.ends_with(char::is_whitespace) {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [info, logger, dash, process, rest @ ..] = fields.as_slice() else {
            continue;
        };
        if (*info, *logger, *dash) != ("INFO", "jepsen.util", "-") || !digits(process) {
            continue;
        }
        let process: usize = number(process, line);
        match rest {
            [":invoke", ":read", "nil"] => {
                let id = pairing.call(process);
                events.push(Event::call(process, id, EtcdInput::Read));
            }
            [":invoke", ":write", value] if digits(value) => {
                let id = pairing.call(process);
                events.push(Event::call(
                    process,
                    id,
                    EtcdInput::Write(number(value, line)),
                ));
            }
            [":invoke", ":cas", from, to] if cas_args(from, to).is_some() => {
                let (from, to) = cas_args(from, to).expect("checked by the guard");
                let id = pairing.call(process);
                let input = EtcdInput::Cas {
                    from: number(from, line),
                    to: number(to, line),
                };
                events.push(Event::call(process, id, input));
            }
            [":ok", ":read", value] if *value == "nil" || digits(value) => {
                let id = pairing.ret(process, line);
                let output = if *value == "nil" {
                    EtcdOutput::default()
                } else {
                    EtcdOutput {
                        exists: true,
                        value: number(value, line),
                        ..EtcdOutput::default()
                    }
                };
                events.push(Event::ret(process, id, output));
            }
            [":ok", ":write", value] if digits(value) => {
                let id = pairing.ret(process, line);
                events.push(Event::ret(process, id, EtcdOutput::default()));
            }
            [outcome @ (":ok" | ":fail"), ":cas", from, to] if cas_args(from, to).is_some() => {
                let id = pairing.ret(process, line);
                let output = EtcdOutput {
                    ok: *outcome == ":ok",
                    ..EtcdOutput::default()
                };
                events.push(Event::ret(process, id, output));
            }
            [":fail", ":read", ":timed-out"] => {
                let id = pairing.ret(process, line);
                events.push(Event::ret(process, id, EtcdOutput::unknown()));
            }
            _ => {}
        }
    }
    for (process, id) in std::mem::take(&mut pairing.open) {
        events.push(Event::ret(process, id, EtcdOutput::unknown()));
    }
    events
}

/// `[3` and `0]` as `("3", "0")`.
fn cas_args<'a>(from: &'a str, to: &'a str) -> Option<(&'a str, &'a str)> {
    let from = from.strip_prefix('[')?;
    let to = to.strip_suffix(']')?;
    (digits(from) && digits(to)).then_some((from, to))
}

/// A kv log (`{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}`) as
/// events; calls still open at the end get an empty return there, as porcupine does.
pub fn parse_kv_log(path: &Path) -> Vec<KvEvent> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    let mut events = Vec::new();
    let mut pairing = Pairing::new();
    for line in text.lines() {
        let Some(record) = KvRecord::parse(line) else {
            continue;
        };
        let op = match record.f {
            ":get" => KvOp::Get,
            ":put" => KvOp::Put,
            ":append" => KvOp::Append,
            _ => continue,
        };
        match (record.kind, op) {
            (":invoke", KvOp::Get) if record.value.is_none() => {
                let id = pairing.call(record.process);
                let input = KvInput {
                    op,
                    key: record.key.to_string(),
                    value: String::new(),
                };
                events.push(Event::call(record.process, id, input));
            }
            (":invoke", KvOp::Put | KvOp::Append) if record.value.is_some() => {
                let id = pairing.call(record.process);
                let input = KvInput {
                    op,
                    key: record.key.to_string(),
                    value: record.value.unwrap_or_default().to_string(),
                };
                events.push(Event::call(record.process, id, input));
            }
            (":ok", _) if record.value.is_some() => {
                let id = pairing.ret(record.process, line);
                let value = match op {
                    KvOp::Get => record.value.unwrap_or_default().to_string(),
                    KvOp::Put | KvOp::Append => String::new(),
                };
                events.push(Event::ret(record.process, id, KvOutput { value }));
            }
            _ => {}
        }
    }
    for (process, id) in std::mem::take(&mut pairing.open) {
        events.push(Event::ret(
            process,
            id,
            KvOutput {
                value: String::new(),
            },
        ));
    }
    events
}

struct KvRecord<'a> {
    process: usize,
    kind: &'a str,
    f: &'a str,
    key: &'a str,
    /// `None` for `nil`.
    value: Option<&'a str>,
}

impl<'a> KvRecord<'a> {
    /// Porcupine's patterns are greedy (`"(.*)"`), so the key runs to the last `", :value`
    /// and the value to the last `"}`.
    fn parse(line: &'a str) -> Option<Self> {
        let rest = line.split_once("{:process ")?.1;
        let (process, rest) = rest.split_once(", :type ")?;
        let (kind, rest) = rest.split_once(", :f ")?;
        let (f, rest) = rest.split_once(", :key \"")?;
        let (key, value) = rest.rsplit_once("\", :value ")?;
        let value = if value.starts_with("nil}") {
            None
        } else {
            Some(value.strip_prefix('"')?.rsplit_once("\"}")?.0)
        };
        Some(KvRecord {
            process: digits(process).then(|| number(process, line))?,
            kind,
            f,
            key,
            value,
        })
    }
}

/// Porcupine's `kvNoPartitionModel`: the whole store as one state and no partitioning, a
/// slow way to check kv histories that porcupine's tests and benchmarks also measure. Like
/// porcupine's, its state hash is the XOR of a hash per key/value pair, which lets a step
/// update it instead of rehashing the store.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvNoPartitionModel;

/// The store: shared maps of shared strings, so a step copies pointers, not text.
#[derive(Clone, Debug, Default)]
pub struct Store {
    values: Arc<BTreeMap<Arc<str>, Arc<str>>>,
    hash: u64,
}

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.values == other.values
    }
}

impl Eq for Store {}

impl std::hash::Hash for Store {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

fn pair_hash(key: &str, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (key, value).hash(&mut hasher);
    hasher.finish()
}

impl Store {
    fn with(&self, key: &str, value: String) -> Store {
        let mut values = BTreeMap::clone(&self.values);
        let mut hash = self.hash ^ pair_hash(key, &value);
        if let Some(old) = values.insert(Arc::from(key), Arc::from(value)) {
            hash ^= pair_hash(key, &old);
        }
        Store {
            values: Arc::new(values),
            hash,
        }
    }

    fn get(&self, key: &str) -> &str {
        self.values.get(key).map_or("", |value| value)
    }
}

impl Model for KvNoPartitionModel {
    type State = Store;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> Store {
        Store::default()
    }

    fn step(&self, state: &Store, input: &KvInput, output: &KvOutput) -> Option<Store> {
        match input.op {
            KvOp::Get => (state.get(&input.key) == output.value).then(|| state.clone()),
            KvOp::Put => Some(state.with(&input.key, input.value.clone())),
            KvOp::Append => {
                let value = format!("{}{}", state.get(&input.key), input.value);
                Some(state.with(&input.key, value))
            }
        }
    }
}

/// How many operations of each key a history has (to spot-check partitioning).
pub fn keys_of(events: &[KvEvent]) -> HashMap<String, usize> {
    let mut keys = HashMap::new();
    for event in events {
        if let EventValue::Input(input) = &event.value {
            *keys.entry(input.key.clone()).or_insert(0) += 1;
        }
    }
    keys
}

/// The same history as operations, timed by event position (what the event form means).
pub fn events_to_operations<I: Clone, O: Clone>(
    events: &[Event<EventValue<I, O>>],
) -> Vec<porcupine::Operation<I, O>> {
    let mut calls: HashMap<usize, (usize, I)> = HashMap::new();
    let mut operations = Vec::new();
    for (position, event) in events.iter().enumerate() {
        match &event.value {
            EventValue::Input(input) => {
                calls.insert(event.id, (position, input.clone()));
            }
            EventValue::Output(output) => {
                let (call, input) = calls
                    .remove(&event.id)
                    .unwrap_or_else(|| panic!("event {position}: a return with no call"));
                operations.push(porcupine::Operation {
                    client_id: event.client_id,
                    input,
                    call: call as i64,
                    output: output.clone(),
                    return_time: position as i64,
                });
            }
        }
    }
    operations
}
