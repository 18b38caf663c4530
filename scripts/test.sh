#!/usr/bin/env bash
# Sets everything up (Debian packages), builds with warnings as errors, runs every test
# once: the ones that run processes (integration, media, docs) in the release build, the
# unit, sim and fuzz-replay tests under ASan + UBSan + LSan, where a memory error or
# undefined behaviour fails them instead of passing unseen.
# This is the README's test command; .ci/run calls it unchanged. Arguments replace the
# release run's label choice (e.g. -L integration -R Platform).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset ci
cmake --build --preset ci --target ci-release -j "$(nproc)"

# The sanitizer build compiles only what its labels need (the tests-unit, tests-sim and
# tests-fuzz targets), at -O0. It builds at the lowest priority while the release tests
# run: most of their time is spent waiting on live streams and processes, so the build
# takes the idle CPU and yields whenever a test needs a core.
cmake --preset asan
mkdir -p build/asan
nice -n 19 cmake --build --preset asan -j "$(nproc)" >build/asan/build.log 2>&1 &
asan_build=$!
tests=0
# One at a time: two at a time saves little (most of the time is in tests that run alone
# anyway) and takes from the sanitizer build the idle CPU it needs. The unit, sim and
# fuzz executables are not built here, so their placeholders (<name>_NOT_BUILT) are left
# out with them.
if [ "$#" -eq 0 ]; then
  set -- -LE '^(unit|sim|fuzz)$' -E '_NOT_BUILT$'
fi
ctest --preset ci "$@" || tests=$?
if ! wait "$asan_build"; then
  cat build/asan/build.log
  echo "test.sh: the asan build failed" >&2
  exit 1
fi
[ "$tests" -eq 0 ] || exit "$tests"
ctest --preset asan
