"""Shared fixtures: the test corpus (read-only; copied where a test changes it) and real Dagster instances."""
from __future__ import annotations

import csv
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "glossapi_dagster_tests" / "corpus"
# More documents (e.g. ../shared/corpus, whose files not redistributable stay out of the repo)
EXTRA = Path(os.environ.get("GLOSSAPI_TEST_CORPUS", REPO.parent / "shared" / "corpus")).resolve()
SAMPLE = REPO / "sample_corpus" / "pdfs"
PYTHON = sys.executable
BIN = Path(sys.executable).parent


def read_sources(folder: Path) -> list[dict]:
    """SOURCES.tsv as rows (a dict by column name)."""
    path = folder / "SOURCES.tsv"
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """The bundled test corpus plus GLOSSAPI_TEST_CORPUS's other files when present, as one folder
    (pdfs/, groundtruth/, SOURCES.tsv); read-only by convention: tests copy what they modify."""
    merged = tmp_path_factory.mktemp("corpus")
    rows = read_sources(BUNDLED)
    have = {r["relative_path"] for r in rows}
    if EXTRA != BUNDLED and (EXTRA / "pdfs").is_dir():
        rows += [r for r in read_sources(EXTRA) if r["relative_path"] not in have
                 and (EXTRA / r["relative_path"]).is_file()]
    for row in rows:
        src = BUNDLED if row["relative_path"] in have else EXTRA
        dst = merged / row["relative_path"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / row["relative_path"], dst)
    columns = list(rows[0])
    with open(merged / "SOURCES.tsv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return merged


def expected_extract(corpus: Path) -> dict[str, str]:
    """stem -> the Phase-1 outcome SOURCES.tsv expects: 'success' or 'problematic:<reason>' (a
    document from another corpus, without the column, is expected to succeed)."""
    return {Path(r["relative_path"]).stem: r.get("expected_extract") or "success"
            for r in read_sources(corpus) if r["relative_path"].startswith("pdfs/")}


def expected_problems(corpus: Path) -> dict[str, str]:
    """stem -> the reason its problematic row must start with."""
    return {stem: want.split(":", 1)[1] for stem, want in expected_extract(corpus).items()
            if want.startswith("problematic:")}


def available(name: str) -> bool:
    """Is pdfs/<name> in the bundled corpus or in GLOSSAPI_TEST_CORPUS? (module level, before the
    `corpus` fixture exists: a test picks a stand-in for a document that cannot be shipped)"""
    return any((folder / "pdfs" / name).is_file() for folder in (BUNDLED, EXTRA))


def has_pdf(corpus: Path, name: str) -> bool:
    return (corpus / "pdfs" / name).is_file()


def need_pdf(corpus: Path, name: str) -> Path:
    """A document the repo cannot ship (its licence): the test that reads it says so when absent."""
    path = corpus / "pdfs" / name
    if not path.is_file():
        pytest.skip(f"{name} is not redistributable, so not bundled; set GLOSSAPI_TEST_CORPUS to a corpus that has it")
    return path


def copy_pdfs(src: Path, dst: Path, names: list[str] | None = None) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for pdf in sorted(src.glob("*.pdf")):
        if names is None or pdf.name in names:
            shutil.copyfile(pdf, dst / pdf.name)
    return dst


@contextmanager
def temp_instance(folder: Path):
    """A real Dagster instance (SQLite) in folder/dagster_home, as DAGSTER_HOME while in use: for
    module-scoped fixtures, which cannot use monkeypatch."""
    from dagster import DagsterInstance

    home = folder / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with DagsterInstance.get() as instance:
            yield instance
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old


@pytest.fixture(autouse=True)
def _engine_registries_restored():
    """What a test registers (the crash engine, the poison backend) is gone after it: registries are
    process-wide, and a later test must see only the built-in choices unless it registers its own."""
    from glossapi_dagster.datamodel import engines

    saved = dict(engines._REGISTERED), dict(engines._PHASE1)
    yield
    for registry, before in zip((engines._REGISTERED, engines._PHASE1), saved):
        registry.clear()
        registry.update(before)


@pytest.fixture
def dagster_home(tmp_path, monkeypatch) -> Path:
    """A real Dagster instance (SQLite) in a temp DAGSTER_HOME."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def instance(dagster_home):
    from dagster import DagsterInstance

    with DagsterInstance.get() as inst:
        yield inst


def cpu_pool(**kw):
    """The multi-device path as it runs on a machine without GPUs: one CPU worker per listed id."""
    from glossapi_dagster.defs.resources import GpuPoolResource

    return GpuPoolResource(**{"devices": [0, 1], "accel_type": "cpu", "num_threads": 1,
                              "summary_interval": 5.0, "item_timeout": 600.0, **kw})


def resources(input_dir: Path, output_dir: Path, **pool):
    from glossapi_dagster.defs.resources import CorpusResource

    return {"corpus": CorpusResource(input_dir=str(input_dir), output_dir=str(output_dir)),
            "gpu_pool": cpu_pool(**pool)}
