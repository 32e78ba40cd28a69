#!/usr/bin/env bash
# Publishes the ONNX Runtime comparison (bench/onnx) self-contained for linux-x64 and packs it, with
# the wide pruned model when it exists, into .devpack-onnx/ (git-ignored), for a machine without .NET
# such as the lent H200 host. Trimmed (partial: framework assemblies only) and xz -9: with the tracked
# tree (33 MB) it must stay under the device tool's 64 MiB.
# Usage: scripts/pack-onnx-bench.sh [wide-model.onnx]   (default data/models/mnist-mlp-4x4096-pruned95.onnx,
#        made by scripts/train-pruned-mlp.py --model wide)
# On the device, from the repository root (the shipped model and the MNIST test set are tracked files):
#   mkdir -p /tmp/ob && tar -xJf .devpack-onnx/onnx-bench.tar.xz -C /tmp/ob \
#     && xz -dc .devpack-onnx/wide.onnx.xz > /tmp/ob/wide.onnx \
#     && /tmp/ob/onnx-bench/SpDnn.Bench.Onnx --model data/models/mnist-mlp-300-100-pruned90.onnx,/tmp/ob/wide.onnx \
#          --engines cpu --repeat 5 --out "$OUT" --name onnx-peer-h200
set -euo pipefail
cd "$(dirname "$0")/.."
wide=${1:-data/models/mnist-mlp-4x4096-pruned95.onnx}
publish=$(mktemp -d)
trap 'rm -rf "$publish"' EXIT
dotnet publish bench/onnx -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true \
  -p:DebugType=none -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
  -o "$publish/onnx-bench" --nologo -v quiet
rm -rf .devpack-onnx
mkdir -p .devpack-onnx
tar -C "$publish" -cf - onnx-bench | xz -T0 -9 > .devpack-onnx/onnx-bench.tar.xz
if [ -f "$wide" ]; then xz -T0 -9 -c "$wide" > .devpack-onnx/wide.onnx.xz; else echo "note: $wide not found: only the shipped model will run" >&2; fi
git rev-parse --short HEAD > .devpack-onnx/commit.txt
ls -la .devpack-onnx
