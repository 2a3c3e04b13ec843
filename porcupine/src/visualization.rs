//! The page: one self-contained HTML file (its style, script and data inline) that draws a
//! checked history as a lane per client, each operation a bar from call to return, with
//! the longest linearization found drawn through the bars.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::info::LinearizationInfo;
use crate::model::{CheckResult, Model};

const TEMPLATE: &str = include_str!("visualization/page.html");
const STYLE: &str = include_str!("visualization/page.css");
const SCRIPT: &str = include_str!("visualization/page.js");

/// A mark on the page that is not an operation: a server's state change, a partition of the
/// network, a test phase.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotation {
    /// The client lane to draw it in; `None` puts it in a lane of its own, named by `tag`
    /// (or "tester" when `tag` is empty).
    pub client_id: Option<usize>,
    pub tag: String,
    /// Times in the history's units (nanoseconds); `end < start` is taken as `end == start`,
    /// a point in time.
    pub start: i64,
    pub end: i64,
    /// Shown in the bar.
    pub description: String,
    /// Shown on hover.
    pub details: String,
    /// CSS colours, such as `"#efaefc"`.
    pub text_color: Option<String>,
    pub background_color: Option<String>,
}

#[derive(Serialize)]
struct PageData {
    result: &'static str,
    partitions: Vec<PartitionData>,
    annotations: Vec<AnnotationData>,
}

#[derive(Serialize)]
struct PartitionData {
    result: &'static str,
    operations: Vec<OperationData>,
    linearizations: Vec<Vec<StepData>>,
}

#[derive(Serialize)]
struct OperationData {
    client: usize,
    /// Layout positions: ranks of the times, a call before a return at the same time.
    start: u64,
    end: u64,
    /// The original times, as text (they may not fit a JavaScript number).
    call: String,
    #[serde(rename = "return")]
    return_time: String,
    index: usize,
    description: String,
}

#[derive(Serialize)]
struct StepData {
    op: usize,
    state: String,
}

#[derive(Serialize)]
struct AnnotationData {
    client: Option<usize>,
    lane: String,
    start: u64,
    end: u64,
    call: String,
    #[serde(rename = "return")]
    return_time: String,
    description: String,
    details: String,
    #[serde(rename = "textColor")]
    text_color: Option<String>,
    #[serde(rename = "backgroundColor")]
    background_color: Option<String>,
}

/// Writes the page for a checked history (from a `*_verbose` check) to `out`.
pub fn visualize<M: Model>(
    model: &M,
    info: &LinearizationInfo<M::Input, M::Output>,
    annotations: &[Annotation],
    out: &mut impl Write,
) -> io::Result<()> {
    let data = page_data(model, info, annotations);
    let json = serde_json::to_string(&data).map_err(io::Error::other)?;
    // '<' only occurs inside JSON strings, where \u003c means the same; without it a
    // description containing "</script>" would end the script.
    let json = json.replace('<', "\\u003c");
    let mut rest = TEMPLATE;
    for (marker, content) in [
        ("/*STYLE*/", STYLE),
        ("/*SCRIPT*/", SCRIPT),
        ("/*DATA*/", json.as_str()),
    ] {
        let Some((before, after)) = rest.split_once(marker) else {
            return Err(io::Error::other(format!(
                "the page template lacks {marker}"
            )));
        };
        out.write_all(before.as_bytes())?;
        out.write_all(content.as_bytes())?;
        rest = after;
    }
    out.write_all(rest.as_bytes())?;
    out.flush()
}

/// Writes the page to the file `path`.
pub fn visualize_path<M: Model>(
    model: &M,
    info: &LinearizationInfo<M::Input, M::Output>,
    annotations: &[Annotation],
    path: &Path,
) -> io::Result<()> {
    let mut file = io::BufWriter::new(std::fs::File::create(path)?);
    visualize(model, info, annotations, &mut file)
}

fn page_data<M: Model>(
    model: &M,
    info: &LinearizationInfo<M::Input, M::Output>,
    annotations: &[Annotation],
) -> PageData {
    // Rank every instant so the page gets small integers; 2r for calls and starts, 2r + 1
    // for returns and ends, so a return at the same instant as a call is drawn after it.
    let mut instants = BTreeSet::new();
    for partition in info.partitions() {
        for operation in &partition.operations {
            instants.insert(operation.call);
            instants.insert(operation.return_time);
        }
    }
    for annotation in annotations {
        instants.insert(annotation.start);
        instants.insert(annotation.end.max(annotation.start));
    }
    let instants: Vec<i64> = instants.into_iter().collect();
    let rank = |time: i64| instants.binary_search(&time).unwrap_or(0) as u64;

    let partitions: Vec<PartitionData> = info
        .partitions()
        .iter()
        .map(|partition| {
            let operations = partition
                .operations
                .iter()
                .zip(&partition.history_indices)
                .map(|(operation, &index)| OperationData {
                    client: operation.client_id,
                    start: 2 * rank(operation.call),
                    end: 2 * rank(operation.return_time) + 1,
                    call: operation.call.to_string(),
                    return_time: operation.return_time.to_string(),
                    index,
                    description: model.describe_operation(&operation.input, &operation.output),
                })
                .collect();
            let linearizations = partition
                .partial_linearizations
                .iter()
                .map(|ids| replay(model, &partition.operations, ids))
                .collect();
            PartitionData {
                result: partition.result.as_str(),
                operations,
                linearizations,
            }
        })
        .collect();

    let annotations = annotations
        .iter()
        .map(|annotation| {
            let end = annotation.end.max(annotation.start);
            AnnotationData {
                client: annotation.client_id,
                lane: if annotation.tag.is_empty() {
                    "tester".to_string()
                } else {
                    annotation.tag.clone()
                },
                start: 2 * rank(annotation.start),
                end: 2 * rank(end) + 1,
                call: annotation.start.to_string(),
                return_time: end.to_string(),
                description: annotation.description.clone(),
                details: annotation.details.clone(),
                text_color: annotation.text_color.clone(),
                background_color: annotation.background_color.clone(),
            }
        })
        .collect();

    let results = || partitions.iter().map(|partition| partition.result);
    let result = if results().any(|r| r == CheckResult::Illegal.as_str()) {
        CheckResult::Illegal
    } else if results().any(|r| r == CheckResult::Unknown.as_str()) {
        CheckResult::Unknown
    } else {
        CheckResult::Ok
    };
    PageData {
        result: result.as_str(),
        partitions,
        annotations,
    }
}

/// The state after each step of a linearization.
fn replay<M: Model>(
    model: &M,
    operations: &[crate::model::Operation<M::Input, M::Output>],
    ids: &[usize],
) -> Vec<StepData> {
    let mut state = model.init();
    let mut steps = Vec::with_capacity(ids.len());
    for &op in ids {
        let Some(operation) = operations.get(op) else {
            break;
        };
        match model.step(&state, &operation.input, &operation.output) {
            Some(next) => state = next,
            None => {
                // The checker only records steps the model took; a model whose step is not
                // a function of its arguments can disagree on replay. Say so, stop there.
                steps.push(StepData {
                    op,
                    state: "(the model refused this step when replayed)".to_string(),
                });
                break;
            }
        }
        steps.push(StepData {
            op,
            state: model.describe_state(&state),
        });
    }
    steps
}
