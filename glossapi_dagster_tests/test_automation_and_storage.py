"""The sensor and the schedule evaluated on a real instance, a PostgreSQL-backed materialization,
and the many-machines deploy configurations checked against dagster-k8s's and dagster-celery's own
schemas."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import yaml
from dagster import AssetKey, DagsterInstance, build_schedule_context, build_sensor_context

from glossapi_dagster.defs.extract.assets import extracted_docs
from glossapi_dagster.defs.extract.automation import missing_shards_schedule, new_documents_sensor
from glossapi_dagster.runs import materialize_extraction, materialize_manifest
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
    _recovers_lost_nodes(instance_config)


def _recovers_lost_nodes(instance_config: dict) -> None:
    """A run lost with its node is failed, its slot freed, and retried as a new run (not resumed)."""
    monitoring, retries = instance_config["run_monitoring"], instance_config["run_retries"]
    assert monitoring["enabled"] and monitoring["max_resume_run_attempts"] == 0
    assert 0 < monitoring["free_slots_after_run_end_seconds"] <= 120
    assert retries["enabled"] and retries["max_retries"] >= 1
    assert retries["retry_on_asset_or_op_failure"] is False  # a lost node is not an asset failure


def test_celery_deploy_config_loads_and_its_nodes_read_the_same_settings(tmp_path, monkeypatch):
    """deploy/celery/dagster.yaml against the installed dagster-celery, and the nodes' Celery
    settings (deploy/celery/dagster_celery_config.py) read from that same file."""
    import importlib.util

    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster_celery.launcher import CeleryRunLauncher

    config = yaml.safe_load((REPO / "deploy" / "celery" / "dagster.yaml").read_text())
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_celery.launcher", "CeleryRunLauncher")
    monkeypatch.setenv("DAGSTER_CELERY_BROKER_URL", "redis://redis-host:6379/0")
    monkeypatch.setenv("DAGSTER_CELERY_BACKEND_URL", "redis://redis-host:6379/1")
    checked = process_config(CeleryRunLauncher.config_type(), launcher["config"])
    assert checked.success, checked.errors
    instance_config, _ = dagster_instance_config(str(REPO / "deploy" / "celery"), config_filename="dagster.yaml")
    assert instance_config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    nodes = instance_config["concurrency"]["runs"]["max_concurrent_runs"]
    assert instance_config["concurrency"]["pools"]["default_limit"] == nodes  # one pool step per node
    _recovers_lost_nodes(instance_config)

    shutil.copyfile(REPO / "deploy" / "celery" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    spec = importlib.util.spec_from_file_location("dagster_celery_config",
                                                  REPO / "deploy" / "celery" / "dagster_celery_config.py")
    node = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(node)
    assert (node.broker_url, node.result_backend) == ("redis://redis-host:6379/0", "redis://redis-host:6379/1")
    # a busy node reserves no other run, and a run's message is acknowledged as it starts: never twice
    assert node.worker_disable_prefetch is True and node.worker_prefetch_multiplier == 1
    assert node.task_acks_late is False
    longest_wait = instance_config["run_monitoring"]["start_timeout_seconds"]
    assert node.broker_transport_options["visibility_timeout"] > longest_wait
    assert node.result_expires > longest_wait
