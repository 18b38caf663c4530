#!/usr/bin/env bash
# Sets everything up (Debian packages), builds with warnings as errors, runs every test,
# then runs the unit, sim and fuzz-replay tests again under ASan + UBSan + LSan.
# This is the README's test command; .ci/run calls it unchanged. Arguments go to the
# first ctest run (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset ci
cmake --build --preset ci -j "$(nproc)"
ctest --preset ci "$@"

# The sanitizer step builds only what its labels need (the tests-unit, tests-sim and
# tests-fuzz targets), at -O1.
cmake --preset asan
cmake --build --preset asan -j "$(nproc)"
ctest --preset asan
