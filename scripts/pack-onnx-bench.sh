#!/usr/bin/env bash
# Packs the ONNX Runtime comparison (bench/onnx) for a machine without .NET, such as the lent H200
# host, in two git-ignored folders carried together (the call's tree must stay under 64 MiB,
# and the tracked tree without bench/results is ~15 MB):
#   .devpack-onnx/  the harness, published self-contained for linux-x64, tar + xz -9 (~35 MB), and the commit;
#   .devpack-wide/  the wide pruned model, xz -9 (~12 MB), when it exists.
# Usage: scripts/pack-onnx-bench.sh [wide-model.onnx]   (default data/models/mnist-mlp-4x4096-pruned95.onnx,
#        made by scripts/train-pruned-mlp.py --model wide)
# On the device: bench/onnx/device-scaling.sh (both folders carried in one call).
set -euo pipefail
cd "$(dirname "$0")/.."
wide=${1:-data/models/mnist-mlp-4x4096-pruned95.onnx}
publish=$(mktemp -d)
trap 'rm -rf "$publish"' EXIT
# Not trimmed: ILGPU finds framework methods by reflection when it compiles kernels (trimmed, the
# GPU engine failed on the H200 on 2026-12-05: BitOperations.TrailingZeroCount not found). ~35 MB
# packed; with the wide model's 12 and the tracked tree (bench/results left out) under 64 MiB.
dotnet publish bench/onnx -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true \
  -p:DebugType=none -o "$publish/onnx-bench" --nologo -v quiet
# Not needed to run on linux-x64, and several MB of the packed harness: ONNX Runtime's Windows library (the
# package ships it beside the Linux one), the debugger's and the standalone collectors' libraries,
# the tracing provider (loaded only when present) and the API documentation.
rm -f "$publish"/onnx-bench/{onnxruntime.dll,libmscordbi.so,libmscordaccore.so,libclrgc.so,libclrgcexp.so,libcoreclrtraceptprovider.so,SpDnn.xml}
rm -rf .devpack-onnx .devpack-wide
mkdir -p .devpack-onnx
tar -C "$publish" -cf - onnx-bench | xz -T0 -9 > .devpack-onnx/onnx-bench.tar.xz
git rev-parse --short HEAD > .devpack-onnx/commit.txt
if [ -f "$wide" ]; then
  mkdir -p .devpack-wide
  xz -T0 -9 -c "$wide" > .devpack-wide/wide.onnx.xz
  cp .devpack-onnx/commit.txt .devpack-wide/commit.txt
  sha256sum "$wide" | cut -d' ' -f1 > .devpack-wide/sha256.txt
else
  echo "note: $wide not found: only the shipped model can run (scripts/train-pruned-mlp.py --model wide makes it)" >&2
fi
du -sh .devpack-onnx .devpack-wide 2>/dev/null
