# shellcheck shell=bash
# bench/lib/platform.sh: the file distribution platform (the draft's §6, issue 21) for the
# bench scripts, built as tests/integration/portal/platform_fixture.hpp builds it:
# decade-server zones with an accounts file and the portal's locker secret, p2pls-alto
# with a maps TOML, p2pls-portal with its config and a publisher key; one file uploaded
# through the portal and one download link made. Plus what the scripts need around it:
# the checks before a run, the work directory, the network namespaces (deleted on exit or
# Ctrl-C, with every process started here), HTB classes on lo.
#
# Sourced (`. "$(dirname "$0")/lib/platform.sh"`) by bench/platform_delivery.sh,
# bench/platform_alto_vs_random.sh and bench/fetch_vs_aria2.sh, under set -euo pipefail.
# Sourcing only defines functions and sets BIN_DIR; nothing runs until a script calls, in
# this order:
#   platform_require WHY TOOLS PROGRAM...    root, the tools, the programs
#   platform_init NAME                       the work directory, the traps, ns=NAME-PID
#   platform_netns "$ns" ...                 the namespaces (lo up)
#   platform_accounts FILE_MB SLICE_KB       the locker secret and the accounts file
#   platform_zone ADDRESS PORT [FLAG...]     one call per zone
#   platform_alto MAPS_FILE                  (optional)
#   platform_portal REPLICATION
#   platform_upload                          the file and its link
# The globals they share with the script:
#   BIN_DIR        the programs (P2PLS_BIN_DIR, default build/release/bin)
#   work           the work directory (deleted on exit)
#   pids           the background processes killed on exit; a script adds its own
#   ns             the namespace the platform runs in
#   file_bytes, slice_bytes     FILE_MB MiB and SLICE_KB KiB in bytes
#   zone_addrs     each zone's address; zones, each zone's URL (from platform_portal)
#   zone_pid       the last zone's decade-server
#   publisher_key, portal (the portal's URL), link (the download link), upload_s (the
#   upload's seconds)

platform_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN_DIR=${P2PLS_BIN_DIR:-$platform_lib_dir/../../build/release/bin}

# Exits 2 unless the script runs as root, has each tool on PATH and each program in
# BIN_DIR; then makes BIN_DIR absolute.
platform_require() {  # $1 = what root is for, $2 = the tools (space-separated), the rest = programs
    local why=$1 tool prog
    local -a tools
    read -r -a tools <<<"$2"
    shift 2
    [ "$(id -u)" = 0 ] || { echo "needs root ($why)" >&2; exit 2; }
    for tool in "${tools[@]}"; do
        command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
    done
    for prog in "$@"; do
        [ -x "$BIN_DIR/$prog" ] || { echo "no $BIN_DIR/$prog: build it first" >&2; exit 2; }
    done
    BIN_DIR=$(cd "$BIN_DIR" && pwd)
}

# The work directory, an empty pid list and the traps: platform_cleanup on exit, exit 130
# on Ctrl-C or TERM (which runs it too); names the platform's namespace (ns, made by
# platform_netns) after the script and its pid.
platform_init() {  # $1 = the namespace's name without the pid (p2pls-NAME)
    ns=$1-$$
    work=$(mktemp -d)
    pids=()
    zone_addrs=()
    zones=()
    platform_namespaces=()
    platform_saved_gc=
    platform_alto_port=
    trap platform_cleanup EXIT
    trap 'exit 130' INT TERM
}

# Kills what is in pids, waits for every background job, deletes the namespaces
# platform_netns made, restores the neighbour table limit, removes the work directory.
platform_cleanup() {
    local pid name
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for name in "${platform_namespaces[@]}"; do ip netns del "$name" 2>/dev/null || true; done
    [ -z "$platform_saved_gc" ] || sysctl -qw net.ipv4.neigh.default.gc_thresh3="$platform_saved_gc"
    rm -rf "$work"
}

# Makes each named network namespace (deleted on exit) and brings its lo up.
platform_netns() {  # $@ = names
    local name
    for name in "$@"; do
        platform_namespaces+=("$name")
        ip netns add "$name"
        ip -n "$name" link set lo up
    done
}

# Runs a command in the platform's namespace ($ns). Not for background jobs: $! would be
# a subshell.
in_ns() { ip netns exec "$ns" "$@"; }

# Waits up to 10 s for a program to write its port file; exits 1 if it does not.
wait_port() {  # $1 = port file
    for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done
    echo "no port in $1" >&2; exit 1
}

# Raises the host's neighbour table limit (gc_thresh3) to at least $1 entries;
# platform_cleanup restores it.
platform_neigh_limit() {  # $1 = entries
    local gc=/proc/sys/net/ipv4/neigh/default/gc_thresh3
    if [ "$(cat $gc)" -lt "$1" ]; then
        platform_saved_gc=$(cat $gc)
        sysctl -qw net.ipv4.neigh.default.gc_thresh3="$1"
    fi
}

# Whether the kernel has netem (this machine's has none: CONFIG_NET_SCH_NETEM is not
# set); tries a netem root on lo in $ns and takes it away again.
platform_has_netem() {
    tc -n "$ns" qdisc add dev lo root handle 9: netem delay 1ms 2>/dev/null || return 1
    tc -n "$ns" qdisc del dev lo root
}

# An HTB root 1: on lo in $ns (replacing any root), with no default class: what no
# filter classifies goes unshaped.
platform_lo_htb() {
    tc -n "$ns" qdisc del dev lo root 2>/dev/null || true
    tc -n "$ns" qdisc add dev lo root handle 1: htb
}

# An HTB class under 1: on lo, optionally with a netem leaf that delays its packets.
platform_lo_class() {  # $1 = classid (1:N), $2 = rate (tc units), $3 = burst bytes ("": HTB's), $4 = delay ms (0: none)
    local -a burst_flags=()
    [ -z "$3" ] || burst_flags=(burst "$3" cburst "$3")
    tc -n "$ns" class add dev lo parent 1: classid "$1" htb rate "$2" ceil "$2" "${burst_flags[@]}" quantum 60000
    [ "$4" = 0 ] || tc -n "$ns" qdisc add dev lo parent "$1" netem delay "${4}ms" limit 100000
}

# A u32 filter on lo sending the packets that match to a class.
platform_lo_filter() {  # $1 = classid, the rest = u32 matches ("match ip src A/N ...")
    local class=$1
    shift
    tc -n "$ns" filter add dev lo parent 1: protocol ip prio 1 u32 "$@" flowid "$class"
}

# Sets file_bytes and slice_bytes, writes the portal's locker secret (portal.secret) and
# the zones' accounts file (accounts.toml: the locker "portal", twice the file's size).
platform_accounts() {  # $1 = file MiB, $2 = slice KiB
    file_bytes=$(($1 * 1024 * 1024))
    slice_bytes=$(($2 * 1024))
    python3 -c 'import os; print(os.urandom(32).hex())' > "$work/portal.secret"
    chmod 600 "$work/portal.secret"
    cat > "$work/accounts.toml" <<TOML
[[locker]]
id = "portal"
secret_file = "$work/portal.secret"
quota_bytes = $((file_bytes * 2))
TOML
}

# Starts the next zone's decade-server (zone N: port file zoneN.port, store storeN) in
# $ns, room for twice the file, objects of a slice; sets zone_pid.
platform_zone() {  # $1 = address, $2 = port (0: any), the rest = more decade-server flags
    local address=$1 port=$2 z=$((${#zone_addrs[@]} + 1))
    shift 2
    zone_addrs+=("$address")
    ip netns exec "$ns" "$BIN_DIR/decade-server" --listen "$address:$port" \
        --port-file "$work/zone$z.port" --accounts "$work/accounts.toml" --store "$work/store$z" \
        --capacity $((file_bytes * 2)) --max-object-bytes $((slice_bytes + 65536)) \
        "$@" --log-level warn &
    zone_pid=$!
    pids+=("$zone_pid")
}

# Starts p2pls-alto in $ns on 127.0.0.1 with the maps TOML; platform_portal ranks by it.
platform_alto() {  # $1 = maps file
    ip netns exec "$ns" "$BIN_DIR/p2pls-alto" --listen 127.0.0.1:0 --port-file "$work/alto.port" \
        --maps "$1" --log-level warn &
    pids+=($!)
    platform_alto_port=$work/alto.port
}

# Makes a publisher key (publishers.toml has its SHA-256), writes portal.toml (the zones
# platform_zone started, each once it listens; ALTO if platform_alto started it) and
# starts p2pls-portal in $ns on 127.0.0.1; sets publisher_key, zones and portal.
platform_portal() {  # $1 = replication
    local z
    publisher_key=$(python3 -c 'import os; print(os.urandom(16).hex())')
    printf '[[publishers]]\nname = "bench"\nkey_sha256 = "%s"\n' \
        "$(printf %s "$publisher_key" | sha256sum | cut -d' ' -f1)" > "$work/publishers.toml"
    zones=()
    {
        printf 'replication = %d\nslice_bytes = %d\n' "$1" "$slice_bytes"
        if [ -n "$platform_alto_port" ]; then
            wait_port "$platform_alto_port"
            printf 'alto_url = "http://127.0.0.1:%s"\n' "$(cat "$platform_alto_port")"
        fi
        printf 'publishers_file = "publishers.toml"\ncatalog_file = "catalog.json"\nkey_file = "portal.key"\n'
        for z in $(seq "${#zone_addrs[@]}"); do
            wait_port "$work/zone$z.port"
            zones+=("http://${zone_addrs[z - 1]}:$(cat "$work/zone$z.port")")
            printf '[[zones]]\nname = "zone%d"\nurl = "%s"\naddress = "%s"\n' "$z" "${zones[-1]}" "${zone_addrs[z - 1]}"
            printf 'locker = "portal"\nsecret_file = "portal.secret"\n'
        done
    } > "$work/portal.toml"
    ip netns exec "$ns" "$BIN_DIR/p2pls-portal" --config "$work/portal.toml" --listen 127.0.0.1:0 \
        --port-file "$work/portal.port" --log-level warn &
    pids+=($!)
    wait_port "$work/portal.port"
    portal=http://127.0.0.1:$(cat "$work/portal.port")
}

# Uploads file_bytes of random bytes through the portal as file.bin and makes one
# download link (a day long); sets link and upload_s (the upload's seconds).
platform_upload() {
    local start
    head -c "$file_bytes" /dev/urandom > "$work/file.bin"
    start=$(date +%s.%N)
    in_ns curl -sS -f -o /dev/null -H "Authorization: Bearer $publisher_key" -T "$work/file.bin" \
        "$portal/v1/files/file.bin"
    # shellcheck disable=SC2034  # for the scripts (platform_delivery.sh prints it)
    upload_s=$(python3 -c "print($(date +%s.%N) - $start)")
    rm "$work/file.bin"
    link=$(in_ns curl -sS -f -H "Authorization: Bearer $publisher_key" -d '{"ttl_s": 86400}' \
        "$portal/v1/files/file.bin/links" | python3 -c 'import json, sys; print(json.load(sys.stdin)["url"])')
}

# Writes the link's JSON manifest, fetched in $ns, to a file.
platform_manifest() {  # $1 = file, the rest = more curl flags (--interface ADDRESS)
    local file=$1
    shift
    in_ns curl -sS -f "$@" -H 'Accept: application/json' "$link" > "$file"
}
