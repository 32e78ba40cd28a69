#!/usr/bin/env bash
# Publishes the CLI self-contained for linux-x64 and packs it, with the device scripts, into
# .devpack/ of a checkout that the device tool sends (default: this checkout; git-ignored there). xz -9: the payload and the tracked tree must stay under the device tool's 64 MiB.
# Usage: scripts/pack-device.sh [target-checkout]
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(realpath "${1:-.}")
publish=$(mktemp -d)
trap 'rm -rf "$publish"' EXIT
# ReadyToRun: the code is compiled ahead, so a run does not wait for the JIT at start (ILGPU's
# compiler, the planner's first layers); hot methods are still compiled again by tiering. Measured
# here on `spdnn infer --neurons 1024 --layers 120 --engine cpu`: time to answer 1.26-1.29 -> 1.12-1.16 s,
# inference unchanged (also at 4096 x 120).
dotnet publish src/SpDnn.Cli -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true \
  -p:DebugType=none -p:PublishReadyToRun=true -o "$publish/spdnn" --nologo -v quiet
mkdir -p "$target/.devpack"
rm -rf "$target/.devpack/"*
tar -C "$publish" -cf - spdnn | xz -T0 -9 > "$target/.devpack/spdnn.tar.xz"
cp bench/gpu/*.sh bench/gpu/*.py "$target/.devpack/"
# Truth categories: the committed ones (bench/truth; its N=1024 L=120 file equals the official one, data/official),
# and the general family's final-row digests.
mkdir -p "$target/.devpack/truth"
cp bench/truth/*.tsv bench/truth/*.sha256 "$target/.devpack/truth/"
git rev-parse --short HEAD > "$target/.devpack/commit.txt"
git status --porcelain | grep -q . && echo "+uncommitted" >> "$target/.devpack/commit.txt" || true
ls -la "$target/.devpack"
