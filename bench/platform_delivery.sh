#!/usr/bin/env bash
# What one DECADE server of the file distribution platform (the draft's §6) delivers to
# many downloaders at once, through a shaped link (issue 21).
#
# A decade-server (directory store) and p2pls-portal run in one network namespace, the
# downloaders in another, joined by a veth pair whose server-side egress is an HTB class
# of a fixed rate. A FILE_MB MiB file of random bytes is uploaded through the portal in
# SLICE_KB KiB slices; one download link is made, and its manifest's slice URLs (each with
# its download token, ?token=) are what the downloaders fetch: one curl each, the slices
# in turn over one keep-alive connection, each curl from its own address of the client
# namespace (decade-server's --slots, 4 requests per client address, is left at its
# default: one downloader per address, as real users are). A python driver reads every
# curl's output and counts the bytes as they arrive; goodput is the bytes received while
# every downloader is active (from WARMUP_S after the last one's first byte, for
# MEASURE_S seconds) over that time.
#
#   (a) delivered bandwidth: the link at CAP_MBIT (default 200 Mbit/s), DOWNLOADERS (16)
#       unlimited downloaders; prints the aggregate goodput / CAP (the draft's figure:
#       at least 0.94).
#   (b) concurrent downloaders: the link at CAP2_MBIT (500), each downloader behind its
#       own HTB class of RATE2_KBIT (1000 kbit/s: its access link; curl 7.88's
#       --limit-rate did not hold over a list of URLs), STEPS downloaders in turn
#       (100 200 400); per step: errors (non-200 answers, curl errors, downloaders that
#       never started or stopped early), aggregate goodput, Jain's fairness index over
#       the downloaders' goodputs, decade-server's open connections (/metrics) and its
#       VmRSS growth per connection (/proc/<pid>/status, before the step and in the
#       middle of its window). The goal: 400 with no errors.
#
# Full size (issue 21): FILE_MB=1024 MEASURE_S=30 STEPS="100 200 400 800".
# Needs root (ip netns, tc), iproute2, curl, python3, and a built decade-server and
# p2pls-portal in P2PLS_BIN_DIR (default build/release/bin). Takes about 2 minutes at the
# defaults. Not part of the tests; the traffic stays inside the two namespaces.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/platform.sh
. "$(dirname "$0")/lib/platform.sh"

FILE_MB=${FILE_MB:-256}
SLICE_KB=${SLICE_KB:-1024}      # the figures in bench/README.md were measured with 1 MiB slices
CAP_MBIT=${CAP_MBIT:-200}
DOWNLOADERS=${DOWNLOADERS:-16}
CAP2_MBIT=${CAP2_MBIT:-500}
RATE2_KBIT=${RATE2_KBIT:-1000}
STEPS=${STEPS:-100 200 400}
WARMUP_S=${WARMUP_S:-3}
MEASURE_S=${MEASURE_S:-15}     # >= 15: at 1 Mbit/s the first seconds after the start read low
read -r -a LEAF_QDISC <<<"${LEAF_QDISC:-pfifo limit 1000}"  # each HTB class's queue
BURST_MS=${BURST_MS:-1}         # the link's HTB burst, in ms at its rate

platform_require "ip netns, tc" "ip tc curl python3 sha256sum" decade-server p2pls-portal

max_clients=$DOWNLOADERS
for n in $STEPS; do [ "$n" -gt "$max_clients" ] && max_clients=$n; done
[ "$max_clients" -le 60000 ] || { echo "at most 60000 downloaders" >&2; exit 2; }

platform_init p2pls-pd-srv  # the server's namespace: decade-server and the portal
cli=p2pls-pd-cli-$$
veth=pds$$

# --- the link: 10.77.0.1 (server) and one 10.77.x.y per downloader --------------------
server_ip=10.77.0.1
# The server's neighbour table holds one entry per downloader (the limit is the host's).
platform_neigh_limit $((max_clients + 512))
platform_netns "$ns" "$cli"
ip link add "$veth" netns "$ns" type veth peer name "${veth}c" netns "$cli"
ip -n "$ns" addr add "$server_ip/16" dev "$veth"
python3 - "$max_clients" "${veth}c" > "$work/addresses" <<'PY'
import sys
n, dev = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print(f"addr add 10.77.{1 + i // 250}.{1 + i % 250}/16 dev {dev}")
PY
ip -n "$cli" -batch "$work/addresses"
ip -n "$ns" link set "$veth" up
ip -n "$cli" link set "${veth}c" up
# The server's egress: HTB class 1:1 at the link's rate; 1:10 (the default) for whatever
# has no class of its own, and, with a per-downloader rate, one class per downloader
# (minor 1 + the low 16 bits of its address; u32 filters hashed on the last byte): its
# access link.
shape() {  # $1 = link Mbit/s, $2 = downloaders with a class of their own, $3 = their kbit/s
    local rate=$1 n=${2:-0} each=${3:-0}
    local burst=$((rate * 125 * BURST_MS))  # bytes the link may send at once (125 B = 1 ms at 1 Mbit/s)
    [ "$burst" -ge 1600 ] || burst=1600
    tc -n "$ns" qdisc del dev "$veth" root 2>/dev/null || true
    {
        echo "qdisc add dev $veth root handle 1: htb default 10"
        echo "class add dev $veth parent 1: classid 1:1 htb rate ${rate}mbit ceil ${rate}mbit burst $burst cburst $burst quantum 60000"
        echo "class add dev $veth parent 1:1 classid 1:10 htb rate ${rate}mbit ceil ${rate}mbit burst $burst cburst $burst quantum 60000"
        echo "qdisc add dev $veth parent 1:10 ${LEAF_QDISC[*]}"
        if [ "$n" -gt 0 ]; then
            echo "filter add dev $veth parent 1: prio 1 handle 2: protocol ip u32 divisor 256"
            echo "filter add dev $veth parent 1: prio 1 protocol ip u32 ht 800:: match ip dst 10.77.0.0/16 hashkey mask 0x000000ff at 16 link 2:"
        fi
        for ((i = 0; i < n; i++)); do
            local c=$((1 + i / 250)) d=$((1 + i % 250)) minor
            minor=$(printf %x $((1 + c * 256 + d)))
            echo "class add dev $veth parent 1:1 classid 1:$minor htb rate ${each}kbit ceil ${each}kbit quantum 1514"
            echo "qdisc add dev $veth parent 1:$minor ${LEAF_QDISC[*]}"
            echo "filter add dev $veth parent 1: prio 1 protocol ip u32 ht 2:$(printf %x $d): match ip dst 10.77.$c.$d/32 flowid 1:$minor"
        done
    } > "$work/tc.batch"
    tc -n "$ns" -batch "$work/tc.batch"
}

# --- the platform: one zone, its decade-server, the portal ----------------------------
platform_accounts "$FILE_MB" "$SLICE_KB"
platform_zone "$server_ip" 8300 --max-connections $((max_clients + 256))
decade_pid=$zone_pid
platform_portal 1

echo "platform delivery: one decade-server (--store), a $FILE_MB MiB file in $SLICE_KB KiB slices, via p2pls-portal"
platform_upload
echo "  uploaded through the portal in $(python3 -c "print(f'{$upload_s:.1f}')") s"
platform_manifest "$work/manifest.json"

# The slice URLs as a curl config, repeated so that no downloader runs out in a step.
python3 - "$work/manifest.json" "$((CAP2_MBIT > CAP_MBIT ? CAP2_MBIT : CAP_MBIT))" \
    "$((WARMUP_S + MEASURE_S + 60))" > "$work/urls.curl" <<'PY'
import json, math, sys
manifest = json.load(open(sys.argv[1]))
most = int(sys.argv[2]) * 1e6 / 8 * int(sys.argv[3])  # what one downloader could get at most
reps = max(1, math.ceil(most / manifest["size"]))
for _ in range(reps):
    for s in manifest["slices"]:
        print(f'url = "{s["urls"][0]}"')
PY

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# The downloaders: started, read, measured and stopped by one driver in the client
# namespace. Prints "started errors aggregate_bytes_per_s jain open_connections rss_kib
# link_bytes_per_s".
cat > "$work/driver.py" <<'PY'
import os, selectors, signal, subprocess, sys, time, urllib.request
n, urls, warmup, measure, server_pid, metrics, logs, srv_ns, dev = sys.argv[1:10]
n, warmup, measure = int(n), float(warmup), float(measure)

def link_bytes():  # what the HTB class sent: headers and retransmissions included
    out = subprocess.run(["ip", "netns", "exec", srv_ns, "tc", "-s", "class", "show", "dev", dev, "classid", "1:1"],
                         capture_output=True, text=True).stdout
    return int(out.split("Sent ")[1].split()[0])

def rss_kib():
    for line in open(f"/proc/{server_pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def open_connections():
    try:
        text = urllib.request.urlopen(metrics, timeout=5).read().decode()
    except OSError:
        return -1
    return sum(int(float(l.split()[-1])) for l in text.splitlines()
               if l.startswith("decade_open_connections"))

sel = selectors.DefaultSelector()
procs, count, first, ended = [], [0] * n, [None] * n, [None] * n

def stop(signum, _frame):  # Ctrl-C or the script's cleanup: the curls go too
    for p in procs:
        p.terminate()
    os._exit(128 + signum)

signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
for i in range(n):
    cmd = ["curl", "-sS", "-K", urls, "--interface", f"10.77.{1 + i // 250}.{1 + i % 250}",
           "-w", "%{stderr}%{http_code}\\n"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(f"{logs}/{i}.log", "w"))
    os.set_blocking(p.stdout.fileno(), False)
    sel.register(p.stdout, selectors.EVENT_READ, i)
    procs.append(p)

def pump(until):
    while time.monotonic() < until:
        for key, _ in sel.select(timeout=max(0.0, min(0.2, until - time.monotonic()))):
            i = key.data
            chunk = os.read(key.fd, 1 << 20)
            now = time.monotonic()
            if not chunk:
                ended[i] = now
                sel.unregister(key.fileobj)
                continue
            if first[i] is None:
                first[i] = now
            count[i] += len(chunk)
        if all(e is not None for e in ended):
            return

# Until every downloader has its first byte (or 60 s), then WARMUP_S, then the window.
deadline = time.monotonic() + 60
while time.monotonic() < deadline and any(f is None and e is None for f, e in zip(first, ended)):
    pump(time.monotonic() + 0.2)
pump(time.monotonic() + warmup)
l1, t1, c1 = link_bytes(), time.monotonic(), list(count)
pump(t1 + measure / 2)
rss, conns = rss_kib(), open_connections()
pump(t1 + measure)
t2, c2, l2 = time.monotonic(), list(count), link_bytes()
# A downloader that stopped inside the window ends it for the aggregate.
early = [e for e in ended if e is not None and e < t2]
for p in procs:
    p.terminate()
for p in procs:
    p.wait()

span = t2 - t1
rates = [(b - a) / span for a, b in zip(c1, c2)]
started = sum(f is not None for f in first)
errors = n - started + len(early)
for i in range(n):
    for line in open(f"{logs}/{i}.log"):
        line = line.strip()
        if line and line != "200":
            errors += 1
jain = sum(rates) ** 2 / (n * sum(r * r for r in rates)) if any(rates) else 0
print(started, errors, f"{sum(rates):.0f}", f"{jain:.4f}", conns, rss, f"{(l2 - l1) / span:.0f}")
PY

run_step() {  # $1 = downloaders; leaves the driver's line in $work/step.out
    rm -rf "$work/logs"
    mkdir -p "$work/logs"
    ip netns exec "$cli" python3 "$work/driver.py" "$1" "$work/urls.curl" "$WARMUP_S" \
        "$MEASURE_S" "$decade_pid" "http://$server_ip:8300/metrics" "$work/logs" "$ns" "$veth" \
        > "$work/step.out" &
    pids+=($!)
    wait "$!"
    unset 'pids[-1]'
}

# --- (a) delivered bandwidth ----------------------------------------------------------
shape "$CAP_MBIT"
run_step "$DOWNLOADERS"
read -r started errors agg jain conns _ link < "$work/step.out"
python3 -c "
agg, cap, link = $agg, $CAP_MBIT * 1e6 / 8, $link
print(f'(a) link {$CAP_MBIT} Mbit/s (HTB, leaf ${LEAF_QDISC[*]}), $DOWNLOADERS downloaders ($started started, $errors errors, {$conns} open connections):')
print(f'    goodput {agg * 8 / 1e6:.1f} Mbit/s over {$MEASURE_S} s = {agg / cap:.3f} of the cap (goal >= 0.94);'
      f' the link sent {link / cap:.3f} of it (headers included); Jain {$jain:.3f}')"

# --- (b) concurrent downloaders at 1 Mbit/s each --------------------------------------
echo "(b) link $CAP2_MBIT Mbit/s, each downloader behind its own $RATE2_KBIT kbit/s HTB class, ${MEASURE_S} s windows"
for n in $STEPS; do
    sleep 2  # the last step's connections close
    shape "$CAP2_MBIT" "$n" "$RATE2_KBIT"
    before=$(rss_kib "$decade_pid")
    run_step "$n"
    read -r started errors agg jain conns during _ < "$work/step.out"
    python3 -c "
n, agg, before, during = $n, $agg, $before, $during
print(f'    {n:5d} downloaders: {$started} started, {$errors} errors, {$conns} open connections;'
      f' aggregate {agg * 8 / 1e6:.1f} Mbit/s ({agg * 8 / 1e6 / n:.3f} per downloader), Jain {$jain:.4f};'
      f' VmRSS {before / 1024:.1f} -> {during / 1024:.1f} MiB = {(during - before) / n:.1f} KiB per connection')"
done
