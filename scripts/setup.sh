#!/usr/bin/env bash
# Creates .venv inside the repo and installs the project with its pinned dependencies.
# Idempotent: skips pip when pyproject.toml and constraints.txt have not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.glossapi-install-stamp
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # every extra: the tests cover RapidOCR on onnxruntime-gpu, a PostgreSQL instance, the k8s launcher's config
  # and two Celery nodes on Redis
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev,gpu,postgres,k8s,celery]'
  echo "$want" > "$stamp"
fi
# System packages (Tesseract's Greek data, ...): installed when root, else one line saying what to run.
bash scripts/system-deps.sh || echo "setup: the Python side is installed; the system packages above are still missing" >&2
