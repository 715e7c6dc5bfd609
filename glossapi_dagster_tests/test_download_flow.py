"""GlossAPI's flow from a list of links to a dataset, unchanged but for the import, on real Dagster
runs and real servers on loopback: every record carries its URL and licence; the CLI's download
and status; the sensor on new link lists."""
from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import zstandard
from dagster import DagsterInstance, SensorResult, SkipReason, build_sensor_context

from glossapi_dagster.defs.resources import CorpusResource
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import BIN, BUNDLED
from .http_server import ScriptedServer, serve, status

# born-digital PDFs of the test corpus (no OCR needed), each with its licence as SOURCES.tsv gives it
DOCS = {"multicolumn.pdf": "CC-BY-4.0", "code_and_formula.pdf": None, "typologio_mas026.pdf": "CC-BY-SA-4.0"}


def _records(files) -> list[dict]:
    out = []
    for f in files:
        with open(f, "rb") as fh:
            text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
            out += [json.loads(line) for line in text]
    return out


def test_glossapi_flow_from_links_to_a_dataset_keeps_each_documents_url_and_licence(tmp_path, monkeypatch,
                                                                                 dagster_home):
    routes = {f"/έγγραφα/{name}": serve((BUNDLED / "pdfs" / name).read_bytes()) for name in DOCS}
    routes["/gone.pdf"] = status(404)
    os.chdir(tmp_path)
    (tmp_path / "IN").mkdir()
    with ScriptedServer("127.0.25.40", routes) as s:
        links = [s.url(p) for p in routes]
        pd.DataFrame({"url": links, "licence": [*DOCS.values(), "CC0"],
                      "title": ["Πολλές στήλες", "Code and formula", "Τυπολόγιο", "gone"],
                      "collection": "test-corpus"}).to_parquet("IN/links.parquet")

        from glossapi_dagster import Corpus
        c = Corpus('IN', 'OUT')
        c.download(url_column='url')
        c.extract()  # accel_type 'auto': CPU workers on a machine without a GPU, said in one line
        c.clean()
        c.jsonl_sharded('export/')
        first = len(s.requests())
        Corpus('IN', 'OUT').download(url_column='url')  # a rerun: nothing left but the 404, tried again
        assert [r.path for r in s.requests()[first:]] == ["/robots.txt", "/gone.pdf"]  # robots.txt: once a run

    records = _records(sorted(Path("export").glob("train-*.jsonl.zst")))
    by_url = {r["url"]: r for r in records}
    assert set(by_url) == set(links[:3])
    for url, r in by_url.items():
        name = url.rsplit("/", 1)[1]
        assert r["licence"] == DOCS[name] and r["collection"] == "test-corpus" and r["link_list"] == "links.parquet"
        assert r["document"].strip() and r["base_domain"] == s.origin
    assert by_url[links[0]]["title"] == "Πολλές στήλες"

    rows = {r["url"]: r for r in ProgressStore(OutputLayout("OUT").store_dir).read().to_dict("records")}
    assert rows[links[3]]["download_status"] == "retry" and rows[links[3]]["download_error"] == "HTTP 404 Not Found"
    assert rows[links[3]]["download_retry_count"] == 2
    with DagsterInstance.get() as instance:
        jobs = [r.job_name for r in instance.get_runs()]
        assert {"link_list_job", "download_job", "manifest_job", "extract_job", "clean_job", "export_job"} <= set(jobs)
        checks = [instance.event_log_storage.get_latest_asset_check_execution_by_key([key]).get(key)
                  for key in _check_keys("downloaded_files")]
        assert all(c is not None and c.status.value == "SUCCEEDED" for c in checks), checks

    # parquet shards carry the list's columns too, and the card counts licences and hosts
    c.parquet_sharded("hf/")
    table = pq.read_table(sorted(Path("hf").glob("*.parquet"))[0]).to_pylist()
    assert {r["url"]: r["licence"] for r in table} == {u: DOCS[u.rsplit("/", 1)[1]] for u in links[:3]}
    card = Path("hf/README.md").read_text(encoding="utf-8")
    assert "| licence column of the link list | `licence` |" in card
    assert "| documents per licence | CC-BY-4.0: 1, CC-BY-SA-4.0: 1 |" in card
    assert f"| documents per source host | {s.origin}: 3 |" in card
    assert f"| documents without a licence recorded | 1: {rows[links[1]]['filename']} |" in card
    assert "download_retry: 1" in card  # the 404 is left out, and says why

    # GlossAPI's joins: an external metadata table by filename, and required source fields under a key
    extra = pd.DataFrame({"filename": [rows[u]["filename"] for u in links[:3]], "subject": ["a", "b", "c"],
                          "publisher": ["Π1", "NA", "Π3"]})
    extra.to_parquet("extra.parquet")
    out = c.jsonl("joined.jsonl", metadata_path="extra.parquet", source_metadata_key="source",
                  source_metadata_fields=["publisher"], source_metadata_path="extra.parquet")
    joined = {json.loads(line)["url"]: json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()}
    assert [joined[u]["subject"] for u in links[:3]] == ["a", "b", "c"]
    assert [joined[u]["source"] for u in links[:3]] == [{"publisher": "Π1"}, {"publisher": "NA"}, {"publisher": "Π3"}]
    extra.assign(publisher=["Π1", None, "Π3"]).to_parquet("extra.parquet")
    with pytest.raises(Exception, match="Source metadata field 'publisher' has no value"):
        c.jsonl("joined.jsonl", source_metadata_key="source", source_metadata_fields=["publisher"],
                source_metadata_path="extra.parquet")
    with pytest.raises(ValueError, match="source_metadata_path must be provided when source_metadata_key is set"):
        c.jsonl("joined.jsonl", source_metadata_key="source", source_metadata_fields=["publisher"])


def _check_keys(asset: str):
    from dagster import AssetCheckKey, AssetKey

    return [AssetCheckKey(AssetKey(asset), name) for name in ("every_link_accounted_for",
                                                               "downloaded_files_match_their_rows")]


def test_cli_download_shows_progress_then_status_counts_the_links(tmp_path, dagster_home):
    routes = {f"/d{i}.pdf": serve((BUNDLED / "pdfs" / name).read_bytes()) for i, name in enumerate(DOCS)}
    (tmp_path / "IN").mkdir()
    with ScriptedServer("127.0.25.41", routes) as s:
        pd.DataFrame({"link": [json.dumps([s.url(p) for p in routes])] + ["ftp://old.example.org/x.pdf"],
                      "rights": ["CC0", "unknown"]}).to_csv(tmp_path / "IN" / "links.csv", index=False)
        done = subprocess.run([str(BIN / "glossapi-dagster"), "download", str(tmp_path / "IN"), str(tmp_path / "OUT"),
                               "--url-column", "link", "--per-host-rate", "none", "--supported-formats", "pdf"],
                              capture_output=True, text=True, timeout=600, env={**os.environ})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "download: 3 downloaded, 1 failed of 4 links" in done.stdout  # ftp: never to be fetched
    assert "download: 100%" in done.stderr and "3/3" in done.stderr  # the bar: links fetched, MB, rate, failures
    status_run = subprocess.run([str(BIN / "glossapi-dagster"), "status", str(tmp_path / "OUT"), "--json"],
                                capture_output=True, text=True, timeout=300)
    assert json.loads(status_run.stdout)["download"] == {"downloaded": 3, "failed": 1}
    rows = ProgressStore(OutputLayout(tmp_path / "OUT").store_dir).read()
    assert set(rows["rights"]) == {"CC0", "unknown"} and set(rows["link"].str.startswith(("[", "ftp"))) == {True}
    # a list without a URL column: one line, no run, no traceback
    (tmp_path / "IN2").mkdir()
    pd.DataFrame({"address": ["x"]}).to_parquet(tmp_path / "IN2" / "links.parquet")
    bad = subprocess.run([str(BIN / "glossapi-dagster"), "download", str(tmp_path / "IN2"), str(tmp_path / "OUT2")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "glossapi-dagster: error: URL column 'url' not found, and no column is named like url, link or uri; " \
           "the columns are: address" in bad.stderr


def test_a_new_link_list_in_in_is_registered_and_its_shards_requested(tmp_path, instance):
    from glossapi_dagster.defs.download.sensors import new_link_lists_sensor

    inp, out = tmp_path / "IN", tmp_path / "OUT"
    inp.mkdir()
    corpus = CorpusResource(input_dir=str(inp), output_dir=str(out))
    context = build_sensor_context(instance=instance, resources={"corpus": corpus})
    assert isinstance(new_link_lists_sensor(context), SkipReason)
    pd.DataFrame({"url": [f"http://127.0.25.42/{i}.pdf" for i in range(3)]}).to_json(inp / "a.jsonl", orient="records",
                                                                                     lines=True)
    result = new_link_lists_sensor(context)
    assert isinstance(result, SensorResult)
    assert [r.partition_key for r in result.run_requests] == ["shard-00000"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["shard-00000"]
    context = build_sensor_context(instance=instance, resources={"corpus": corpus}, cursor=context.cursor)
    assert isinstance(new_link_lists_sensor(context), SkipReason)  # unchanged: nothing new
    pd.DataFrame({"url": [f"http://127.0.25.42/{i}.pdf" for i in range(5)]}).to_json(inp / "a.jsonl", orient="records",
                                                                                     lines=True)
    result = new_link_lists_sensor(build_sensor_context(instance=instance, resources={"corpus": corpus},
                                                        cursor=context.cursor))
    assert [r.partition_key for r in result.run_requests] == ["shard-00001"]  # only the two links added
    rows = ProgressStore(OutputLayout(out).store_dir).read()
    assert sorted(rows.groupby("shard").size().tolist()) == [2, 3]


def test_the_checks_catch_a_file_changed_or_gone_after_its_download(tmp_path, instance):
    from dagster import AssetSelection, Definitions, define_asset_job

    from glossapi_dagster.defs.download.assets import downloaded_files, link_list
    from glossapi_dagster.defs.download.checks import DOWNLOAD_CHECKS
    from glossapi_dagster.runs import materialize_download, materialize_link_list

    names = list(DOCS)
    routes = {f"/{n}": serve((BUNDLED / "pdfs" / n).read_bytes()) for n in names}
    (tmp_path / "IN").mkdir()
    resources = {"corpus": CorpusResource(input_dir=str(tmp_path / "IN"), output_dir=str(tmp_path / "OUT"))}
    with ScriptedServer("127.0.25.43", routes) as s:
        pd.DataFrame({"url": [s.url(p) for p in routes]}).to_parquet(tmp_path / "IN" / "links.parquet")
        assert materialize_link_list(instance, resources).success
        run = materialize_download(instance, resources, per_host_rate=None)
    assert run.success and all(e.passed for e in run.get_asset_check_evaluations())
    rows = ProgressStore(OutputLayout(tmp_path / "OUT").store_dir).read().set_index("url")
    changed, gone = Path(rows.loc[s.url(f"/{names[0]}"), "path"]), Path(rows.loc[s.url(f"/{names[1]}"), "path"])
    data = bytearray(changed.read_bytes())
    data[-20] ^= 1  # one bit, the same size: only the sha256 tells
    changed.write_bytes(bytes(data))
    gone.unlink()
    job = define_asset_job("download_checks", selection=AssetSelection.checks_for_assets(downloaded_files))
    defs = Definitions(assets=[link_list, downloaded_files], asset_checks=DOWNLOAD_CHECKS, jobs=[job],
                       resources=resources)
    result = defs.resolve_job_def("download_checks").execute_in_process(instance=instance, raise_on_error=False)
    evaluation = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluation["every_link_accounted_for"].passed
    broken = evaluation["downloaded_files_match_their_rows"]
    assert not broken.passed
    said = broken.metadata["broken_files"].value
    assert any(changed.stem in line and "sha256 differs" in line for line in said)
    assert any(gone.stem in line and "unreadable" in line for line in said)
