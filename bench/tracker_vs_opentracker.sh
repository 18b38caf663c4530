#!/usr/bin/env bash
# p2pls-tracker side by side with opentracker (Debian package): the tracker an operator would otherwise run.
#
# Both run on loopback with the same swarm: CHANNELS channels (torrents) of MEMBERS members
# each, PEERS peers per reply. wrk drives announces (heartbeats of the existing members,
# round-robin over the whole swarm) at the same concurrency, alternating the two trackers
# ROUNDS times, with keep-alive and with "Connection: close" (opentracker closes after
# every reply anyway). Each side gets its own native request: p2pls a JSON POST to
# /v1/channels/{ch}/announce, opentracker a BitTorrent GET /announce?info_hash=...
# Prints req/s and server CPU-µs per announce (utime+stime from /proc/<pid>/stat) per run,
# then medians and the ratios p2pls / opentracker.
#
# TRACKER_THREADS (default 1, like opentracker's one serving thread): p2pls-tracker's
# --threads; set it to the number of cores for the every-core figure.
#
# Needs: opentracker, wrk, curl (apt-get install opentracker wrk curl) and a built
# p2pls-tracker and signed_announces (P2PLS_BIN_DIR, default build/release/bin). Not part
# of the tests.
set -euo pipefail

BIN_DIR=${P2PLS_BIN_DIR:-$(dirname "$0")/../build/release/bin}
CHANNELS=${CHANNELS:-100}
MEMBERS=${MEMBERS:-100}
PEERS=${PEERS:-20}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
THREADS=${THREADS:-1}
TRACKER_THREADS=${TRACKER_THREADS:-1}
CONNECTIONS=${CONNECTIONS:-32}

for tool in opentracker wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install opentracker wrk curl)" >&2; exit 2; }
done
for exe in p2pls-tracker signed_announces; do
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
clk_tck=$(getconf CLK_TCK)

# --- the two servers ------------------------------------------------------------------
"$BIN_DIR/p2pls-tracker" --listen 127.0.0.1:0 --port-file "$work/p2pls.port" --interval 3600 \
    --seed 1 --log-level warn --threads "$TRACKER_THREADS" &
p2pls_pid=$!
pids+=("$p2pls_pid")

mkdir -p "$work/ot"
python3 - "$CHANNELS" > "$work/ot/whitelist" <<'PY'
import sys
for ch in range(int(sys.argv[1])):
    print(("%020d" % ch).encode().hex())
PY
ot_port=$(free_port)
opentracker -i 127.0.0.1 -p "$ot_port" -P "$ot_port" -d "$work/ot" -w /whitelist >"$work/ot.log" 2>&1 &
ot_pid=$!
pids+=("$ot_pid")

for _ in $(seq 100); do [ -s "$work/p2pls.port" ] && break; sleep 0.05; done
p2pls_port=$(cat "$work/p2pls.port")
sleep 0.5  # opentracker has no readiness signal; its whitelist loads in a thread

# --- wrk scripts: round-robin over every (channel, member) ------------------------------
common_lua="
local channels, members = $CHANNELS, $MEMBERS
local total = channels * members
local counter = 0
function setup(thread)
    thread:set('tid', counter)
    thread:set('nthreads', $THREADS)
    counter = counter + 1
end
local n = 0
local function next_member()
    n = n + 1
    local i = (n * nthreads + tid) % total
    return i % channels, math.floor(i / channels)
end
"
cat > "$work/p2pls.lua" <<EOF2
$common_lua
-- wrk.format uses only the headers it is given: copy wrk.headers (the -H flags, e.g.
-- "Connection: close") and add the content type.
local headers = {}
function init(args)
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["Content-Type"] = "application/json"
end
function request()
    local ch, m = next_member()
    local body = string.format(
        '{"peer_id":"p%d-%d","endpoint":"127.0.0.1:%d","mode":"native","event":"heartbeat","num_want":$PEERS}',
        ch, m, 1000 + m)
    return wrk.format("POST", "/v1/channels/ch" .. ch .. "/announce", headers, body)
end
EOF2
cat > "$work/ot.lua" <<EOF2
$common_lua
function request()
    local ch, m = next_member()
    local path = string.format(
        "/announce?info_hash=%020d&peer_id=-P2%017d&port=%d&uploaded=0&downloaded=0&left=1&numwant=$PEERS&compact=1",
        ch, ch * members + m, 1000 + m)
    return wrk.format("GET", path)
end
EOF2

# --- fill both with the same swarm ----------------------------------------------------
# The tracker takes only signed source announces (bench/signed_announces.cpp).
"$BIN_DIR/signed_announces" "$CHANNELS" ch | while read -r ch body; do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$p2pls_port/v1/channels/$ch/announce" -d "$body"
done
fill_s=$(( (CHANNELS * MEMBERS) / 2000 + 2 ))
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${fill_s}s" -s "$work/p2pls.lua" "http://127.0.0.1:$p2pls_port" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${fill_s}s" -s "$work/ot.lua" "http://127.0.0.1:$ot_port" >/dev/null
members=$(curl -sf "http://127.0.0.1:$p2pls_port/v1/channels" |
          python3 -c 'import json,sys; print(sum(c["members"] for c in json.load(sys.stdin)["channels"]))')
sample=$(curl -sf "http://127.0.0.1:$ot_port/announce?info_hash=$(printf %020d 0)&peer_id=-P2probeprobeprobe00&port=999&left=1&numwant=$PEERS&compact=1" |
         python3 -c 'import sys,re; b=sys.stdin.buffer.read(); m=re.search(rb"5:peers(\d+):", b); print(int(m.group(1))//6 if m else b[:80])')
echo "swarm: $CHANNELS channels x $MEMBERS members; p2pls holds $members members;" \
     "opentracker returns $sample peers per reply (asked $PEERS)"
echo "wrk: $THREADS thread(s), $CONNECTIONS connections, ${DURATION}s per run, $ROUNDS rounds"
echo

# --- alternating runs -------------------------------------------------------------------
results="$work/results"
: > "$results"
run() {  # run NAME PID SCRIPT PORT MODE
    local name=$1 pid=$2 script=$3 port=$4 mode=$5
    local header=()
    [ "$mode" = close ] && header=(-H "Connection: close")
    local before after out requests rps errors
    before=$(cpu_ticks "$pid")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "${header[@]}" -s "$script" "http://127.0.0.1:$port")
    after=$(cpu_ticks "$pid")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    local cpu_us
    cpu_us=$(python3 -c "print(f'{($after-$before)*1e6/$clk_tck/max($requests,1):.1f}')")
    printf '%-12s %-10s %10s req/s  %8s CPU-us/announce  %s\n' "$name" "$mode" "$rps" "$cpu_us" \
        "${errors:+non-2xx: $errors}"
    echo "$name $mode $rps $cpu_us" >> "$results"
}
for round in $(seq "$ROUNDS"); do
    for mode in keepalive close; do
        if (( round % 2 )); then
            run p2pls "$p2pls_pid" "$work/p2pls.lua" "$p2pls_port" "$mode"
            run opentracker "$ot_pid" "$work/ot.lua" "$ot_port" "$mode"
        else
            run opentracker "$ot_pid" "$work/ot.lua" "$ot_port" "$mode"
            run p2pls "$p2pls_pid" "$work/p2pls.lua" "$p2pls_port" "$mode"
        fi
    done
done

echo
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(name, mode, col):
    return statistics.median(float(r[col]) for r in rows if r[0] == name and r[1] == mode)
print(f"{'mode':10} {'p2pls req/s':>12} {'ot req/s':>10} {'ratio':>6}   "
      f"{'p2pls CPU-us':>12} {'ot CPU-us':>10} {'ratio':>6}   (medians)")
for mode in ("keepalive", "close"):
    pr, orr = med("p2pls", mode, 2), med("opentracker", mode, 2)
    pc, oc = med("p2pls", mode, 3), med("opentracker", mode, 3)
    print(f"{mode:10} {pr:12.0f} {orr:10.0f} {pr/orr:6.2f}   {pc:12.1f} {oc:10.1f} {pc/oc:6.2f}")
PY
