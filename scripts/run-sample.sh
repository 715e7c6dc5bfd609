#!/usr/bin/env bash
# Installs everything, then runs the main job (manifest, extraction, math enrichment) on the bundled
# sample corpus with an embedded SQLite Dagster instance in .dagster_home/. Extra arguments go to the
# runner (e.g. --devices 0,1 --accel-type cpu, --input-dir/--output-dir, --math-engine textlayer).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/instance.sh
# --use-gpus multi: the sample shows the pool on every GPU found (the options default to one, as GlossAPI)
exec .venv/bin/python -m glossapi_dagster.run_sample --use-gpus multi "$@"
