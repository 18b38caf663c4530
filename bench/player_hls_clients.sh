#!/usr/bin/env bash
# The player's HTTP output under HLS clients: CPU of p2pls-player with 1 and with N
# clients (ffmpeg reading /live.m3u8 the way a browser's hls.js does: the playlist every
# target duration, each new segment once), in one run on one channel, alternating the two
# ROUNDS times. Prints per run the player's CPU-ms per second of wall time
# (utime+stime from /proc/<pid>/stat) and the media bytes it served, then medians and
# the ratio N clients / 1 client: the cost of each extra viewer on the same machine.
#
# Also: how long the player took to its first decoded frame (its own startup), how long
# an HLS client took from its first request to its first decoded frame, and, when
# chromium and web/node_modules are there, the web page's startup from page load to the
# first frame in headless Chromium (web/test/watch_page.mjs), BROWSER_RUNS times.
#
# Needs ffmpeg, curl and a built tree (P2PLS_BIN_DIR, default build/release/bin). Not part
# of the tests.
set -euo pipefail

BIN_DIR=${P2PLS_BIN_DIR:-$(dirname "$0")/../build/release/bin}
CLIENTS=${CLIENTS:-10}
ROUNDS=${ROUNDS:-3}
BROWSER_RUNS=${BROWSER_RUNS:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}

for tool in ffmpeg curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
for exe in p2pls-tracker p2pls-source p2pls-player; do
    [ -x "$BIN_DIR/$exe" ] || { echo "no $BIN_DIR/$exe: build it first" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
clk_tck=$(getconf CLK_TCK)
metric() { curl -fsS "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

"$BIN_DIR/p2pls-tracker" --listen 127.0.0.1:0 --port-file "$work/tracker.port" --log-level warn &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/tracker.port" ] && break; sleep 0.1; done
tracker="http://127.0.0.1:$(cat "$work/tracker.port")"
"$BIN_DIR/p2pls-source" --tracker "$tracker" --listen 127.0.0.1:0 --key "$work/live.key" \
    --log-level warn &
pids+=($!)
sleep 2
DISPLAY= WAYLAND_DISPLAY= "$BIN_DIR/p2pls-player" --tracker "$tracker" --sink fake \
    --http-out 0 --join-timeout 20 >"$work/player.out" 2>&1 &
player=$!
pids+=("$player")
for _ in $(seq 300); do
    grep -q "first frame decoded" "$work/player.out" && break
    sleep 0.1
done
port=$(grep -o 'watch in a browser: http://127.0.0.1:[0-9]*' "$work/player.out" | grep -o '[0-9]*$')
[ -n "$port" ] || { cat "$work/player.out"; echo "the player did not start" >&2; exit 1; }
echo "player startup (join to first decoded frame): $(metric p2pls_player_startup_delay_seconds) s"
url="http://127.0.0.1:$port/live.m3u8"

# One HLS client's startup: first request to first decoded frame, as ffmpeg sees it.
t0=$(date +%s.%N)
ffmpeg -v error -i "$url" -frames:v 1 -f null - </dev/null
t1=$(date +%s.%N)
echo "HLS client startup (request to first decoded frame, ffmpeg): $(python3 -c "print(f'{$t1-$t0:.2f}')") s"

if command -v chromium >/dev/null && [ -d "$repo/web/node_modules/puppeteer-core" ]; then
    for i in $(seq "$BROWSER_RUNS"); do
        mkdir -p "$work/browser$i"
        node "$repo/web/test/watch_page.mjs" --url "http://127.0.0.1:$port/" \
            --chromium "$(command -v chromium)" --out "$work/browser$i" --play-s 4 |
            python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"browser page startup (load to first frame): {r['firstFrameMs']/1000:.2f} s, hls.js latency behind live {r.get('latencyS') or -1:.2f} s\")"
    done
fi
echo "player lag behind live: $(metric p2pls_player_lag_seconds) s"

run() { # $1 = clients; prints "cpu_ms_per_s bytes"
    local n=$1 client_pids=()
    for _ in $(seq "$n"); do
        ffmpeg -v error -i "$url" -c copy -f null - </dev/null &
        client_pids+=($!)
    done
    sleep 3 # every client past its first playlist
    local c0 b0 s0 c1 b1 s1
    c0=$(cpu_ticks "$player"); b0=$(metric p2pls_player_http_media_bytes_sent_total)
    s0=$(date +%s.%N)
    sleep "$SECONDS_PER_RUN"
    c1=$(cpu_ticks "$player"); b1=$(metric p2pls_player_http_media_bytes_sent_total)
    s1=$(date +%s.%N)
    kill "${client_pids[@]}" 2>/dev/null || true
    wait "${client_pids[@]}" 2>/dev/null || true
    python3 -c "print(f'{($c1-$c0)*1000/$clk_tck/($s1-$s0):.1f} {int($b1-$b0)}')"
}

printf '%-8s %-8s %14s %14s\n' round clients cpu_ms_per_s bytes_served
results=()
for r in $(seq "$ROUNDS"); do
    for n in 1 "$CLIENTS"; do
        read -r cpu bytes < <(run "$n")
        printf '%-8s %-8s %14s %14s\n' "$r" "$n" "$cpu" "$bytes"
        results+=("$n $cpu $bytes")
    done
done
printf '%s\n' "${results[@]}" | python3 -c "
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
by = {}
for n, cpu, b in rows:
    by.setdefault(int(n), []).append((float(cpu), int(b)))
one, many = min(by), max(by)
c1 = statistics.median(c for c, _ in by[one]); cn = statistics.median(c for c, _ in by[many])
b1 = statistics.median(b for _, b in by[one]); bn = statistics.median(b for _, b in by[many])
print(f'median: {one} client {c1:.1f} CPU-ms/s, {many} clients {cn:.1f} CPU-ms/s')
print(f'ratio {many}/{one}: CPU {cn / c1:.2f}x, bytes served {bn / b1:.2f}x')
"
