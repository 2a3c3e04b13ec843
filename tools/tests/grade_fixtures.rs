//! Deliberately misbehaving Rafts for `grade`'s own tests: each is the lab's Raft plus one
//! misdeed, run by the tester's `initial_election`. Only `correct_2A` may score.
//!
//! Built only with the `broken-fixture` feature, so that `cargo test` never runs it; `grade`
//! runs it in simulation (fixtures that never leave a loop do so before virtual time moves,
//! so every outcome is certain).

use std::io::Write;
use std::marker::PhantomData;
use std::sync::Arc;

use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration};
use labrpc::{ClientEnd, Service};
use tester::{ApplySender, Persister, RaftPeer};

/// One misbehaviour, done when peer 0 is made.
trait Misdeed: Send + Sync + 'static {
    fn on_make();
    /// Whether a leader may say so (a Raft that never leads fails the test).
    const LEADS: bool = true;
}

struct Fixture<M>(raft::Raft, PhantomData<M>);

impl<M: Misdeed> RaftPeer for Fixture<M> {
    fn make(
        ends: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        apply: ApplySender,
    ) -> Self {
        if me == 0 {
            M::on_make();
        }
        Fixture(raft::Raft::make(ends, me, persister, apply), PhantomData)
    }
    fn service(&self) -> Service {
        self.0.service()
    }
    fn start(&self, command: Vec<u8>) -> Option<(u64, u64)> {
        self.0.start(command)
    }
    fn get_state(&self) -> (u64, bool) {
        let (term, leader) = self.0.get_state();
        (term, leader && M::LEADS)
    }
    fn snapshot(&self, index: u64, snapshot: Vec<u8>) {
        self.0.snapshot(index, snapshot)
    }
    fn kill(&self) {
        self.0.kill()
    }
}

macro_rules! fixture {
    ($name:ident, $misdeed:ty) => {
        #[test]
        #[allow(non_snake_case)]
        fn $name() {
            tester::harness::run_test(
                tester::tests::part_2a::initial_election::<Fixture<$misdeed>>,
            );
        }
    };
}

/// None: the lab's Raft as it is.
struct Nothing;
impl Misdeed for Nothing {
    fn on_make() {}
}
fixture!(correct_2A, Nothing);

/// Prints Go's and libtest's lines of a passing test, and writes forged verdicts (with a
/// guessed token) into every pipe it has; then never leads, so the test fails.
struct FakePassed;
impl Misdeed for FakePassed {
    const LEADS: bool = false;
    fn on_make() {
        let fake = "Test (2A): initial election ...\n  ... Passed --   3.1  3   58    1152    0\n\
                    test fake_passed_2A ... ok\n\ntest result: ok. 1 passed; 0 failed\n";
        let _ = std::io::stdout().write_all(fake.as_bytes());
        let forged = "{\"token\":\"\",\"test\":\"fake_passed_2A\",\"outcome\":\"passed\",\
                      \"message\":\"\",\"seconds\":1.0,\"peers\":3,\"rpcs\":1,\"bytes\":1,\
                      \"commands\":0,\"warnings\":0}\n";
        let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
            return;
        };
        for fd in fds.flatten() {
            let is_pipe = std::fs::read_link(fd.path())
                .is_ok_and(|link| link.to_string_lossy().starts_with("pipe:"));
            if is_pipe {
                // Through /proc, as any file: no fd is taken from its owner.
                if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(fd.path()) {
                    let _ = pipe.write_all(forged.as_bytes());
                }
            }
        }
    }
}
fixture!(fake_passed_2A, FakePassed);

/// Exits with status 0 a virtual second into the test.
struct Exit;
impl Misdeed for Exit {
    fn on_make() {
        spawn(async {
            sleep(Duration::from_secs(1)).await;
            std::process::exit(0);
        });
    }
}
fixture!(exit_2A, Exit);

/// Aborts a virtual second into the test.
struct Abort;
impl Misdeed for Abort {
    fn on_make() {
        spawn(async {
            sleep(Duration::from_secs(1)).await;
            std::process::abort();
        });
    }
}
fixture!(abort_2A, Abort);

/// Kills its own process with SIGKILL a virtual second into the test.
struct KillSelf;
impl Misdeed for KillSelf {
    fn on_make() {
        spawn(async {
            sleep(Duration::from_secs(1)).await;
            // SAFETY: a plain syscall.
            unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        });
    }
}
fixture!(kill_self_2A, KillSelf);

/// Leaves behind a process outside the run's group that holds the output open for a minute,
/// then exits: the grader must not wait for it.
struct Escape;
impl Misdeed for Escape {
    fn on_make() {
        use std::os::unix::process::CommandExt;
        let _ = std::process::Command::new("sleep")
            .arg("60")
            .process_group(0)
            .spawn();
        std::process::exit(0);
    }
}
fixture!(escape_2A, Escape);

/// Blocks its thread for good, asleep on the clock: the runtime reports a thread asleep
/// on a lock or a channel within seconds itself, but leaves a sleep to the grader's limit.
struct Hang;
impl Misdeed for Hang {
    fn on_make() {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}
fixture!(hang_2A, Hang);

/// Allocates, and touches, memory without end.
struct Hog;
impl Misdeed for Hog {
    fn on_make() {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            // Non-zero, so that every page is written and resident.
            hoard.push(vec![1u8; 16 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}
fixture!(memory_2A, Hog);

/// Logs without end.
struct Chatter;
impl Misdeed for Chatter {
    fn on_make() {
        let line = "S0 T1: chatter chatter chatter chatter chatter chatter chatter chatter\n";
        let mut stderr = std::io::stderr().lock();
        loop {
            if stderr.write_all(line.as_bytes()).is_err() {
                return;
            }
        }
    }
}
fixture!(logging_2A, Chatter);
