#!/usr/bin/env bash
# decade-server side by side with nginx (Debian nginx-light): the static file server an operator already runs.
#
# The same objects, COUNT of each size in SIZES (KiB; default 4, 64 and 1024, with at most
# LARGE_COUNT of 1 MiB and up), are stored in two decade-servers, one with the memory store
# and one with the directory store (--store, what an operator runs), and written as files
# for nginx. wrk GETs them round-robin at the same concurrency, the servers in turn within
# each of ROUNDS rounds per size; decade-server requests carry a valid range token
# (Authorization: Bearer). Both servers run one worker (nginx: worker_processes 1,
# decade-server --threads 1). Prints req/s, MB/s and server CPU-us per request
# (utime+stime of all threads from /proc/<pid>/stat) per run, the medians, and the ratios
# to nginx.
#
# MULTI=1 (the default): then every core, the directory store with --threads left at its
# default (the number of cores) against nginx with worker_processes auto, at
# MULTI_THREADS wrk threads x MULTI_CONNECTIONS connections (default 2 x 32).
#
# COLD=1 (needs root and a writable /proc/sys/vm/drop_caches): the directory store and
# nginx once more, with the page cache dropped before every run, so that the disk is
# measured too.
#
# TLS=1 (the default when openssl is there): the 64 KiB objects also over HTTPS, from a
# decade-server with --tls-cert/--tls-key and an nginx ssl listener with the same
# certificate (a throwaway CA made here), alternating with the plain runs, so that the
# cost of TLS is shown for both servers in one run: decade TLS/plain, nginx TLS/plain, and
# decade/nginx in each mode.
#
# Then the egress cap: decade-server with --egress-bps C under a saturating load, and the
# delivered rate / C.
#
# BASELINE=/path/to/decade-server: another build (e.g. the one before a change), with the
# directory store, measured in the same rounds, so that before and after are compared
# within one run.
#
# Needs: nginx (apt-get install nginx-light), wrk, python3, and a built decade-server
# (P2PLS_BIN_DIR, default build/release/bin). Not part of the tests; run it on a quiet machine.
set -euo pipefail

BIN_DIR=${P2PLS_BIN_DIR:-$(dirname "$0")/../build/release/bin}
COUNT=${COUNT:-1000}
LARGE_COUNT=${LARGE_COUNT:-200}
SIZES=${SIZES:-4 64 1024}
COLD=${COLD:-0}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-16}
EGRESS_BPS=${EGRESS_BPS:-400000000}   # 400 Mbit/s for the cap test
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
BASELINE=${BASELINE:-}
MULTI=${MULTI:-1}
MULTI_THREADS=${MULTI_THREADS:-2}
MULTI_CONNECTIONS=${MULTI_CONNECTIONS:-32}
TLS=${TLS:-$(command -v openssl >/dev/null && echo 1 || echo 0)}
[[ " $SIZES " == *" 64 "* ]] || TLS=0  # the TLS rounds use the 64 KiB objects

for tool in wrk python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[ -x "$NGINX" ] || { echo "missing nginx (apt-get install nginx-light)" >&2; exit 2; }
[ -x "$BIN_DIR/decade-server" ] || { echo "no $BIN_DIR/decade-server: build it first" >&2; exit 2; }
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || { echo "BASELINE $BASELINE is not executable" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
clk_tck=$(getconf CLK_TCK)
secret=$(python3 -c 'import os; print(os.urandom(32).hex())')

started_pid=
one_loop() {  # $1 = binary: the flag for one event loop, where the build has --threads
    "$1" --help 2>/dev/null | grep -q -- '--threads' && echo "--threads 1" || true
}
start_decade() {  # $1 = binary, $2 = port file, extra flags after; sets started_pid
    local bin=$1 port_file=$2; shift 2
    "$bin" --listen 127.0.0.1:0 --port-file "$port_file" --log-level warn \
        --accounts "$work/accounts.toml" --capacity 4294967296 --max-object-bytes 2097152 \
        --slots 0 --max-connections 4096 "$@" &
    started_pid=$!
    pids+=("$started_pid")
    for _ in $(seq 200); do [ -s "$port_file" ] && break; sleep 0.05; done
}

cat > "$work/accounts.toml" <<TOML
[[locker]]
id = "bench"
secret = "$secret"
quota_bytes = 4294967296
TOML
token_for() {  # $1 = prefix
    "$BIN_DIR/decade-server" token --secret "$secret" --locker bench --ops get,put --prefix "$1" \
        --first 0 --last $((COUNT - 1)) --ttl 86400
}
count_for() { [ "$1" -ge 1024 ] && [ "$LARGE_COUNT" -lt "$COUNT" ] && echo "$LARGE_COUNT" || echo "$COUNT"; }
declare -A tok
for kib in $SIZES; do tok[$kib]=$(token_for "k$kib-"); done

single=$(one_loop "$BIN_DIR/decade-server")
start_decade "$BIN_DIR/decade-server" "$work/memory.port" --default-ttl 86400 $single
memory_pid=$started_pid
memory_port=$(cat "$work/memory.port")
start_decade "$BIN_DIR/decade-server" "$work/dir.port" --default-ttl 86400 --store "$work/store" $single
dir_pid=$started_pid
dir_port=$(cat "$work/dir.port")
ports="$memory_port,$dir_port"
if [ "$TLS" = 1 ]; then
    ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl req -x509 $ec -days 2 -subj /CN=bench-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
    openssl req $ec -subj /CN=localhost -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$work/san.ext"
    openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
        -CAcreateserial -days 2 -extfile "$work/san.ext" -out "$work/server.pem" 2>/dev/null
    chmod 644 "$work/server.key"
    start_decade "$BIN_DIR/decade-server" "$work/tls.port" --default-ttl 86400 $single \
        --tls-cert "$work/server.pem" --tls-key "$work/server.key"
    tls_pid=$started_pid
    tls_port=$(cat "$work/tls.port")
fi
if [ -n "$BASELINE" ]; then
    start_decade "$BASELINE" "$work/baseline.port" --default-ttl 86400 --store "$work/baseline-store" \
        $(one_loop "$BASELINE")
    baseline_pid=$started_pid
    baseline_port=$(cat "$work/baseline.port")
    ports="$ports,$baseline_port"
fi

# --- the objects: into each decade-server (keep-alive PUTs) and as files for nginx ------
mkdir -p "$work/www"
chmod 755 "$work" "$work/www"  # nginx workers run as an unprivileged user
for kib in $SIZES; do
    python3 - "$ports" "$(count_for "$kib")" "${tok[$kib]}" "$work/www" "$kib" <<'PY'
import http.client, os, sys
ports, count, tok, www, kib = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
conns = [http.client.HTTPConnection("127.0.0.1", int(p)) for p in ports.split(",")]
for i in range(count):
    body = os.urandom(kib * 1024)
    name = f"k{kib}-{i}"
    for conn in conns:
        conn.request("PUT", f"/v1/lockers/bench/objects/{name}", body,
                     {"Authorization": "Bearer " + tok, "X-Decade-TTL": "86400"})
        r = conn.getresponse(); r.read()
        if r.status != 201:
            sys.exit(f"PUT {name}: {r.status}")
    with open(os.path.join(www, name), "wb") as f:
        f.write(body)
PY
done
if [ "$TLS" = 1 ]; then  # the 64 KiB objects into the TLS decade-server too
    python3 - "$tls_port" "$COUNT" "${tok[64]}" "$work/www" "$work/ca.pem" <<'PY'
import http.client, os, ssl, sys
port, count, tok, www, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=ca))
for i in range(count):
    name = f"k64-{i}"
    with open(os.path.join(www, name), "rb") as f:
        body = f.read()
    conn.request("PUT", f"/v1/lockers/bench/objects/{name}", body,
                 {"Authorization": "Bearer " + tok, "X-Decade-TTL": "86400"})
    r = conn.getresponse(); r.read()
    if r.status != 201:
        sys.exit(f"PUT {name} over TLS: {r.status}")
PY
fi

nginx_port=$(free_port)
nginx_tls_port=$(free_port)
nginx_tls_server=
if [ "$TLS" = 1 ]; then
    nginx_tls_server="server { listen 127.0.0.1:$nginx_tls_port ssl; ssl_certificate $work/server.pem; ssl_certificate_key $work/server.key; ssl_protocols TLSv1.2 TLSv1.3; root $work/www; location / { } }"
fi
# $1 = directory, $2 = worker_processes, $3 = port, $4 = extra server block
nginx_conf() {
mkdir -p "$1"
cat > "$1/nginx.conf" <<CONF
worker_processes $2;
daemon off;
master_process on;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    server {
        listen 127.0.0.1:$3;
        root $work/www;
        location / { }
    }
    $4
}
CONF
}
start_nginx() {  # $1 = directory with nginx.conf; sets started_pids (master and workers)
    "$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/error.log" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$1/nginx.pid" ] && break; sleep 0.05; done
    sleep 0.3
    local master; master=$(cat "$1/nginx.pid")
    started_pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
}
nginx_conf "$work/nginx" 1 "$nginx_port" "$nginx_tls_server"
start_nginx "$work/nginx"
nginx_pids=$started_pids

make_lua() {  # $1 = path prefix, $2 = token or empty, $3 = object count
    cat <<LUA
local count = $3
local n = 0
request = function()
    n = n + 1
    local path = "$1" .. ((n * 7919) % count)
    local headers = {}
    if "$2" ~= "" then headers["Authorization"] = "Bearer $2" end
    return wrk.format("GET", path, headers)
end
LUA
}
for kib in $SIZES; do
    make_lua "/v1/lockers/bench/objects/k$kib-" "${tok[$kib]}" "$(count_for "$kib")" > "$work/decade_$kib.lua"
    make_lua "/k$kib-" "" "$(count_for "$kib")" > "$work/nginx_$kib.lua"
done

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# Runs wrk once; prints "req_s mb_s cpu_us_per_req".
measure() {  # $1 = url, $2 = lua, $3 = object bytes, rest = server pids
    local url=$1 lua=$2 bytes=$3; shift 3
    local before after out rps errors
    [ "${cold:-0}" = 1 ] && drop_caches
    before=$(cpu_ticks "$@")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$lua" "$url")
    after=$(cpu_ticks "$@")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    [ -z "$errors" ] || echo "  warning: $errors non-2xx answers" >&2
    python3 -c "
rps=$rps; ticks=$after-$before
total=rps*$DURATION
print(f'{rps:.0f} {rps*$bytes/1e6:.1f} {ticks*1e6/$clk_tck/max(total,1):.1f}')"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# One size: every server in turn, ROUNDS times; medians and ratios to nginx.
compare() {  # $1 = KiB, $2 = "warm" or "cold", then the servers: name:port:pid
    local kib=$1 temp=$2; shift 2
    local bytes=$((kib * 1024)) label="$kib KiB ($temp)"
    local entry name port pid r
    for entry in "$@" nginx; do : > "$work/res_${entry%%:*}"; done
    for r in $(seq "$ROUNDS"); do
        local line="  $label round $r:"
        for entry in "$@"; do
            IFS=: read -r name port pid <<<"$entry"
            local m; m=$(measure "http://127.0.0.1:$port" "$work/decade_$kib.lua" "$bytes" "$pid")
            echo "$m" >> "$work/res_$name"
            line+=" $name ${m%% *} req/s ${m##* } CPU-us |"
        done
        local n; n=$(measure "http://127.0.0.1:$nginx_port" "$work/nginx_$kib.lua" "$bytes" $nginx_pids)
        echo "$n" >> "$work/res_nginx"
        echo "$line nginx ${n%% *} req/s ${n##* } CPU-us"
    done
    local nr nc; nr=$(cut -d' ' -f1 "$work/res_nginx" | median); nc=$(cut -d' ' -f3 "$work/res_nginx" | median)
    local summary="  $label medians: nginx $nr req/s $nc CPU-us/req"
    for entry in "$@"; do
        name=${entry%%:*}
        local dr dc; dr=$(cut -d' ' -f1 "$work/res_$name" | median); dc=$(cut -d' ' -f3 "$work/res_$name" | median)
        summary+=$(python3 -c "print(f'; $name {$dr:.0f} req/s {$dc:.1f} CPU-us/req = {$dr/$nr:.2f}x nginx req/s, {$dc/$nc:.2f}x its CPU')")
    done
    echo "$summary"
}

servers=("memory:$memory_port:$memory_pid" "dir:$dir_port:$dir_pid")
dir_servers=("dir:$dir_port:$dir_pid")
if [ -n "$BASELINE" ]; then
    servers+=("baseline:$baseline_port:$baseline_pid")
    dir_servers+=("baseline:$baseline_port:$baseline_pid")
fi
echo "decade-server vs nginx: sizes $SIZES KiB, $COUNT objects each (at most $LARGE_COUNT of 1 MiB+), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds, servers in turn"
for kib in $SIZES; do
    compare "$kib" warm "${servers[@]}"
done
if [ "$COLD" = 1 ]; then
    if [ -w /proc/sys/vm/drop_caches ]; then
        cold=1
        for kib in $SIZES; do compare "$kib" cold "${dir_servers[@]}"; done
        cold=0
    else
        echo "  cold cache: skipped (/proc/sys/vm/drop_caches is not writable here)"
    fi
fi

# --- every core: the directory store at --threads' default vs nginx worker_processes auto
if [ "$MULTI" = 1 ]; then
    kill "$dir_pid" 2>/dev/null || true
    wait "$dir_pid" 2>/dev/null || true  # the store takes one server at a time
    start_decade "$BIN_DIR/decade-server" "$work/multi.port" --default-ttl 86400 --store "$work/store"
    multi_pid=$started_pid
    multi_port=$(cat "$work/multi.port")
    multi_nginx_port=$(free_port)
    nginx_conf "$work/nginx-auto" auto "$multi_nginx_port" ""
    start_nginx "$work/nginx-auto"
    echo "every core ($(nproc)): decade-server --threads default vs nginx worker_processes auto, wrk -t$MULTI_THREADS -c$MULTI_CONNECTIONS"
    saved=("$nginx_port" "$nginx_pids" "$THREADS" "$CONNECTIONS")
    nginx_port=$multi_nginx_port nginx_pids=$started_pids
    THREADS=$MULTI_THREADS CONNECTIONS=$MULTI_CONNECTIONS
    for kib in $SIZES; do compare "$kib" "every core" "threads:$multi_port:$multi_pid"; done
    nginx_port=${saved[0]} nginx_pids=${saved[1]} THREADS=${saved[2]} CONNECTIONS=${saved[3]}
    kill "$multi_pid" $started_pids 2>/dev/null || true
fi

# --- TLS: the 64 KiB GETs over HTTPS and plain, alternating, both servers ---------------
if [ "$TLS" = 1 ]; then
    echo "TLS (64 KiB): the same GETs over plain HTTP and HTTPS (TLS 1.3, P-256 certificate), alternating"
    for f in dp dt np nt; do : > "$work/tls_$f"; done
    for r in $(seq "$ROUNDS"); do
        dp=$(measure "http://127.0.0.1:$memory_port" "$work/decade_64.lua" 65536 "$memory_pid")
        dt=$(measure "https://127.0.0.1:$tls_port" "$work/decade_64.lua" 65536 "$tls_pid")
        np=$(measure "http://127.0.0.1:$nginx_port" "$work/nginx_64.lua" 65536 $nginx_pids)
        nt=$(measure "https://127.0.0.1:$nginx_tls_port" "$work/nginx_64.lua" 65536 $nginx_pids)
        echo "$dp" >> "$work/tls_dp"; echo "$dt" >> "$work/tls_dt"
        echo "$np" >> "$work/tls_np"; echo "$nt" >> "$work/tls_nt"
        printf '  round %d  decade plain %6s TLS %6s req/s | nginx plain %6s TLS %6s req/s\n' \
            "$r" "${dp%% *}" "${dt%% *}" "${np%% *}" "${nt%% *}"
    done
    m() { cut -d' ' -f"$2" "$work/tls_$1" | median; }
    python3 -c "
dp, dt, np_, nt = $(m dp 1), $(m dt 1), $(m np 1), $(m nt 1)
cdp, cdt, cnp, cnt = $(m dp 3), $(m dt 3), $(m np 3), $(m nt 3)
print(f'  medians: decade plain {dp:.0f} TLS {dt:.0f} req/s; nginx plain {np_:.0f} TLS {nt:.0f} req/s')
print(f'  ratio TLS/plain: decade req/s {dt/dp:.2f} (CPU-us/req {cdt/cdp:.2f}); nginx req/s {nt/np_:.2f} (CPU-us/req {cnt/cnp:.2f})')
print(f'  ratio decade/nginx: plain {dp/np_:.2f}, TLS {dt/nt:.2f}')"
    kill "$tls_pid" 2>/dev/null || true
fi

# --- egress cap: delivered / C under a saturating load ----------------------------------
kill "$memory_pid" "$dir_pid" ${baseline_pid:-} 2>/dev/null || true
start_decade "$BIN_DIR/decade-server" "$work/capped.port" --default-ttl 86400 --egress-bps "$EGRESS_BPS" $single
tok_small=$(token_for s-)
capped_port=$(cat "$work/capped.port")
cap_objects=$(( COUNT < 100 ? COUNT : 100 ))
python3 - "$capped_port" "$tok_small" "$cap_objects" <<'PY'
import http.client, os, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(int(sys.argv[3])):
    conn.request("PUT", f"/v1/lockers/bench/objects/s-{i}", os.urandom(65536),
                 {"Authorization": "Bearer " + sys.argv[2], "X-Decade-TTL": "86400"})
    r = conn.getresponse(); r.read()
PY
make_lua "/v1/lockers/bench/objects/s-" "$tok_small" "$cap_objects" > "$work/capped.lua"
cap_duration=$((DURATION * 2))
out=$(wrk -t1 -c16 -d"${cap_duration}s" -s "$work/capped.lua" "http://127.0.0.1:$capped_port")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
if grep -q Non-2xx <<<"$out"; then echo "  warning: non-2xx answers in the cap test" >&2; fi
python3 -c "
c=$EGRESS_BPS/8; got=$rps*65536
print(f'egress cap C = {c/1e6:.1f} MB/s ({$EGRESS_BPS/1e6:.0f} Mbit/s): delivered {got/1e6:.1f} MB/s over {$cap_duration} s = {got/c:.3f} C')"
