//! Each classic bug of `raft::mutants` against the tester, in simulation over a fixed range
//! of seeds, each run a child process of this binary: Go's tests of the bug's part, with
//! Go's checks alone (`LAB_CHECKS=0`), pass it on every seed; the tester's checks and its
//! extra tests fail it on some seed, with the message a student can act on.
//!
//! `RUSTFLAGS="--cfg madsim" cargo test --release --target-dir target/sim -p raft
//! --features mutants --test mutants`. In real time only the children are built, to run one
//! by hand: `RAFT_MUTANT=kill_ignored cargo test -p raft --features mutants --test mutants
//! -- --ignored --exact crashed_peers_extra`.

/// Go's tests and the extra ones, as ignored tests that the cases below run in children.
macro_rules! children {
    ($($name:ident => $module:ident :: $test:ident),* $(,)?) => {
        $(
            #[test]
            #[ignore = "run by the mutant tests, in a child process"]
            #[allow(non_snake_case)]
            fn $name() {
                tester::harness::run_test(|| tester::tests::$module::$test::<raft::Raft>());
            }
        )*
    };
}

children!(
    initial_election_2A => part_2a::initial_election,
    re_election_2A => part_2a::re_election,
    many_elections_2A => part_2a::many_elections,
    fail_agree_2B => part_2b::fail_agree,
    rejoin_2B => part_2b::rejoin,
    backup_2B => part_2b::backup,
    persist1_2C => part_2c::persist1,
    persist2_2C => part_2c::persist2,
    snapshot_install_2D => part_2d::snapshot_install,
    snapshot_install_unreliable_2D => part_2d::snapshot_install_unreliable,
    snapshot_install_crash_2D => part_2d::snapshot_install_crash,
    snapshot_install_uncrash_2D => part_2d::snapshot_install_uncrash,
    snapshot_all_crash_2D => part_2d::snapshot_all_crash,
    snapshot_init_2D => part_2d::snapshot_init,
    split_votes_extra => extra::split_votes,
    stale_replies_extra => extra::stale_replies,
    crashed_peers_extra => extra::crashed_peers,
    voter_restart_extra => extra::voter_restart,
    snapshot_restart_extra => extra::snapshot_restart,
    stale_leader_extra => extra::stale_leader,
    duplicated_snapshots_extra => extra::duplicated_snapshots,
);

/// The cases: simulation only, where a seed range is the same every time.
#[cfg(madsim)]
mod cases {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// The first seed of each range: fixed, so that a run is the same every time.
    const FIRST_SEED: &str = "1";

    /// One bug: Go's tests that miss it, and the tests that catch it, over `seeds` seeds.
    struct Case {
        mutant: &'static str,
        go_tests: &'static [&'static str],
        checked_tests: &'static [&'static str],
        seeds: u64,
        message: &'static str,
    }

    /// What a child printed, and whether its tests passed.
    struct ChildRun {
        passed: bool,
        output: String,
    }

    /// Runs the ignored `tests` of this binary in a child, with `RAFT_MUTANT=mutant`.
    fn run_child(tests: &[&str], mutant: &str, seeds: u64, checks: bool) -> ChildRun {
        let exe = std::env::current_exe().expect("the test binary knows its path");
        let mut command = Command::new(exe);
        command
            .args(["--ignored", "--exact", "--test-threads=1"])
            .args(tests)
            .env("RAFT_MUTANT", mutant)
            .env("LAB_SEED", FIRST_SEED)
            .env("LAB_SEEDS", seeds.to_string())
            .env("LAB_CHECKS", if checks { "1" } else { "0" })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the child starts");
        let limit = Duration::from_secs(600);
        let deadline = Instant::now() + limit;
        while child
            .try_wait()
            .expect("the child can be waited on")
            .is_none()
        {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{mutant}: the child {tests:?} still runs after {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let output = child.wait_with_output().expect("the child's output");
        ChildRun {
            passed: output.status.success(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }

    /// Go's tests pass `case.mutant` with Go's checks alone; the tester fails it.
    fn missed_by_go_caught_here(case: &Case) {
        let go = run_child(case.go_tests, case.mutant, case.seeds, false);
        assert!(
            go.passed,
            "{}: Go's tests with Go's checks alone should pass it:\n{}",
            case.mutant, go.output
        );
        let checked = run_child(case.checked_tests, case.mutant, case.seeds, true);
        assert!(
            !checked.passed,
            "{}: the tester should fail it on some seed of {}:\n{}",
            case.mutant, case.seeds, checked.output
        );
        assert!(
            checked.output.contains(case.message),
            "{}: the failure should say {:?}:\n{}",
            case.mutant,
            case.message,
            checked.output
        );
    }

    const PART_2A: &[&str] = &["initial_election_2A", "re_election_2A", "many_elections_2A"];

    #[test]
    fn fixed_election_timeout() {
        missed_by_go_caught_here(&Case {
            mutant: "fixed_election_timeout",
            go_tests: PART_2A,
            checked_tests: &["split_votes_extra"],
            seeds: 20,
            message: "no leader elected within 5 s of every peer starting at once",
        });
    }

    #[test]
    fn append_keeps_term() {
        missed_by_go_caught_here(&Case {
            mutant: "append_keeps_term",
            go_tests: &["fail_agree_2B", "rejoin_2B", "backup_2B"],
            checked_tests: &["fail_agree_2B", "rejoin_2B", "backup_2B"],
            seeds: 20,
            message: "but its log holds an entry of term",
        });
    }

    #[test]
    fn stale_vote_reply() {
        missed_by_go_caught_here(&Case {
            mutant: "stale_vote_reply",
            go_tests: PART_2A,
            checked_tests: &["stale_replies_extra"],
            seeds: 20,
            message: "election safety: term",
        });
    }

    #[test]
    fn kill_ignored() {
        missed_by_go_caught_here(&Case {
            mutant: "kill_ignored",
            go_tests: PART_2A,
            checked_tests: &["crashed_peers_extra"],
            seeds: 5,
            message: "kept sending after it was killed",
        });
    }

    #[test]
    fn vote_not_persisted() {
        missed_by_go_caught_here(&Case {
            mutant: "vote_not_persisted",
            go_tests: &["persist1_2C", "persist2_2C"],
            checked_tests: &["voter_restart_extra"],
            seeds: 20,
            message: "election safety: term",
        });
    }

    #[test]
    fn snapshot_ignored_on_restart() {
        missed_by_go_caught_here(&Case {
            mutant: "snapshot_ignored_on_restart",
            go_tests: &[
                "snapshot_install_crash_2D",
                "snapshot_all_crash_2D",
                "snapshot_init_2D",
            ],
            checked_tests: &["snapshot_restart_extra"],
            seeds: 10,
            message: "snapshot decode error",
        });
    }

    #[test]
    fn stale_append_resets_timer() {
        missed_by_go_caught_here(&Case {
            mutant: "stale_append_resets_timer",
            go_tests: PART_2A,
            checked_tests: &["stale_leader_extra"],
            seeds: 5,
            message: "no leader elected within 5 s among three peers of five",
        });
    }

    #[test]
    fn older_snapshot_installed() {
        missed_by_go_caught_here(&Case {
            mutant: "older_snapshot_installed",
            go_tests: &[
                "snapshot_install_2D",
                "snapshot_install_unreliable_2D",
                "snapshot_install_crash_2D",
                "snapshot_install_uncrash_2D",
            ],
            checked_tests: &["duplicated_snapshots_extra"],
            seeds: 10,
            message: "the service went back",
        });
    }
}
