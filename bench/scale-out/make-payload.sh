#!/usr/bin/env bash
# Builds the payload bench/scale-out/h200-ranks.sh needs on the device machine (which has no
# .NET, no MPI and no network): run here, from the repository root, on Debian 12 with the .NET 10
# SDK. Writes .devcarry/ (about 51 MB; keep it out of git: `echo /.devcarry/ >> .git/info/exclude`),
# then run on the device: command `bash bench/scale-out/h200-ranks.sh`, carry [".devcarry"].
set -euo pipefail
payload=.devcarry
rm -rf "$payload" /tmp/spdnn-publish
mkdir -p "$payload"
dotnet publish src/SpDnn.Cli -c Release -r linux-x64 --self-contained -o /tmp/spdnn-publish
tar -C /tmp/spdnn-publish -cf - . | xz -T0 -6 > "$payload/spdnn.tar.xz"
(cd "$payload" && apt-get download libmpich12 mpich libhwloc15 libucx0 libslurm38 libnuma1 libgfortran5 libudev1)
cp data/official/sparse-images-1024_subset.mtx data/official/neuron1024-l120-categories_subset.mtx "$payload/"
du -sh "$payload"
