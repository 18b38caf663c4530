#!/usr/bin/env bash
# What ALTO's ranking saves on the file distribution platform (the draft's §6, issue 21):
# the same users download the same file with the portal's manifest as it is (each slice's
# servers in ALTO's order for the user's address) and with each slice's servers shuffled.
#
# Three regions in one network namespace, on loopback addresses: region R's DECADE zone
# at 127.R.0.1 and its users at 127.R.1.U (p2pls-fetch --local-address). Traffic between
# regions goes through HTB classes on lo, one per (from, to) region pair, classified by
# u32 on the /16s: RATE_SAME (default 200 Mbit/s) inside a region, RATE_NEAR (50) between
# neighbours (1-2, 2-3), RATE_FAR (25) between 1 and 3. Where the kernel has netem, each
# class also delays by half the pair's routing cost in ms (COST_SAME 5, COST_NEAR 40,
# COST_FAR 80: a round trip of that many ms); this machine's kernel has none
# (CONFIG_NET_SCH_NETEM is not set), so here regions differ by rate only. p2pls-alto has a
# network map with one PID per region and that routingcost cost map; p2pls-portal stores
# a FILE_MB MiB file in SLICE_KB KiB slices with replication 3 (every slice in every
# zone) and ranks by ALTO.
#
# Each of ROUNDS rounds runs both orders in turn, all USERS users of every region at
# once, p2pls-fetch -j PARALLEL each:
#   ALTO:   p2pls-fetch on the download link (the portal asks ALTO for the user's address);
#   random: the same user's manifest JSON with every slice's URL list shuffled (seeded by
#           SEED), served by python3 -m http.server; p2pls-fetch reads it as it would the
#           link (the tokens are in the URLs).
# Cost = sum over servers of routingcost(user's region, server's region) x the bytes that
# server sent, from p2pls-fetch's summary (bytes per server, to 0.1 MiB). Prints, per order,
# the cost (in routingcost x GiB) and the download time per region (mean over its users)
# and overall (until the last user is done), medians over the rounds, and random / ALTO.
#
# Full size: FILE_MB=1024 USERS=4 ROUNDS=3. Needs root (ip netns, tc), iproute2, curl,
# python3 and a built decade-server, p2pls-alto, p2pls-portal and p2pls-fetch in
# P2PLS_BIN_DIR (default build/release/bin). About a minute at the defaults. Not part of
# the tests; the traffic stays inside the namespace.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/platform.sh
. "$(dirname "$0")/lib/platform.sh"

FILE_MB=${FILE_MB:-64}
SLICE_KB=${SLICE_KB:-1024}
USERS=${USERS:-2}            # in each region
PARALLEL=${PARALLEL:-4}      # p2pls-fetch -j
ROUNDS=${ROUNDS:-3}
SEED=${SEED:-21}             # of the random order's shuffles
RATE_SAME=${RATE_SAME:-200}  # Mbit/s: inside a region,
RATE_NEAR=${RATE_NEAR:-50}   # between neighbours (1-2, 2-3),
RATE_FAR=${RATE_FAR:-25}     # between regions 1 and 3
COST_SAME=${COST_SAME:-5}    # ALTO's routingcost for the same pairs (netem: round trip ms)
COST_NEAR=${COST_NEAR:-40}
COST_FAR=${COST_FAR:-80}

platform_require "ip netns, tc" "ip tc curl python3 sha256sum" \
    decade-server p2pls-alto p2pls-portal p2pls-fetch
platform_init p2pls-alto

pair() {  # $1 $2 = regions; prints "rate_mbit cost"
    if [ "$1" = "$2" ]; then echo "$RATE_SAME $COST_SAME"
    elif [ $(($1 - $2)) = 2 ] || [ $(($2 - $1)) = 2 ]; then echo "$RATE_FAR $COST_FAR"
    else echo "$RATE_NEAR $COST_NEAR"; fi
}

# --- the regions: HTB classes on lo, one per (from, to) pair --------------------------
platform_netns "$ns"
netem=0
if platform_has_netem; then netem=1; fi
platform_lo_htb
for from in 1 2 3; do
    for to in 1 2 3; do
        read -r rate cost < <(pair "$from" "$to")
        delay=0
        [ "$netem" = 0 ] || delay=$((cost / 2))  # half the round trip each way
        platform_lo_class "1:$from$to" "${rate}mbit" $((rate * 125)) "$delay"  # burst: 1 ms at the rate
        platform_lo_filter "1:$from$to" match ip src "127.$from.0.0/16" match ip dst "127.$to.0.0/16"
    done
done

# --- the platform: a zone per region, ALTO, the portal ---------------------------------
platform_accounts "$FILE_MB" "$SLICE_KB"
for r in 1 2 3; do platform_zone "127.$r.0.1" 0; done

{
    for r in 1 2 3; do printf '[pids.region%d]\nipv4 = ["127.%d.0.0/16"]\n' "$r" "$r"; done
    printf '[pids.default]\nipv4 = ["0.0.0.0/0"]\nipv6 = ["::/0"]\n'
    for from in 1 2 3; do
        for to in 1 2 3; do
            read -r _ cost < <(pair "$from" "$to")
            printf '[[costs]]\nsrc = "region%d"\ndst = "region%d"\nroutingcost = %d\n' "$from" "$to" "$cost"
        done
    done
} > "$work/maps.toml"
platform_alto "$work/maps.toml"
platform_portal 3
platform_upload

# --- the random order: each user's own manifest, every slice's servers shuffled --------
users=()
for r in 1 2 3; do for u in $(seq "$USERS"); do users+=("127.$r.1.$u"); done; done
mkdir -p "$work/www"
for user in "${users[@]}"; do
    platform_manifest "$work/alto-$user.json" --interface "$user"
    python3 - "$work/alto-$user.json" "$SEED" "$user" > "$work/www/$user.json" <<'PY'
import json, random, sys
manifest = json.load(open(sys.argv[1]))
rng = random.Random(f"{sys.argv[2]}/{sys.argv[3]}")
for s in manifest["slices"]:
    rng.shuffle(s["urls"])
print(json.dumps(manifest))
PY
done
ip netns exec "$ns" python3 -u -m http.server --bind 127.0.0.1 --directory "$work/www" 0 \
    > "$work/www.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    www_port=$(grep -o 'port [0-9]*' "$work/www.log" | head -1 | cut -d' ' -f2 || true)
    [ -n "$www_port" ] && break
    sleep 0.05
done
[ -n "$www_port" ] || { echo "the manifest server did not start" >&2; exit 1; }
first=${users[0]}
in_ns curl -sS -f -o /dev/null "http://127.0.0.1:$www_port/$first.json"

# One order, every user at once; leaves each user's p2pls-fetch summary (its last line:
# the time, the bytes from each server, the fallbacks) in $work/out/USER.log.
run_order() {  # $1 = alto or random
    local user from
    rm -rf "$work/out" && mkdir -p "$work/out"
    local first_pid=${#pids[@]}
    for user in "${users[@]}"; do
        from=$link
        [ "$1" = random ] && from="http://127.0.0.1:$www_port/$user.json"
        ip netns exec "$ns" "$BIN_DIR/p2pls-fetch" -j "$PARALLEL" --local-address "$user" \
            -o "$work/out/$user.bin" "$from" 2> "$work/out/$user.log" &
        pids+=($!)
    done
    for pid in "${pids[@]:$first_pid}"; do
        wait "$pid" || { echo "a p2pls-fetch failed ($1):" >&2; cat "$work"/out/*.log >&2; exit 1; }
    done
    pids=("${pids[@]:0:$first_pid}")
    for user in "${users[@]}"; do echo "$user $(tail -1 "$work/out/$user.log")"; done > "$work/$1.result"
}

# Prints "cost_GiB t_region1 t_region2 t_region3 t_all fallbacks" for one result file
# (times from p2pls-fetch's summary, to 0.1 s: the manifest and every slice).
score() {
    python3 - "$1" "$COST_SAME" "$COST_NEAR" "$COST_FAR" <<'PY'
import re, sys
same, near, far = (float(x) for x in sys.argv[2:5])
units = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
def cost(a, b):
    return same if a == b else far if abs(a - b) == 2 else near
total, times, last, fallbacks = 0.0, {1: [], 2: [], 3: []}, 0.0, 0
for line in open(sys.argv[1]):
    user, summary = line.split(" ", 1)
    region = int(user.split(".")[1])
    seconds = re.search(r" in ([\d.]+) s ", summary).group(1)
    times[region].append(float(seconds))
    last = max(last, float(seconds))
    for amount, unit, host in re.findall(r"([\d.]+) (B|KiB|MiB|GiB|TiB) from ([\d.]+):\d+", summary):
        total += cost(region, int(host.split(".")[1])) * float(amount) * units[unit]
    fallbacks += int(re.search(r"(\d+) fallbacks", summary).group(1))
mean = lambda xs: sum(xs) / len(xs)
print(f"{total / 2**30:.3f}", *(f"{mean(times[r]):.2f}" for r in (1, 2, 3)), f"{last:.2f}", fallbacks)
PY
}

echo "ALTO vs random order: $FILE_MB MiB in $SLICE_KB KiB slices, replication 3, $USERS users in each of 3 regions, p2pls-fetch -j $PARALLEL"
echo "  rates Mbit/s same/near/far $RATE_SAME/$RATE_NEAR/$RATE_FAR, routingcost $COST_SAME/$COST_NEAR/$COST_FAR$([ "$netem" = 1 ] && echo ", netem delay cost/2 ms each way" || echo "; no netem in this kernel: no delay")"
: > "$work/alto.scores"
: > "$work/random.scores"
for round in $(seq "$ROUNDS"); do
    for order in alto random; do
        run_order "$order"
        score "$work/$order.result" >> "$work/$order.scores"
        read -r c t1 t2 t3 t f < <(tail -1 "$work/$order.scores")
        printf '  round %d %-6s cost %7.3f routingcost x GiB; time region1 %5.2f s region2 %5.2f s region3 %5.2f s all %5.2f s; %d fallbacks\n' \
            "$round" "$order" "$c" "$t1" "$t2" "$t3" "$t" "$f"
    done
done
python3 - "$work/alto.scores" "$work/random.scores" <<'PY'
import statistics, sys
cols = ["cost", "region1", "region2", "region3", "all"]
med = [[statistics.median(float(l.split()[i]) for l in open(f)) for i in range(5)] for f in sys.argv[1:]]
alto, rnd = med
print("  medians:        " + "  ".join(f"{c:>8}" for c in cols))
print("  ALTO            " + "  ".join(f"{v:8.3f}" for v in alto))
print("  random          " + "  ".join(f"{v:8.3f}" for v in rnd))
print("  random / ALTO   " + "  ".join(f"{r / a:8.2f}" for a, r in zip(alto, rnd)))
PY
