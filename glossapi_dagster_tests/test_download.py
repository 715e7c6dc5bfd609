"""download(): links fetched from real HTTP servers on loopback (127.0.25.x), each scripted to
misbehave as servers do; every link's final row and reason, politeness as the servers saw it,
nothing partial kept, and resume after kill -9 of the downloader."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glossapi_dagster.datamodel import DownloadOptions
from glossapi_dagster.download import LinkListError, download_links, read_link_list, register_links
from glossapi_dagster.download.links import parse_links
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import BUNDLED, PYTHON, REPO
from .http_server import (Gauge, ScriptedServer, drip, gzipped, in_turn, redirect, reset_mid_body, serve,
                          serve_unsized, status)

PDFS = sorted((BUNDLED / "pdfs").glob("*.pdf"), key=lambda p: p.stat().st_size)
_SMALL = [p.read_bytes() for p in PDFS if 50_000 < p.stat().st_size < 250_000]
# real PDFs, each different (the same bytes twice would be one file): a comment line after the end
SMALL = [_SMALL[i % len(_SMALL)] + f"\n% copy {i}\n".encode() for i in range(40)]
FAST = dict(backoff=0.05, max_backoff=0.2, read_timeout=1.0, connect_timeout=2.0, timeout=20.0, per_host_rate=None)


def options(**values) -> DownloadOptions:
    return DownloadOptions(**{**FAST, **values})


def docx_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "made.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return path.read_bytes()


def fetch_list(out: Path, table: pd.DataFrame, name: str = "links.parquet", **opts):
    """The list written into IN, registered, fetched: what Corpus.download does without Dagster."""
    inp = out.parent / "IN"
    inp.mkdir(exist_ok=True)
    path = inp / name
    table.to_parquet(path) if name.endswith(".parquet") else table.to_csv(path, index=False)
    store = ProgressStore(OutputLayout(out).store_dir)
    register_links(store, read_link_list(path, opts.pop("url_column", "url")))
    report = download_links(out, options(**opts))
    return report, {r["stem"]: r for r in store.read().to_dict("records")}


def by_url(rows: dict) -> dict:
    return {r["url"]: r for r in rows.values() if r["url_index"] >= 0 and "~" not in r["stem"]}


def no_partial_files(out: Path) -> bool:
    downloads = out / "downloads"
    return not list((downloads / ".partial").glob("*")) and all(
        p.suffix in (".pdf", ".docx", ".pptx", ".html", ".xml", ".md") for p in downloads.iterdir() if p.is_file())


def test_every_scripted_behaviour_ends_in_its_row(tmp_path):
    pdf = SMALL
    md = b"# Notes\n\nPlain markdown, named so only by its Content-Disposition.\n"
    routes = {
        "/robots.txt": serve(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/ok.pdf": serve(pdf[0]),
        "/private/hidden.pdf": serve(pdf[1]),
        "/octet": serve(pdf[2], "application/octet-stream"),
        "/as-html.pdf": serve(pdf[3], "text/html"),
        "/download?id=7": serve(md, "application/octet-stream",
                                {"Content-Disposition": "attachment; filename*=UTF-8''%CE%B5%CE%BA.md"}),
        "/plain?id=8": serve(md, "application/octet-stream"),
        "/login.pdf": serve(b"<!DOCTYPE html><html><body>Please log in</body></html>", "text/html"),
        "/big.pdf": serve(pdf[4] + b" " * 300_000),
        "/big-unsized.pdf": serve_unsized(pdf[4] + b" " * 300_000),  # no Content-Length: counted as it streams
        "/gz.pdf": gzipped(pdf[5]),
        "/έγγραφα/μελέτη.pdf": serve(pdf[6]),
        "/gone.pdf": status(404),
        "/forbidden.pdf": status(403),
        "/flaky.pdf": in_turn(status(503), status(503), serve(pdf[7])),
        "/reset.pdf": reset_mid_body(pdf[8]),
        "/drip.pdf": drip(pdf[9], 8, 1.5),
        "/r1": redirect("/r2"), "/r2": redirect("/r3"), "/r3": redirect("/ok2.pdf"), "/ok2.pdf": serve(pdf[10]),
        "/loop-a": redirect("/loop-b"), "/loop-b": redirect("/loop-a"),
        "/copy-of-ok.pdf": serve(pdf[0]),
        "/word": serve(docx_bytes(tmp_path), "application/octet-stream"),
        "/photo.pdf": serve(b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 500, "application/pdf"),
    }
    throttled = {"/robots.txt": status(404), "/t1.pdf": in_turn(status(429, {"Retry-After": "2"}), serve(pdf[11])),
                 "/t2.pdf": serve(pdf[12])}
    with ScriptedServer("127.0.25.1", routes) as a, ScriptedServer("127.0.25.2", throttled) as b:
        links = [a.url(p) for p in routes if p != "/robots.txt" and not p.startswith(("/r2", "/r3", "/ok2", "/loop-b"))]
        links += [b.url("/t1.pdf"), b.url("/t2.pdf"), "mailto:someone@example.org", "not a url"]
        # a cell with a JSON list: two links of one source row, one of them already listed
        links.append(json.dumps([a.url("/ok.pdf"), a.url("/r1")]))
        table = pd.DataFrame({"url": links, "licence": [f"CC-BY-{i}" for i in range(len(links))],
                              "title": [f"Τίτλος {i}" for i in range(len(links))]})
        started = time.monotonic()
        report, rows = fetch_list(tmp_path / "OUT", table, max_bytes=320_000, max_attempts=3)
        seconds = time.monotonic() - started
    row = by_url(rows)

    def outcome(url):
        r = row[url]
        return r["download_status"], r["download_error"] or "", r["file_ext"]

    # the same bytes at two URLs: whichever came first is kept, the other points at it
    pair = sorted([row[a.url("/ok.pdf")], row[a.url("/copy-of-ok.pdf")]], key=lambda r: r["download_status"])
    assert [r["download_status"] for r in pair] == ["downloaded", "duplicate"]
    assert pair[1]["duplicate_of"] == pair[0]["stem"] and pair[1]["sha256"] == pair[0]["sha256"]
    assert pair[1]["download_error"] == f"the same bytes as {pair[0]['stem']} (kept once)" and not pair[1]["path"]
    assert outcome(a.url("/private/hidden.pdf"))[:2] == ("retry", f"disallowed by {a.origin}/robots.txt")
    assert outcome(a.url("/octet"))[::2] == ("downloaded", "pdf")          # the bytes, not the Content-Type
    assert outcome(a.url("/as-html.pdf"))[::2] == ("downloaded", "pdf")
    assert outcome(a.url("/download?id=7"))[::2] == ("downloaded", "md")   # Content-Disposition decides
    assert outcome(a.url("/plain?id=8"))[0] == "retry" and "plain text" in outcome(a.url("/plain?id=8"))[1]
    assert outcome(a.url("/login.pdf"))[:2] == ("retry", "an HTML page where the URL promised a PDF "
                                                           "(an error or login page?)")
    assert outcome(a.url("/big.pdf"))[:2] == ("retry", f"too large: Content-Length {len(pdf[4]) + 300_000} bytes "
                                                        "> max_bytes=320000")
    assert outcome(a.url("/big-unsized.pdf"))[:2] == ("retry", "too large: more than max_bytes=320000 bytes")
    assert outcome(a.url("/gz.pdf"))[::2] == ("downloaded", "pdf")
    assert outcome(a.url("/έγγραφα/μελέτη.pdf"))[::2] == ("downloaded", "pdf")
    assert row[a.url("/έγγραφα/μελέτη.pdf")]["stem"].startswith("μελέτη-")
    assert outcome(a.url("/gone.pdf"))[:2] == ("retry", "HTTP 404 Not Found")
    assert outcome(a.url("/forbidden.pdf"))[:2] == ("retry", "HTTP 403 Forbidden")
    assert outcome(a.url("/flaky.pdf"))[::2] == ("downloaded", "pdf")
    assert row[a.url("/flaky.pdf")]["download_attempts"] == 3
    assert outcome(a.url("/reset.pdf"))[0] == "retry" and "connection broken mid-body" in outcome(a.url("/reset.pdf"))[1]
    assert outcome(a.url("/drip.pdf"))[0] == "retry" and "read timeout" in outcome(a.url("/drip.pdf"))[1]
    assert outcome(a.url("/r1"))[::2] == ("downloaded", "pdf") and row[a.url("/r1")]["final_url"] == a.url("/ok2.pdf")
    assert outcome(a.url("/loop-a"))[0] == "retry" and outcome(a.url("/loop-a"))[1].startswith("redirect loop")
    assert outcome(a.url("/word"))[::2] == ("downloaded", "docx")
    assert outcome(a.url("/photo.pdf"))[0] == "retry" and "a JPEG image" in outcome(a.url("/photo.pdf"))[1]
    assert outcome(b.url("/t1.pdf"))[::2] == ("downloaded", "pdf")
    bad = {r["url"]: r for r in rows.values() if r["url"] in ("mailto:someone@example.org", "not a url")}
    assert {r["download_status"] for r in bad.values()} == {"failed"}  # nothing to request, ever
    assert "unsupported scheme 'mailto'" in bad["mailto:someone@example.org"]["download_error"]
    assert "malformed URL" in bad["not a url"]["download_error"]
    # the JSON list cell: one row per link, both marked as the same links as earlier rows
    cell = [r for r in rows.values() if r["source_row"] == len(links) - 1]
    assert sorted(r["url_index"] for r in cell) == [0, 1]
    assert all(r["is_duplicate"] and r["download_status"] == "duplicate" for r in cell)

    # every link accounted for, every source column kept on its row, nothing partial on disk
    assert len(rows) == len(links) + 1
    assert all(r["download_status"] in ("downloaded", "duplicate", "failed", "retry") for r in rows.values())
    assert all(r["download_error"] for r in rows.values() if r["download_status"] != "downloaded")
    for r in rows.values():
        assert r["licence"] == f"CC-BY-{r['source_row']}" and r["title"] == f"Τίτλος {r['source_row']}"
    assert no_partial_files(tmp_path / "OUT")
    for r in rows.values():
        if r["download_status"] == "downloaded":
            data = Path(r["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == r["sha256"] and len(data) == r["bytes"] == r["size"]
            assert Path(r["path"]).name == f"{r['stem']}.{r['file_ext']}" == r["filename"]
    assert Path(row[a.url("/gz.pdf")]["path"]).read_bytes() == pdf[5]  # stored as served before the gzip
    assert Path(row[a.url("/r1")]["path"]).read_bytes() == pdf[10]
    # final causes were asked once (a later run asks again, GlossAPI's rule); the throttled host
    # waited out its Retry-After, alone
    assert len(a.requests("/gone.pdf")) == len(a.requests("/forbidden.pdf")) == len(a.requests("/login.pdf")) == 1
    assert not a.requests("/private/hidden.pdf")
    told = b.requests("/t1.pdf")[0].end
    assert all(r.start >= told + 2.0 for r in b.requests() if r.start > told)
    assert any(told < r.start < told + 2.0 for r in a.requests())  # host a went on meanwhile
    assert seconds < 60
    assert report.by_reason["HTTP 404"] == 1 and {"read timeout", "connection broken"} <= set(report.by_reason)


def test_per_host_and_global_limits_hold_at_the_servers(tmp_path):
    gauge = Gauge()
    data = {f"/f{i}.pdf": SMALL[i] for i in range(12)}
    hosts = [ScriptedServer(f"127.0.25.{10 + h}", {p: serve(d, delay=0.15) for p, d in data.items()}, gauge=gauge)
             for h in range(3)]
    for server in hosts:
        server.__enter__()
    try:
        links = [s.url(p) for p in data for s in hosts]
        report, rows = fetch_list(tmp_path / "OUT", pd.DataFrame({"url": links}), per_host_concurrency=3,
                                  concurrency=5)
    finally:
        for server in hosts:
            server.__exit__()
    assert report.downloaded == len(links) - report.duplicates
    assert all(1 < s.max_active <= 3 for s in hosts), [s.max_active for s in hosts]
    assert 3 < gauge.max_active <= 5
    # the first request to a host is its robots.txt, alone
    for s in hosts:
        first = s.requests()[0]
        assert first.path == "/robots.txt" and all(r.start >= first.end for r in s.requests()[1:])


def test_per_host_rate_spaces_the_requests(tmp_path):
    routes = {f"/f{i}.pdf": serve(SMALL[i]) for i in range(6)}
    with ScriptedServer("127.0.25.20", routes) as s:
        fetch_list(tmp_path / "OUT", pd.DataFrame({"url": [s.url(p) for p in routes]}), per_host_rate=5.0,
                   ignore_robots=True)
    starts = sorted(r.start for r in s.requests())
    assert len(starts) == 6 and min(b - a for a, b in zip(starts, starts[1:])) >= 0.19


def test_failed_links_are_retried_on_later_runs_until_skip_failed_after(tmp_path):
    routes = {"/down.pdf": status(503), "/ok.pdf": serve(SMALL[0])}
    out = tmp_path / "OUT"
    with ScriptedServer("127.0.25.21", routes) as s:
        table = pd.DataFrame({"url": [s.url("/down.pdf"), s.url("/ok.pdf")], "licence": ["a", "b"]})
        counts = []
        for _ in range(3):
            _, rows = fetch_list(out, table, max_attempts=2, skip_failed_after=2)
            counts.append(len(s.requests("/down.pdf")))
    row = by_url(rows)[s.url("/down.pdf")]
    assert counts == [2, 4, 4]  # two attempts a run; the third run asks nothing
    assert row["download_retry_count"] == 2 and row["download_status"] == "failed"
    assert "given up after failing in 2 runs (skip_failed_after)" in row["download_error"]
    assert len(s.requests("/ok.pdf")) == 1 and row["licence"] == "a"


def test_a_changed_list_fetches_only_its_new_links(tmp_path):
    routes = {f"/f{i}.pdf": serve(SMALL[i]) for i in range(5)}
    out = tmp_path / "OUT"
    with ScriptedServer("127.0.25.22", routes) as s:
        first = pd.DataFrame({"url": [s.url(f"/f{i}.pdf") for i in range(3)], "title": ["a", "b", "c"]})
        _, before = fetch_list(out, first)
        # rows added (one in front, so every row moves), one title corrected
        second = pd.DataFrame({"url": [s.url("/f4.pdf")] + list(first["url"]) + [s.url("/f3.pdf")],
                               "title": ["e", "a", "B", "c", "d"]})
        _, after = fetch_list(out, second)
    assert [len(s.requests(f"/f{i}.pdf")) for i in range(5)] == [1, 1, 1, 1, 1]
    old = by_url(before)
    new = by_url(after)
    for url, r in old.items():  # the same row, the same file, its new place and title
        assert new[url]["stem"] == r["stem"] and new[url]["path"] == r["path"]
    assert new[s.url("/f1.pdf")]["title"] == "B" and new[s.url("/f1.pdf")]["source_row"] == 2
    assert len(after) == 5


def test_an_unusable_list_is_one_clear_error_before_any_request(tmp_path):
    with ScriptedServer("127.0.25.23", {"/a.pdf": serve(SMALL[0])}) as s:
        path = tmp_path / "links.parquet"
        pd.DataFrame({"address": [s.url("/a.pdf")]}).to_parquet(path)
        with pytest.raises(LinkListError, match="URL column 'url' not found, and no column is named like url, "
                                                "link or uri; the columns are: address"):
            read_link_list(path, "url")
        # GlossAPI's fallback: a column named like a link is taken, and said so
        pd.DataFrame({"pdf_links": [s.url("/a.pdf")]}).to_parquet(path)
        assert read_link_list(path, "url").notes == ["URL column 'url' not found; using 'pdf_links'"]
        path.write_bytes(b"not a parquet file at all")
        with pytest.raises(LinkListError, match="cannot read the link list .*links.parquet"):
            read_link_list(path, "url")
        assert s.requests() == []


def test_link_cells_are_read_as_glossapi_reads_them():
    assert parse_links('["http://a/1.pdf", "http://a/2.pdf"]') == ["http://a/1.pdf", "http://a/2.pdf"]
    assert parse_links("['http://a/1.pdf']") == ["http://a/1.pdf"]
    assert parse_links('{"href": "http://a/3.pdf"}') == ["http://a/3.pdf"]
    assert parse_links("http://a/1.pdf; http://a/2.pdf") == ["http://a/1.pdf", "http://a/2.pdf"]
    assert parse_links("http://a/1.pdf\nhttp://a/2.pdf\n") == ["http://a/1.pdf", "http://a/2.pdf"]
    assert parse_links(np.array(["http://a/1.pdf", "http://a/2.pdf"], dtype=object)) == ["http://a/1.pdf",
                                                                                          "http://a/2.pdf"]
    assert parse_links([{"url": "http://a/1.pdf"}, None]) == ["http://a/1.pdf"]
    assert parse_links(float("nan")) == [] and parse_links("  ") == []


KILLED_RUN = """
import sys
from glossapi_dagster.datamodel import DownloadOptions
from glossapi_dagster.download import download_links
download_links(sys.argv[1], DownloadOptions(per_host_concurrency=4, per_host_rate=None, ignore_robots=True))
"""


def test_kill_9_mid_run_then_a_rerun_fetches_only_what_was_missing(tmp_path):
    files = {f"/doc{i:02d}.pdf": SMALL[i] for i in range(40)}
    routes = {p: drip(d, 4, 0.1) for p, d in files.items()}  # 0.4 s a file, 4 at a time: a 4 s run
    out = tmp_path / "OUT"
    with ScriptedServer("127.0.25.24", routes) as s:
        table = pd.DataFrame({"url": [s.url(p) for p in files], "licence": [f"L{i}" for i in range(40)],
                              "year": list(range(1980, 2020))})
        (tmp_path / "IN").mkdir()
        table.to_parquet(tmp_path / "IN" / "links.parquet")
        store = ProgressStore(OutputLayout(out).store_dir)
        register_links(store, read_link_list(tmp_path / "IN" / "links.parquet"))
        proc = subprocess.Popen([PYTHON, "-c", KILLED_RUN, str(out)], cwd=REPO, start_new_session=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        # killed once a batch of outcomes is in the store's journal (the run flushes every 2 s), so
        # there are rows recorded, files renamed but not yet recorded, and bodies half-written
        journal = store.journal
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (journal.is_dir() and any(journal.glob("*.parquet"))):
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        complete = {p.name for p in (out / "downloads").glob("*.pdf")}
        partial = list((out / "downloads" / ".partial").glob("*.part"))
        served_before = {path: len(s.requests(path)) for path in files}
        recorded = {r["stem"] for r in store.read().to_dict("records") if r.get("download_status") == "downloaded"}
        assert recorded and len(complete) < 40, "the kill must land mid-run"
        report = download_links(out, options(per_host_concurrency=4, ignore_robots=True))
    rows = {r["url"]: r for r in store.read().to_dict("records")}
    stem_of = {url: r["stem"] for url, r in rows.items()}
    again = {path for path in files if len(s.requests(path)) > served_before[path]}
    assert not any(f"{stem_of[s.url(path)]}.pdf" in complete for path in again), "a finished file was fetched again"
    assert report.downloaded == 40 - len(recorded)
    assert len(rows) == 40 and {r["download_status"] for r in rows.values()} == {"downloaded"}
    for i, (url, r) in enumerate(sorted(rows.items())):
        assert r["licence"] == table.set_index("url").loc[url, "licence"]
        assert r["year"] == table.set_index("url").loc[url, "year"]
        assert Path(r["path"]).read_bytes() == files[url.removeprefix(s.origin)]
    assert no_partial_files(out)
    assert report.adopted == len(complete) - len(recorded)  # renamed, not yet recorded: taken as they are
    print(f"killed with {len(recorded)} recorded, {len(complete)} complete, {len(partial)} partial; "
          f"{report.adopted} adopted, {len(again)} requested after the kill")
