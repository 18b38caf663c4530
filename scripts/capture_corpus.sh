#!/usr/bin/env bash
# Seeds the fuzz corpora from real traffic. Runs the integration tests that carry the peer
# wire, the tracker API and the DECADE API with P2PLS_CAPTURE_DIR set (every real process
# then also writes what it receives: common/posix/traffic_capture.hpp), lays the captures
# out as seeds of the targets that parse them (tests/fuzz/seeds_from_capture.cpp), and
# merges into tests/fuzz/corpus/<target>/ only the seeds that add coverage (libFuzzer's
# -merge=1 with the fuzz preset's targets).
#
#   scripts/capture_corpus.sh [CTEST_REGEX]    default: the suites listed below
#
# BUILD_DIR=DIR uses a configured build of the project there instead of the ci preset's.
set -euo pipefail
cd "$(dirname "$0")/.."

regex="${1:-^(ChannelIdentity|PeerNodeTest|DecadeProcesses|PeerProcesses|DecadeServerIT|TrackerIntegration|StorageAttack)\.}"

build="${BUILD_DIR:-build/release}"
[ -n "${BUILD_DIR:-}" ] || cmake --preset ci >/dev/null
cmake --build "$build" --target tests-integration fuzz_seeds_from_capture
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

capture="$(mktemp -d /tmp/p2pls-capture.XXXXXX)"
seeds="$(mktemp -d /tmp/p2pls-seeds.XXXXXX)"
trap 'rm -rf "$capture" "$seeds"' EXIT
P2PLS_CAPTURE_DIR="$capture" ctest --test-dir "$build" -R "$regex" ||
  echo "capture_corpus: some tests failed; what they received is used all the same" >&2
"$build/bin/fuzz_seeds_from_capture" "$capture" "$seeds"

for dir in "$seeds"/*/; do
  t="$(basename "$dir")"
  max_len=4096
  [ "$t" = ts ] && max_len=32768
  corpus="tests/fuzz/corpus/$t"
  find "$corpus" -type f -printf '%f\n' | sort >"$seeds/$t.before"
  build/fuzz/bin/"fuzz_$t" -merge=1 -max_len="$max_len" "$corpus" "$dir" \
    >"build/fuzz/capture-$t.log" 2>&1
  # What the merge kept is named by its SHA-1; the prefix says it came from real traffic.
  new=0
  while read -r f; do
    mv "$corpus/$f" "$corpus/capture-$f"
    new=$((new + 1))
  done < <(find "$corpus" -type f -printf '%f\n' | sort | comm -13 "$seeds/$t.before" -)
  printf '%-12s %5d captured seeds, %4d new in the corpus\n' "$t" \
    "$(find "$dir" -type f | wc -l)" "$new"
done
