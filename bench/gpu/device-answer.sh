#!/usr/bin/env bash
# Issue 17 on the device machine: the time to answer of `spdnn infer --neurons N --layers L` with
# the GPU engine (process start to categories written, split into load, exposed planning, upload,
# inference), cold (no plan cache) and with a warm plan cache, each run's JSON kept.
# Usage: [N=65536] [L=1920] [CACHE=/dev/shm/spdnn-plans] [STEP=data|answer|all] device-answer.sh
#   STEP=data   generates the images once into $SPDNN_DATA (the network is generated as it is planned: no file)
#   STEP=answer the measured runs: two cold, one writing the plan cache, two reading it
# The plan of 65536 x 1920 takes about 26 GB: the cache goes to /dev/shm (memory) by default.
# Bundles the JSON records and the log into $OUT/answer.tar.gz; prints a summary table.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=/tmp/answer
final=${OUT:-/tmp/out}
n=${N:-65536}
l=${L:-1920}
cache=${CACHE:-/dev/shm/spdnn-plans}
step=${STEP:-all}
export SPDNN_DATA=${SPDNN_DATA:-/tmp/spdnn-data} SPDNN_COMMIT=$(cat "$here/commit.txt" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
mkdir -p "$out" "$final" /tmp/spdnn "$SPDNN_DATA"
[ -x /tmp/spdnn/spdnn/SpDnn.Cli ] || tar -xJf "$here/spdnn.tar.xz" -C /tmp/spdnn
spdnn=/tmp/spdnn/spdnn/SpDnn.Cli
log="$out/answer.log"
bundle() { tar -C "$out" -czf "$final/answer.tar.gz" . && cp "$log" "$final/answer.log"; }
run() { # name, extra options...
  local name=$1; shift
  sync; echo "== $name: spdnn infer --neurons $n --layers $l --engine gpu $*" | tee -a "$log"
  $spdnn infer --neurons "$n" --layers "$l" --engine gpu --json "$@" > "$out/$name.json" 2>>"$log"
  echo "exit $?" | tee -a "$log"
  bundle
}
echo "commit: $(cat "$here/commit.txt" 2>/dev/null)" | tee -a "$log"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee -a "$log"
nproc | sed 's/^/cores: /' | tee -a "$log"
df -h "$SPDNN_DATA" /dev/shm | tee -a "$log"
if [ "$step" = data ] || [ "$step" = all ]; then
  start=$SECONDS
  $spdnn generate images --neurons "$n" > /dev/null 2>>"$log"
  echo "images N=$n ready in $((SECONDS - start)) s" | tee -a "$log"
  # The first infer after the images (its time to answer includes the JIT's first touches: not a figure).
  run 0-data
fi
if [ "$step" = answer ] || [ "$step" = all ]; then
  run 1-cold
  run 2-cold
  rm -rf "$cache"
  run 3-cache-write --plan-cache "$cache"
  run 4-cache-warm --plan-cache "$cache"
  run 5-cache-warm --plan-cache "$cache"
  ls -l "$cache" | tee -a "$log"
  rm -rf "$cache"
fi
python3 - "$out" <<'EOF' | tee -a "$log"
import json, glob, os, sys
runs = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    try:
        runs.append((os.path.basename(path)[:-5], json.load(open(path)), None))
    except Exception as e:
        runs.append((os.path.basename(path)[:-5], None, e))
# Per run, what overlapped the answer's parts: the engine's opening (device, context, kernels; in
# other), the images read beside planning (only the wait for them is load), the plan's phases
# (layers: the packer's wait for planned layers, with the workers' time a layer).
for name, r, e in runs:
    if r is None: continue
    a = r.get("timeToAnswer", {})
    d = r.get("details", {}) or {}
    print(f"{name}: startup {a.get('startupSeconds', 0):.3f} s, engine open {a.get('engineSeconds', 0):.3f} s, images read {a.get('imagesSeconds', 0):.3f} s (beside), "
          f"kernels compiled {d.get('kernelSeconds', '-')} s (beside), plan call (exposed part) {a.get('planSeconds', 0) - r.get('planWaitSeconds', 0):.3f} s, plan waits {r.get('planWaitSeconds', 0):.3f} s, "
          f"planning whole {r.get('planningSeconds', 0):.3f} s; phases: {d.get('planPhases', '-')}")
print()
print("| run | answer s | load | plan (exposed) | upload | inference | other | engine open | images (beside) | planning s (whole) | plan cache | passed |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for name, r, e in runs:
    if r is None:
        print(f"| {name} | unreadable: {e} |"); continue
    a = r.get("timeToAnswer", {})
    d = r.get("details", {}) or {}
    print(f"| {name} | {a.get('totalSeconds', 0):.2f} | {a.get('loadSeconds', 0):.2f} | {a.get('planSeconds', 0):.2f} | "
          f"{a.get('uploadSeconds', 0):.3f} | {a.get('inferenceSeconds', 0):.3f} | {a.get('otherSeconds', 0):.2f} | {a.get('engineSeconds', 0):.2f} | "
          f"{a.get('imagesSeconds', 0):.2f} | {r.get('planningSeconds', 0):.2f} | {d.get('planCache', '-')} | {r.get('passed')} |")
EOF
bundle
