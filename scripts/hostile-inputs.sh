#!/usr/bin/env bash
# Runs the spdnn CLI against hostile and bad inputs (issue 16) and reports, per case: the bytes
# of input, the exit code, the first error line and the peak resident memory (/usr/bin/time -v).
# A run passing LIMIT_MB of resident memory is killed by a watchdog and reported as such, so the
# script is safe on a shared machine even against an old build.
#
#   scripts/hostile-inputs.sh [--out FILE.md] [--cli "dotnet path/to/SpDnn.Cli.dll"] [--only REGEX]
#
# --only runs the cases whose name matches REGEX (bash =~), and makes only the files they need.
#
# Needs bash, python3, gzip, tar and /usr/bin/time (Debian: apt-get install time). Builds the CLI
# (Release) unless --cli is given. Writes the cases under a temporary folder (about 20 MB; the
# bombs are made from streams and never exist uncompressed) and removes it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=""
CLI=""
ONLY=""
LIMIT_MB=${LIMIT_MB:-4096}
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --cli) CLI=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "usage: $0 [--out FILE.md] [--cli COMMAND] [--only REGEX]" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
if [ -z "$CLI" ]; then
  dotnet build src/SpDnn.Cli -c Release -v q >/dev/null
  CLI="dotnet $ROOT/src/SpDnn.Cli/bin/Release/net10.0/SpDnn.Cli.dll"
fi

# Whether the case named $1 runs (all of them without --only).
wants() { [ -z "$ONLY" ] || [[ "$1" =~ $ONLY ]]; }

WORK=$(mktemp -d /tmp/spdnn-hostile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# --- the data: a valid 64-neuron network of 6 layers, 16 images, its truth --------------------
python3 - <<'EOF'
import os
os.makedirs("net", exist_ok=True)
for k in range(1, 7):
    with open(f"net/n64-l{k}.tsv", "w") as f:
        for c in range(64):                       # column-major like the official files
            for r in sorted({(c * 7 + j * 13 + k) % 64 for j in range(8)}):
                f.write(f"{r + 1}\t{c + 1}\t2.500000e-01\n")
with open("sparse-images-64.tsv", "w") as f:
    for i in range(1, 17):
        for p in sorted({(i * 5 + j * 11) % 64 for j in range(20)}):
            f.write(f"{i}\t{p + 1}\t1\n")
EOF
$CLI infer --network net --images sparse-images-64.tsv --bias -0.3 --engine reference --categories-out truth.tsv >/dev/null

# --- hostile files --------------------------------------------------------------------------
printf '1\t1\t1\n2147483647\t2\t1\n' > id-2147483647.tsv
printf '1\t1\t1\n200000000\t2\t1\n' > id-200000000.tsv
printf '1\t1\t1\n500000000\t2\t1\n' > id-500000000.tsv
printf '%%%%MatrixMarket matrix coordinate pattern general\n2147483647 64 1\n1 1\n' > rows-2147483647.mtx
printf '%%%%MatrixMarket matrix coordinate pattern general\n2147483647 1 1\n1 1\n' > truth-2147483647.mtx
mkdir -p huge-n && printf '1\t1\t6.250000e-02\n' > huge-n/n2000000000-l1.tsv
if wants ".gz of 2 GiB of zeros"; then head -c 2147483648 /dev/zero | gzip -1 > zeros-2GiB.tsv.gz; fi
if wants ".gz of 1 GiB of newlines"; then head -c 1073741824 /dev/zero | tr '\0' '\n' | gzip -1 > newlines-1GiB.tsv.gz; fi
cp -r net gap && rm gap/n64-l3.tsv
# Concatenated gzip members (what bgzip and pigz --independent write): must read.
head -n 150 sparse-images-64.tsv | gzip > multi.tsv.gz && tail -n +151 sparse-images-64.tsv | gzip >> multi.tsv.gz
ln -s sparse-images-64.tsv link-to-images.tsv
if wants "tar.gz of 3 x 2 GB of zeros" || wants "tar.gz: layer 3 a symlink"; then python3 - <<'EOF'
import io, tarfile

class Zeros(io.RawIOBase):
    def __init__(self, n): self.left = n
    def readable(self): return True
    def readinto(self, b):
        n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n

# Three layer entries of almost 2 GiB of zeros each: about 6 MB of tar.gz.
with tarfile.open("zeros.tar.gz", "w:gz", compresslevel=1) as tar:
    tar.add("net/n64-l1.tsv", arcname="neuron64/n64-l1.tsv")
    for k in (2, 3, 4):
        info = tarfile.TarInfo(f"neuron64/n64-l{k}.tsv"); info.size = 2_000_000_000
        tar.addfile(info, io.BufferedReader(Zeros(info.size), 1 << 20))
# Layer 3 a symbolic link.
with tarfile.open("symlink.tar.gz", "w:gz") as tar:
    for k in range(1, 7):
        if k == 3:
            info = tarfile.TarInfo("neuron64/n64-l3.tsv"); info.type = tarfile.SYMTYPE; info.linkname = "n64-l2.tsv"
            tar.addfile(info)
        else:
            tar.add(f"net/n64-l{k}.tsv", arcname=f"neuron64/n64-l{k}.tsv")

EOF
fi
$CLI convert --input sparse-images-64.tsv --output images.bin --to bin >/dev/null
# Binary images numbered from 2147483640 (16 images pass 2^31 - 1), the header checksum (XxHash64 of bytes 0..55) recomputed.
python3 - <<'EOF'
import struct
def xxh64(data, seed=0):
    P1, P2, P3, P4, P5 = 11400714785074694791, 14029467366897019727, 1609587929392839161, 9650029242287828579, 2870177450012600261
    M = (1 << 64) - 1
    rotl = lambda x, r: ((x << r) | (x >> (64 - r))) & M
    def rnd(acc, lane): return (rotl((acc + lane * P2) & M, 31) * P1) & M
    def merge(acc, v): return ((acc ^ rnd(0, v)) * P1 + P4) & M
    n, p = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while p + 32 <= n:
            for i in range(4): v[i] = rnd(v[i], struct.unpack_from("<Q", data, p + 8 * i)[0])
            p += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v: h = merge(h, x)
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while p + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from("<Q", data, p)[0]), 27) * P1 + P4) & M; p += 8
    if p + 4 <= n:
        h = (rotl(h ^ (struct.unpack_from("<I", data, p)[0] * P1) & M, 23) * P2 + P3) & M; p += 4
    while p < n:
        h = (rotl(h ^ (data[p] * P5) & M, 11) * P1) & M; p += 1
    h ^= h >> 33; h = (h * P2) & M; h ^= h >> 29; h = (h * P3) & M; h ^= h >> 32
    return h
b = bytearray(open("images.bin", "rb").read())
assert struct.unpack_from("<Q", b, 56)[0] == xxh64(bytes(b[:56])), "xxh64 does not reproduce the header checksum"
struct.pack_into("<i", b, 28, 2147483640)
struct.pack_into("<Q", b, 56, xxh64(bytes(b[:56])))
open("first-2147483640.bin", "wb").write(b)
EOF

# --- model formats (issue 15): MNIST IDX images, .npz archives, ONNX models ----------------------
cp "$ROOT/data/models/mnist-mlp-300-100-pruned90.onnx" model.onnx
cp "$ROOT/data/mnist/t10k-images-idx3-ubyte.gz" "$ROOT/data/mnist/t10k-labels-idx1-ubyte.gz" .
head -c $(( $(stat -c %s t10k-images-idx3-ubyte.gz) / 2 )) t10k-images-idx3-ubyte.gz > t10k-half.gz
head -c 5000 model.onnx > truncated.onnx
BOMB=$(wants ".npz zip bomb" && echo 1 || echo 0) python3 - <<'EOF'
import gzip, os, struct, zipfile

def idx(magic, dims, data):
    return struct.pack(">i", magic) + b"".join(struct.pack(">i", d) for d in dims) + data
open("huge-images.idx", "wb").write(idx(0x803, [1024, 1024, 1024], bytes(100)))
open("huge-images.idx.gz", "wb").write(gzip.compress(idx(0x803, [1000, 1000, 1000], bytes(1000))))

def npy(descr, shape, data=b""):
    dims = "()" if not shape else f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, dims)
    pad = (10 + len(d) + 1 + 63) // 64 * 64 - (10 + len(d) + 1)
    h = (d + " " * pad + "\n").encode()
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data

def coo_arrays(shape, rows, cols):
    return {"format": npy("|S3", [], b"coo"), "shape": npy("<i8", [2], struct.pack("<2q", *shape)),
            "row": npy("<i4", [len(rows)], struct.pack(f"<{len(rows)}i", *rows)),
            "col": npy("<i4", [len(cols)], struct.pack(f"<{len(cols)}i", *cols))}

def coo(path, shape, rows, cols, values, skip=()):
    arrays = coo_arrays(shape, rows, cols)
    arrays["data"] = npy("<f4", [len(values)], struct.pack(f"<{len(values)}f", *values))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in arrays.items():
            if name not in skip: z.writestr(name + ".npy", data)
coo("wide.npz", (2_000_000_000, 4), [0], [1], [1.0])
coo("no-col.npz", (4, 4), [0], [1], [1.0], skip=("col",))
if os.environ["BOMB"] == "1":
    # 1 GiB of zero weights, deflated to about 1 MB.
    count = 1 << 28
    with zipfile.ZipFile("bomb.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in coo_arrays((16384, 16384), [0], [1]).items(): z.writestr(name + ".npy", data)
        with z.open("data.npy", "w", force_zip64=True) as f:
            f.write(npy("<f4", [count]))
            zeros = bytes(1 << 20)
            for _ in range(4 * count // len(zeros)): f.write(zeros)

# ONNX protobuf written by hand (field numbers from onnx.proto): x -> MatMul(x, W) -> y.
def varint(v):
    out = b""
    v &= (1 << 64) - 1
    while True:
        b = v & 0x7f; v >>= 7
        if not v: return out + bytes([b])
        out += bytes([b | 0x80])
def field(n, v):
    if isinstance(v, int): return varint(n << 3) + varint(v)
    if isinstance(v, str): v = v.encode()
    return varint(n << 3 | 2) + varint(len(v)) + v
def model(initializer=b"", sparse=b""):
    node = field(1, "x") + field(1, "W") + field(2, "y") + field(3, "fc") + field(4, "MatMul")
    graph = field(1, node) + field(2, "hostile") + initializer + sparse + field(11, field(1, "x")) + field(12, field(1, "y"))
    return field(1, 8) + field(8, field(2, 13)) + field(7, graph)
external = field(1, 2) + field(1, 2) + field(2, 1) + field(8, "W") + field(13, field(1, "location") + field(2, "weights.bin")) + field(14, 1)
open("external-missing.onnx", "wb").write(model(initializer=field(5, external)))
values = field(1, 1) + field(2, 1) + field(8, "W") + field(4, struct.pack("<f", 0.5))
indices = field(1, 1) + field(2, 7) + field(8, "W_indices") + field(7, varint(3))
sparse = field(1, values) + field(2, indices) + field(3, 2_000_000_000) + field(3, 4)
open("sparse-huge.onnx", "wb").write(model(sparse=field(15, sparse)))
EOF

# --- running a case -------------------------------------------------------------------------
ROWS=()
# Bytes of the regular files under the given paths (links followed), as stored.
bytes_of() { [ $# -gt 0 ] || { echo 0; return; }; find -L "$@" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }

# case NAME "INPUT FILES" ARGS...: runs the CLI under /usr/bin/time with a memory watchdog.
case_() {
  local name=$1 inputs=$2; shift 2
  wants "$name" || return 0
  local bytes; bytes=$(bytes_of $inputs)
  /usr/bin/time -v -o time.txt $CLI "$@" >stdout.txt 2>stderr.txt &
  local pid=$! killed=""
  while kill -0 "$pid" 2>/dev/null; do
    local rss; rss=$( (ps -o rss= --ppid "$pid" 2>/dev/null || true) | awk '{s+=$1} END {print s+0}')
    if [ "$rss" -gt $((LIMIT_MB * 1024)) ]; then pkill -KILL -P "$pid" || true; killed="killed above $LIMIT_MB MB"; fi
    sleep 0.2
  done
  wait "$pid" || true
  local code; code=$(sed -n 's/.*Exit status: //p' time.txt)
  local signal; signal=$(sed -n 's/.*Command terminated by signal \([0-9]*\).*/\1/p' time.txt)
  [ -z "$signal" ] || code="$((128 + signal)) (signal $signal)"
  local peak; peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.txt)
  local first; first=$(grep -m1 -E '^error|Unhandled|^[A-Za-z.]*Exception' stderr.txt | sed "s#$WORK/##g; s#|#/#g" | cut -c1-150 || true)
  [ -n "$first" ] || first=$(head -c 150 stdout.txt | head -1 | sed "s#$WORK/##g")
  # An input the case changed is reported and restored, so later cases read the same data.
  if ! sha256sum -c --quiet pristine.sha256 >/dev/null 2>&1; then
    first="INPUT CHANGED; $first"; inputs_ok="CHANGED by some case"
    cp pristine/sparse-images-64.tsv pristine/truth.tsv .
  fi
  ROWS+=("| $name | $bytes | ${code:-?}${killed:+ ($killed)} | ${peak:+$((peak / 1024))} | ${first:-} |")
  echo "$name: exit ${code:-?} ${killed} peak ${peak:-?} kB: ${first:-}" >&2
}

mkdir -p pristine && cp sparse-images-64.tsv truth.tsv pristine/ && sha256sum sparse-images-64.tsv truth.tsv > pristine.sha256
inputs_ok="unchanged"
NET="--network net --bias -0.3 --engine cpu"
case_ "valid run (baseline)"            "net sparse-images-64.tsv"   infer $NET --images sparse-images-64.tsv --truth truth.tsv
case_ "image id 2147483647"             "net id-2147483647.tsv"       infer $NET --images id-2147483647.tsv
case_ "image id 200,000,000"            "net id-200000000.tsv"        infer $NET --images id-200000000.tsv
case_ "image id 500,000,000"            "net id-500000000.tsv"        infer $NET --images id-500000000.tsv
case_ "Matrix Market rows 2147483647"   "net rows-2147483647.mtx"     infer $NET --images rows-2147483647.mtx
case_ "truth .mtx of 2147483647 rows"   "net sparse-images-64.tsv truth-2147483647.mtx" infer $NET --images sparse-images-64.tsv --truth truth-2147483647.mtx
case_ "17-byte n2000000000-l1.tsv"      "huge-n"                      info huge-n --bias 0.1
case_ ".gz of 2 GiB of zeros"           "zeros-2GiB.tsv.gz"           info zeros-2GiB.tsv.gz --neurons 64
case_ ".gz of 1 GiB of newlines"        "newlines-1GiB.tsv.gz"        info newlines-1GiB.tsv.gz --neurons 64
case_ "tar.gz of 3 x 2 GB of zeros"     "zeros.tar.gz"                info zeros.tar.gz --bias -0.3
case_ "layer 3 of 6 missing"            "gap sparse-images-64.tsv"    infer --network gap --bias -0.3 --images sparse-images-64.tsv
case_ "layer 3 of 6 missing, --layers 2" "gap sparse-images-64.tsv"   infer --network gap --bias -0.3 --images sparse-images-64.tsv --layers 2
case_ "tar.gz: layer 3 a symlink"       "symlink.tar.gz sparse-images-64.tsv" infer --network symlink.tar.gz --bias -0.3 --images sparse-images-64.tsv
case_ "multi-member gzip images"        "net multi.tsv.gz"            infer $NET --images multi.tsv.gz --truth truth.tsv
case_ "binary images from 2147483640"   "net first-2147483640.bin"    infer $NET --images first-2147483640.bin
case_ "--categories-out = --images"     "net sparse-images-64.tsv"    infer $NET --images sparse-images-64.tsv --categories-out sparse-images-64.tsv
case_ "--categories-out = --truth"      "net sparse-images-64.tsv truth.tsv" infer $NET --images sparse-images-64.tsv --truth truth.tsv --categories-out truth.tsv
case_ "--categories-out = link to images" "net sparse-images-64.tsv"  infer $NET --images sparse-images-64.tsv --categories-out link-to-images.tsv
case_ "--engine foo"                    "net sparse-images-64.tsv"    infer --network net --bias -0.3 --images sparse-images-64.tsv --engine foo
case_ "--engine cpu:foo=1"              "net sparse-images-64.tsv"    infer --network net --bias -0.3 --images sparse-images-64.tsv --engine cpu:foo=1
case_ "--bias abc"                      "net sparse-images-64.tsv"    infer --network net --bias abc --images sparse-images-64.tsv
case_ "--threads 100000"                "net sparse-images-64.tsv"    infer $NET --images sparse-images-64.tsv --threads 100000
case_ "generate images --count 0"       ""                            generate images --neurons 1024 --count 0
case_ "generate network --neurons 1000" ""                            generate network --neurons 1000
case_ "convert --to xyz"                "sparse-images-64.tsv"        convert --input sparse-images-64.tsv --output x.out --to xyz
MODEL="--model model.onnx --engine cpu"
case_ "valid model run (MNIST test set)" "model.onnx t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz" infer $MODEL --images t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz
case_ "IDX images declaring 1024^3 bytes" "model.onnx huge-images.idx"  infer $MODEL --images huge-images.idx
case_ "gzip IDX declaring 10^9 bytes"   "model.onnx huge-images.idx.gz" infer $MODEL --images huge-images.idx.gz
case_ "MNIST test images .gz cut in half" "model.onnx t10k-half.gz"   infer $MODEL --images t10k-half.gz
case_ ".npz zip bomb (1 GiB of zeros)"  "bomb.npz"                    convert --input bomb.npz --output bomb.bin
case_ ".npz shape 2e9 x 4, one entry"   "wide.npz"                    convert --input wide.npz --output wide.bin
case_ ".npz without its col array"      "no-col.npz"                  convert --input no-col.npz --output no-col.bin
case_ "ONNX model cut at 5000 bytes"    "truncated.onnx"              convert --input truncated.onnx --output truncated.bin
case_ "ONNX external data missing"      "external-missing.onnx"       convert --input external-missing.onnx --output external.bin
case_ "ONNX sparse initializer [2e9, 4]" "sparse-huge.onnx"           convert --input sparse-huge.onnx --output sparse.bin

# SIGTERM and SIGINT during a write: the temporaries must go (the target is never half-written).
signal_case() {
  local signal=$1 out="sig-$1"
  python3 - "$signal" "$out" $CLI <<'EOF'
import os, signal, subprocess, sys, time
sig, out, cli = sys.argv[1], sys.argv[2], sys.argv[3:]
# Default signal dispositions in the child (a shell's background jobs ignore SIGINT).
p = subprocess.Popen(cli + ["generate", "network", "--neurons", "65536", "--layers", "40", "--format", "tsv", "--out", out],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                     preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGTERM)])
for _ in range(600):
    if os.path.isdir(out) and os.listdir(out): break
    time.sleep(0.05)
time.sleep(1.0)
p.send_signal(getattr(signal, sig))
err = p.communicate()[1].decode().strip().splitlines()
left = [os.path.join(r, f) for r, ds, fs in os.walk(out) for f in ds + fs]
print(f"| {sig} during generate network (65536 x 40, tsv) | 0 | {p.returncode} | | {err[-1] if err else ''}; left behind: {len(left)} |")
EOF
}
if wants "SIGTERM during generate"; then ROWS+=("$(signal_case SIGTERM)"); fi
if wants "SIGINT during generate"; then ROWS+=("$(signal_case SIGINT)"); fi

report() {
  echo "# Hostile inputs (issue 16)"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, .NET $(dotnet --version)"
  echo "- command: \`scripts/hostile-inputs.sh\` (each case one CLI process under \`/usr/bin/time -v\`; killed above $LIMIT_MB MB)"
  echo "- input bytes: the files the case reads, as stored (compressed for .gz); the valid run gives the process's baseline memory"
  echo "- the images and truth files after every case: $inputs_ok (sha256 compared after each case; a changed input is marked and restored)"
  echo
  echo "| case | input bytes | exit | peak RSS MB | first error line (or output) |"
  echo "| --- | ---: | --- | ---: | --- |"
  printf '%s\n' "${ROWS[@]}"
}
if [ -n "$OUT" ]; then
  mkdir -p "$(dirname "$ROOT/$OUT")" 2>/dev/null || true
  case "$OUT" in /*) target=$OUT ;; *) target=$ROOT/$OUT ;; esac
  report > "$target"
  echo "wrote $target" >&2
else
  report
fi
