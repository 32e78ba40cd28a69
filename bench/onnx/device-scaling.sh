#!/usr/bin/env bash
# Issue 15's CPU scaling check on the H200 host (16 cores, no .NET): SpDnn's CPU engine against ONNX
# Runtime's CPU provider at 1 and 16 threads (0: every core), small (shipped) and wide model, the 10000
# MNIST test images, runners taking turns; prints the short table (medians with min-max) last.
# With bench/results left out of the tree sent (git rm --cached, see bench/gpu/NOTES.md), the packed
# harness and the wide model travel in one call, from the repository root, after
# scripts/pack-onnx-bench.sh here: carry [".devpack-onnx", ".devpack-wide"] and run
#   bench/onnx/device-scaling.sh small; bench/onnx/device-scaling.sh wide   (the second prints both models' table)
# Otherwise two calls on the same warm machine (.onnx-bench/ is git-ignored, so the unpacked harness
# and the first call's record stay there; if the machine went back between them, wide says so).
# Records (JSON and Markdown) are copied to $OUT. Extra arguments go to the harness (e.g. --repeat 31).
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:?"small or wide"}
shift
bench=.onnx-bench
harness=$bench/onnx-bench/SpDnn.Bench.Onnx
out=${OUT:-$bench}
run() { # model name repeat [args]
  local model=$1 name=$2 repeat=$3 commit=$4
  shift 4
  echo "load average before: $(cat /proc/loadavg)"
  "$harness" --model "$model" --engines cpu --repeat "$repeat" --threads 1,0 --commit "$commit" --out "$bench" --name "$name" "$@" >&2
  cp "$bench/$name.json" "$bench/$name.md" "$out/" 2>/dev/null || true
}
# The GPU engine against ONNX Runtime on all cores, planned once and run in a warm loop (the
# first run, untimed, checks the classes): where the host has CUDA; its failure stops nothing.
gpu() { # model name repeat commit
  [ -e /dev/nvidiactl ] || return 0
  run "$1" "$2" "$3" "$4" --engines gpu --threads 0 || echo "GPU engine run $2 failed (exit $?)" >&2
}
case $what in
  small)
    mkdir -p $bench
    tar -xJf .devpack-onnx/onnx-bench.tar.xz -C $bench
    nproc; lscpu | grep -E 'Model name|Thread|Core|Socket|NUMA node\(s\)' || true
    # 21 turns: a run is milliseconds, and the spread between turns is what is in question.
    run data/models/mnist-mlp-300-100-pruned90.onnx scaling-small 21 "$(cat .devpack-onnx/commit.txt)" "$@"
    gpu data/models/mnist-mlp-300-100-pruned90.onnx scaling-small-gpu 21 "$(cat .devpack-onnx/commit.txt)"
    "$harness" --summarize "$(ls $bench/scaling-small.json $bench/scaling-small-gpu.json 2>/dev/null | paste -sd,)"
    ;;
  wide)
    [ -x "$harness" ] || { echo "no $harness: the machine went back since call 1; run call 1 (small) again first" >&2; exit 2; }
    xz -dc .devpack-wide/wide.onnx.xz > $bench/mnist-mlp-4x4096-pruned95.onnx
    echo "$(cat .devpack-wide/sha256.txt)  $bench/mnist-mlp-4x4096-pruned95.onnx" | sha256sum -c
    # ONNX Runtime takes ~13.5 s a run on one thread there: 7 turns and the warm-up fit the call.
    run $bench/mnist-mlp-4x4096-pruned95.onnx scaling-wide 7 "$(cat .devpack-wide/commit.txt)" "$@"
    gpu $bench/mnist-mlp-4x4096-pruned95.onnx scaling-wide-gpu 7 "$(cat .devpack-wide/commit.txt)"
    "$harness" --summarize "$(ls $bench/scaling-small.json $bench/scaling-small-gpu.json $bench/scaling-wide.json $bench/scaling-wide-gpu.json 2>/dev/null | paste -sd,)"
    ;;
  *) echo "usage: bench/onnx/device-scaling.sh small|wide [harness settings]" >&2; exit 2 ;;
esac
