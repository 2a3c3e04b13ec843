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
use lab_runtime::time::{sleep, Duration, Instant};
use labrpc::{ClientEnd, Service};
use tester::{ApplySender, Persister, RaftPeer};

/// One misbehaviour, done when peer 0 is made.
trait Misdeed: Send + Sync + 'static {
    fn on_make();
    /// Whether a leader may say so (a Raft that never leads fails the test).
    const LEADS: bool = true;
    /// Whether each peer is killed as soon as it is made (and so never sends an RPC).
    const SILENT: bool = false;
    /// What peer `me` says of itself, `since` its making, when the Raft says `real`.
    fn state(_me: usize, _since: Duration, real: (u64, bool)) -> (u64, bool) {
        (real.0, real.1 && Self::LEADS)
    }
}

struct Fixture<M> {
    raft: raft::Raft,
    me: usize,
    made: Instant,
    misdeed: PhantomData<M>,
}

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
        let raft = raft::Raft::make(ends, me, persister, apply);
        if M::SILENT {
            raft.kill();
        }
        Fixture {
            raft,
            me,
            made: Instant::now(),
            misdeed: PhantomData,
        }
    }
    fn service(&self) -> Service {
        self.raft.service()
    }
    fn start(&self, command: Vec<u8>) -> Option<(u64, u64)> {
        self.raft.start(command)
    }
    fn get_state(&self) -> (u64, bool) {
        M::state(self.me, self.made.elapsed(), self.raft.get_state())
    }
    fn snapshot(&self, index: u64, snapshot: Vec<u8>) {
        self.raft.snapshot(index, snapshot)
    }
    fn kill(&self) {
        self.raft.kill()
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

/// How long the escaped process sleeps: a number no other program uses, so that the
/// grader's test can look for it (`grade.rs` names it too).
const ESCAPED_SLEEP: &str = "59.8125";

/// Leaves behind a process outside the run's group that holds the output open for a minute,
/// then exits: the grader must not wait for it.
struct Escape;
impl Misdeed for Escape {
    fn on_make() {
        use std::os::unix::process::CommandExt;
        let _ = std::process::Command::new("sleep")
            .arg(ESCAPED_SLEEP)
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

/// Whether this process runs the fixture `test` (code before `main` has no other way to
/// know; libtest's arguments are in /proc).
fn running(test: &str) -> bool {
    std::fs::read("/proc/self/cmdline")
        .is_ok_and(|cmdline| cmdline.split(|&b| b == 0).any(|arg| arg == test.as_bytes()))
}

/// A test body that only begins and ends a configuration: a pass for a test never run.
async fn forged_body() {
    let cfg = tester::Config::<raft::Raft>::new(3, false, false);
    cfg.begin("Test (2A): initial election");
    cfg.end();
}

fn forged_run() {
    tester::harness::run_test(forged_body);
}

/// Code before `main` (a constructor, as the `ctor` crate makes): for the two fixtures
/// below, runs a forged test, on the main thread or on a thread named after the graded
/// test; and for `checks_off_2A`, turns the safety checks off.
extern "C" fn before_main() {
    if running("ctor_verdict_2A") {
        forged_run();
    }
    if running("ctor_thread_2A") {
        let _ = std::thread::Builder::new()
            .name("ctor_thread_2A".to_owned())
            .spawn(forged_run)
            .map(|thread| thread.join());
    }
    if running("checks_off_2A") {
        std::env::set_var("LAB_CHECKS", "0");
    }
}

#[used]
#[link_section = ".init_array"]
static BEFORE_MAIN: extern "C" fn() = before_main;

fixture!(ctor_verdict_2A, Nothing);
fixture!(ctor_thread_2A, Nothing);

/// Two peers each say they lead term 1, one after the other in the first 200 ms, before
/// the test first looks; then the Raft's own state. Only the safety checks, which look
/// every millisecond, see two leaders in one term; the attack turns them off before `main`.
struct TwoLeaders;
impl Misdeed for TwoLeaders {
    fn on_make() {}
    fn state(me: usize, since: Duration, real: (u64, bool)) -> (u64, bool) {
        let fake = match since.as_millis() {
            0..100 => me == 1,
            100..200 => me == 2,
            _ => return real,
        };
        (1, fake)
    }
}
fixture!(checks_off_2A, TwoLeaders);

/// The verdict channel swapped for /dev/null while the real test fails (it never leads),
/// and put back at exit for a forged run that then exits with status 0.
struct SwapVerdict;
impl Misdeed for SwapVerdict {
    const LEADS: bool = false;
    fn on_make() {
        let stdout = std::fs::read_link("/proc/self/fd/1").ok();
        let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
            return;
        };
        let pipes: Vec<i32> = fds
            .flatten()
            .filter_map(|fd| {
                let number: i32 = fd.file_name().to_str()?.parse().ok()?;
                let link = std::fs::read_link(fd.path()).ok()?;
                let pipe = link.to_string_lossy().starts_with("pipe:");
                (number > 2 && pipe && Some(&link) != stdout.as_ref()).then_some(number)
            })
            .collect();
        let null = std::fs::File::open("/dev/null").map(std::os::fd::IntoRawFd::into_raw_fd);
        let Ok(null) = null else {
            return;
        };
        let mut swapped = SWAPPED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for fd in pipes {
            // SAFETY: plain syscalls on this process's own descriptors.
            let saved = unsafe { libc::dup(fd) };
            if saved >= 0 && unsafe { libc::dup2(null, fd) } == fd {
                swapped.push((fd, saved));
            }
        }
        // SAFETY: registers a plain function to run at exit.
        unsafe { libc::atexit(put_back_and_forge) };
    }
}
fixture!(swap_verdict_2A, SwapVerdict);

static SWAPPED: std::sync::Mutex<Vec<(i32, i32)>> = std::sync::Mutex::new(Vec::new());

extern "C" fn put_back_and_forge() {
    for &(fd, saved) in SWAPPED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        // SAFETY: plain syscalls on this process's own descriptors.
        unsafe { libc::dup2(saved, fd) };
    }
    forged_run();
    // SAFETY: ends the process at once, with status 0, as a passing run would.
    unsafe { libc::_exit(0) };
}

/// No elections at all: every peer is killed as it is made, and peer 0 says it leads
/// term 1. Go's checks pass it; no honest run passes with 0 RPCs.
struct NoElection;
impl Misdeed for NoElection {
    const SILENT: bool = true;
    fn on_make() {}
    fn state(me: usize, _since: Duration, _real: (u64, bool)) -> (u64, bool) {
        (1, me == 0)
    }
}
fixture!(no_election_2A, NoElection);

/// A panic message that, printed raw, would redraw the table's last row as a pass.
struct Redraw;
impl Misdeed for Redraw {
    fn on_make() {
        panic!("boom\rcontrol_chars_2A pass\x1b[2K\x1b[1A\x1b[32m");
    }
}
fixture!(control_chars_2A, Redraw);

/// Forks `n` children that each hold `mib` MiB resident, waits until they do, then blocks
/// for good: only a limit on the run's processes together ends it before the time limit.
fn fork_holders(n: usize, mib: usize) {
    let mut ready = [0i32; 2];
    // SAFETY: a plain syscall filling a two-int array.
    if unsafe { libc::pipe(ready.as_mut_ptr()) } != 0 {
        return;
    }
    for _ in 0..n {
        // SAFETY: the child makes only async-signal-safe calls (mmap, write, pause), as a
        // child forked from a threaded process must.
        unsafe {
            if libc::fork() == 0 {
                let size = mib << 20;
                let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
                let memory = libc::mmap(std::ptr::null_mut(), size, 3, flags, -1, 0);
                if memory != libc::MAP_FAILED {
                    std::ptr::write_bytes(memory.cast::<u8>(), 1, size);
                }
                libc::write(ready[1], [1u8].as_ptr().cast(), 1);
                loop {
                    libc::pause();
                }
            }
        }
    }
    let mut byte = [0u8; 1];
    for _ in 0..n {
        // SAFETY: a plain read into a one-byte buffer.
        unsafe { libc::read(ready[0], byte.as_mut_ptr().cast(), 1) };
    }
    let (_sender, receiver) = std::sync::mpsc::channel::<()>();
    let _ = receiver.recv();
}

/// Three children of 200 MiB each, under a limit of 256 MiB.
struct ForkMemory;
impl Misdeed for ForkMemory {
    fn on_make() {
        fork_holders(3, 200);
    }
}
fixture!(fork_memory_2A, ForkMemory);

/// More processes than the limit, each small (`sleep`, in the run's group), then blocks
/// for good.
struct ForkMany;
impl Misdeed for ForkMany {
    fn on_make() {
        let children: Vec<_> = (0..40)
            .filter_map(|_| std::process::Command::new("sleep").arg("60").spawn().ok())
            .collect();
        std::hint::black_box(children);
        let (_sender, receiver) = std::sync::mpsc::channel::<()>();
        let _ = receiver.recv();
    }
}
fixture!(fork_many_2A, ForkMany);

/// Stops itself (SIGSTOP): the grader's clock goes on.
struct Stop;
impl Misdeed for Stop {
    fn on_make() {
        // SAFETY: a plain syscall.
        unsafe { libc::raise(libc::SIGSTOP) };
    }
}
fixture!(stop_2A, Stop);
