#!/usr/bin/env bash
# One GPU node of the Celery cluster (deploy/celery/dagster.yaml; README "Across machines"): a
# dagster-celery worker that takes one run at a time from Redis and runs it here, with this
# machine's GPUs. Usage: scripts/node.sh [NAME]   (NAME: the Celery worker's name, default the hostname)
#
# The node needs: this repo at the same path as on the daemon's machine, installed with the `celery`
# extra (scripts/setup.sh does); DAGSTER_HOME with deploy/celery/dagster.yaml as its dagster.yaml
# (copied there when absent); DAGSTER_PG_* and DAGSTER_CELERY_BROKER_URL / DAGSTER_CELERY_BACKEND_URL
# (the shared PostgreSQL and Redis); GLOSSAPI_INPUT_DIR / GLOSSAPI_OUTPUT_DIR on the shared
# filesystem; GLOSSAPI_DEVICES (this node's GPUs, e.g. 0,1,2,3) or GLOSSAPI_USE_GPUS=multi.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DAGSTER_HOME:?set DAGSTER_HOME (a folder of this node; deploy/celery/dagster.yaml goes there)}"
mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp deploy/celery/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
export PATH="$PWD/.venv/bin:$PATH" PYTHONPATH="$PWD/deploy/celery${PYTHONPATH:+:$PYTHONPATH}"
# --pool solo --concurrency 1: the run executes in the worker process itself, one at a time. Celery's
# default prefork pool would make it a daemonic child, which may not start the step processes of
# Dagster's multiprocess executor ("daemonic processes are not allowed to have children").
exec celery -A dagster_celery.app worker --pool solo --concurrency 1 --queues dagster \
  --hostname "${1:-$(hostname)}@%h" --loglevel INFO
