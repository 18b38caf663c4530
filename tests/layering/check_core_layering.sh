#!/usr/bin/env bash
# Fails when a file under any core/ folder reaches for I/O: Asio, Beast, GStreamer, curl,
# threads, file streams, global randomness, or a clock read (DESIGN.md §4, STYLE.md).
# Usage: check_core_layering.sh ROOT   (tests/ and build/ under ROOT are not scanned)
set -u
root=${1:?usage: check_core_layering.sh ROOT}

forbidden='#[[:space:]]*include[[:space:]]*[<"](boost/asio|boost/beast|gst/|curl/|thread>|fstream>)'
forbidden+='|_clock::now[[:space:]]*\(|std::random_device|[^_[:alnum:]]s?rand[[:space:]]*\('

mapfile -t cores < <(find "$root" \( -path "$root/tests" -o -path "$root/build" -o -path "$root/.git" \) -prune \
                         -o -type d -name core -print)
if [ ${#cores[@]} -eq 0 ]; then
    echo "layering: no core/ folder under $root" >&2
    exit 2
fi

status=0
while IFS= read -r hit; do
    echo "layering violation: $hit"
    status=1
done < <(grep -rnE --include='*.hpp' --include='*.cpp' --include='*.h' --include='*.cc' \
              "$forbidden" "${cores[@]}")

if [ $status -eq 0 ]; then
    echo "layering: ${#cores[@]} core folders are free of I/O"
fi
exit $status
