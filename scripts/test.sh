#!/usr/bin/env bash
# Installs everything, then runs the whole test suite (real Dagster instances, worker processes, PDFs).
# The test corpus is read from GLOSSAPI_TEST_CORPUS (default: ../shared/corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/system-deps.sh
.venv/bin/ruff check .  # the linter first: an undefined name fails here, not in a worker
exec .venv/bin/python -m pytest "$@"
