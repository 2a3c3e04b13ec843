//! The lab's parts and the package each is tested from: lab 2's (Go's 2A-2D, and the
//! tester's own tests beyond Go's, `extra`) from `raft`, lab 3's (3A, 3B) from `kvraft`,
//! lab 4's 4A from `shardctrler` and 4B from `shardkv`, each package's tests in its test
//! target `lab`. `grade` and `stress` choose what to build from it.

use std::time::Duration;

use anyhow::{bail, Result};

/// The test target (file under `tests/`) of every lab package.
pub const TEST_TARGET: &str = "lab";

/// One part of a lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// The tag every test name of the part ends with (`initial_election_2A`, `basic_3A`).
    pub tag: &'static str,
    /// The package whose test target `lab` holds the part's tests.
    pub package: &'static str,
}

/// Every part, lab by lab, in the order reports show them.
pub const PARTS: [Part; 9] = [
    Part::new("2A", "raft"),
    Part::new("2B", "raft"),
    Part::new("2C", "raft"),
    Part::new("2D", "raft"),
    Part::new("extra", "raft"),
    Part::new("3A", "kvraft"),
    Part::new("3B", "kvraft"),
    Part::new("4A", "shardctrler"),
    Part::new("4B", "shardkv"),
];

/// The parts `grade` grades unless told: Go's four of lab 2.
pub const DEFAULT_PARTS: &str = "2A,2B,2C,2D";

/// The package of lab 3, whose simulated runs are costly (see `wall_clock_limit`).
const KV_PACKAGE: &str = "kvraft";

impl Part {
    const fn new(tag: &'static str, package: &'static str) -> Part {
        Part { tag, package }
    }
}

/// The part named `name`, whatever its case and surrounding blanks (`3a` is `3A`, `EXTRA`
/// is `extra`).
pub fn part(name: &str) -> Option<Part> {
    let name = name.trim();
    PARTS.into_iter().find(|p| p.tag.eq_ignore_ascii_case(name))
}

/// The parts' tags, for messages: `2A, 2B, 2C, 2D, extra, 3A, 3B, 4A, 4B`.
pub fn part_names() -> String {
    PARTS.map(|p| p.tag).join(", ")
}

/// The lab packages, in the parts' order (`raft`, `kvraft`, `shardctrler`, `shardkv`).
pub fn packages() -> Vec<&'static str> {
    let mut packages = Vec::new();
    for part in PARTS {
        if !packages.contains(&part.package) {
            packages.push(part.package);
        }
    }
    packages
}

/// The parts named in `names`, grouped by their package in the packages' order, each
/// group's tags in the order given (as the tests name them: `3a` becomes `3A`). A name that
/// is no part is refused, with the parts there are.
pub fn parts_by_package(names: &[String]) -> Result<Vec<(&'static str, Vec<String>)>> {
    let mut chosen = Vec::new();
    for name in names {
        match part(name) {
            Some(part) => chosen.push(part),
            None => bail!(
                "no part named {:?}; the parts are {} (2A-2D and extra from package raft, \
                 3A and 3B from kvraft, 4A from shardctrler, 4B from shardkv)",
                name.trim(),
                part_names()
            ),
        }
    }
    Ok(packages()
        .into_iter()
        .map(|package| {
            let mut tags: Vec<String> = Vec::new();
            for part in chosen.iter().filter(|p| p.package == package) {
                if !tags.iter().any(|t| t == part.tag) {
                    tags.push(part.tag.to_owned());
                }
            }
            (package, tags)
        })
        .filter(|(_, tags)| !tags.is_empty())
        .collect())
}

/// The part whose tag `filter` carries, matched as cargo matches a filter (case and all):
/// `3A` and `basic_3A` carry 3A's, `re_election` none. A test name carries its own part's
/// tag and no other, so a filter that carries a part's tag can match only that part's
/// package's tests.
pub fn tagged(filter: &str) -> Option<Part> {
    PARTS.into_iter().find(|p| filter.contains(p.tag))
}

/// The lab packages whose tests `filters` may match, in the packages' order: a filter that
/// carries a part's tag (`2A`, `basic_3A`) that part's package, any other (`re_election`,
/// `unreliable`) every package, whose tests are then listed to see which match.
pub fn packages_for_filters(filters: &[String]) -> Vec<&'static str> {
    packages()
        .into_iter()
        .filter(|package| {
            filters
                .iter()
                .any(|f| tagged(f).is_none_or(|part| part.package == *package))
        })
        .collect()
}

/// The wall-clock limit on one run of a test of `package` when none is given: `normal`,
/// except for lab 3 in simulation: half an hour, the wall-clock watchdog the tester itself
/// keeps on a simulated kvraft run (`tester::kv::harness::watchdog_limit`), since there the
/// clerks make many times the operations of real time; a tool must not kill a run that the
/// tester still takes for a healthy one. (The test's own limit, 120 s of virtual time,
/// still ends a slow run first.) Lab 4's shardctrler and shardkv run under that watchdog
/// too, but a simulated run of a 4A test takes milliseconds, of a 4B test about a second
/// of CPU, so they keep `normal`, as lab 2.
pub fn wall_clock_limit(package: &str, sim: bool, normal: Duration) -> Duration {
    if sim && package == KV_PACKAGE {
        normal.max(Duration::from_secs(1800))
    } else {
        normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn each_part_is_tested_from_its_own_package() {
        let package = |name: &str| part(name).map(|p| p.package);
        for tag in ["2A", "2b", " 2C", "2d", "EXTRA"] {
            assert_eq!(package(tag), Some("raft"), "{tag}");
        }
        for tag in ["3A", "3b"] {
            assert_eq!(package(tag), Some("kvraft"), "{tag}");
        }
        for tag in ["4A", " 4a "] {
            assert_eq!(package(tag), Some("shardctrler"), "{tag}");
        }
        for tag in ["4B", "4b"] {
            assert_eq!(package(tag), Some("shardkv"), "{tag}");
        }
        for wrong in ["2E", "3C", "4C", "", "2A,2B", "4A,4B", "lab2", "lab4"] {
            assert_eq!(package(wrong), None, "{wrong}");
        }
        assert_eq!(packages(), ["raft", "kvraft", "shardctrler", "shardkv"]);
        assert_eq!(part_names(), "2A, 2B, 2C, 2D, extra, 3A, 3B, 4A, 4B");
    }

    #[test]
    fn a_mixed_list_of_parts_groups_by_package() {
        let groups =
            parts_by_package(&strings(&["4b", "4a", "3b", "2A", "extra", "3A", "2a"])).expect("ok");
        assert_eq!(
            groups,
            [
                ("raft", strings(&["2A", "extra"])),
                ("kvraft", strings(&["3B", "3A"])),
                ("shardctrler", strings(&["4A"])),
                ("shardkv", strings(&["4B"])),
            ]
        );
        let lab2 = parts_by_package(&strings(&DEFAULT_PARTS.split(',').collect::<Vec<_>>()));
        assert_eq!(
            lab2.expect("ok"),
            [("raft", strings(&["2A", "2B", "2C", "2D"]))]
        );
        let kv = parts_by_package(&strings(&["3A"])).expect("ok");
        assert_eq!(kv, [("kvraft", strings(&["3A"]))]);
        let ctrler = parts_by_package(&strings(&["4A", "4a"])).expect("ok");
        assert_eq!(ctrler, [("shardctrler", strings(&["4A"]))]);
        let shardkv = parts_by_package(&strings(&["4B"])).expect("ok");
        assert_eq!(shardkv, [("shardkv", strings(&["4B"]))]);
    }

    #[test]
    fn an_unknown_part_is_refused_with_the_real_ones() {
        let error = parts_by_package(&strings(&["2A", "4C"])).expect_err("4C is no part");
        let message = error.to_string();
        assert!(message.contains("no part named \"4C\""), "{message}");
        assert!(
            message.contains("2A, 2B, 2C, 2D, extra, 3A, 3B, 4A, 4B"),
            "{message}"
        );
        assert!(
            message.contains("4A from shardctrler, 4B from shardkv"),
            "{message}"
        );
    }

    #[test]
    fn filters_pick_the_packages_their_tags_name() {
        let packages = |filters: &[&str]| packages_for_filters(&strings(filters));
        assert_eq!(packages(&["2A"]), ["raft"]);
        assert_eq!(packages(&["initial_election_2A", "_extra"]), ["raft"]);
        assert_eq!(packages(&["3A"]), ["kvraft"]);
        assert_eq!(packages(&["basic_3A", "snapshot_rpc_3B"]), ["kvraft"]);
        assert_eq!(packages(&["2B", "3B"]), ["raft", "kvraft"]);
        assert_eq!(packages(&["4A"]), ["shardctrler"]);
        assert_eq!(packages(&["basic_4A", "multi_4A"]), ["shardctrler"]);
        assert_eq!(packages(&["4A", "2A"]), ["raft", "shardctrler"]);
        assert_eq!(packages(&["4B"]), ["shardkv"]);
        assert_eq!(
            packages(&["join_leave_4B", "challenge2_partial_4B"]),
            ["shardkv"]
        );
        assert_eq!(packages(&["4B", "4A"]), ["shardctrler", "shardkv"]);
        // No tag: any package's tests may match.
        let all = ["raft", "kvraft", "shardctrler", "shardkv"];
        assert_eq!(packages(&["unreliable"]), all);
        assert_eq!(packages(&["3A", "re_election"]), all);
        // As cargo's filters, tags match in their case: `3a` and `4a` carry none.
        assert_eq!(packages(&["3a"]), all);
        assert_eq!(packages(&["multi_4a"]), all);
        assert_eq!(packages(&["join_leave_4b"]), all);
    }

    #[test]
    fn simulated_lab_3_runs_get_longer() {
        let normal = Duration::from_secs(120);
        assert_eq!(wall_clock_limit("raft", true, normal), normal);
        // Lab 4's runs are cheap in simulation.
        assert_eq!(wall_clock_limit("shardctrler", true, normal), normal);
        assert_eq!(wall_clock_limit("shardkv", true, normal), normal);
        assert_eq!(wall_clock_limit("kvraft", false, normal), normal);
        assert_eq!(
            wall_clock_limit("kvraft", true, normal),
            Duration::from_secs(1800)
        );
        let longer = Duration::from_secs(4000);
        assert_eq!(wall_clock_limit("kvraft", true, longer), longer);
    }
}
