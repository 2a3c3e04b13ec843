# The lab's commands. `make help` lists them, from the `##` comments below.
#
# The variables a user sets (SIM=1, PARTS=2A,2B, ...) are in capitals and listed by `##var`
# comments; the Makefile's own are in lower case. A variable given on make's command line
# replaces every assignment of that name in the Makefile, so the two must never share a name.
#
# Simulated runs are built with `--cfg madsim` into their own target directory, so that the
# real-time and simulated builds keep their caches side by side.

##var SIM=1         simulated time for test, test-2x, grade and stress (SIM=0 or unset: real time)
##var PARTS=2A,3A   the parts grade grades, of any lab (default: lab 2's 2A,2B,2C,2D)
##var RUNS=n        runs of each test for grade (default 1) and stress (default 10)
##var JOBS=n        runs at once for grade and stress (default: the tool's)
##var TESTS=2A      the tests stress runs: names or parts of names, as cargo test filters them (3A, basic_3A: lab 3's; 4A, 4B: lab 4's)
##var TEST=name     the test replay replays, by its exact name
##var SEED=n        the seed of replay and determinism (default 1)
##var SEEDS=n       seeds in a row for seeds-2x and seeds (default 500 for 2A, 2B; 300 for 2C, 2D, extra, 4A; 100 for 3A, 3B, 4B)
##var PKG=crate     the package replay finds TEST in (default kvraft for a test of 3A or 3B, shardctrler for 4A, shardkv for 4B, else raft)
##var FILE=log.txt  the log logs reads; HTML=out.html writes the timeline page instead
##var CARGO=cargo   the cargo to run

CARGO ?= cargo
SEED ?= 1

sim_cargo := RUSTFLAGS="--cfg madsim" $(CARGO)
sim_target_dir := --target-dir target/sim
# Lab 2: Go's four parts, and the tester's own tests beyond Go's (`*_extra`), in package
# raft. Lab 3: its two parts, in package kvraft. Lab 4: part 4A, the shard controller, in
# package shardctrler; part 4B, the sharded key/value service, in package shardkv.
lab2_parts := 2a 2b 2c 2d extra
lab3_parts := 3a 3b
lab4_parts := 4a 4b
all_parts := $(lab2_parts) $(lab3_parts) $(lab4_parts)
# Lab 3's and lab 4B's tests in real time: `make test` (and so CI) runs only those chosen.
# Of lab 3 six: of each part the quickest, the speed test (whose bound only real time
# measures) and the one with the most faults at once. Of lab 4B five: the quickest static
# and moving ones, snapshots, the linearizability check under faults, and challenge 2.
# `make test-sim` runs all of them (23 and 14), and `make test-realtime` all in real time.
# scripts/check-make holds each pair of lists to the tester's (tester/src/kv/mod.rs,
# tester/src/shardkv/mod.rs).
lab3_realtime_chosen := basic_3A speed_3A persist_partition_unreliable_linearizable_3A \
	snapshot_size_3B speed_3B snapshot_unreliable_recover_concurrent_partition_linearizable_3B
lab3_simulated_only := concurrent_3A unreliable_3A unreliable_one_key_3A one_partition_3A \
	many_partitions_one_client_3A many_partitions_many_clients_3A persist_one_client_3A \
	persist_concurrent_3A persist_concurrent_unreliable_3A persist_partition_3A \
	persist_partition_unreliable_3A snapshot_rpc_3B snapshot_recover_3B \
	snapshot_recover_many_clients_3B snapshot_unreliable_3B snapshot_unreliable_recover_3B \
	snapshot_unreliable_recover_concurrent_partition_3B
lab4b_realtime_chosen := static_shards_4B join_leave_4B snapshot_4B unreliable3_4B \
	challenge2_partial_4B
lab4b_simulated_only := miss_change_4B concurrent1_4B concurrent2_4B concurrent3_4B \
	unreliable1_4B unreliable2_4B challenge1_delete_4B challenge1_concurrent_4B \
	challenge2_unaffected_4B
simulated_only := $(lab3_simulated_only) $(lab4b_simulated_only)
# How many seeds `make seeds-2x` runs unless SEEDS says, per part (a seed of lab 3 costs
# far more than one of lab 2: its clerks make thousands of operations; one of 4A about 5 ms,
# one of 4B about 15 s of CPU for its 14 tests).
default_seeds_2a := 500
default_seeds_2b := 500
default_seeds_2c := 300
default_seeds_2d := 300
default_seeds_extra := 300
default_seeds_3a := 100
default_seeds_3b := 100
default_seeds_4a := 300
default_seeds_4b := 100

# The part's tag as the test names carry it: 2a -> 2A; extra stays extra.
tag = $(if $(filter extra,$(1)),extra,$(shell echo $(1) | tr a-z A-Z))
# The package that holds the part's tests: kvraft for lab 3's, shardctrler for 4A's,
# shardkv for 4B's, raft for lab 2's.
package = $(if $(filter $(lab3_parts),$(1)),kvraft,$(if $(filter 4a,$(1)),shardctrler,$(if \
	$(filter 4b,$(1)),shardkv,raft)))
# The package replay looks in: PKG, else the package of the part TEST is tagged with (in any
# case: kvraft for 3A or 3B, shardctrler for 4A, shardkv for 4B), else raft.
replay_tag = $(lastword $(subst _, ,$(TEST)))
replay_package = $(or $(PKG),$(if $(filter 3a 3A 3b 3B,$(replay_tag)),kvraft,$(if \
	$(filter 4a 4A,$(replay_tag)),shardctrler,$(if $(filter 4b 4B,$(replay_tag)),shardkv,raft))))

# Checks of the user's variables, expanded first in a recipe, so that a wrong value stops
# make (`make -n` too) before cargo runs, and only for targets that use the variable.
# $(call digits_removed,TEXT): TEXT without its digits.
digits_removed = $(subst 0,,$(subst 1,,$(subst 2,,$(subst 3,,$(subst 4,,$(subst 5,,$(subst \
	6,,$(subst 7,,$(subst 8,,$(subst 9,,$(1)))))))))))
# $(call whole_number,NAME): stops make unless the variable NAME is unset or a whole number.
whole_number = $(if $(value $(1)),$(if $(or $(word 2,$($(1))),$(call digits_removed,$($(1)))),\
	$(error $(1) must be a whole number, not '$($(1))')))
# $(call count,NAME): stops make unless the variable NAME is unset or a whole number above 0
# (LAB_SEEDS=0 would run one seed, RUNS=0 nothing).
count = $(call whole_number,$(1))$(if $(value $(1)),$(if $(subst 0,,$($(1))),,\
	$(error $(1) must be at least 1, not '$($(1))')))
# $(call required,NAME,EXAMPLE): stops make unless the variable NAME is set.
required = $(if $(value $(1)),,$(error $@ needs $(1), e.g. make $(2)))
check_sim = $(if $(filter-out 0 1,$(SIM)),$(error SIM must be 1 (simulated time) or 0, not '$(SIM)'))
sim_on = $(filter 1,$(SIM))
# The cargo that builds in the clock SIM chooses, and that build's target directory.
cargo_for_sim = $(if $(sim_on),$(sim_cargo),$(CARGO))
target_dir_for_sim = $(if $(sim_on),$(sim_target_dir))

.PHONY: help check check-readme lint mutants test test-realtime test-sim seeds replay determinism bench stress logs \
	grade $(addprefix test-,$(all_parts)) $(addsuffix -sim,$(addprefix test-,$(all_parts))) \
	$(addprefix seeds-,$(all_parts))

help: ## List the targets and the variables they take
	@echo "Targets:"
	@sed -nE 's/^([a-z0-9-]+):.*## (.*)/\1\t\2/p; s/^\$$.*: ([a-z%-]+):.*## (.*)/\1\t\2/p' \
		$(MAKEFILE_LIST) | sed 's/%/2x/' | awk -F'\t' '{printf "  make %-15s %s\n", $$1, $$2}'
	@echo "  (2x is one of: $(lab2_parts) (lab 2, package raft); $(lab3_parts) (lab 3, package kvraft); 4a (lab 4, package shardctrler); 4b (lab 4, package shardkv))"
	@echo "Variables, on the command line (make grade PARTS=2A SIM=1):"
	@sed -nE 's/^##var (.*)/  \1/p' $(MAKEFILE_LIST)

check: lint test test-sim mutants determinism check-readme ## Everything CI runs: lints, all tests in both clocks, the mutants, determinism, the README's examples
	@echo "check: all passed"

check-readme: ## Run the README's examples and compare their output with the README's
	scripts/check-readme

lint: ## rustfmt and clippy (warnings denied), in both modes
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --features raft/mutants -- -D warnings
	$(sim_cargo) clippy --workspace --all-targets --features raft/mutants $(sim_target_dir) -- -D warnings

mutants: ## Classic Raft bugs (raft/src/mutants.rs): Go's tests miss each, the tester's checks and extra tests catch each
	$(sim_cargo) test -p raft --features mutants --test mutants $(sim_target_dir)

# --no-fail-fast: one failing test binary must not hide the others' results. In real time
# `test` skips lab 3's and lab 4B's tests but those chosen above (--exact: a name skips that
# test alone).
test: ## All tests of all crates in real time, of lab 3's a chosen six, of 4B's five (SIM=1: as test-sim)
	$(check_sim)$(call count,LAB_SEEDS)
	$(strip $(cargo_for_sim) test --workspace --no-fail-fast $(target_dir_for_sim) \
		$(if $(sim_on),,-- --exact $(addprefix --skip ,$(simulated_only))))

test-realtime: ## Every test of every crate in real time, lab 3's 23 and 4B's 14 included (about 7 min more than test)
	$(call count,LAB_SEEDS)
	$(CARGO) test --workspace --no-fail-fast

test-sim: ## All tests of all crates, in simulated time (one random seed; LAB_SEED=n to choose)
	$(call count,LAB_SEEDS)
	$(sim_cargo) test --workspace --no-fail-fast $(sim_target_dir)

# Static pattern rules: make skips implicit rules for phony targets.
$(addprefix test-,$(all_parts)): test-%: ## Part 2x in real time, as the Go lab runs it (SIM=1: as test-2x-sim; extra: the tester's own tests)
	$(check_sim)$(call count,LAB_SEEDS)
	$(strip $(cargo_for_sim) test -p $(call package,$*) $(target_dir_for_sim) $(call tag,$*))

$(addsuffix -sim,$(addprefix test-,$(all_parts))): test-%-sim: ## Part 2x in simulated time
	$(call count,LAB_SEEDS)
	$(sim_cargo) test -p $(call package,$*) $(sim_target_dir) $(call tag,$*)

$(addprefix seeds-,$(all_parts)): seeds-%: ## Part 2x in simulated time for SEEDS seeds in a row (release build)
	$(call count,SEEDS)
	LAB_SEEDS=$(or $(SEEDS),$(default_seeds_$*)) $(sim_cargo) test --release -p $(call package,$*) $(sim_target_dir) $(call tag,$*)

# Lab 2's parts and 4A, not lab 3's or 4B: a hundred seeds of each lab 3 test take most of
# an hour (make seeds-3a seeds-3b), a hundred of 4B's about 25 min of CPU (make seeds-4b),
# 300 of lab 4A's two tests a few seconds.
seeds: $(addprefix seeds-,$(lab2_parts) 4a) ## Every part of lab 2, and 4A, over many seeds (SEEDS=n for all parts; lab 3: seeds-3a, seeds-3b; 4B: seeds-4b)

# One seed exactly, whatever LAB_SEEDS the environment holds; scripts/replay refuses a name
# that is not one of the package's tests (cargo would run none and pass).
replay: ## Replay one simulated test: make replay TEST=initial_election_2A SEED=42 [PKG=raft] (basic_3A: kvraft; basic_4A: shardctrler; static_shards_4B: shardkv)
	$(call required,TEST,replay TEST=initial_election_2A SEED=42)$(call whole_number,SEED)
	scripts/replay $(replay_package) $(TEST) $(SEED)

stress: ## Run tests of any lab many times in parallel: make stress TESTS=2A [RUNS=10] [SIM=1] [JOBS=n]
	$(call required,TESTS,stress TESTS=2A SIM=1 RUNS=100)$(check_sim)$(call count,RUNS)$(call count,JOBS)
	$(CARGO) run -q -p lab-tools --bin stress -- $(strip $(if $(sim_on),--sim) $(if $(RUNS),-n $(RUNS)) \
		$(if $(JOBS),-j $(JOBS)) $(TESTS))

grade: ## Grade labs 2-4: make grade [PARTS=2A,3A] [RUNS=1] [SIM=1] [JOBS=n] (default lab 2); writes target/grade/
	$(check_sim)$(call count,RUNS)$(call count,JOBS)
	$(CARGO) run -q -p lab-tools --bin grade $(strip -- $(if $(PARTS),--parts $(PARTS)) $(if $(sim_on),--sim) \
		$(if $(RUNS),-n $(RUNS)) $(if $(JOBS),-j $(JOBS)))

logs: ## A run's log as columns per peer: make logs FILE=log.txt [HTML=out.html for the timeline page]
	$(call required,FILE,logs FILE=target/stress/re_election_2A/run-3-seed-7-debug.log)
	$(CARGO) run -q -p lab-tools --bin logs -- $(strip $(if $(HTML),--html $(HTML)) $(FILE))

determinism: ## Run lab 2 twice in simulation from one seed (SEED=n) and compare the Passed lines
	$(call whole_number,SEED)$(call count,LAB_SEEDS)
	scripts/same-seed-twice $(SEED)

bench: ## Benchmarks: labrpc calls per second; Raft in real and simulated time
	$(CARGO) bench -p labrpc
	$(CARGO) bench -p raft
	scripts/bench-raft
