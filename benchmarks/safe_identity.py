"""The safe backend's output, digested file by file, to check that a speed change changed nothing.

    .venv/bin/python benchmarks/safe_identity.py digest OUT.json [--pdfs DIR ...]
    .venv/bin/python benchmarks/safe_identity.py compare BEFORE.json AFTER.json

`--backend docling` digests the Docling backend's output instead (its native pipeline, the one
that runs without model weights); `--ocr` OCRs the pages whose text layer fails (do_ocr, with
Tesseract) and merges them; `--keep DIR` keeps the markdown files there, to read a change.

`digest` runs the engine (run_extraction, phase1_backend='safe', 2 workers, the pool built without
Dagster) over every PDF of the bundled corpus (glossapi_dagster_tests/corpus/pdfs) and of
$GLOSSAPI_TEST_CORPUS/pdfs (default ../shared/corpus/pdfs), or of the --pdfs folders, and records
for every artifact of every document (markdown, Docling JSON decompressed, extract sidecar,
metrics, per-page metrics) its sha256. The artifacts that hold times (sidecar, metrics) are
digested without what differs from run to run: finished_at, extract_sec, timings, the worker and
source path. Run it from the tree before a change and from the tree after, then `compare`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPORA = [REPO / "glossapi_dagster_tests" / "corpus" / "pdfs",
           Path(os.environ.get("GLOSSAPI_TEST_CORPUS", REPO.parent / "shared" / "corpus")) / "pdfs"]
VOLATILE = {"finished_at", "extract_sec", "ocr_sec", "timings", "worker", "source", "device"}


def _stable(obj):
    if isinstance(obj, dict):
        return {k: _stable(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_stable(v) for v in obj]
    return obj


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(folders: list[Path], backend: str = "safe", keep: Path | None = None, ocr: bool = False) -> dict:
    import shutil

    from glossapi_dagster.phases.extract import run_extraction
    from glossapi_dagster.pool import PoolConfig
    from glossapi_dagster.pool.devices import resolve_devices
    from glossapi_dagster.pool.worklog import worker_log_dir
    from glossapi_dagster.state import OutputLayout, ProgressStore
    from glossapi_dagster.state.artifacts import load_docling_json
    from glossapi_dagster.state.manifest import update_manifest

    out: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="safe-identity-") as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for i, folder in enumerate(folders):
            for pdf in sorted(folder.glob("*.pdf")):
                shutil.copyfile(pdf, src / f"c{i}_{pdf.name}")
        layout = OutputLayout(Path(tmp) / "out")
        store = ProgressStore(layout.store_dir)
        update_manifest(store, src, "pdf", 1000)
        rows = store.read(["stem", "path", "shard"]).to_dict("records")
        config = PoolConfig(devices=resolve_devices("single", [0, 1]), threads=1,
                            log_dir=worker_log_dir(layout.root, "extract"), summary_interval=30.0,
                            item_timeout=1800.0)
        ocr_options = {"do_ocr": True, "ocr_engine": "tesseract"} if ocr else {}
        run_extraction(layout.root, rows, config, accel_type="cpu", phase1_backend=backend, **ocr_options)
        status = store.read(["stem", "extract_status", "extract_error"]).to_dict("records")
        for row in rows:
            stem = row["stem"]
            entry = {}
            for name, path in (("markdown", layout.markdown(stem)), ("json", layout.docling_json(stem))):
                if path.exists():
                    entry[name] = _sha(json.dumps(load_docling_json(path), sort_keys=True).encode()
                                       if name == "json" else path.read_bytes())
            for name, path in (("sidecar", layout.sidecar("extract", stem)), ("metrics", layout.metrics(stem)),
                               ("per_page", layout.per_page_metrics(stem))):
                if path.exists():
                    entry[name] = _sha(json.dumps(_stable(json.loads(path.read_text())), sort_keys=True).encode())
            out[stem] = entry
        for row in status:
            out.setdefault(row["stem"], {})["status"] = f"{row['extract_status']}|{row['extract_error']}"
        if keep is not None:
            shutil.copytree(layout.root / "markdown", keep, dirs_exist_ok=True)
    return out


def compare(before: dict, after: dict) -> int:
    differ = [(stem, k) for stem in sorted(set(before) | set(after))
              for k in sorted(set(before.get(stem, {})) | set(after.get(stem, {})))
              if before.get(stem, {}).get(k) != after.get(stem, {}).get(k)]
    files = sum(len(v) for v in before.values())
    for stem, k in differ:
        print(f"DIFFERS {stem} {k}")
    print(f"{len(before)} documents, {files} artifacts and statuses compared: {len(differ)} differ")
    return 1 if differ else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("digest")
    d.add_argument("out")
    d.add_argument("--pdfs", nargs="*", type=Path)
    d.add_argument("--backend", choices=("safe", "docling"), default="safe")
    d.add_argument("--keep", type=Path)
    d.add_argument("--ocr", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("before")
    c.add_argument("after")
    args = ap.parse_args()
    if args.cmd == "digest":
        result = digest(args.pdfs or CORPORA, args.backend, args.keep, args.ocr)
        Path(args.out).write_text(json.dumps(result, indent=1, sort_keys=True))
        print(f"{len(result)} documents digested into {args.out}")
        return 0
    return compare(json.loads(Path(args.before).read_text()), json.loads(Path(args.after).read_text()))


if __name__ == "__main__":
    sys.exit(main())
