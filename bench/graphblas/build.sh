#!/usr/bin/env bash
# Builds the GraphBLAS baseline harness (needs the Debian package libgraphblas-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/bin"
gcc -O3 -march=native -Wall -Wextra -Werror -o "$here/bin/spdnn_graphblas" "$here/spdnn_graphblas.c" -lgraphblas
echo "$here/bin/spdnn_graphblas"
