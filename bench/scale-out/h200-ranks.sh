#!/usr/bin/env bash
# Correctness on one GPU (issue 6): one process and two MPI ranks sharing the GPU must give the
# same categories. Runs on the device machine from the repository root, with a payload folder
# ($PAYLOAD, default .devcarry) holding: spdnn.tar.xz (a self-contained linux-x64
# `dotnet publish` of src/SpDnn.Cli), Debian 12's MPICH runtime .debs (libmpich12 mpich
# libhwloc15 libucx0 libslurm38 libnuma1 libgfortran5 libudev1: the machine has no MPI and no
# network), and the official subset images and truth (bench/scale-out/make-payload.sh builds it).
# Writes categories and logs to $OUT.
set -uo pipefail
payload=${PAYLOAD:-.devcarry}
out=${OUT:-/tmp/spdnn-out}
work=/tmp/spdnn-ranks
rm -rf "$work"; mkdir -p "$work/app" "$work/mpi" "$out"
tar -C "$work/app" -xJf "$payload/spdnn.tar.xz" || exit 1
for f in "$payload"/*.deb; do dpkg -x "$f" "$work/mpi" || exit 1; done
export PATH="$work/mpi/usr/bin:$PATH"
export LD_LIBRARY_PATH="$work/mpi/usr/lib/x86_64-linux-gnu:$work/mpi/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export NCCL_NVLS_ENABLE=0 DOTNET_CLI_TELEMETRY_OPTOUT=1
spdnn="$work/app/SpDnn.Cli"
mpiexec=(mpiexec.hydra -launcher fork)

echo "== MPI"; "${mpiexec[@]}" -n 2 "$spdnn" mpi-check || echo "mpi-check failed: $?"
echo "== network"; "$spdnn" generate network -n 1024 -l 1920 --format bin -o "$work" || exit 1
status=0
for layers in 120 1920; do
  args=(infer --network "$work/neuron1024.bin" --layers "$layers" --images "$payload/sparse-images-1024_subset.mtx" --engine gpu)
  [ "$layers" = 120 ] && args+=(--truth "$payload/neuron1024-l120-categories_subset.mtx")
  echo "== one process, L=$layers"; "$spdnn" "${args[@]}" --categories-out "$out/one-$layers.tsv" || status=1
  echo "== two ranks sharing the GPU, L=$layers"; "${mpiexec[@]}" -n 2 "$spdnn" "${args[@]}" --categories-out "$out/two-$layers.tsv" || status=1
  if cmp "$out/one-$layers.tsv" "$out/two-$layers.tsv"; then echo "L=$layers: identical categories ($(wc -l < "$out/one-$layers.tsv") lines)"; else echo "L=$layers: DIFFERENT"; status=1; fi
done
exit $status
