#!/usr/bin/env bash
# Miri (undefined-behaviour checker) over the unit tests of the pure modules:
# stream framing, seek, codec, the bulk enqueue shape check and filters.
# The rest of the crate's tests need tokio's I/O or the network, which Miri
# cannot run. Installs the nightly toolchain's miri and rust-src when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup +nightly component list --installed | grep -q '^miri' || rustup +nightly component add miri rust-src
nice -n 19 cargo +nightly miri test -p libzizq --lib -- \
  stream:: seek:: codec:: api::shape:: api::filters::
