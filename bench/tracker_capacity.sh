#!/usr/bin/env bash
# Capacity of p2pls-tracker: fills a real tracker process with 10,000 members in
# one channel and 1,000 channels of 10 members over HTTP keep-alive, checks the counts with
# GET /v1/channels, and prints the resident memory (VmRSS) per member.
# Needs python3, a built p2pls-tracker and signed_announces (bench/signed_announces.cpp:
# the tracker takes only signed source announces) in P2PLS_BIN_DIR (default
# build/release/bin).
set -euo pipefail
BIN_DIR=${P2PLS_BIN_DIR:-$(dirname "$0")/../build/release/bin}
work=$(mktemp -d)
"$BIN_DIR/p2pls-tracker" --listen 127.0.0.1:0 --port-file "$work/port" --interval 3600 \
    --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -x "$BIN_DIR/signed_announces" ] || { echo "no $BIN_DIR/signed_announces: build it first" >&2; exit 2; }
"$BIN_DIR/signed_announces" 1 big > "$work/sources"
"$BIN_DIR/signed_announces" 1000 many >> "$work/sources"
python3 - "$(cat "$work/port")" "$pid" "$work/sources" <<'PY'
import http.client, json, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPConnection("127.0.0.1", port)
signed = dict(line.rstrip("\n").split(" ", 1) for line in open(sys.argv[3]))

def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def post(path, body):
    text = body if isinstance(body, str) else json.dumps(body)
    conn.request("POST", path, text, {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    assert r.status == 200, (path, r.status)

def source(ch):
    post(f"/v1/channels/{ch}/announce", signed[ch])

def member(ch, i):
    post(f"/v1/channels/{ch}/announce", {"peer_id": f"peer-{i:05d}",
         "endpoint": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}:{7000 + i % 1000}",
         "mode": "native", "event": "started"})

def measure(label, channels, members):
    base = rss_kib()
    for c in range(channels):
        source(f"{label}{c}")
    with_channels = rss_kib()
    start = time.time()
    for c in range(channels):
        for i in range(members):
            member(f"{label}{c}", i)
    took = time.time() - start
    after = rss_kib()
    conn.request("GET", "/v1/channels")
    listing = json.loads(conn.getresponse().read())["channels"]
    held = sum(ch["members"] for ch in listing if ch["name"].startswith(label))
    n = channels * members
    print(f"{channels:5d} channel(s) x {members:6d} members: tracker holds {held} members; "
          f"RSS +{(with_channels - base)}KiB for the channels, "
          f"+{(after - with_channels) * 1024 / n:.0f} B per member "
          f"({n / took:.0f} announces/s from one keep-alive client)")

print(f"RSS at start: {rss_kib()} KiB")
measure("big", 1, 10_000)
measure("many", 1_000, 10)
print(f"RSS at end: {rss_kib()} KiB")
PY
