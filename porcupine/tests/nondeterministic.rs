//! Porcupine's nondeterministic register test: put-any writes some subset of its values,
//! get-any reads a subset of the register, get-all reads all of it.

use porcupine::{
    check_events, check_events_verbose, visualize, CheckResult, Event, NondeterministicModel,
    PowerSet,
};

struct AnySubsetRegister;

#[derive(Clone, Debug)]
enum Input {
    PutAny(Vec<i32>),
    GetAny,
    GetAll,
}

fn subsets(values: &[i32]) -> Vec<Vec<i32>> {
    let Some((first, rest)) = values.split_first() else {
        return vec![Vec::new()];
    };
    let mut all = Vec::new();
    for subset in subsets(rest) {
        let mut with_first = vec![*first];
        with_first.extend(&subset);
        all.push(subset);
        all.push(with_first);
    }
    all
}

fn sorted(values: &[i32]) -> Vec<i32> {
    let mut values = values.to_vec();
    values.sort_unstable();
    values.dedup();
    values
}

impl NondeterministicModel for AnySubsetRegister {
    /// The register's values, sorted.
    type State = Vec<i32>;
    type Input = Input;
    type Output = Vec<i32>;

    fn init(&self) -> Vec<Vec<i32>> {
        vec![Vec::new()]
    }

    fn step(&self, state: &Vec<i32>, input: &Input, output: &Vec<i32>) -> Vec<Vec<i32>> {
        match input {
            Input::PutAny(values) => subsets(values).iter().map(|s| sorted(s)).collect(),
            Input::GetAny if output.iter().all(|value| state.contains(value)) => {
                vec![state.clone()]
            }
            Input::GetAll if sorted(output) == *state => vec![state.clone()],
            Input::GetAny | Input::GetAll => Vec::new(),
        }
    }
}

fn history(get_all: Vec<i32>) -> Vec<Event<porcupine::EventValue<Input, Vec<i32>>>> {
    vec![
        Event::call(0, 0, Input::PutAny(vec![1, 2, 3, 4])),
        Event::call(1, 1, Input::GetAny),
        Event::call(2, 2, Input::GetAny),
        Event::call(3, 3, Input::GetAll),
        Event::ret(2, 2, vec![2]),
        Event::ret(1, 1, vec![1, 4]),
        Event::ret(3, 3, get_all),
        Event::ret(0, 0, vec![]),
    ]
}

#[test]
fn porcupines_nondeterministic_register_example_is_illegal() {
    let model = PowerSet(AnySubsetRegister);
    // get-all saw {1, 2, 3}, but get-any saw 4, and nothing removes a value.
    let (result, info) = check_events_verbose(&model, &history(vec![1, 2, 3]), None);
    assert_eq!(result, CheckResult::Illegal);
    let mut page = Vec::new();
    visualize(&model, &info, &[], &mut page).expect("writing to memory");
    let page = String::from_utf8_lossy(&page).into_owned();
    // States on the page are sets of register contents.
    assert!(page.contains("\"state\":\"{["), "state sets are described");
    assert!(
        page.contains(", [1, 2, 3, 4]"),
        "put-any may have written all four"
    );
}

#[test]
fn a_consistent_reading_is_linearizable() {
    let model = PowerSet(AnySubsetRegister);
    assert_eq!(
        check_events(&model, &history(vec![1, 2, 4]), None),
        CheckResult::Ok
    );
}
