# One entry point for what CI runs. `make check` = format check + clippy -D warnings + tests;
# CI then runs `make fuzz`, a short smoke run of every fuzz target (fuzz/smoke.sh).
CARGO ?= cargo
# Seconds each fuzz target runs for in `make fuzz`.
FUZZ_TIME ?= 30

.PHONY: check fmt lint test build demo demo-server bench fuzz

check: fmt lint test

fmt:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check

lint:
	$(CARGO) clippy --all-targets -- -D warnings

test:
	$(CARGO) test --lib --bins --tests

build:
	$(CARGO) build --release

# Builds docsfs, starts a sample document server in-process and mounts it on ~/docsfs-demo
# (or DOCSFS_DEMO_MOUNT); Ctrl-C unmounts.
demo:
	$(CARGO) run --release -- demo $${DOCSFS_DEMO_MOUNT:-}

# Builds and runs the embedded WorkDocs-API server on a demo data folder with a user `demo`.
demo-server:
	$(CARGO) run --release -- serve --data $${DOCSFS_DEMO_DATA:-$$HOME/.cache/docsfs/demo-server} \
	    --listen 127.0.0.1:8080 --user demo:demo-token

bench:
	$(CARGO) bench --bench server_throughput

# Builds the cargo-fuzz targets (fuzz/) and runs each for FUZZ_TIME seconds; fails on a crash.
fuzz:
	FUZZ_TIME=$(FUZZ_TIME) bash fuzz/smoke.sh
