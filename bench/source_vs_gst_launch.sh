#!/usr/bin/env bash
# CPU of p2pls-source against gst-launch-1.0 running the same capture + encode + mux, and of
# --replay mode; chunk size/duration statistics. A report, not a test: run it by hand.
#
# Usage: bench/source_vs_gst_launch.sh [BIN_DIR] [SECONDS] [ROUNDS]
#   BIN_DIR  folder with p2pls-source (default build/release/bin)
#   SECONDS  measured window per run (default 20; the first 2 s of each run are skipped)
#   ROUNDS   alternating source / gst-launch rounds (default 3)
# CPU = utime + stime from /proc/<pid>/stat over the window, as a share of one core.
set -euo pipefail

bin_dir=${1:-build/release/bin}
window=${2:-20}
rounds=${3:-3}
width=640 height=360 fps=25 bitrate=500 chunk_ms=1000
source_bin="$bin_dir/p2pls-source"
[ -x "$source_bin" ] || { echo "no $source_bin (build p2pls-source first)" >&2; exit 2; }
command -v gst-launch-1.0 >/dev/null || { echo "gst-launch-1.0 missing (gstreamer1.0-tools)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)
warmup=2

# CPU ticks (utime + stime) of a pid.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure PID: prints the CPU share (cores) over the window after the warm-up.
measure() {
    local pid=$1
    sleep "$warmup"
    local t0 c0 t1 c1
    t0=$(date +%s.%N); c0=$(ticks "$pid")
    sleep "$window"
    t1=$(date +%s.%N); c1=$(ticks "$pid")
    echo "$c0 $c1 $t0 $t1 $hz" | awk '{printf "%.4f\n", ($2 - $1) / $5 / ($4 - $3)}'
}

key_int=$(( fps * chunk_ms / 1000 ))
caps="video/x-raw,format=I420,width=$width,height=$height,framerate=$fps/1"
enc="x264enc tune=zerolatency speed-preset=ultrafast bitrate=$bitrate key-int-max=$key_int option-string=scenecut=0"

run_source() {  # run_source RECORD_DIR [extra flags...]
    local rec=$1; shift
    "$source_bin" --key "$tmp/bench.key" --record "$rec" --listen 127.0.0.1:0 \
        --tracker "" --log-level warn --duration $(( warmup + window + 2 )) \
        --width $width --height $height --fps $fps --bitrate $bitrate --chunk-ms $chunk_ms \
        "$@" >"$tmp/source.log" 2>&1 &
    local pid=$!
    measure $pid
    wait $pid || true
}

run_gst() {  # run_gst PIPELINE...
    gst-launch-1.0 -q "$@" >/dev/null 2>&1 &
    local pid=$!
    measure $pid
    kill -INT $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
}

echo "# p2pls-source vs gst-launch-1.0: ${width}x${height} ${fps} fps ${bitrate} kbit/s, ${window} s windows, $rounds rounds"
src_sum=0 gst_sum=0
for r in $(seq 1 "$rounds"); do
    rm -rf "$tmp/rec"
    s=$(run_source "$tmp/rec")
    g=$(run_gst videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! "$caps" ! $enc ! \
        h264parse config-interval=-1 ! mpegtsmux alignment=7 ! fakesink)
    echo "round $r: p2pls-source $s cores, gst-launch $g cores"
    src_sum=$(echo "$src_sum $s" | awk '{print $1 + $2}')
    gst_sum=$(echo "$gst_sum $g" | awk '{print $1 + $2}')
done
echo "$src_sum $gst_sum $rounds" | awk '{printf "mean: p2pls-source %.4f cores, gst-launch %.4f cores, ratio %.3f (goal <= 1.1)\n", $1/$3, $2/$3, $1/$2}'

# Chunk statistics of the last source run (the final, partial chunk excluded).
awk -F'\t' -v target=$bitrate 'NR > 1 && $6 == "key_frame" {
        n++; size += $4; dur += $3
        if (min_s == "" || $4 < min_s) min_s = $4; if ($4 > max_s) max_s = $4
        if (min_d == "" || $3 < min_d) min_d = $3; if ($3 > max_d) max_d = $3 }
    END { if (n == 0) { print "no chunks"; exit }
        rate = size * 8 / (dur / 1e6) / 1000
        printf "chunks: %d, size mean %.0f B (min %d, max %d), duration mean %.0f ms (min %.0f, max %.0f)\n", n, size / n, min_s, max_s, dur / n / 1000, min_d / 1000, max_d / 1000
        printf "TS rate %.0f kbit/s = %.2f x the encoder target of %d kbit/s\n", rate, rate / target, target }' "$tmp/rec/index.tsv"

# Replay: the recording above, looped, re-chunked with no encoder.
cat "$tmp"/rec/0*.ts > "$tmp/clip.ts"
echo "# --replay (pre-encoded TS, no encoder), ${window} s windows"
for r in $(seq 1 "$rounds"); do
    rm -rf "$tmp/rec2"
    s=$(run_source "$tmp/rec2" --replay "$tmp/clip.ts" --loop)
    g=$(run_gst filesrc location="$tmp/clip.ts" ! tsparse set-timestamps=true alignment=7 ! clocksync ! fakesink)
    echo "round $r: p2pls-source --replay $s cores, gst-launch (tsparse ! clocksync) $g cores"
done
