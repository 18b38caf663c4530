#!/usr/bin/env bash
# Runs the simulated 50-peer swarms (tests/sim/peer) over many seeds and sums them up:
# a scheduler change is judged on the spread over seeds, not on the test's one seed.
#
#   bench/swarm_seeds.sh [BUILD_DIR] [SEEDS...]     (default: build/release, seeds 1..8 42 44)
#
# Prints one line per scenario and seed, then totals per scenario.
set -euo pipefail

build=${1:-build/release}
shift || true
seeds=("$@")
if [[ ${#seeds[@]} -eq 0 ]]; then
    seeds=(1 2 3 4 5 6 7 8 42 44)
fi
bin="$build/bin/peer_swarm_sim_test"
[[ -x $bin ]] || { echo "no $bin: build the target peer_swarm_sim_test first" >&2; exit 2; }

filter='SwarmSim.FlashCrowdOfFiftyAllStartAndPlay:SwarmSim.SilentPeersDoNotStallTheSwarm'
out=$(mktemp)
trap 'rm -f "$out"' EXIT
jobs=$(nproc)
# A failing seed fails its test run; the sweep wants its numbers all the same.
{ printf '%s\n' "${seeds[@]}" |
    xargs -P "$jobs" -I{} env SIM_SEED={} "$bin" --gtest_filter="$filter" || true; } |
    grep '^\[swarm\]' | sort -k2,2 -k3,3V >"$out"
cat "$out"
awk '
    { for (i = 3; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
      s = $2; due[s] += v["due"]; miss[s] += v["missed"]; frz[s] += v["freezes"];
      ns[s] += v["not_started"]; if (v["max_startup_s"] > ms[s]) ms[s] = v["max_startup_s"];
      med[s] += v["median_startup_s"];
      if (v["missed"] / v["due"] > worst[s]) worst[s] = v["missed"] / v["due"]; n[s]++ }
    END { for (s in due)
        printf "total %s runs=%d miss=%.3f%% worst_seed_miss=%.2f%% freezes=%d not_started=%d mean_median_startup_s=%.2f max_startup_s=%.2f\n",
               s, n[s], 100 * miss[s] / due[s], 100 * worst[s], frz[s], ns[s], med[s] / n[s], ms[s] }' "$out"
