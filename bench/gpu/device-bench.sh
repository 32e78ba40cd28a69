#!/usr/bin/env bash
# On the device machine: unpack the published CLI, generate the official challenge data there,
# run `spdnn bench` with the GPU engine on the challenge networks (one bench call per N, so each
# size's report survives a later timeout) and the CuPy/cuSPARSE baseline on the same images.
# Usage: [ENGINES=gpu,gpu:weights=streamed] [REPEAT=3] [FAMILY=general] device-bench.sh "1024 4096" "120,480,1920" [cupy-sizes]
# (FAMILY=general: issue 14's general family, e.g. FAMILY=general device-bench.sh "1024 4096 16384" 120 "")
# Bundles reports, logs and JSON into $OUT/results.tar.gz (the device returns at most 8 files).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=/tmp/results             # reports and logs; bundled into $OUT/results.tar.gz as they come
final=${OUT:-/tmp/out}
sizes=${1-"1024 4096 16384 65536"}  # an empty first argument runs only the baseline
layers=${2:-"120,480,1920"}
cupy_sizes=${3-"1024 4096"}  # an empty third argument runs no baseline
engines=${ENGINES:-gpu}
family=${FAMILY:-challenge}
card=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | grep -oE "[HAB][0-9]+" | head -1 | tr A-Z a-z)
stem=gpu-${card:-gpu}$([ "$family" = challenge ] || echo "-$family")
export SPDNN_DATA=/tmp/spdnn-data SPDNN_COMMIT=$(cat "$here/commit.txt" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
mkdir -p "$out" "$final" /tmp/spdnn "$SPDNN_DATA"
bundle() { tar -C "$out" -czf "$final/results.tar.gz" . && cp "$out/bench.log" "$final/bench.log"; }
[ -x /tmp/spdnn/spdnn/SpDnn.Cli ] || tar -xJf "$here/spdnn.tar.xz" -C /tmp/spdnn
spdnn=/tmp/spdnn/spdnn/SpDnn.Cli
echo "commit: $(cat "$here/commit.txt" 2>/dev/null)" | tee "$out/bench.log"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv | tee -a "$out/bench.log"
for n in $sizes; do
  start=$SECONDS
  $spdnn generate images --neurons "$n" > /dev/null 2>>"$out/bench.log"
  echo "images N=$n generated in $((SECONDS - start)) s" | tee -a "$out/bench.log"
  $spdnn bench --family "$family" --engine "$engines" --neurons "$n" --layers "$layers" --repeat "${REPEAT:-3}" --truth-dir "$here/truth" \
    --out "$out" --name "$stem-n$n" 2>&1 | grep -v "^\s*$" | tee -a "$out/bench.log"
  bundle
done
# The baseline last, so the engine's results are in even if the call runs out of time.
for n in $cupy_sizes; do
  $spdnn generate images --neurons "$n" --out "/tmp/images-$n.tsv" > /dev/null 2>>"$out/bench.log"
  # One process per N: the largest network is built once and the images read once.
  PYTHONUNBUFFERED=1 python3 "$here/cupy_baseline.py" --neurons "$n" --layers "$layers" --images "/tmp/images-$n.tsv" \
    --truth "$here/truth/neuron$n-l{layers}-categories.tsv" --json "$out/cupy-n$n-l{layers}.json" 2>&1 \
    | grep -v "^\s*$" | tail -n "$(tr ',' '\n' <<< "$layers" | wc -l)" | tee -a "$out/bench.log"
  bundle
done
bundle
