# The lab's commands. `make help` lists them.
#
# Simulated runs are built with `--cfg madsim` into their own target directory, so that the
# real-time and simulated builds keep their caches side by side.

CARGO ?= cargo
SIM := RUSTFLAGS="--cfg madsim" $(CARGO)
SIM_DIR := --target-dir target/sim
SEEDS ?= 500
SEED ?= 1
PKG ?= raft

.PHONY: help check lint test test-sim test-2a test-2a-sim seeds-2a replay determinism bench

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

check: lint test test-sim determinism ## Everything CI runs: lints, all tests in real and simulated time, determinism
	@echo "check: all passed"

lint: ## rustfmt and clippy (warnings denied), in both modes
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(SIM) clippy --workspace --all-targets $(SIM_DIR) -- -D warnings

test: ## All tests of all crates, in real time
	$(CARGO) test --workspace

test-sim: ## All tests of all crates, in simulated time (one random seed; LAB_SEED=n to choose)
	$(SIM) test --workspace $(SIM_DIR)

test-2a: ## Raft part 2A in real time, as the Go lab runs it
	$(CARGO) test -p raft 2A

test-2a-sim: ## Raft part 2A in simulated time
	$(SIM) test -p raft $(SIM_DIR) 2A

seeds-2a: ## Raft part 2A in simulated time for SEEDS seeds in a row (default 500)
	LAB_SEEDS=$(SEEDS) $(SIM) test --release -p raft $(SIM_DIR) 2A

replay: ## Replay one simulated test: make replay TEST=initial_election_2A SEED=42 [PKG=raft]
	@test -n "$(TEST)" || { echo "make replay: name the test, e.g. make replay TEST=initial_election_2A SEED=42"; exit 2; }
	LAB_SEED=$(SEED) $(SIM) test -p $(PKG) $(SIM_DIR) -- --exact $(TEST) --nocapture

determinism: ## Run 2A twice in simulation from one seed and compare the Passed lines
	scripts/same-seed-twice $(SEED)

bench: ## Benchmarks: labrpc calls per second; Raft 2A in real and simulated time
	$(CARGO) bench -p labrpc
	scripts/bench-raft
