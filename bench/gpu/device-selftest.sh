#!/usr/bin/env bash
# On the device machine: unpack the published CLI and run the GPU self-test (checks against the
# reference engine and timings on challenge-shaped data). Writes logs and JSON under $OUT.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out" /tmp/spdnn
tar -xJf "$here/spdnn.tar.xz" -C /tmp/spdnn
echo "commit: $(cat "$here/commit.txt" 2>/dev/null)"
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,clocks.sm --format=csv
/tmp/spdnn/spdnn/SpDnn.Cli gpu-selftest "$@" --json "$out/selftest.json" 2>&1 | tee "$out/selftest.log"
