//! A single register with read, write and compare-and-set, whose operations may end without
//! an answer: the model porcupine's own tests check Jepsen's etcd histories with.

use crate::model::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EtcdInput {
    Read,
    Write(i64),
    /// Set to `to` if the value is `from`.
    Cas {
        from: i64,
        to: i64,
    },
}

/// What the client saw. `unknown` means it never learned the outcome (a timeout): the
/// operation may or may not have taken effect, so any state explains it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EtcdOutput {
    /// Whether a Cas succeeded.
    pub ok: bool,
    /// Whether a Read found a value (`false`: the key was absent).
    pub exists: bool,
    /// The value a Read found.
    pub value: i64,
    pub unknown: bool,
}

impl EtcdOutput {
    /// The output of an operation whose outcome is unknown.
    pub fn unknown() -> Self {
        EtcdOutput {
            unknown: true,
            ..EtcdOutput::default()
        }
    }
}

/// The model; the state is the register's value, `None` before the first write.
#[derive(Clone, Copy, Debug, Default)]
pub struct EtcdModel;

impl Model for EtcdModel {
    type State = Option<i64>;
    type Input = EtcdInput;
    type Output = EtcdOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &EtcdInput,
        output: &EtcdOutput,
    ) -> Option<Option<i64>> {
        match *input {
            EtcdInput::Read => {
                let seen = if output.exists {
                    Some(output.value)
                } else {
                    None
                };
                (output.unknown || seen == *state).then_some(*state)
            }
            EtcdInput::Write(value) => Some(Some(value)),
            EtcdInput::Cas { from, to } => {
                let matches = *state == Some(from);
                // An unknown Cas still takes effect exactly when it would have succeeded.
                (output.unknown || matches == output.ok).then_some(if matches {
                    Some(to)
                } else {
                    *state
                })
            }
        }
    }

    fn describe_operation(&self, input: &EtcdInput, output: &EtcdOutput) -> String {
        match *input {
            EtcdInput::Read => {
                if output.unknown {
                    "read() -> unknown".to_string()
                } else if output.exists {
                    format!("read() -> {}", output.value)
                } else {
                    "read() -> null".to_string()
                }
            }
            EtcdInput::Write(value) => format!("write({value})"),
            EtcdInput::Cas { from, to } => {
                let result = if output.unknown {
                    "unknown"
                } else if output.ok {
                    "ok"
                } else {
                    "fail"
                };
                format!("cas({from}, {to}) -> {result}")
            }
        }
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        match state {
            Some(value) => value.to_string(),
            None => "null".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_read_write_cas() {
        let model = EtcdModel;
        let read = |exists, value| EtcdOutput {
            exists,
            value,
            ..EtcdOutput::default()
        };
        assert_eq!(
            model.step(&None, &EtcdInput::Read, &read(false, 0)),
            Some(None)
        );
        assert_eq!(model.step(&None, &EtcdInput::Read, &read(true, 0)), None);
        assert_eq!(
            model.step(&Some(3), &EtcdInput::Read, &read(true, 3)),
            Some(Some(3))
        );
        assert_eq!(
            model.step(&Some(3), &EtcdInput::Read, &EtcdOutput::unknown()),
            Some(Some(3))
        );
        let cas = EtcdInput::Cas { from: 3, to: 4 };
        let ok = EtcdOutput {
            ok: true,
            ..EtcdOutput::default()
        };
        assert_eq!(model.step(&Some(3), &cas, &ok), Some(Some(4)));
        assert_eq!(model.step(&Some(2), &cas, &ok), None);
        assert_eq!(
            model.step(&Some(2), &cas, &EtcdOutput::default()),
            Some(Some(2))
        );
        assert_eq!(
            model.step(&Some(3), &cas, &EtcdOutput::unknown()),
            Some(Some(4))
        );
        assert_eq!(
            model.step(&Some(2), &cas, &EtcdOutput::unknown()),
            Some(Some(2))
        );
    }
}
