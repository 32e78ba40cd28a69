#!/usr/bin/env bash
# One device call for the end of a session: the one-GPU MPI correctness run (h200-ranks.sh),
# then the GPU engine on the N=16384 challenge networks checked against bench/truth.
# Payload: bench/scale-out/make-payload.sh (.devcarry). Results: $OUT (at most 8 files).
set -uo pipefail
out=${OUT:-/tmp/spdnn-out}
mkdir -p /tmp/ranks-out
OUT=/tmp/ranks-out bash bench/scale-out/h200-ranks.sh > "$out/ranks.log" 2>&1; echo "ranks exit $?" >> "$out/ranks.log"
grep -E "identical|DIFFERENT|PASSED|FAILED|mpi-check|exit" "$out/ranks.log"
spdnn=/tmp/spdnn-ranks/app/SpDnn.Cli
export SPDNN_DATA=/tmp/spdnn-data SPDNN_COMMIT=$(cat .devcarry/commit.txt)
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
for n in ${SIZES:-16384}; do
  "$spdnn" bench --engine gpu --neurons "$n" --layers "${LAYERS:-120,480,1920}" --repeat 3 --truth-dir bench/truth \
    --out "$out" --name "gpu-h200-n$n" 2>&1 | grep -vE "^\s*$|\.png$|\.csv$|\.json$|\.md$" | tee "$out/bench-n$n.log"
done
