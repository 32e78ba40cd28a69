#!/usr/bin/env bash
# On the device machine: profile launches of the layer program (Kernel_Run) with Nsight Compute
# while `spdnn bench` runs one network (a warm-up run first, so launch 0 is the warm-up's first
# launch: the full-width layers). Clocks are left alone (--clock-control none). --print-details
# all: the warp stall reasons (long scoreboard, barrier, ...) that the summary leaves out.
# Usage: [FAMILY=general] [ENGINE=gpu:kernel=resident] device-profile.sh N L SKIP [COUNT] [SET]
#   -> $OUT/profile-[FAMILY-]nN-lL-skipSKIP.txt
# (The resident-input kernel is also named Kernel_Run: with it, launches alternate between it
# and the layer program's compaction, so SKIP 2 is the warm-up's second layer on that kernel.)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=$1 l=$2 skip=$3 count=${4:-1} set=${5:-full}
out=${OUT:-/tmp/out}
export SPDNN_DATA=/tmp/spdnn-data
mkdir -p "$out" /tmp/spdnn "$SPDNN_DATA"
[ -x /tmp/spdnn/spdnn/SpDnn.Cli ] || tar -xJf "$here/spdnn.tar.xz" -C /tmp/spdnn
spdnn=/tmp/spdnn/spdnn/SpDnn.Cli
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[ -n "$ncu" ] || { echo "no ncu on this machine"; exit 1; }
$spdnn generate images --neurons "$n" > /dev/null
family=${FAMILY:-challenge} engine=${ENGINE:-gpu}
report="$out/profile-$([ "$family" = challenge ] || echo "$family-")n$n-l$l-skip$skip.txt"
profile() {
  "$ncu" --clock-control none --kernel-name Kernel_Run --launch-skip "$skip" --launch-count "$count" --set "$set" \
    --import-source no "$@" "$spdnn" bench --family "$family" --engine "$engine" --neurons "$n" --layers "$l" --repeat 1 --out /tmp/profile-bench \
    --name "profile-n$n" > "$report" 2>&1
}
# An ncu that does not know --print-details gets a second run without it.
profile --print-details all || { grep -qi "print-details" "$report" && profile; }
echo "ncu exit $? -> $report ($(wc -l < "$report") lines)"
