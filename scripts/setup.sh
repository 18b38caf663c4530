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
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present; nothing to do"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
