#!/usr/bin/env bash
# On the device machine: compute the truth categories of the N-neuron challenge networks with the
# CPU engine (16 cores there), then check the GPU engine against them, one L at a time so each
# finished network's results survive a later timeout.
# Usage: device-truth.sh N "120 480 1920"   (payload: .devcarry/spdnn.tar.xz and commit.txt)
# Returns in $OUT (8 files at most): neuron{N}-l{L}-categories.tsv, gpu-h200-n{N}-l{L}.json, truth.log.
set -uo pipefail
n=$1; layers=${2:-"120 480 1920"}
out=${OUT:-/tmp/spdnn-out}; work=/tmp/spdnn-truth
mkdir -p "$work/app" "$out"
[ -x "$work/app/SpDnn.Cli" ] || tar -C "$work/app" -xJf .devcarry/spdnn.tar.xz || exit 1
spdnn="$work/app/SpDnn.Cli"
export SPDNN_DATA=/tmp/spdnn-data SPDNN_COMMIT=$(cat .devcarry/commit.txt)
log="$out/truth.log"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$log"
start=$SECONDS; "$spdnn" generate images --neurons "$n" >> "$log" 2>&1; echo "images N=$n: $((SECONDS - start)) s" | tee -a "$log"
for l in $layers; do
  "$spdnn" bench --engine cpu --neurons "$n" --layers "$l" --repeat 1 --truth-dir "$work/none" --write-truth "$out" \
    --out "$work/cpu" --name "cpu-n$n-l$l" 2>&1 | grep -E "TE/s|wrote truth" | tee -a "$log"
  "$spdnn" bench --engine gpu --neurons "$n" --layers "$l" --repeat 3 --truth-dir "$out" \
    --out "$work/gpu" --name "gpu-h200-n$n-l$l" 2>&1 | grep -E "TE/s" | tee -a "$log"
  cp "$work/gpu/gpu-h200-n$n-l$l.json" "$out/" 2>/dev/null
done
