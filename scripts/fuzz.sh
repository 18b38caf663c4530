#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz/) and merges what they find into the corpora.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     default: all targets, 60 s each
#
# Builds the fuzz preset (clang, ASan + UBSan) into build/fuzz, runs each target for
# SECONDS on a scratch copy of its corpus, then merges the inputs that add coverage into
# tests/fuzz/corpus/<target>/ (libFuzzer's -merge=1, so the corpus stays minimal). A crash
# is kept as tests/fuzz/crashes/<target>/<kind>-<hash> and the script exits 1: fix it,
# then move the file into the corpus under a name that says what it was, so the replay
# (ctest -L fuzz) keeps it as a regression.
# FUZZ_JOBS=N runs N targets at once (default 1; this machine has 2 cores).
# FUZZ_RUNS=N also stops a target after N executions (default: only SECONDS counts).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:-all}"
seconds="${2:-60}"
jobs="${FUZZ_JOBS:-1}"
runs="${FUZZ_RUNS:--1}"

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
bin=build/fuzz/bin

if [ "$target" = all ]; then
  targets=()
  for f in "$bin"/fuzz_*; do
    name="$(basename "$f")"
    case "$name" in *_replay) continue ;; esac
    targets+=("${name#fuzz_}")
  done
else
  [ -x "$bin/fuzz_$target" ] || { echo "fuzz.sh: no target '$target' (see tests/fuzz/)" >&2; exit 2; }
  targets=("$target")
fi

# Inputs stay small enough for the corpora to live in the tree: a TS input of 32 KiB holds
# several key frames of the seed clip, more than the chunker needs to cut.
max_len_of() {
  case "$1" in
    ts) echo 32768 ;;
    *) echo 4096 ;;
  esac
}

run_one() {
  local t="$1" corpus="tests/fuzz/corpus/$1" crashes="tests/fuzz/crashes/$1"
  local work log
  work="$(mktemp -d)"
  log="build/fuzz/$t.log"
  mkdir -p "$corpus" "$crashes"
  cp -r "$corpus/." "$work/" 2>/dev/null || true
  # -rss_limit_mb bounds memory per input, -timeout a hang per input (both are findings).
  "$bin/fuzz_$t" "$work" -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 \
    -rss_limit_mb=2048 -timeout=10 -max_len="$(max_len_of "$t")" \
    -artifact_prefix="$crashes/" >"$log" 2>&1 || true
  "$bin/fuzz_$t" -merge=1 -max_len="$(max_len_of "$t")" "$corpus" "$work" >>"$log" 2>&1 || true
  rm -rf "$work"
  local execs edges found
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | head -1)"
  edges="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
  found="$(find "$crashes" -type f | wc -l)"
  printf '%-16s %12s %8s %8s %8s\n' "$t" "${execs:-?}" "${edges:-?}" \
    "$(find "$corpus" -type f | wc -l)" "$found"
}

printf '%-16s %12s %8s %8s %8s\n' target executions edges corpus crashes
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

if [ -n "$(find tests/fuzz/crashes -type f 2>/dev/null)" ]; then
  echo "fuzz.sh: crashes kept under tests/fuzz/crashes/ (logs in build/fuzz/<target>.log)" >&2
  exit 1
fi
