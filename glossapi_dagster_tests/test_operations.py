"""Operating it the way Dagster users do: the webserver and daemon on loopback, CLI backfills,
GraphQL (listing, metadata, terminateRun), a browser on the asset page."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import REPO, copy_pdfs
from .services import DagsterServices

SMALL = ["2305.03393v1-pg9.pdf", "code_and_formula.pdf", "multicolumn.pdf", "FEK_A_10_-_24.01.2018.pdf",
         "libreoffice-writer-password.pdf"]
BIG = ["FEK_A_5_-_17.01.2018.pdf", "GeoTopo-komprimiert.pdf", "FEK_A_79_-_30.04.2018.pdf"]
LOCATION = "glossapi_dagster"
ARTIFACTS = Path(os.environ.get("GLOSSAPI_TEST_ARTIFACTS", REPO / "test-artifacts"))


@pytest.fixture(scope="module")
def services(tmp_path_factory, corpus):
    tmp = tmp_path_factory.mktemp("ops")
    home = tmp / "home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    input_dir = copy_pdfs(corpus / "pdfs", tmp / "in", SMALL)
    # GLOSSAPI_SHARDS_PER_RUN=0: backfills in one run, as `dagster asset materialize --partition-range` needs
    env = {"GLOSSAPI_INPUT_DIR": str(input_dir), "GLOSSAPI_OUTPUT_DIR": str(tmp / "out"), "GLOSSAPI_DEVICES": "0,1",
           "GLOSSAPI_ACCEL_TYPE": "cpu", "GLOSSAPI_SHARD_SIZE": "2", "GLOSSAPI_SHARDS_PER_RUN": "0"}
    with DagsterServices(home, env, tmp / "logs") as svc:
        svc.tmp, svc.input_dir, svc.out = tmp, input_dir, tmp / "out"
        yield svc


def _materialized(svc: DagsterServices) -> list[str]:
    data = svc.graphql('{ assetNodeOrError(assetKey: {path: ["extracted_docs"]}) { ... on AssetNode { '
                       'assetMaterializations { partition } } } }')
    return sorted({m["partition"] for m in data["assetNodeOrError"]["assetMaterializations"]})


def test_cli_partition_range_then_backfill_of_every_shard(services):
    manifest = services.cli("asset", "materialize", "-m", "glossapi_dagster.definitions", "--select", "download_results",
                            "--config-json", json.dumps({"ops": {"download_results": {"config": {"shard_size": 2}}}}))
    assert manifest.returncode == 0, manifest.stderr[-3000:]
    shards = ["shard-00000", "shard-00001", "shard-00002"]
    ranged = services.cli("asset", "materialize", "-m", "glossapi_dagster.definitions", "--select", "extracted_docs",
                          "--partition-range", "shard-00000...shard-00001")
    assert ranged.returncode == 0, ranged.stderr[-3000:]
    assert _materialized(services) == shards[:2]

    backfill = services.cli("job", "backfill", "-w", "workspace.yaml", "--location", LOCATION, "-j", "extract_job",
                            "--partitions", ",".join(shards), "--noprompt")
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    services.wait_for(lambda: _materialized(services), timeout=600, what="the daemon's backfill",
                      ok=lambda done: done == shards, interval=3)
    rows = ProgressStore(OutputLayout(services.out).store_dir).read()
    assert len(rows) == 5 and set(rows["extract_status"]) == {"success", "problematic"}


def test_graphql_lists_assets_partitions_checks_schedule_sensor_and_metadata(services):
    services.wait_for(lambda: _materialized(services), timeout=600, what="materializations", ok=bool)
    data = services.graphql("""{
      assetNodes { assetKey { path } partitionKeys
        assetChecksOrError { ... on AssetChecks { checks { name } } } }
      repositoriesOrError { ... on RepositoryConnection { nodes {
        schedules { name scheduleState { status } } sensors { name sensorState { status } } } } }
      assetNodeOrError(assetKey: {path: ["extracted_docs"]}) { ... on AssetNode {
        assetMaterializations(limit: 1) { partition metadataEntries { label __typename
          ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
          ... on TableMetadataEntry { table { records } } ... on MarkdownMetadataEntry { mdStr } } } } }
    }""")
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert {"download_results", "extracted_docs"} <= set(nodes)
    assert nodes["extracted_docs"]["partitionKeys"][:3] == ["shard-00000", "shard-00001", "shard-00002"]
    checks = {c["name"] for c in nodes["extracted_docs"]["assetChecksOrError"]["checks"]}
    assert checks == {"every_document_accounted_for", "outputs_exist_and_parse", "problematic_share"}
    repo = data["repositoriesOrError"]["nodes"][0]
    assert {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} == {"missing_shards_schedule": "STOPPED"}
    # the automation that launches work is off by default; the one that fails lost runs is on
    assert {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]} == {
        "new_documents_sensor": "STOPPED", "new_link_lists_sensor": "STOPPED", "lost_runs_sensor": "RUNNING"}
    entries = {e["label"]: e for e in data["assetNodeOrError"]["assetMaterializations"][0]["metadataEntries"]}
    assert {"processed", "problematic", "skipped", "pages", "pages_per_s", "problematic_files", "worker_share"} <= set(entries)
    assert entries["pages_per_s"]["__typename"] == "FloatMetadataEntry"
    assert entries["problematic_files"]["__typename"] == "TableMetadataEntry"


def test_chromium_renders_the_asset_page(services):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is installed by scripts/system-deps.sh"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "assets-page.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={services.tmp / 'chromium'}",
             "--window-size=1400,900", "--virtual-time-budget=20000"]
    url = f"{services.url}/assets"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", url], capture_output=True, timeout=180)
    dom = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=180).stdout
    (ARTIFACTS / "assets-page.html").write_text(dom)
    assert shot.exists() and shot.stat().st_size > 10_000
    assert "extracted_docs" in dom and "download_results" in dom


def _workers(home: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "glossapi_dagster.pool.worker_main" in " ".join(proc.info["cmdline"] or []) \
                    and proc.environ().get("DAGSTER_HOME") == str(home):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


LAUNCH = """mutation($tags: [ExecutionTag!]) { launchRun(executionParams: {
  selector: {repositoryLocationName: "glossapi_dagster", repositoryName: "__repository__", jobName: "extract_job"},
  executionMetadata: {tags: $tags} }) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


def _run_status(svc, run_id):
    return svc.graphql('query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }',
                       {"id": run_id})["runOrError"]["status"]


def test_terminate_through_graphql_leaves_no_worker_and_the_rerun_resumes(services, corpus):
    services.wait_for(lambda: _materialized(services), timeout=900, what="earlier runs", ok=lambda d: len(d) >= 3)
    copy_pdfs(corpus / "pdfs", services.input_dir, BIG)
    services.cli("asset", "materialize", "-m", "glossapi_dagster.definitions", "--select", "download_results",
                 "--config-json", json.dumps({"ops": {"download_results": {"config": {"shard_size": 10}}}}))
    shard = "shard-00003"
    tags = [{"key": "dagster/partition", "value": shard}]
    launched = services.graphql(LAUNCH, {"tags": tags})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    services.wait_for(lambda: _workers(services.home), timeout=300, what="workers", ok=lambda w: len(w) >= 2)
    time.sleep(3)  # let them take documents
    workers = _workers(services.home)
    result = services.graphql('mutation($id: String!) { terminateRun(runId: $id) { __typename } }', {"id": run_id})
    assert result["terminateRun"]["__typename"] == "TerminateRunSuccess", result
    stopped = time.monotonic()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers alive {time.monotonic() - stopped:.1f}s after terminateRun: {alive}"
    assert not _workers(services.home)
    services.wait_for(lambda: _run_status(services, run_id), timeout=60, what="run canceled",
                      ok=lambda s: s in ("CANCELED", "FAILURE"))
    store = ProgressStore(OutputLayout(services.out).store_dir)
    before = store.read()  # readable right after the termination
    assert len(before) == 8

    rerun = services.graphql(LAUNCH, {"tags": tags})["launchRun"]
    assert rerun["__typename"] == "LaunchRunSuccess", rerun
    services.wait_for(lambda: _run_status(services, rerun["run"]["runId"]), timeout=900, what="rerun",
                      ok=lambda s: s in ("SUCCESS", "FAILURE", "CANCELED"), interval=3)
    assert _run_status(services, rerun["run"]["runId"]) == "SUCCESS"
    rows = store.read().set_index("stem")
    for name in BIG:
        assert rows.loc[Path(name).stem, "extract_status"] == "success"
