"""Launch an asset backfill of a pool asset over shards: the kind a Celery or Kubernetes cluster
spreads over its nodes, one run per GLOSSAPI_SHARDS_PER_RUN shards, and whose runs `run_retries`
retries when a node is lost (README "Across machines"). The UI's Materialize → Launch backfill
does the same; `dagster job backfill` does not (its runs are not retried once the backfill has
submitted them all, and it ignores the asset's backfill policy).

    .venv/bin/python scripts/backfill.py --all                        # every shard of extracted_docs
    .venv/bin/python scripts/backfill.py --asset math_enriched --shards shard-00000,shard-00001
    .venv/bin/python scripts/backfill.py --all --config run.yaml --url http://webserver:3000

Without --url it goes through `dagster-graphql -w workspace.yaml` on this machine's instance
($DAGSTER_HOME). Prints the backfill's id.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}"""


def launch(asset: str, shards: list[str] | None, run_config: dict | None = None, url: str | None = None,
           env: dict | None = None) -> str:
    """The backfill's id; shards None means every shard."""
    params = {"assetSelection": [{"path": [asset]}]}
    params.update({"allPartitions": True} if shards is None else {"partitionNames": shards})
    if run_config:
        params["runConfigData"] = run_config
    where = ["--remote", url] if url else ["-w", str(REPO / "workspace.yaml")]
    done = subprocess.run([str(Path(sys.executable).parent / "dagster-graphql"), *where, "-t", LAUNCH,
                           "-v", json.dumps({"params": params})], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    try:
        reply, _ = json.JSONDecoder().raw_decode(done.stdout[done.stdout.rindex('{"data"'):])  # logs around it
        result = reply["data"]["launchPartitionBackfill"]
    except (ValueError, KeyError, TypeError):
        raise RuntimeError(f"backfill not launched: {done.stdout[-2000:]}{done.stderr[-2000:]}") from None
    if result["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"backfill not launched: {result.get('message') or result['__typename']}")
    return result["backfillId"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--asset", default="extracted_docs", help="extracted_docs, ocr_docs or math_enriched")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--shards", help="comma-separated shards (partitions), e.g. shard-00000,shard-00001")
    which.add_argument("--all", action="store_true", help="every registered shard")
    parser.add_argument("--config", help="a run config YAML file (e.g. ops: extracted_docs: config: ...)")
    parser.add_argument("--url", help="a webserver to submit through, e.g. http://webserver:3000")
    args = parser.parse_args(argv)
    shards = None if args.all else [s.strip() for s in args.shards.split(",") if s.strip()]
    config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) if args.config else None
    try:
        print(launch(args.asset, shards, config, args.url))
    except RuntimeError as exc:
        print(f"backfill: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
