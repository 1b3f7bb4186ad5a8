#!/usr/bin/env bash
# The GPU part of issue 15: every notebook at the gpu run size on one GPU, timed, in one call that stops by itself.
#
#   usage: benchmarks/notebooks_gpu.sh OUT SECONDS [AT_ONCE]
#   e.g.   benchmarks/notebooks_gpu.sh "$OUT" 520 3                     (on the H200, gpu size)
#          SIZE=smoke benchmarks/notebooks_gpu.sh /tmp/nbgpu 300 2     (a dry run on a CPU)
#
# AT_ONCE notebooks run at the same time, each in its own kernel (they share the GPU, so each time is an
# upper bound of the notebook alone; every row records AT_ONCE). The notebooks are shared out longest first,
# by their cpu-size times. It resumes: a notebook already timed at this size without an error, in
# benchmarks/results/notebook_times_<size>.json or in WORK (default /tmp/labkit_notebooks_<size>, kept while
# the GPU machine stays warm), is not run again. It stops by itself before SECONDS: no cell may run past the
# deadline (nbclient's per-cell timeout); a notebook cut off there is abandoned, not recorded.
#
# OUT receives three files (the device tool brings back at most 8):
#   notebooks_<size>.tar      laid out like the repository, for `tar -xf` in the checkout (then
#                             `python benchmarks/readme_tables.py`):
#                               benchmarks/results/notebook_times_<size>.json   merged with the committed one
#                               benchmarks/results/notebooks_<size>/NN_name.txt what each notebook printed
#   executed_<size>.tar.gz    the executed notebooks with their figures, to read
#   logs_<size>.tar.gz
#
# On the GPU machine first: the wheels of `benchmarks/gpu_wheels.sh labkit notebooks` installed into
# /tmp/site (PYTHONPATH), and LABKIT_DATA pointing at the datasets (../shared/tools/README.md).
set -uo pipefail
out=${1:?usage: notebooks_gpu.sh OUT SECONDS [AT_ONCE]}
seconds=${2:?usage: notebooks_gpu.sh OUT SECONDS [AT_ONCE]}
at_once=${3:-3}
size=${SIZE:-gpu}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/tmp/labkit_notebooks_$size}
export PYTHONPATH=$repo${PYTHONPATH:+:$PYTHONPATH}  # the kernels import labkit from this checkout
export LABKIT_RUNS=$work/runs  # notebook 05 saves its studies here: emptied, so every timed run trains afresh
rm -rf "$LABKIT_RUNS" "$work/stage"
mkdir -p "$out" "$work/logs" "$work/executed"
margin=$((seconds / 20 > 10 ? seconds / 20 : 10))  # for the merge, the tars and the kernels' shutdown
deadline=$((SECONDS + seconds - margin))
started=$SECONDS
call=$(date +%s)  # names this call's logs: a second call on the same machine adds its own
echo "notebooks_gpu.sh: size $size, $at_once at once, stops within $seconds s; work in $work"

# the notebooks still to run, shared out into AT_ONCE lists, longest (at cpu size) first
mapfile -t lists < <(python3 - "$repo" "$size" "$at_once" "$work" << 'PY'
import json, sys
from pathlib import Path
repo, size, workers, work = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
def rows(*files):
    return {r["notebook"]: r for path in files if path.exists() for r in json.loads(path.read_text())["notebooks"]}
results = repo / "benchmarks" / "results"
timed = rows(results / f"notebook_times_{size}.json", *sorted(work.glob("logs/times_*.json")))
done = {name for name, row in timed.items() if row["error"] is None}
estimate = {name: row["seconds"] for name, row in rows(results / "notebook_times_cpu.json").items()}
todo = sorted((p.name for p in (repo / "notebooks").glob("[0-9][0-9]_*.ipynb") if p.name not in done),
              key=lambda name: -estimate.get(name, 60))
shares, load = [[] for _ in range(workers)], [0.0] * workers
for name in todo:  # longest first, each to the least loaded worker
    i = load.index(min(load))
    shares[i].append(name[:2])
    load[i] += estimate.get(name, 60)
for share in shares:
    if share:
        print(" ".join(share))
PY
)
((${#lists[@]})) || echo "nothing to run: every notebook is timed at $size size already (or the listing failed above)"

pids=()
stop_at=$(($(date +%s) + deadline - SECONDS))  # the deadline as a Unix time: no cell runs past it
for i in "${!lists[@]}"; do
  echo "worker $i: ${lists[$i]}"
  # shellcheck disable=SC2086  # the list is meant to split into notebook numbers
  # a worker stops itself at the deadline; one that hangs gets Ctrl-C (its kernels shut down), then KILL
  timeout --signal=INT --kill-after=$((margin / 4)) $((deadline - SECONDS + margin / 4)) \
    python3 "$repo/benchmarks/notebook_times.py" --size "$size" --only ${lists[$i]} --executed "$work/executed" \
    --out "$work/logs/times_${call}_$i.json" --at-once "${#lists[@]}" --deadline "$stop_at" \
    > "$work/logs/worker_${call}_$i.log" 2>&1 &
  pids+=($!)
done
status=0  # 1: a notebook failed; 3: one was stopped at the deadline (run again to go on); else the worker's own
for pid in "${pids[@]}"; do
  wait "$pid"
  code=$?
  ((code == 1 || status == 0)) && ((code != 0)) && status=$code
done
cat "$work"/logs/worker_"${call}"_*.log 2> /dev/null | grep -E "size \.\.\.|  [0-9.]+ s|deadline" || true

# the workers' times merged into the committed file; the transcripts beside it
python3 - "$repo" "$size" "$work" << 'PY'
import json, shutil, sys
from pathlib import Path
repo, size, work = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
committed = repo / "benchmarks" / "results" / f"notebook_times_{size}.json"
stage = work / "stage" / "benchmarks" / "results"
(stage / f"notebooks_{size}").mkdir(parents=True, exist_ok=True)
rows = {r["notebook"]: r for r in json.loads(committed.read_text())["notebooks"]} if committed.exists() else {}
for part in sorted((work / "logs").glob("times_*.json")):
    for row in json.loads(part.read_text())["notebooks"]:
        rows[row["notebook"]] = row
        text = work / "executed" / Path(row["notebook"]).with_suffix(".txt")
        if text.exists():
            shutil.copy(text, stage / f"notebooks_{size}" / text.name)
(stage / committed.name).write_text(json.dumps({"size": size, "notebooks": sorted(rows.values(),
                                    key=lambda r: r["notebook"])}, indent=2) + "\n")
for row in sorted(rows.values(), key=lambda r: r["notebook"]):
    print(f"{row['notebook']:40s} {row['seconds']:7.1f} s  {row['error'] or 'ok'}  ({row.get('at_once', 1)} at once)")
PY
tar -C "$work/stage" -cf "$out/notebooks_$size.tar" benchmarks
tar -C "$work" -czf "$out/executed_$size.tar.gz" executed
tar -C "$work" -czf "$out/logs_$size.tar.gz" logs
echo "$(tar -tf "$out/notebooks_$size.tar" | grep -c '\.txt$') transcripts in $out/notebooks_$size.tar after $((SECONDS - started)) s"
exit "$status"
