#!/usr/bin/env bash
# p2pls-fetch side by side with aria2c, the downloader a user already has, on the same
# download link of the file distribution platform (the draft's §6, issue 21).
#
# Three DECADE zones (127.0.1.1, 127.0.2.1, 127.0.3.1), p2pls-alto ranking them for the
# user (127.0.0.1) 2, 1, 3, and p2pls-portal with replication 2, as the platform's tests
# set them up, in one network namespace. A FILE_MB MiB file of random bytes is uploaded
# in SLICE_KB KiB slices, one link made. Then ROUNDS rounds, the two tools in turn in each:
#   p2pls-fetch -j PARALLEL LINK                                   (the JSON manifest)
#   aria2c -j PARALLEL LINK?format=metalink, then cat NAME.part-* > NAME  (Metalink v4),
#   as it comes (one connection per server) and with -x PARALLEL (that many per server)
# Each output's SHA-256 is checked against the manifest's. Prints per run the time (wall,
# from start to the whole file; for aria2 the cat included, and without it in brackets),
# the client's CPU time (user+sys), and the object bytes each zone served for it (its
# decade_bytes_out_total counter, before and after); then the medians and
# the ratios aria2 / p2pls-fetch.
#
# ZONE_MBIT=N shapes each zone's egress to N Mbit/s (an HTB class per zone on lo, u32 on
# the source address). DELAY_MS=N delays each zone's packets by N ms (netem; this
# machine's kernel has none, CONFIG_NET_SCH_NETEM is not set, and the script says so).
# Full size: FILE_MB=1024 ROUNDS=5. Needs root (ip netns), iproute2, curl, aria2c,
# python3, and a built decade-server, p2pls-alto, p2pls-portal and p2pls-fetch in
# P2PLS_BIN_DIR (default build/release/bin). Under a minute at the defaults. Not part of
# the tests; the traffic stays inside the namespace.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/platform.sh
. "$(dirname "$0")/lib/platform.sh"

FILE_MB=${FILE_MB:-256}
SLICE_KB=${SLICE_KB:-4096}
PARALLEL=${PARALLEL:-4}    # both tools' -j (and aria2c's -x in its second run)
ROUNDS=${ROUNDS:-3}
ZONE_MBIT=${ZONE_MBIT:-0}  # each zone's egress in Mbit/s (0: unshaped)
DELAY_MS=${DELAY_MS:-0}    # each zone's added delay in ms (needs netem)

platform_require "ip netns" "ip tc curl aria2c python3 sha256sum" \
    decade-server p2pls-alto p2pls-portal p2pls-fetch
platform_init p2pls-f2a

zone_ip() { echo "127.0.$1.1"; }

platform_netns "$ns"
shaping="none"
if [ "$ZONE_MBIT" != 0 ] || [ "$DELAY_MS" != 0 ]; then
    if [ "$DELAY_MS" != 0 ] && ! platform_has_netem; then
        echo "DELAY_MS needs netem, which this kernel does not have (CONFIG_NET_SCH_NETEM)" >&2
        exit 2
    fi
    platform_lo_htb
    rate=$([ "$ZONE_MBIT" != 0 ] && echo "${ZONE_MBIT}mbit" || echo 10gbit)
    for z in 1 2 3; do
        platform_lo_class "1:$z" "$rate" "" "$DELAY_MS"
        platform_lo_filter "1:$z" match ip src "$(zone_ip "$z")/32"
    done
    shaping="each zone's egress at ${ZONE_MBIT} Mbit/s (0: unshaped), ${DELAY_MS} ms delay"
fi

# --- the platform, as tests/integration/portal/platform_fixture.hpp has it ------------
platform_accounts "$FILE_MB" "$SLICE_KB"
for z in 1 2 3; do platform_zone "$(zone_ip "$z")" 0; done
cat > "$work/maps.toml" <<'TOML'
[pids.users]
ipv4 = ["127.0.0.0/24"]
[pids.zone1]
ipv4 = ["127.0.1.0/24"]
[pids.zone2]
ipv4 = ["127.0.2.0/24"]
[pids.zone3]
ipv4 = ["127.0.3.0/24"]
[pids.default]
ipv4 = ["0.0.0.0/0"]
ipv6 = ["::/0"]
[[costs]]
src = "users"
dst = "zone2"
routingcost = 1
[[costs]]
src = "users"
dst = "zone1"
routingcost = 10
[[costs]]
src = "users"
dst = "zone3"
routingcost = 20
TOML
platform_alto "$work/maps.toml"
platform_portal 2
platform_upload
platform_manifest "$work/manifest.json"
sha256=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sha256"])' "$work/manifest.json")

served() {  # object bytes each zone has served so far: "zone1 zone2 zone3"
    local url
    for url in "${zones[@]}"; do
        in_ns curl -sS -f "$url/metrics" | awk '/^decade_bytes_out_total/ {s += $NF} END {printf "%.0f ", s}'
    done
}
spent() {  # $1 = served before, $2 = after; prints "total_bytes MiB1/MiB2/MiB3"
    python3 -c "
b, a = [int(x) for x in '$1'.split()], [int(x) for x in '$2'.split()]
d = [y - x for x, y in zip(b, a)]
print(sum(d), '/'.join(str(round(x / 2**20)) for x in d))"
}
# Runs a command in the namespace; leaves "wall_s cpu_s" (the command's and its
# children's) in $work/timed.out.
timed() {
    ip netns exec "$ns" python3 - "$@" > "$work/timed.out" <<'PY' &
import os, resource, signal, subprocess, sys, time
start = time.monotonic()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
def stop(signum, _frame):  # Ctrl-C or the script's cleanup: the tool goes too
    child.terminate()
    os._exit(128 + signum)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
if child.wait() != 0:
    sys.exit(f"{sys.argv[1]} exited with {child.returncode}")
wall = time.monotonic() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {ru.ru_utime + ru.ru_stime:.3f}")
PY
    pids+=($!)
    wait "$!"
    unset 'pids[-1]'
}
check() {  # $1 = file
    [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha256" ] || { echo "$1: wrong SHA-256" >&2; exit 1; }
}

# aria2c on the Metalink, then the parts joined; appends "wall cpu bytes wall_without_cat"
# to $1 and prints the run.
run_aria2() {  # $1 = result file, $2 = label, the rest = extra aria2c options
    local runs=$1 label=$2 before dl cpu bytes split start wall
    shift 2
    rm -rf "$work/out/aria2" "$work/out/aria2.bin"
    before=$(served)
    timed aria2c --dir "$work/out/aria2" --quiet=true --file-allocation=none \
        -j "$PARALLEL" "$@" "$link?format=metalink"
    read -r dl cpu < "$work/timed.out"
    read -r bytes split < <(spent "$before" "$(served)")
    start=$(date +%s.%N)
    cat "$work/out/aria2"/file.bin.part-* > "$work/out/aria2.bin"
    wall=$(python3 -c "print(f'{$dl + $(date +%s.%N) - $start:.3f}')")
    check "$work/out/aria2.bin"
    echo "$wall $cpu $bytes $dl" >> "$runs"
    printf ' | %s %6.2f s (%.2f s without the cat), CPU %5.2f s, %s MiB' "$label" "$wall" "$dl" "$cpu" "$split"
}

echo "p2pls-fetch vs aria2c $(aria2c --version | head -1 | cut -d' ' -f3): $FILE_MB MiB in $SLICE_KB KiB slices, replication 2, 3 zones, -j $PARALLEL each, $ROUNDS rounds; shaping: $shaping"
echo "  aria2c runs twice: as it comes (-j $PARALLEL: one connection per server, --max-connection-per-server=1) and with -x $PARALLEL"
: > "$work/fetch.runs"
: > "$work/aria2.runs"
: > "$work/aria2x.runs"
for round in $(seq "$ROUNDS"); do
    rm -rf "$work/out" && mkdir -p "$work/out"
    before=$(served)
    timed "$BIN_DIR/p2pls-fetch" -q -j "$PARALLEL" -o "$work/out/fetch.bin" "$link"
    read -r wall cpu < "$work/timed.out"
    read -r bytes split < <(spent "$before" "$(served)")
    check "$work/out/fetch.bin"
    echo "$wall $cpu $bytes" >> "$work/fetch.runs"
    printf '  round %d  p2pls-fetch %6.2f s, CPU %5.2f s, %s MiB' "$round" "$wall" "$cpu" "$split"
    run_aria2 "$work/aria2.runs" aria2c
    run_aria2 "$work/aria2x.runs" "aria2c -x $PARALLEL" -x "$PARALLEL"
    echo
done
echo "  (MiB: the object bytes zone 1/2/3 served for the run; ALTO ranks them 2, 1, 3)"
python3 - "$PARALLEL" "$work/fetch.runs" "$work/aria2.runs" "$work/aria2x.runs" <<'PY'
import statistics, sys
def med(path, col):
    return statistics.median(float(line.split()[col]) for line in open(path))
j, f = sys.argv[1], sys.argv[2]
fw, fc, fb = med(f, 0), med(f, 1), med(f, 2)
print(f"  medians: p2pls-fetch {fw:.2f} s, CPU {fc:.2f} s, {fb / 2**20:.0f} MiB served")
for label, a in (("aria2c", sys.argv[3]), (f"aria2c -x {j}", sys.argv[4])):
    aw, ac, ab, ad = med(a, 0), med(a, 1), med(a, 2), med(a, 3)
    print(f"  {label}: {aw:.2f} s ({ad:.2f} s without the cat), CPU {ac:.2f} s, {ab / 2**20:.0f} MiB served;"
          f" / p2pls-fetch: time {aw / fw:.2f} ({ad / fw:.2f} without the cat), CPU {ac / fc:.2f},"
          f" bytes {ab / fb:.3f}")
PY
