#!/usr/bin/env bash
# A soak test under AddressSanitizer + LeakSanitizer + UBSan: a whole channel in both modes
# for MINUTES, with churn and a DECADE server restart, then a clean shutdown.
#
#   scripts/soak.sh [MINUTES]          default 30
#
# Runs a tracker, two DECADE servers (directory stores), a DECADE-mode source (it serves
# native and DECADE peers), 10 native and 10 DECADE peers. Six peers of each mode stay for
# the whole run; the others churn: every few seconds one leaves (SIGTERM) and a new one
# joins in its place. Halfway through, DECADE server 1 is stopped and restarted on the same
# store. At the end everything gets SIGTERM, so that LeakSanitizer checks every process.
#
# Fails on any sanitizer report (the logs are kept), on a process of the long-lived ones
# that died, or when the resident memory of a long-lived process grew by more than 10 %
# between warm-up (a fifth of the run, at least 60 s) and the end. Prints the RSS per
# process kind. ASan's quarantine is capped at 16 MiB so that it fills during warm-up and
# does not read as growth.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-30}"
total_s=$((minutes * 60))
warmup_s=$((total_s / 5))
if [ "$warmup_s" -lt 60 ]; then warmup_s=60; fi
churn_every_s=4

cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)" --target p2pls-tracker decade-server p2pls-source \
  p2pls-peer >/dev/null
b="$PWD/build/asan/bin"

out="$(mktemp -d /tmp/p2pls-soak.XXXXXX)"
echo "soak: ${minutes} min, logs in $out"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=0:quarantine_size_mb=16:log_path=$out/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0:log_path=$out/ubsan"
# GLib and GStreamer keep process-lifetime caches; tests/lsan.supp names them.
export LSAN_OPTIONS="log_path=$out/lsan:suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

base=$((20000 + RANDOM % 20000))
tracker="http://127.0.0.1:$base"
ds1="http://127.0.0.1:$((base + 1))"
ds2="http://127.0.0.1:$((base + 2))"

# The servers prove this key when they register (the tracker refuses them otherwise).
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$out/registration.key"
"$b/p2pls-tracker" --listen "127.0.0.1:$base" --registration-key "$out/registration.key" \
  >"$out/tracker.log" 2>&1 &
tracker_pid=$!
pids+=("$tracker_pid")
sleep 1

declare -A server_pid
start_server() {  # index url
  "$b/decade-server" --listen "${2#http://}" --store "$out/store-$1" --dev-open \
    --allow-any-peer --tracker "$tracker" --tracker-key "$out/registration.key" \
    >>"$out/decade-$1.log" 2>&1 &
  server_pid[$1]=$!
  pids+=("$!")
}
start_server 1 "$ds1"
start_server 2 "$ds2"
ds2_pid="${server_pid[2]}"
sleep 2

"$b/p2pls-source" --tracker "$tracker" --listen "127.0.0.1:$((base + 3))" --mode decade \
  --decade-server "$ds2" --key "$out/channel.key" --width 320 --height 240 --bitrate 300 \
  >"$out/source.log" 2>&1 &
source_pid=$!
pids+=("$source_pid")
sleep 3

# Peer i: even ones native, odd ones DECADE (home servers alternate); its own loopback
# address, so the servers' per-address caps treat each as one client.
declare -A peer_pid
start_peer() {
  local i="$1" mode=native extra=()
  if [ $((i % 2)) -eq 1 ]; then
    mode=decade
    if [ $((i % 4)) -eq 1 ]; then extra=(--decade-server "$ds1"); else extra=(--decade-server "$ds2"); fi
    extra+=(--decade-local-address "127.0.0.$((10 + i))")
  fi
  "$b/p2pls-peer" --tracker "$tracker" --listen "127.0.0.1:$((base + 100 + i))" --mode "$mode" \
    "${extra[@]}" --log-level warn >>"$out/peer-$i.log" 2>&1 &
  peer_pid[$i]=$!
  pids+=("$!")
}
for i in $(seq 0 19); do start_peer "$i"; sleep 0.3; done

# Peers 0..11 stay; 12..19 churn.
stayers=(0 1 2 3 4 5 6 7 8 9 10 11)

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
declare -A rss_warm
sample_warm() {
  rss_warm[tracker]="$(rss_kb "$tracker_pid")"
  rss_warm[decade-server]="$(rss_kb "$ds2_pid")"
  rss_warm[source]="$(rss_kb "$source_pid")"
  for i in "${stayers[@]}"; do rss_warm[peer-$i]="$(rss_kb "${peer_pid[$i]}")"; done
}

start=$SECONDS
warmed=0
restarted=0
while [ $((SECONDS - start)) -lt "$total_s" ]; do
  sleep "$churn_every_s"
  i=$((12 + RANDOM % 8))
  kill -TERM "${peer_pid[$i]}" 2>/dev/null || true
  wait "${peer_pid[$i]}" 2>/dev/null || true
  start_peer "$i"
  if [ "$warmed" -eq 0 ] && [ $((SECONDS - start)) -ge "$warmup_s" ]; then
    sample_warm
    warmed=1
  fi
  if [ "$restarted" -eq 0 ] && [ $((SECONDS - start)) -ge $((total_s / 2)) ]; then
    echo "soak: restarting DECADE server 1 at $((SECONDS - start)) s"
    kill -TERM "${server_pid[1]}"
    wait "${server_pid[1]}" 2>/dev/null || true
    start_server 1 "$ds1"
    restarted=1
  fi
done

failed=0
for name in tracker source; do
  pid_var="${name}_pid"
  if ! kill -0 "${!pid_var}" 2>/dev/null; then echo "soak: the $name died" >&2; failed=1; fi
done
for p in "$ds2_pid" $(for i in "${stayers[@]}"; do echo "${peer_pid[$i]}"; done); do
  if ! kill -0 "$p" 2>/dev/null; then echo "soak: long-lived process $p died" >&2; failed=1; fi
done

printf '%-14s %12s %12s %8s\n' process rss_warm_kB rss_end_kB growth
report() {  # name pid
  local warm="${rss_warm[$1]:-0}" end
  end="$(rss_kb "$2")"
  local growth="n/a"
  if [ "$warm" -gt 0 ]; then
    growth="$(awk -v w="$warm" -v e="$end" 'BEGIN {printf "%.1f%%", 100 * (e - w) / w}')"
    if awk -v w="$warm" -v e="$end" 'BEGIN {exit !(e > 1.10 * w)}'; then failed=1; fi
  fi
  printf '%-14s %12s %12s %8s\n' "$1" "$warm" "$end" "$growth"
}
report tracker "$tracker_pid"
report decade-server "$ds2_pid"
report source "$source_pid"
for i in "${stayers[@]}"; do report "peer-$i" "${peer_pid[$i]}"; done

cleanup
trap - EXIT
sleep 1
reports="$(find "$out" -name 'asan.*' -o -name 'ubsan.*' -o -name 'lsan.*' | sort)"
if [ -n "$reports" ] || grep -l "runtime error:" "$out"/*.log >/dev/null 2>&1; then
  echo "soak: sanitizer reports:" >&2
  echo "$reports" >&2
  grep -l "runtime error:" "$out"/*.log >&2 || true
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "soak: FAILED (logs in $out)" >&2
  exit 1
fi
echo "soak: passed, 0 sanitizer reports (logs in $out)"
