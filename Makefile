# One entry point for what CI runs. `make check` = format check + clippy -D warnings + tests +
# pjdfstest on real mounts of both backends (root and FUSE, as the mount tests). CI then runs
# `make deb` (builds and checks the Debian package) and `make fuzz` (a short smoke run of every
# fuzz target, fuzz/smoke.sh).
CARGO ?= cargo
# Seconds each fuzz target runs for in `make fuzz`.
FUZZ_TIME ?= 30

.PHONY: check fmt lint test pjdfstest build deb demo demo-server bench bench-report fuzz

check: fmt lint test pjdfstest

fmt:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check

lint:
	$(CARGO) clippy --all-targets -- -D warnings

test:
	$(CARGO) test --lib --bins --tests

# The POSIX test suite on a mount of each backend, with the debug binary the tests built
# (tests/pjdfstest/run.sh installs pjdfstest into target/tools on first use).
pjdfstest:
	$(CARGO) build --bin docsfs
	DOCSFS_BIN=$${CARGO_TARGET_DIR:-target}/debug/docsfs tests/pjdfstest/run.sh

build:
	$(CARGO) build --release

# target/debian/docsfs_VERSION_ARCH.deb: release build, man pages and completions, cargo-deb
# (pinned, installed into target/tools on first use), then packaging/check-deb.sh on the result.
deb:
	CARGO=$(CARGO) packaging/build-deb.sh

# Builds docsfs, starts a sample document server in-process and mounts it on ~/docsfs-demo
# (or DOCSFS_DEMO_MOUNT); Ctrl-C unmounts.
demo:
	$(CARGO) run --release -- demo $${DOCSFS_DEMO_MOUNT:-}

# Builds and runs the embedded WorkDocs-API server on a demo data folder with a user `demo`.
demo-server:
	$(CARGO) run --release -- serve --data $${DOCSFS_DEMO_DATA:-$$HOME/.cache/docsfs/demo-server} \
	    --listen 127.0.0.1:8080 --user demo:demo-token

# The server alone, in-process, vs curl (under a minute; bench/results/server.md).
bench:
	$(CARGO) bench --bench server_throughput

# Every mount benchmark, as root, in ~16 minutes: bench/run-mount, run-writes, run-sweeps (with
# rclone when installed) and run-smallreads → bench/results/REPORT.md, results.json and the plots.
# DOCSFS_BENCH_QUICK=1 checks the pipeline in a minute without touching bench/results.
bench-report:
	nice -n -20 bench/run

# Builds the cargo-fuzz targets (fuzz/) and runs each for FUZZ_TIME seconds; fails on a crash.
fuzz:
	FUZZ_TIME=$(FUZZ_TIME) bash fuzz/smoke.sh
