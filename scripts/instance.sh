# Sourced by run-sample.sh and ui.sh: installs, then points DAGSTER_HOME at the repo's embedded
# SQLite instance (.dagster_home/, unless DAGSTER_HOME is set) with deploy/dagster.yaml in it.
bash scripts/setup.sh
export DAGSTER_HOME=${DAGSTER_HOME:-$PWD/.dagster_home}
mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
