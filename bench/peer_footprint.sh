#!/usr/bin/env bash
# CPU and memory of one p2pls-peer watching a 500 kbit/s channel (what a viewer's machine pays:
# goal <= 1 % of a core and <= 8 MB). Starts a tracker, a source (test pattern) and
# PEERS peers on loopback; measures the first peer over SECONDS after a warm-up.
#
#   bench/peer_footprint.sh [BUILD_DIR] [SECONDS] [PEERS]    (default: build/release 60 3)
#
# CPU is the peer's user + system time over the window, as a share of one core. Memory
# is read from /proc at the end: RSS, PSS (shared pages split among the processes that
# map them) and private (the peer's own pages). With several peers, shared library
# pages are split and PSS falls towards private; the source's encoder is not counted.
set -euo pipefail

build=${1:-build/release}
seconds=${2:-60}
peers=${3:-3}
bin="$build/bin"
for b in p2pls-tracker p2pls-source p2pls-peer; do
    [[ -x $bin/$b ]] || { echo "no $bin/$b: build it first" >&2; exit 2; }
done

dir=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

wait_file() {
    for _ in $(seq 100); do [[ -s $1 ]] && return 0; sleep 0.1; done
    echo "timed out waiting for $1" >&2
    exit 1
}

"$bin/p2pls-tracker" --listen 127.0.0.1:0 --port-file "$dir/tracker.port" --log-level warn &
pids+=($!)
wait_file "$dir/tracker.port"
tracker="http://127.0.0.1:$(cat "$dir/tracker.port")"

"$bin/p2pls-source" --tracker "$tracker" --channel bench --listen 127.0.0.1:0 \
    --bitrate 500 --key "$dir/bench.key" --port-file "$dir/source.port" --log-level warn &
pids+=($!)
wait_file "$dir/source.port"

for i in $(seq "$peers"); do
    "$bin/p2pls-peer" --tracker "$tracker" --channel bench --peer-id "peer-$i" \
        --upload-limit 750kbit --report "$dir/peer-$i.jsonl" --log-level warn &
    pids+=($!)
done
peer=${pids[2]}

ticks() { awk '{print $14 + $15}' "/proc/$peer/stat"; }
sleep 10  # startup and the first neighbours
t0=$(ticks)
sleep "$seconds"
t1=$(ticks)
hz=$(getconf CLK_TCK)
kb() { awk -v k="$1" '$1 == k":" {print $2}' "$2"; }
rss=$(kb VmRSS "/proc/$peer/status")
pss=$(kb Pss "/proc/$peer/smaps_rollup")
private=$(($(kb Private_Clean "/proc/$peer/smaps_rollup") + $(kb Private_Dirty "/proc/$peer/smaps_rollup")))
last=$(tail -n 1 "$dir/peer-1.jsonl")

awk -v t="$((t1 - t0))" -v hz="$hz" -v s="$seconds" -v rss="$rss" -v pss="$pss" \
    -v priv="$private" -v n="$peers" 'BEGIN {
    printf "peer-1 of %d, %d s at 500 kbit/s: cpu %.2f %% of a core; rss %.1f MB, pss %.1f MB, private %.1f MB\n",
           n, s, 100 * t / hz / s, rss / 1024, pss / 1024, priv / 1024 }'
echo "peer-1 report: $last"
