#!/usr/bin/env bash
# On the device machine: issue 14's record in one call — gpu-selftest, the general family
# (N = 16384, 1024, 4096; L = 120) and all 12 challenge networks, each with the engines given
# (default: main's default, `gpu`), 3 runs. Stops at once (exit 3, ~no device time) unless the
# card is an H200, as the issue's record asks; ANY_CARD=1 runs it on whatever card came.
# ~220 s on an H100 (v21 call 5), plus the machine's start.
# Usage: [ENGINES=gpu,gpu:lag=off] [GENERAL_ENGINES=...(default ENGINES)] [REPEAT=3] [ANY_CARD=1] device-record.sh
# Leaves $OUT/record.tar.gz (r-general: selftest and the general family; r-all12) and prints a
# short table last. Each phase also bundles as it goes ($OUT/general, $OUT/all12), so a call cut short keeps what ran.
set -u
here=$(cd "$(dirname "$0")" && pwd)
final=${OUT:-/tmp/out}
mkdir -p "$final"
card=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
echo "card: $card"
if [ "${ANY_CARD:-0}" != 1 ] && ! grep -q H200 <<< "$card"; then echo "not an H200: no record (ANY_CARD=1 runs it anyway)"; exit 3; fi
engines=${ENGINES:-gpu}
rm -rf /tmp/results /tmp/r-general /tmp/r-all12
OUT="$final/general" GENERAL="16384 1024 4096" CHALLENGE="" GENERAL_ENGINES="${GENERAL_ENGINES:-$engines}" REPEAT=${REPEAT:-3} \
  bash "$here/device-general.sh" > /tmp/record-general.out 2>&1
mv /tmp/results /tmp/r-general
tar -C /tmp -czf "$final/record.tar.gz" r-general
OUT="$final/all12" ENGINES="$engines" REPEAT=${REPEAT:-3} bash "$here/device-bench.sh" "1024 4096 16384 65536" "120,480,1920" "" > /tmp/record-all12.out 2>&1
mv /tmp/results /tmp/r-all12
tar -C /tmp -czf "$final/record.tar.gz" r-general r-all12
grep -iE "passed|failed" /tmp/r-general/selftest.log | tail -2
# N x L | engine | inference s (median) | TE/s | truth
grep -hE "^\| [0-9a-z ]+ x [0-9]+ \| gpu[^|]*\| 60000" /tmp/r-general/bench.log /tmp/r-all12/bench.log | cut -d'|' -f2,3,8,13,16
