#!/usr/bin/env bash
# Sets everything up (Debian packages), builds with warnings as errors, runs every test.
# This is the README's test command; .ci/run calls it unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset ci
cmake --build --preset ci -j "$(nproc)"
ctest --preset ci "$@"
