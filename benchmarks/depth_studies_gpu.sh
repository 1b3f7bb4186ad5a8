#!/usr/bin/env bash
# The two depth studies at full size on one GPU, as run for assets/ (see README).
# A small network cannot fill an H100, so N processes share each study, each training a
# disjoint shard of the grid (every run is its own file, so they never collide).
# Resumable: run it again and finished runs are skipped.
#   usage: benchmarks/depth_studies_gpu.sh OUT [PROCESSES] [FAMILIES...]
set -euo pipefail
out=${1:?usage: depth_studies_gpu.sh OUT [PROCESSES] [FAMILIES...]}
processes=${2:-8}
shift 2 || shift $#
families=${*:-mlp resnet}
export LABKIT_SIZE=full
mkdir -p "$out"
for family in $families; do
  started=$SECONDS
  for ((i = 0; i < processes; i++)); do
    python3 -m labkit study depth --family "$family" --out "$out/$family" --shard "$i/$processes" --quiet \
      > "$out/$family-shard$i.log" 2>&1 &
  done
  wait
  python3 -m labkit study depth --family "$family" --out "$out/$family" --load
  echo "$family study: $((SECONDS - started)) s with $processes processes"
done
