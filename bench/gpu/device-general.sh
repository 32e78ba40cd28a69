#!/usr/bin/env bash
# On the device machine (issue 14): the full-width kernels on the general family and on the
# challenge networks, in one call. Unpacks the published CLI, then
#  1. gpu-selftest: random general networks checked bit for bit against the reference engine
#     (the automatic kernel choice sends their wide layers to the resident-input kernel),
#  2. the general family (N = 1024, 4096, 16384; L = 120; official images of size N) with the
#     tiled kernel, the automatic choice, and resident-input tile widths, truth of the first
#     2000 images checked where bench/truth has it,
#  3. the challenge networks of L = 120 with the automatic choice (tiled there) and the resident-input kernel.
# Usage: [REPEAT=2] [GENERAL="1024 4096 16384"] [CHALLENGE="1024 4096 16384 65536"] [CHALLENGE_LAYERS="120"]
#        [GENERAL_ENGINES=...] [CHALLENGE_ENGINES=...] [SELFTEST_ARGS="--rows distinct"] device-general.sh
# Bundles reports and logs into $OUT/results.tar.gz as they come.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=/tmp/results
final=${OUT:-/tmp/out}
export SPDNN_DATA=/tmp/spdnn-data SPDNN_COMMIT=$(cat "$here/commit.txt" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
mkdir -p "$out" "$final" /tmp/spdnn "$SPDNN_DATA"
bundle() { tar -C "$out" -czf "$final/results.tar.gz" . && cp "$out/bench.log" "$final/bench.log"; }
[ -x /tmp/spdnn/spdnn/SpDnn.Cli ] || tar -xJf "$here/spdnn.tar.xz" -C /tmp/spdnn
spdnn=/tmp/spdnn/spdnn/SpDnn.Cli
# Reports are named by the card (h100, h200): the lent machine may be either.
card=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | grep -oE "[HAB][0-9]+" | head -1 | tr A-Z a-z)
echo "commit: $(cat "$here/commit.txt" 2>/dev/null)" | tee "$out/bench.log"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv | tee -a "$out/bench.log"
$spdnn gpu-selftest --neurons 1024 --layers 120 --time-layers ${SELFTEST_ARGS:-} --json "$out/selftest.json" 2>&1 | tee "$out/selftest.log" | tee -a "$out/bench.log"
bundle
for n in ${GENERAL-1024 4096 16384}; do
  $spdnn generate images --neurons "$n" > /dev/null 2>>"$out/bench.log"
  $spdnn bench --family general --engine "${GENERAL_ENGINES:-gpu:kernel=tiled,gpu,gpu:columns=4,gpu:time-layers=on}" --neurons "$n" --layers 120 \
    --repeat "${REPEAT:-2}" --truth-dir "$here/truth" --out "$out" --name "general-${card:-gpu}-n$n" 2>&1 | grep -v "^\s*$" | tee -a "$out/bench.log"
  bundle
done
for n in ${CHALLENGE-1024 4096 16384 65536}; do
  $spdnn generate images --neurons "$n" > /dev/null 2>>"$out/bench.log"
  for l in ${CHALLENGE_LAYERS:-120}; do
    $spdnn bench --engine "${CHALLENGE_ENGINES:-gpu,gpu:kernel=resident}" --neurons "$n" --layers "$l" --repeat "${REPEAT:-2}" --truth-dir "$here/truth" \
      --out "$out" --name "challenge-${card:-gpu}-n$n-l$l" 2>&1 | grep -v "^\s*$" | tee -a "$out/bench.log"
    bundle
  done
done
bundle
