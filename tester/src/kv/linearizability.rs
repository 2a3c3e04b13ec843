//! The linearizability check of the clerks' history (the end of Go's `GenericTest`): the
//! one place that talks to the checker, `porcupine`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use porcupine::models::kv::{KvInput, KvOp};
use porcupine::{Annotation, CheckResult, LinearizationInfo};

use super::digest::{KvDigestModel, Observed};
use super::history::{Event, History, OpKind, Operation};

/// How long the checker may take before the history is assumed fine (Go's
/// `linearizabilityCheckTimeout`).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// What the check found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    /// The checker ran out of time: assumed fine, as in Go.
    TimedOut,
    /// No order explains what the clerks saw of `key`; the page is in `page`, if it could
    /// be written (or why not).
    Illegal {
        key: String,
        page: Result<PathBuf, String>,
    },
}

/// Checks the history; an illegal one fails the test, naming the key and the page that
/// shows it with the tester's partitions, crashes and checks. A check that runs out of time
/// passes, as in Go.
pub fn check_or_fail(history: &History) {
    match verdict(&history.operations(), &history.events()) {
        Verdict::Linearizable => {}
        Verdict::TimedOut => lab_runtime::console::print(
            "info: linearizability check timed out, assuming history is ok\n",
        ),
        Verdict::Illegal { key, page } => {
            let page = match page {
                Ok(path) => format!("the history is drawn in {}", path.display()),
                Err(err) => format!("failed to write the history's page: {err}"),
            };
            panic!("history is not linearizable: the values of key {key:?} cannot be explained by any order of the operations; {page}");
        }
    }
}

/// Checks `operations` against the key/value model; on an illegal history, writes the page
/// with `events` as annotations.
pub fn verdict(operations: &[Operation], events: &[Event]) -> Verdict {
    let history: Vec<_> = operations.iter().map(to_porcupine).collect();
    let (result, info) =
        porcupine::check_operations_verbose(&KvDigestModel, &history, Some(CHECK_TIMEOUT));
    match result {
        CheckResult::Ok => Verdict::Linearizable,
        CheckResult::Unknown => Verdict::TimedOut,
        CheckResult::Illegal => Verdict::Illegal {
            key: illegal_key(&info),
            page: write_page(&info, events),
        },
    }
}

fn to_porcupine(operation: &Operation) -> porcupine::Operation<KvInput, Observed> {
    let op = match operation.kind {
        OpKind::Get => KvOp::Get,
        OpKind::Put => KvOp::Put,
        OpKind::Append => KvOp::Append,
    };
    porcupine::Operation {
        client_id: operation.client_id,
        input: KvInput {
            op,
            key: operation.key.clone(),
            value: operation.value.clone(),
        },
        call: operation.call,
        output: operation.output.clone(),
        return_time: operation.return_time,
    }
}

fn illegal_key(info: &LinearizationInfo<KvInput, Observed>) -> String {
    let partitions = info.partitions().iter();
    let mut illegal = partitions.filter(|p| p.result == CheckResult::Illegal);
    illegal
        .next()
        .and_then(|partition| partition.operations.first())
        .map_or_else(|| String::from("?"), |op| op.input.key.clone())
}

/// Writes the page to a fresh file in the temporary directory, as Go's `ioutil.TempFile`.
fn write_page(
    info: &LinearizationInfo<KvInput, Observed>,
    events: &[Event],
) -> Result<PathBuf, String> {
    static PAGES: AtomicUsize = AtomicUsize::new(0);
    let test = std::thread::current()
        .name()
        .unwrap_or("kv")
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "-");
    let number = PAGES.fetch_add(1, Ordering::Relaxed);
    let name = format!("{test}-{}-{number}.html", std::process::id());
    let path = std::env::temp_dir().join(name);
    let annotations: Vec<Annotation> = events.iter().map(annotation).collect();
    porcupine::visualize_path(&KvDigestModel, info, &annotations, &path)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    Ok(path)
}

fn annotation(event: &Event) -> Annotation {
    Annotation {
        client_id: None,
        tag: event.tag.clone(),
        start: event.start,
        end: event.end,
        description: event.description.clone(),
        details: event.description.clone(),
        text_color: None,
        background_color: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        client_id: usize,
        kind: OpKind,
        value: &str,
        output: &str,
        call: i64,
        ret: i64,
    ) -> Operation {
        Operation {
            client_id,
            kind,
            key: "k".into(),
            value: value.into(),
            output: Observed::of(output),
            call,
            return_time: ret,
        }
    }

    #[test]
    fn a_stale_read_after_a_write_returned_is_illegal_and_names_the_key() {
        let history = [
            op(0, OpKind::Put, "1", "", 0, 1),
            op(1, OpKind::Get, "", "", 2, 3),
        ];
        match verdict(&history, &[]) {
            Verdict::Illegal { key, page } => {
                assert_eq!(key, "k");
                let path = page.expect("the page is written");
                assert!(path.exists());
                let _ = std::fs::remove_file(path);
            }
            other => panic!("expected an illegal history, got {other:?}"),
        }
    }

    #[test]
    fn operations_that_meet_at_one_instant_overlap() {
        // The Put returns at the instant (tick 2n+1) after the Get's call (tick 2n) at the
        // same nanosecond: the Get may come first, so reading "" is fine.
        let history = [
            op(0, OpKind::Put, "1", "", 0, 21),
            op(1, OpKind::Get, "", "", 20, 41),
        ];
        assert_eq!(verdict(&history, &[]), Verdict::Linearizable);
    }
}
