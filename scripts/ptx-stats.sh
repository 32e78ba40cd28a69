#!/usr/bin/env bash
# Registers, spills and shared memory of each GPU kernel, without a GPU: `spdnn gpu-ptx` writes the
# PTX, and ptxas from Debian's non-free nvidia-cuda-toolkit 11.8 (fetched once into .tools/,
# git-ignored) compiles it for sm_90. ILGPU writes PTX ISA 8.0 and ptxas 11.8 reads up to 7.8;
# the kernels use nothing newer, so the header is lowered for this check only.
# Usage: scripts/ptx-stats.sh [--sass]   (--sass also writes .tools/ptx/*.sass)
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$PWD/.tools
ptxas=$tools/cuda/usr/bin/ptxas
if [ ! -x "$ptxas" ]; then
  lists=$tools/apt/lists parts=$tools/apt/parts
  mkdir -p "$lists/partial" "$parts" "$tools/deb"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$parts/non-free.sources"
  o="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$parts -o Dir::State::Lists=$lists"
  apt-get $o update -qq
  (cd "$tools/deb" && apt-get $o download -qq nvidia-cuda-toolkit)
  dpkg -x "$tools"/deb/nvidia-cuda-toolkit_*.deb "$tools/cuda"
fi
dotnet run --project src/SpDnn.Cli -c Release -v q -- gpu-ptx --out "$tools/ptx" > /dev/null
for ptx in "$tools"/ptx/*.ptx; do
  name=$(basename "$ptx" .ptx)
  sed 's/^\.version 8\.[0-9]*/.version 7.8/' "$ptx" > "$tools/ptx/$name.78"
  info=$("$ptxas" -arch=sm_90 -v "$tools/ptx/$name.78" -o "$tools/ptx/$name.cubin" 2>&1 | tr '\n' ' ')
  regs=$(grep -o 'Used [0-9]* registers' <<< "$info" | grep -o '[0-9]*')
  smem=$(grep -o '[0-9]* bytes smem' <<< "$info" | grep -o '^[0-9]*' || echo 0)
  spill=$(grep -o '[0-9]* bytes spill stores' <<< "$info" | grep -o '^[0-9]*')
  printf '%-14s registers %3s  spill stores %4s B  shared %6s B\n' "$name" "$regs" "$spill" "${smem:-0}"
  if [ "${1:-}" = "--sass" ]; then "$tools/cuda/usr/bin/cuobjdump" -sass "$tools/ptx/$name.cubin" > "$tools/ptx/$name.sass"; fi
done
