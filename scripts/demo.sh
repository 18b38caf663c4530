#!/usr/bin/env bash
# Sets everything up and runs the main job on its embedded defaults: the draft's
# native-vs-DECADE comparison on this machine (p2pls-testbed), printing the table and
# the paths of the plots. This is the README's first quick-start command.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"

bin=build/release/bin
if [ -x "$bin/p2pls-testbed" ]; then
    exec "$bin/p2pls-testbed" demo "$@"
fi
# Until the testbed lands, the demo runs what exists: the foundation's benchmarks.
echo "demo: p2pls-testbed is not built yet; running the foundation benchmarks instead"
exec "$bin/p2pls_bench" --benchmark_min_time=0.2
