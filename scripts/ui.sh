#!/usr/bin/env bash
# Opens the Dagster UI (dagster dev) on the instance in .dagster_home/, at http://127.0.0.1:3000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/instance.sh
exec .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${PORT:-3000}"
