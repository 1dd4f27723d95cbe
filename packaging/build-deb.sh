#!/usr/bin/env bash
# Builds the Debian package: the release binary (once), the man pages and shell completions it
# generates (into target/packaging/, where Cargo.toml's [package.metadata.deb] assets expect
# them), then `cargo deb --no-build` with cargo-deb pinned (installed into target/tools on
# first use). Prints the package's file list and checks it (packaging/check-deb.sh). The path
# of the .deb is the last line on stdout. `make deb` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
CARGO_DEB_VERSION=3.8.0
target=${CARGO_TARGET_DIR:-target}
tools=$PWD/target/tools
generated=target/packaging

$CARGO build --release --locked --bin docsfs
docsfs=$target/release/docsfs

rm -rf "$generated"
"$docsfs" generate man "$generated/man" >/dev/null
"$docsfs" generate completions "$generated/completions" >/dev/null

if ! "$tools/bin/cargo-deb" --version 2>/dev/null | grep -qF "$CARGO_DEB_VERSION"; then
    $CARGO install cargo-deb --version "$CARGO_DEB_VERSION" --locked --root "$tools"
fi
# cargo-deb prints the path of the package it wrote.
deb=$(PATH="$tools/bin:$PATH" $CARGO deb --no-build --locked | tail -n 1)

dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb"
packaging/check-deb.sh "$deb"
echo "$deb"
