#!/usr/bin/env bash
# The Python packages a GPU command needs and the GPU machine lacks, as wheels in .whl/ (git ignores it).
#
#   usage: benchmarks/gpu_wheels.sh GROUP...      groups: labkit, notebooks, airbench
#     labkit     what labkit imports beyond the machine's image: pydantic (every option is checked) and torchinfo
#     notebooks  a Jupyter kernel and nbclient, to execute notebooks (benchmarks/notebooks_gpu.sh)
#     airbench   airbench 0.1.8, the reference of benchmarks/speed.py --airbench
#
# The machine's image (Python 3.12) already has torch, pandas, matplotlib, seaborn, tqdm, pyyaml, tensorboard,
# packaging, psutil, pygments and more (the device tool's KINDS.md lists them): those are not carried, nor what
# a kernel can do without there (jedi's completion, debugpy, the widgets' browser parts). On the GPU machine,
# before the command:
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
#     .whl/*.whl && export PYTHONPATH=/tmp/site
# and carry ".whl" in the device call (it counts towards the call's 64 MiB with the working tree and a data part).
set -euo pipefail
(($#)) || { echo "usage: benchmarks/gpu_wheels.sh labkit|notebooks|airbench ..." >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
wanted=() sdists=()
for group in "$@"; do
  case $group in
    labkit) wanted+=(pydantic torchinfo) ;;
    notebooks) wanted+=(nbclient nbformat ipykernel ipywidgets) ;;
    airbench) sdists+=(airbench==0.1.8) ;;  # on PyPI as a source archive only: built here into a pure-Python wheel
    *) echo "unknown group '$group'; use labkit, notebooks or airbench" >&2; exit 2 ;;
  esac
done
# on the GPU machine already, or not needed to execute a notebook there (normalised names)
skip_list="attrs packaging psutil pygments python-dateutil six typing-extensions pyyaml jinja2 markupsafe tzdata
  numpy pandas matplotlib seaborn tqdm tensorboard torch torchvision triton pillow filelock fsspec sympy networkx
  mpmath setuptools jedi parso debugpy widgetsnbextension jupyterlab-widgets"
skip=" $(echo $skip_list) "
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
quiet() { grep -v "is ignored" || true; }  # this machine's pip warns about missing local mirrors
if ((${#sdists[@]})); then
  python3 -m pip wheel -q --no-deps -w "$scratch" "${sdists[@]}" 2>&1 | quiet
  ((PIPESTATUS[0] == 0)) || { echo "pip wheel failed: ${sdists[*]}" >&2; exit 1; }
fi
((${#wanted[@]})) && python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d "$scratch" "${wanted[@]}" 2>&1 | quiet
((${#wanted[@]} == 0 || PIPESTATUS[0] == 0)) || { echo "pip download failed: ${wanted[*]}" >&2; exit 1; }
mkdir -p "$repo/.whl"
for wheel in "$scratch"/*.whl; do
  name=$(basename "$wheel" | cut -d- -f1 | tr '_A-Z' '-a-z')
  if [[ $skip == *" $name "* ]]; then continue; fi
  rm -f "$repo/.whl/$(basename "$wheel" | cut -d- -f1)"-*.whl  # one version of each: two stop the install there
  mv "$wheel" "$repo/.whl/"
done
ls "$repo/.whl"
du -sh "$repo/.whl"
