"""A node's Celery settings, read from the run launcher's block of $DAGSTER_HOME/dagster.yaml
(deploy/celery/dagster.yaml), so the daemon that sends runs and the nodes that take them cannot
disagree on the broker or on how a run's message is taken.

dagster-celery's worker app (`celery -A dagster_celery.app worker`) imports the module of this
name when it is on the path: scripts/node.sh puts this folder there.
"""
import os as _os  # private names: Celery takes this module's public names as its settings
from pathlib import Path as _Path

import yaml as _yaml


def _value(value):
    """A StringSource as Dagster reads it: a value, or {env: NAME}."""
    if isinstance(value, dict) and set(value) == {"env"}:
        name = value["env"]
        if not _os.environ.get(name):
            raise RuntimeError(f"{name} is not set; the node needs it to reach the broker")
        return _os.environ[name]
    return value


_home = _Path(_os.environ.get("DAGSTER_HOME", "")) / "dagster.yaml"
_launcher = (_yaml.safe_load(_home.read_text(encoding="utf-8")) or {}).get("run_launcher") or {}
if _launcher.get("class") != "CeleryRunLauncher":
    raise RuntimeError(f"{_home} does not launch runs with dagster-celery's CeleryRunLauncher: "
                       "copy deploy/celery/dagster.yaml there")
_config = _launcher.get("config") or {}
broker_url = _value(_config["broker"])
result_backend = _value(_config.get("backend", "rpc://"))
globals().update(_config.get("config_source") or {})
