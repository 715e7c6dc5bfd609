"""The sensor and the schedule evaluated on a real instance, a PostgreSQL-backed materialization,
and the many-machines deploy configuration checked against dagster-k8s's own schema."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import yaml
from dagster import AssetKey, DagsterInstance, build_schedule_context, build_sensor_context

from glossapi_dagster.defs.assets import extracted_docs
from glossapi_dagster.defs.automation import missing_shards_schedule, new_documents_sensor
from glossapi_dagster.defs.materialize import materialize_extraction, materialize_manifest
from glossapi_dagster.defs.resources import CorpusResource
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import REPO, copy_pdfs, resources
from .services import PostgresServer

NOW = datetime.now(timezone.utc)


def test_sensor_registers_new_shards_and_requests_their_runs(tmp_path, corpus, instance, monkeypatch):
    monkeypatch.setenv("GLOSSAPI_SHARD_SIZE", "2")
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["multicolumn.pdf", "code_and_formula.pdf", "ocr_test.pdf"])
    corpus_res = CorpusResource(input_dir=str(input_dir), output_dir=str(tmp_path / "out"))
    with build_sensor_context(instance=instance, resources={"corpus": corpus_res}) as ctx:
        result = new_documents_sensor(ctx)
    assert sorted(r.partition_key for r in result.run_requests) == ["shard-00000", "shard-00001"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["shard-00000", "shard-00001"]
    assert result.asset_events[0].asset_key == AssetKey("download_results")
    assert len(ProgressStore(OutputLayout(tmp_path / "out").store_dir).read()) == 3

    with build_sensor_context(instance=instance, resources={"corpus": corpus_res}) as ctx:
        assert type(new_documents_sensor(ctx)).__name__ == "SkipReason"  # nothing new
    copy_pdfs(corpus / "pdfs", input_dir, ["2305.03393v1-pg9.pdf"])
    with build_sensor_context(instance=instance, resources={"corpus": corpus_res}) as ctx:
        again = new_documents_sensor(ctx)
    assert [r.partition_key for r in again.run_requests] == ["shard-00002"]


def test_schedule_requests_missing_and_unfinished_shards(tmp_path, corpus, instance):
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["multicolumn.pdf", "code_and_formula.pdf"])
    res = resources(input_dir, tmp_path / "out")
    assert materialize_manifest(instance, res, shard_size=1).success
    assert materialize_extraction(instance, res, partition_keys=["shard-00000"], phase1_backend="docling").success
    with build_schedule_context(instance=instance, resources={"corpus": res["corpus"]}, scheduled_execution_time=NOW) as ctx:
        requests = missing_shards_schedule(ctx)
    assert [r.partition_key for r in requests] == ["shard-00001"]  # never materialized

    assert materialize_extraction(instance, res, partition_keys=["shard-00001"], phase1_backend="docling").success
    with build_schedule_context(instance=instance, resources={"corpus": res["corpus"]}, scheduled_execution_time=NOW) as ctx:
        assert type(missing_shards_schedule(ctx)).__name__ == "SkipReason"  # all done
    # a document of a materialized shard is left to do (e.g. skipped when no device was left)
    ProgressStore(OutputLayout(tmp_path / "out").store_dir).upsert(
        [{"stem": "multicolumn", "extract_status": "skipped", "extract_error": "no device left"}])
    with build_schedule_context(instance=instance, resources={"corpus": res["corpus"]}, scheduled_execution_time=NOW) as ctx:
        assert [r.partition_key for r in missing_shards_schedule(ctx)] == ["shard-00001"]


def test_materialization_on_a_real_postgresql_instance(tmp_path, corpus, monkeypatch):
    with PostgresServer(tmp_path / "pg") as pg:
        for key, value in pg.env().items():
            monkeypatch.setenv(key, value)
        home = tmp_path / "home"
        home.mkdir()
        shutil.copyfile(REPO / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["multicolumn.pdf", "empty.pdf"])
        res = resources(input_dir, tmp_path / "out")
        with DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert materialize_manifest(instance, res).success
            assert materialize_extraction(instance, res, phase1_backend="docling").success
            assert instance.get_dynamic_partitions("shards") == ["shard-00000"]
            event = instance.get_latest_materialization_event(extracted_docs.key)
            assert event.asset_materialization.metadata["processed"].value == 1
            assert event.asset_materialization.metadata["problematic"].value == 1
            assert {r.job_name for r in instance.get_runs()} == {"manifest_job", "extract_job"}
        # the runs are in the database, not in DAGSTER_HOME's files
        assert not list(home.rglob("*.db"))


def test_k8s_deploy_config_validates_against_dagster_k8s():
    from dagster._config import process_config
    from dagster_k8s import K8sRunLauncher

    config = yaml.safe_load((REPO / "deploy" / "k8s" / "dagster.yaml").read_text())
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    checked = process_config(K8sRunLauncher.config_type(), launcher["config"])
    assert checked.success, checked.errors
    limits = launcher["config"]["run_k8s_config"]["container_config"]["resources"]["limits"]
    assert int(limits["nvidia.com/gpu"]) >= 1
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["runs"]["tag_concurrency_limits"][0]["limit"] == 1
    # the run launcher and coordinator load as a real instance would load them
    from dagster._core.instance.config import dagster_instance_config

    home = Path(REPO / "deploy" / "k8s")
    instance_config, _ = dagster_instance_config(str(home), config_filename="dagster.yaml")
    assert instance_config["run_launcher"]["class"] == "K8sRunLauncher"
