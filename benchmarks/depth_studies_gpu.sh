#!/usr/bin/env bash
# The two depth studies at full size on one GPU, as run for assets/ (see README).
# A small network cannot fill an H100, so N processes share each study, each training a
# disjoint shard of the grid (every run is its own file, so they never collide).
# Resumable: run it again and finished runs are skipped.
# A study's name is its folder: mlp (no normalisation), mlp_batchnorm (the same MLPs with batch norm), resnet.
#   usage: benchmarks/depth_studies_gpu.sh OUT [PROCESSES] [STUDIES...]
set -euo pipefail
out=${1:?usage: depth_studies_gpu.sh OUT [PROCESSES] [STUDIES...]}
processes=${2:-8}
shift 2 || shift $#
studies=${*:-mlp mlp_batchnorm resnet}
export LABKIT_SIZE=full
mkdir -p "$out"
for name in $studies; do
  case $name in
    mlp | resnet) flags=(--family "$name") ;;
    mlp_batchnorm) flags=(--family mlp --norm batch) ;;
    *) echo "unknown study $name: choose mlp, mlp_batchnorm or resnet" >&2; exit 2 ;;
  esac
  started=$SECONDS
  for ((i = 0; i < processes; i++)); do
    python3 -m labkit study depth "${flags[@]}" --out "$out/$name" --shard "$i/$processes" --quiet \
      > "$out/$name-shard$i.log" 2>&1 &
    # the first process alone until study.json exists: at full size it first copies assets/' runs there
    for ((waited = 0; i == 0 && waited < 120; waited++)); do
      [[ -e $out/$name/study.json ]] && break
      sleep 1
    done
  done
  wait
  python3 -m labkit study depth "${flags[@]}" --out "$out/$name" --load
  echo "$name study: $((SECONDS - started)) s with $processes processes"
done
