#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what .clang-format makes of it.
# Usage: check_format.sh ROOT
set -u
root=${1:?usage: check_format.sh ROOT}
cd "$root" || exit 2
command -v clang-format >/dev/null || { echo "format: clang-format not installed" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' 2>/dev/null || find . -name '*.[ch]pp')
# A hundred files per clang-format process, two at a time: one process per file spent
# most of the check starting clang-format. --Werror names each file it would change as
# "FILE:LINE:COL: error: code should be clang-formatted".
report=$(printf '%s\0' "${files[@]}" |
    xargs -0 -n 100 -P 2 clang-format --dry-run --Werror 2>&1 >/dev/null)
status=$?
if [ $status -ne 0 ]; then
    bad=$(grep -oE '^[^:]+:[0-9]+:[0-9]+: error: code should be clang-formatted' <<<"$report" |
        cut -d: -f1 | sort -u)
    if [ -z "$bad" ]; then
        echo "format: clang-format failed:" >&2
        echo "$report" >&2
        exit 2
    fi
    while read -r f; do echo "not formatted: $f (run clang-format -i $f)"; done <<<"$bad"
    exit 1
fi
echo "format: ${#files[@]} files follow .clang-format"
