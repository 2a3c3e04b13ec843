# The lab's commands. `make help` lists them.
#
# Simulated runs are built with `--cfg madsim` into their own target directory, so that the
# real-time and simulated builds keep their caches side by side.

CARGO ?= cargo
SIM := RUSTFLAGS="--cfg madsim" $(CARGO)
SIM_DIR := --target-dir target/sim
SEED ?= 1
PKG ?= raft
PARTS := 2a 2b 2c 2d
# How many seeds `make seeds-2x` runs by default, per part.
SEEDS_2a ?= 500
SEEDS_2b ?= 500
SEEDS_2c ?= 300
SEEDS_2d ?= 300

# The part's tag as the test names carry it: 2a -> 2A.
tag = $(shell echo $(1) | tr a-z A-Z)

.PHONY: help check lint test test-sim seeds replay determinism bench stress logs grade \
	$(addprefix test-,$(PARTS)) $(addsuffix -sim,$(addprefix test-,$(PARTS))) \
	$(addprefix seeds-,$(PARTS))

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@grep -hE '^\$$.*: [a-z%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^[^:]*: ([a-z%-]+):/\1:/; s/%/2x/' | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "  (2x is one of: $(PARTS))"

check: lint test test-sim determinism ## Everything CI runs: lints, all tests in real and simulated time, determinism
	@echo "check: all passed"

lint: ## rustfmt and clippy (warnings denied), in both modes
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(SIM) clippy --workspace --all-targets $(SIM_DIR) -- -D warnings

test: ## All tests of all crates (all of lab 2 included), in real time
	$(CARGO) test --workspace

test-sim: ## All tests of all crates, in simulated time (one random seed; LAB_SEED=n to choose)
	$(SIM) test --workspace $(SIM_DIR)

# Static pattern rules: make skips implicit rules for phony targets.
$(addprefix test-,$(PARTS)): test-%: ## Raft part 2x in real time, as the Go lab runs it (e.g. make test-2b)
	$(CARGO) test -p raft $(call tag,$*)

$(addsuffix -sim,$(addprefix test-,$(PARTS))): test-%-sim: ## Raft part 2x in simulated time
	$(SIM) test -p raft $(SIM_DIR) $(call tag,$*)

$(addprefix seeds-,$(PARTS)): seeds-%: ## Part 2x in simulated time for SEEDS seeds in a row (release build)
	LAB_SEEDS=$(or $(SEEDS),$(SEEDS_$*)) $(SIM) test --release -p raft $(SIM_DIR) $(call tag,$*)

seeds: $(addprefix seeds-,$(PARTS)) ## Every part over many seeds (SEEDS=n for all parts)

replay: ## Replay one simulated test: make replay TEST=initial_election_2A SEED=42 [PKG=raft]
	@test -n "$(TEST)" || { echo "make replay: name the test, e.g. make replay TEST=initial_election_2A SEED=42"; exit 2; }
	LAB_SEED=$(SEED) $(SIM) test -p $(PKG) $(SIM_DIR) -- --exact $(TEST) --nocapture

stress: ## Run tests many times in parallel: make stress TESTS=2A [RUNS=20] [SIM=1] [JOBS=4]
	@test -n "$(TESTS)" || { echo "make stress: name the tests, e.g. make stress TESTS=2A SIM=1 RUNS=100"; exit 2; }
	$(CARGO) run -q -p lab-tools --bin stress -- $(if $(SIM),--sim) -n $(or $(RUNS),10) $(if $(JOBS),-j $(JOBS)) $(TESTS)

grade: ## Grade lab 2: make grade [PARTS=2A,2B] [RUNS=1] [SIM=1] [JOBS=n]; writes target/grade/
	$(CARGO) run -q -p lab-tools --bin grade -- $(if $(PARTS),--parts $(PARTS)) $(if $(SIM),--sim) -n $(or $(RUNS),1) $(if $(JOBS),-j $(JOBS))

logs: ## A run's log as columns per peer: make logs FILE=log.txt [HTML=out.html for the timeline page]
	@test -n "$(FILE)" || { echo "make logs: name the log, e.g. make logs FILE=target/stress/re_election_2A/run-3-seed-7-debug.log"; exit 2; }
	$(CARGO) run -q -p lab-tools --bin logs -- $(if $(HTML),--html $(HTML)) $(FILE)

determinism: ## Run lab 2 twice in simulation from one seed and compare the Passed lines
	scripts/same-seed-twice $(SEED)

bench: ## Benchmarks: labrpc calls per second; Raft in real and simulated time
	$(CARGO) bench -p labrpc
	$(CARGO) bench -p raft
	scripts/bench-raft
