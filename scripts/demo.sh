#!/usr/bin/env bash
# Sets everything up and runs the main job on its embedded defaults: the draft's
# native-vs-DECADE comparison on this machine (p2pls-testbed), printing the table and
# the paths of the plots. This is the README's first quick-start command.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release
# Only what the demo runs: the test suites are the other command's job.
cmake --build --preset release -j "$(nproc)" --target p2pls-testbed p2pls-tracker \
    p2pls-source p2pls-peer decade-server p2pls-player

bin=build/release/bin
if [ -x "$bin/p2pls-testbed" ]; then
    # 20 peers join within 10 s; each mode runs 60 s; output in testbed-out/demo-<time>/.
    # Extra arguments go to `p2pls-testbed demo` (e.g. --peers 30 --duration 90, --sim).
    exec "$bin/p2pls-testbed" demo "$@"
fi
echo "demo: $bin/p2pls-testbed was not built; see the build output above" >&2
exit 1
