#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what .clang-format makes of it.
# Usage: check_format.sh ROOT
set -u
root=${1:?usage: check_format.sh ROOT}
cd "$root" || exit 2
command -v clang-format >/dev/null || { echo "format: clang-format not installed" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' 2>/dev/null || find . -name '*.[ch]pp')
bad=0
for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (run clang-format -i $f)"
        bad=1
    fi
done
[ $bad -eq 0 ] && echo "format: ${#files[@]} files follow .clang-format"
exit $bad
