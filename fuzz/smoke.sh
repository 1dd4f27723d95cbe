#!/usr/bin/env bash
# Fuzz smoke run (`make fuzz`, and CI after `make check`): builds every cargo-fuzz target once,
# then runs each for FUZZ_TIME seconds from a copy of its seed corpus (fuzz/corpus/<target>: the
# committed seeds never grow) with its dictionary. Fails if any target crashes, panics, times out
# or runs out of memory; the input that did it is kept in fuzz/artifacts/<target>/.
#
#   FUZZ_TIME=600 make fuzz               # ten minutes per target
#   bash fuzz/smoke.sh server_requests    # some targets only
#
# FUZZ_TARGET_DIR puts the build elsewhere than fuzz/target: CI keeps it in a cache outside its
# throwaway clone, so that only docsfs itself is compiled again on a machine that built it once.
#
# Only a stable toolchain is at hand: cargo-fuzz passes rustc nightly-only flags (-Z sanitizer,
# sancov passes), which RUSTC_BOOTSTRAP=1 lets stable take. libFuzzer itself is C++, built by
# libfuzzer-sys. cargo-fuzz is installed when missing, pinned, into a root shared by every
# checkout (FUZZ_TOOLS).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
FUZZ_TIME=${FUZZ_TIME:-30}
# address (ASan, the default) or none.
FUZZ_SANITIZER=${FUZZ_SANITIZER:-address}
FUZZ_TOOLS=${FUZZ_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/docsfs/cargo-fuzz-$CARGO_FUZZ_VERSION}

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=(workdocs_responses logicaldoc_responses server_requests)
fi

export PATH="$FUZZ_TOOLS/bin:$PATH"
started=$SECONDS
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION into $FUZZ_TOOLS"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$FUZZ_TOOLS"
    echo "fuzz: cargo-fuzz installed in $((SECONDS - started)) s"
fi
export RUSTC_BOOTSTRAP=1

# Optimised, with debug assertions and overflow checks (-a): an overflow is a crash here.
flags=(-O -a --sanitizer "$FUZZ_SANITIZER")
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
    flags+=(--target-dir "$FUZZ_TARGET_DIR")
fi
started=$SECONDS
cargo fuzz build "${flags[@]}"
echo "fuzz: build took $((SECONDS - started)) s"

work=$(mktemp -d)
# Where server_requests keeps its store (tmpfs when there is one); its process never drops it.
if [ -d /dev/shm ]; then scratch=$(mktemp -d -p /dev/shm docsfs-fuzz.XXXXXX); else scratch=$(mktemp -d); fi
export DOCSFS_FUZZ_TMP=$scratch
trap 'rm -rf "$work" "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
    mkdir -p "$work/$t"
    cp fuzz/corpus/"$t"/* "$work/$t/"
    echo "fuzz: $t for ${FUZZ_TIME} s"
    # -timeout: one input taking this long is a hang; -rss_limit_mb: a leak or a blow-up.
    if ! cargo fuzz run "${flags[@]}" "$t" "$work/$t" -- \
        -max_total_time="$FUZZ_TIME" -dict="fuzz/dicts/$t.dict" -timeout=10 \
        -rss_limit_mb=4096 -print_final_stats=1 2>"$work/$t.log"; then
        # The panic or sanitizer report, and where the input was written.
        grep -E -A3 'panicked at|==[0-9]+==ERROR|^SUMMARY|Test unit written' "$work/$t.log" >&2 ||
            tail -n 40 "$work/$t.log" >&2
        failed+=("$t")
        continue
    fi
    grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$work/$t.log" || true
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/<target>/; replay one with" \
        "RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} <target> <file>)" >&2
    exit 1
fi
echo "fuzz: build and runs took $((SECONDS - started)) s"
echo "fuzz: ${#targets[@]} passed, 0 failed"
