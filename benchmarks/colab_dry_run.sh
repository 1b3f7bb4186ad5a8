#!/usr/bin/env bash
# A Colab runtime imitated on this machine: does a notebook's first cell install labkit and run the notebook?
#
#   usage: benchmarks/colab_dry_run.sh [NN ...]        (default: 00 01)
#
# A fresh venv holds what Colab brings (torch, torchvision, a Jupyter kernel) and no labkit. The notebooks'
# setup cell (labkit/colab.py) is pointed at this checkout's committed branch instead of GitHub and at a
# folder under /tmp instead of /content; then each notebook runs at smoke size with COLAB_RELEASE_TAG set,
# on the offline data (LABKIT_DATA; Colab would download it). The first notebook clones and installs, the
# others find the clone. Prints each notebook's seconds; the executed copies stay in /tmp/labkit_colab/nb.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=/tmp/labkit_colab
data=${LABKIT_DATA:-$repo/../shared/data}
rm -rf "$work" && mkdir -p "$work/nb"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q torch==2.14.1 torchvision==0.29.1 ipykernel nbconvert 2>&1 | grep -v "is ignored" || true
(cd "$work" && "$work/venv/bin/python" -c "import importlib.util as u; assert u.find_spec('labkit') is None; print('no labkit yet')")
branch=$(git -C "$repo" rev-parse --abbrev-ref HEAD)
python3 - "$repo" "$work" "$branch" "${@:-00 01}" << 'PY'
import json, sys
repo, work, branch, *wanted = sys.argv[1:]
sys.path.insert(0, repo)
from pathlib import Path
from labkit import colab
source = colab.setup_source(repository=Path(repo).as_uri(), branch=branch, clone=f"{work}/content/labkit")
for prefix in " ".join(wanted).split():
    for path in sorted(Path(repo, "notebooks").glob(f"{prefix}*.ipynb")):
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            if cell.get("id") == colab.CELL_ID:
                cell["source"] = source
        Path(work, "nb", path.name).write_text(json.dumps(notebook))
PY
cd "$work/nb"
for notebook in [0-9][0-9]_*.ipynb; do
  started=$SECONDS
  COLAB_RELEASE_TAG=dry-run LABKIT_SIZE=smoke LABKIT_DATA=$data LABKIT_DOWNLOAD=0 "$work/venv/bin/jupyter" nbconvert \
    --to notebook --execute "$notebook" --inplace --ExecutePreprocessor.timeout=900 2> "$notebook.log"
  echo "$notebook: ran on the imitated Colab in $((SECONDS - started)) s"
done
(cd "$work" && "$work/venv/bin/python" -c "import labkit; print('labkit installed at', labkit.__file__)")
