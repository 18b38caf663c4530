#!/usr/bin/env bash
# Installs, from Debian's packages only, everything p2pls needs to build, test and run
# its demo. Idempotent: when every package is present it changes nothing and says so.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format
  # networking: Asio + Beast (header-only, compiled once by us), libcurl for clients
  libboost1.81-dev libcurl4-openssl-dev
  # wire formats and crypto
  protobuf-compiler libprotobuf-dev libsodium-dev libssl-dev
  # media: capture, encode, mux, decode
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # command line, logging, config
  libcli11-dev libspdlog-dev libtomlplusplus-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  openssl  # the TLS tests make their own CA and certificates at run time
  # external clients used by media tests and the testbed's plots
  ffmpeg gnuplot-nox
  # the player's window test: a virtual X display and GStreamer's X video sink
  xvfb gstreamer1.0-x
  # the docs tests: the README's commands (curl, xxd) in namespaces (unshare, nsenter, ip)
  curl xxd util-linux iproute2
  # the browser test drives a real headless Chromium (node and npm: below)
  chromium
  # promtool checks every role's /metrics and the Prometheus rules under deploy/
  prometheus
  # the file distribution platform's test: an unmodified aria2 follows the portal's Metalink;
  # the web seed test: libtorrent (its Python binding, which needs no Boost headers) makes
  # a torrent whose url-list is a DECADE object, and aria2 and libtorrent download it from
  # the DECADE server alone
  aria2 python3-libtorrent
)
# The web player (web/): npm installs the pinned hls.js and puppeteer-core. A machine that
# already has a node with its own npm (NodeSource's, say) keeps it: Debian's npm would
# conflict with that node.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The browser-side packages, exactly as web/package-lock.json pins them. npm ci runs only
# when the lockfile changed since the last install: the stamp is the lockfile it installed.
web="$(dirname "$0")/../web"
stamp="$web/node_modules/.installed-from-lock.json"
if ! cmp -s "$web/package-lock.json" "$stamp" 2>/dev/null; then
  echo "setup: npm ci in web/"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$web/package-lock.json" "$stamp"
else
  echo "setup: web/node_modules matches web/package-lock.json"
fi
echo "setup: done"
