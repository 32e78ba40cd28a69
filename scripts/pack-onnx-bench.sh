#!/usr/bin/env bash
# Packs the ONNX Runtime comparison (bench/onnx) for a machine without .NET, such as the lent H200
# host, in two git-ignored folders, one per device call (each call's tree must stay under 64 MiB,
# and the tracked tree alone is ~36 MB):
#   .devpack-onnx/  the harness, published self-contained for linux-x64, trimmed (partial:
#                   framework assemblies only), tar + xz -9 (~22 MB), and the commit;
#   .devpack-wide/  the wide pruned model, xz -9 (~15 MB), when it exists.
# Usage: scripts/pack-onnx-bench.sh [wide-model.onnx]   (default data/models/mnist-mlp-4x4096-pruned95.onnx,
#        made by scripts/train-pruned-mlp.py --model wide)
# On the device, from the repository root (the shipped model and the MNIST test set are tracked
# files; .onnx-bench/ is ignored, so it stays on the warm machine from the first call to the second):
#   call 1, carry [".devpack-onnx"]:
#     mkdir -p .onnx-bench && tar -xJf .devpack-onnx/onnx-bench.tar.xz -C .onnx-bench \
#       && .onnx-bench/onnx-bench/SpDnn.Bench.Onnx --model data/models/mnist-mlp-300-100-pruned90.onnx \
#            --engines cpu --repeat 7 --threads 1,0 --commit "$(cat .devpack-onnx/commit.txt)" --out "$OUT" --name onnx-peer-h200-small
#   call 2, carry [".devpack-wide"]:
#     xz -dc .devpack-wide/wide.onnx.xz > .onnx-bench/mnist-mlp-4x4096-pruned95.onnx \
#       && .onnx-bench/onnx-bench/SpDnn.Bench.Onnx --model .onnx-bench/mnist-mlp-4x4096-pruned95.onnx \
#            --engines cpu --repeat 5 --threads 1,0 --commit "$(cat .devpack-wide/commit.txt)" --out "$OUT" --name onnx-peer-h200-wide
set -euo pipefail
cd "$(dirname "$0")/.."
wide=${1:-data/models/mnist-mlp-4x4096-pruned95.onnx}
publish=$(mktemp -d)
trap 'rm -rf "$publish"' EXIT
dotnet publish bench/onnx -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true \
  -p:DebugType=none -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
  -o "$publish/onnx-bench" --nologo -v quiet
# Not needed to run on linux-x64, and ~9 MB of the packed 22: ONNX Runtime's Windows library (the
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
