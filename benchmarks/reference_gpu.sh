#!/usr/bin/env bash
# The whole GPU part of issue 19 in one command, most valuable results first, on one GPU:
#   1. MLP vs CNN vs ResNet-18 on CIFAR-10 at full size, one seed each   -> assets/runs/<model>_cifar10/
#      together with
#   2. the comparison study: {MNIST, CIFAR-10} x {MLP, CNN} x {plain, residual} x 10 seeds,
#      the course recipe                                                   -> assets/compare/
#   3. the MLP depth study with batch norm (depths 5-100, 3 seeds), and what the no-norm study still
#      lacks (depth 100, seed 2)                                          -> assets/depth/mlp_batchnorm/, mlp/
#   4. seed 0's weights of every configuration under 5 MB                -> assets/weights/<run>.pt
#      (single runs <model>_cifar10.pt; comparison twins compare_<model>_<dataset>.pt and ..._plain.pt)
#
#   usage: benchmarks/reference_gpu.sh OUT SECONDS [PROCESSES]
#   e.g.   benchmarks/reference_gpu.sh /tmp/ref 500 8           (full size, the default)
#          LABKIT_SIZE=smoke benchmarks/reference_gpu.sh /tmp/ref 120 2     (a dry run on a CPU)
#
# A small network cannot fill an H200, so PROCESSES processes share each study, each training a
# disjoint shard of its grid (every run is its own file).  It resumes: runs already in assets/ (at
# full size) or in WORK (default /tmp/labkit_reference, kept while the GPU machine stays warm) are not
# trained again.  It stops by itself before SECONDS: every process gets the time left as its deadline
# (timeout sends Ctrl-C; a run in flight then is abandoned, finished runs are kept).  OUT receives a few
# files (the device tool brings back at most 8, of at most 16 MiB each): reference.tar, every finished run
# laid out like the repository (assets/...), so `tar -xf reference.tar` in the checkout puts the results in
# place; reference_weights.tar.part00, part01 ... (`cat reference_weights.tar.part* | tar -x`); and
# reference_logs.tar.gz.
#
# The GPU machine has torch and Python 3.12 but no pydantic: `benchmarks/gpu_wheels.sh labkit` puts the
# wheels in .whl/ (git ignores it); install them there before this script (benchmarks/GPU.md):
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
#     --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
set -uo pipefail
out=${1:?usage: reference_gpu.sh OUT SECONDS [PROCESSES]}
seconds=${2:?usage: reference_gpu.sh OUT SECONDS [PROCESSES]}
processes=${3:-8}
repo=$(cd "$(dirname "$0")/.." && pwd)
export LABKIT_SIZE=${LABKIT_SIZE:-full}
export PYTHONPATH=$repo${PYTHONPATH:+:$PYTHONPATH}
# everything but the results tar stays in WORK: the device tool brings back at most 8 files from OUT
work=${WORK:-/tmp/labkit_reference}
stage=$work/assets
mkdir -p "$out" "$work/logs" "$stage/runs" "$stage/weights"
margin=$((seconds / 20 > 10 ? seconds / 20 : 10))  # for the tar and the processes' last words
deadline=$((SECONDS + seconds - margin))

left() { echo $((deadline - SECONDS)); }

# if this script ends early (an error, Ctrl-C), its training processes end with it: timeout passes the signal on
stop_all() {
  [[ -e $work/logs/pids ]] && while read -r pid; do kill "$pid" 2> /dev/null; done < "$work/logs/pids"
  rm -f "$work/logs/pids"
}
trap stop_all EXIT
rm -f "$work/logs/pids"

# until_deadline LOG COMMAND...: run COMMAND with the time left as its limit; Ctrl-C at the deadline
until_deadline() {
  local log=$1 limit
  shift
  limit=$(left)
  if ((limit < 5)); then
    echo "not started (no time left): $*" >> "$work/logs/skipped.log"
    return 0
  fi
  timeout --signal=INT --kill-after=10 "$limit" "$@" > "$work/logs/$log.log" 2>&1 &
  local pid=$!
  echo "$pid" >> "$work/logs/pids"
  wait "$pid"
  local status=$?
  ((status == 0)) || echo "$log: exit $status after $((SECONDS - started)) s (124/130: stopped at the deadline)"
}

# sharded NAME DIR ARGS...: PROCESSES processes share one study; the first one alone until its
# study.json exists (at full size it first copies the runs of assets/ there, which the others must see)
sharded() {
  local name=$1 dir=$2 count=$4
  shift 4
  until_deadline "$name-shard0" python3 -m labkit study "$@" --out "$dir" --shard "0/$count" --quiet &
  local waited=0
  while [[ ! -e $dir/study.json ]] && ((waited < 120 && $(left) > 5)); do
    sleep 1
    waited=$((waited + 1))
  done
  for ((i = 1; i < count; i++)); do
    until_deadline "$name-shard$i" python3 -m labkit study "$@" --out "$dir" --shard "$i/$count" --quiet &
  done
}

started=$SECONDS
echo "reference_gpu.sh: size $LABKIT_SIZE, $processes processes, stops within $seconds s; logs in $work/logs"

# single NAME MODEL: one full-size run into assets/runs/NAME, unless it is saved already; its fp16 weights if < 5 MB
single() {
  local name=$1 model=$2
  if [[ $LABKIT_SIZE == full && -e $repo/assets/runs/$name/result.json ]] || [[ -e $stage/runs/$name/result.json ]]; then
    echo "$name: already saved, not trained again"
    return 0
  fi
  local extra=()
  [[ $model == mlp ]] && extra=(--no-augment)  # crops and flips cost the MLP 7 points (benchmarks/mlp_cifar10_recipe.py)
  until_deadline "$name" python3 -m labkit train --model "$model" --dataset cifar10 "${extra[@]}" \
    --out "$stage/runs/$name" --quiet
  local weights=$stage/runs/$name/model.pt
  if [[ -e $weights ]]; then  # kept in fp16 (lk.checkpoints.compact_state: half the bytes) if under 5 MB then
    python3 -c "import sys, torch; from labkit.checkpoints import compact_state
torch.save(compact_state(torch.load(sys.argv[1], weights_only=True)), sys.argv[2])" "$weights" "$weights.fp16"
    [[ -e $weights.fp16 && $(stat -c %s "$weights.fp16") -lt 5000000 ]] && mv "$weights.fp16" "$stage/weights/$name.pt"
  fi
  rm -f "$weights" "$weights.fp16"
}

# 1 and 2 together: the three single runs (each in its own process if there are 4 or more, else one after
# another in one), and the comparison study in the other processes
if ((processes >= 4)); then
  for model in mlp cnn resnet18; do single "${model}_cifar10" "$model" & done
  compare_processes=$((processes - 3))
else
  (for model in mlp cnn resnet18; do single "${model}_cifar10" "$model"; done) &
  compare_processes=$((processes > 1 ? processes - 1 : 1))
fi
sharded compare "$stage/compare" - "$compare_processes" compare --weights "$stage/weights"
wait
echo "single runs and comparison study: $((SECONDS - started)) s"

# 3: the batch-norm depth study, and the runs the no-norm study lacks (a few processes suffice there)
phase=$SECONDS
bn_processes=$((processes > 2 ? processes - 2 : 1))
sharded mlp_batchnorm "$stage/depth/mlp_batchnorm" - "$bn_processes" depth --family mlp --norm batch
sharded mlp "$stage/depth/mlp" - "$((processes > 2 ? 2 : 1))" depth --family mlp
wait
echo "depth studies: $((SECONDS - phase)) s"

# every finished run in one tar (tables and figures afterwards, without training:
# labkit study compare --out assets/compare --load; labkit study depth --out assets/depth/NAME --load)
find "$stage" -name '*.tmp' -delete
python3 - "$stage" > "$work/logs/seconds.txt" << 'PY'
import json, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.json")):
    record = json.loads(path.read_text())
    if isinstance(record, dict) and "seconds" in record:
        print(f"{record['seconds']:8.1f} s  {path.relative_to(sys.argv[1])}  on {record.get('hardware')}")
PY
cat "$work/logs/seconds.txt"
# the device tool brings back files of at most 16 MiB: the results without the weights in one tar, the
# weights (about 10 files of 1-2 MB in fp16) in parts of 15 MiB (cat reference_weights.tar.part* | tar -x)
tar -C "$work" -cf "$out/reference.tar" --exclude='*.pt' assets
rm -f "$out"/reference_weights.tar.part*
mapfile -t weights < <(cd "$work" && find assets -name '*.pt' | sort)
if ((${#weights[@]})); then
  tar -C "$work" -cf - "${weights[@]}" | split -b 15M -d - "$out/reference_weights.tar.part"
fi
tar -C "$work" -czf "$out/reference_logs.tar.gz" logs
echo "$(tar -tf "$out/reference.tar" | grep -c '\.json$') JSON files in $out/reference.tar and ${#weights[@]} weight" \
  "files in $(ls "$out"/reference_weights.tar.part* 2> /dev/null | wc -l) part(s) after $((SECONDS - started)) s"
find "$out" -maxdepth 1 -type f -size +16M -printf "TOO LARGE to come back: %p (%s bytes)\n"
