#!/usr/bin/env bash
# Fails when sans-IO code reaches for I/O, or a core leans on an adapter (DESIGN.md §4,
# STYLE.md):
#  - every core/ folder and netsim/ (the simulator runs real cores in virtual time) may
#    not include Asio, Beast, GStreamer, curl, threads or file streams, draw global
#    randomness or read a clock;
#  - a core/ may not include an adapter header, <role>/{net,http,curl,gst,store,io,
#    process,sim,app}/...: adapters depend on cores, never the other way round.
# Usage: check_core_layering.sh ROOT   (tests/ and build/ under ROOT are not scanned)
set -u
root=${1:?usage: check_core_layering.sh ROOT}

io='#[[:space:]]*include[[:space:]]*[<"](boost/asio|boost/beast|gst/|curl/|thread>|fstream>)'
io+='|_clock::now[[:space:]]*\(|std::random_device|[^_[:alnum:]]s?rand[[:space:]]*\('
adapter='#[[:space:]]*include[[:space:]]*"[[:alnum:]_-]+/(net|http|curl|gst|store|io|process|sim|app)/'

mapfile -t cores < <(find "$root" \( -path "$root/tests" -o -path "$root/build" -o -path "$root/.git" \) -prune \
                         -o -type d -name core -print)
if [ ${#cores[@]} -eq 0 ]; then
    echo "layering: no core/ folder under $root" >&2
    exit 2
fi
sans_io=("${cores[@]}")
if [ -d "$root/netsim" ]; then
    sans_io+=("$root/netsim")
fi

scan() {  # PATTERN WHAT DIR...
    local pattern=$1 what=$2
    shift 2
    grep -rnE --include='*.hpp' --include='*.cpp' --include='*.h' --include='*.cc' \
        "$pattern" "$@" | while IFS= read -r hit; do
        printf 'layering violation (%s): %s\n' "$what" "$hit"
    done
}

violations=$( {
    scan "$io" "I/O in sans-IO code" "${sans_io[@]}"
    scan "$adapter" "a core includes an adapter" "${cores[@]}"
} )
if [ -n "$violations" ]; then
    echo "$violations"
    exit 1
fi
echo "layering: ${#sans_io[@]} sans-IO folders are free of I/O; no core includes an adapter"
