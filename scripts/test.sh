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

# The sanitizer step builds only what its labels need (the tests-unit, tests-sim and
# tests-fuzz targets), at -O1. It builds at the lowest priority while the release tests
# run: most of their time is spent waiting on live streams, so the build takes the idle
# CPU and yields whenever a test needs a core.
cmake --preset asan
mkdir -p build/asan
nice -n 19 cmake --build --preset asan -j "$(nproc)" >build/asan/build.log 2>&1 &
asan_build=$!
tests=0
ctest --preset ci "$@" || tests=$?
if ! wait "$asan_build"; then
  cat build/asan/build.log
  echo "test.sh: the asan build failed" >&2
  exit 1
fi
[ "$tests" -eq 0 ] || exit "$tests"
ctest --preset asan
