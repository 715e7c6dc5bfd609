"""download(): this project's downloader against GlossAPI 0.0.13's GlossDownloader, same server, same lists.

    .venv/bin/python benchmarks/bench_download.py \\
        --glossapi-python /work/venvs/glossapi013/bin/python \\
        --glossapi-module /work/venvs/glossapi013/lib/python3.11/site-packages/glossapi/gloss_downloader.py \\
        [--small 10000] [--big 50] [--big-mb 20] [--slow-links 800] [--only small,big,slow,rss]

GlossAPI's side runs in its own interpreter (a venv outside this repo with PyPI's glossapi==0.0.13
installed --no-deps, plus aiohttp, aiofiles, pandas, pyarrow, tenacity), its downloader module
loaded alone from the file named; this project never depends on glossapi. Both downloaders run
as engines (no Dagster run around ours), each in a fresh child process and output folder, with
the same global concurrency (32); GlossAPI's rate limit and per-request sleep are set out of the
way (rate_limit=10^9, sleep=0: its defaults, 100 requests a minute and 0.5-0.75 s before every
request, would measure those settings, not the machinery); ours has per_host_concurrency =
32 / hosts and no per-host rate, robots.txt read (the server answers 404).

A server process (aiohttp) serves every host on its own loopback address (127.0.25.101-108):
distinct small files (8 KiB PDFs: the same bytes twice would be one file to ours), 20 MB files,
and, for the slow-host list, one host that waits --slow-delay seconds before every answer.
Printed per list and downloader: seconds, links/s, MB/s, peak RSS of the downloader's process,
files on disk; for the slow-host list also when the other hosts' last link was served. Load
average before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOSTS = [f"127.0.25.{101 + i}" for i in range(8)]
CONTROL = "127.0.25.100"

SERVER = r"""
import asyncio, json, sys, time
from aiohttp import web
hosts, control, port, big_mb, slow_host, slow_delay = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], float(sys.argv[6])
big = b"%PDF-1.4\n" + b"0" * int(big_mb * 1e6)
stats = {}
def note(host, start):
    s = stats.setdefault(host, {"requests": 0, "first": start, "last": 0.0})
    s["requests"] += 1
    s["last"] = max(s["last"], time.time())
async def handle(request):
    start = time.time()
    host = request.host.split(":")[0]
    path = request.path
    if host == slow_host and path.startswith("/slow/"):
        await asyncio.sleep(slow_delay)
        path = "/small/" + path[len("/slow/"):]
    if path == "/robots.txt":
        body, status, ctype = b"", 404, "text/plain"
    elif path.startswith("/small/"):
        ident = path.encode()
        body, status, ctype = b"%PDF-1.4\n%" + ident + b"\n" + b"1" * (8192 - len(ident) - 11), 200, "application/pdf"
    elif path.startswith("/big/"):
        body, status, ctype = big[:9] + path.encode() + big[9 + len(path):], 200, "application/pdf"
    else:
        body, status, ctype = b"<html><body>home</body></html>", 200, "text/html"
    response = web.Response(body=body, status=status, content_type=ctype)
    note(host, start)
    return response
async def control_handle(request):
    global stats
    if request.path == "/reset":
        stats = {}
    return web.json_response(stats)
async def main():
    app = web.Application(); app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None); await runner.setup()
    for h in hosts:
        await web.TCPSite(runner, h, port).start()
    capp = web.Application(); capp.router.add_get("/{tail:.*}", control_handle)
    crunner = web.AppRunner(capp, access_log=None); await crunner.setup()
    await web.TCPSite(crunner, control, port).start()
    await asyncio.Event().wait()
asyncio.run(main())
"""

OURS = r"""
import json, sys, time
sys.path.insert(0, sys.argv[4])
from glossapi_dagster.datamodel import DownloadOptions
from glossapi_dagster.download import download_links, read_link_list, register_links
from glossapi_dagster.state import OutputLayout, ProgressStore
out, links, per_host = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
register_links(ProgressStore(OutputLayout(out).store_dir), read_link_list(links))
report = download_links(out, DownloadOptions(concurrency=32, per_host_concurrency=per_host, per_host_rate=None,
                                             timeout=600, read_timeout=120))
print(json.dumps({"seconds": time.perf_counter() - t, "ok": report.downloaded, "failed": report.failed + report.to_retry}))
"""

THEIRS = r"""
import importlib.util, json, logging, sys, time
spec = importlib.util.spec_from_file_location("gloss_downloader", sys.argv[3])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
out, links = sys.argv[1], sys.argv[2]
t = time.perf_counter()
d = module.GlossDownloader(url_column="url", output_dir=out, concurrency=32, rate_limit=10**9, rate_period=1,
                           sleep=0, request_timeout=600, log_level=logging.ERROR)
df = d.download_files(links)
print(json.dumps({"seconds": time.perf_counter() - t, "ok": int(df["download_success"].sum()),
                  "failed": int((~df["download_success"].astype(bool)).sum())}))
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((CONTROL, 0))
        return s.getsockname()[1]


def control(port: int, what: str) -> dict:
    with urllib.request.urlopen(f"http://{CONTROL}:{port}/{what}", timeout=10) as r:
        return json.loads(r.read())


def run_child(argv: list[str]) -> dict:
    """The child's JSON line, and its peak RSS (wait4's rusage, the child alone)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{argv[:3]} failed: {err.decode()[-2000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["rss_mb"] = usage.ru_maxrss / 1024
    return result


def write_list(folder: Path, urls: list[str]) -> Path:
    import pandas as pd

    path = folder / "links.parquet"
    pd.DataFrame({"url": urls, "licence": "CC-BY-4.0"}).to_parquet(path)
    return path


def measure(name: str, args, port: int, urls: list[str], hosts: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-dl-{name}-", dir=args.workdir))
    try:
        links = write_list(work, urls)
        control(port, "reset")
        if name == "ours":
            result = run_child([sys.executable, "-c", OURS, str(work / "OUT"), str(links), str(32 // hosts), str(REPO)])
        else:
            result = run_child([args.glossapi_python, "-c", THEIRS, str(work / "OUT"), str(links), args.glossapi_module])
        result["served"] = control(port, "stats")
        files = [p for p in (work / "OUT" / "downloads").iterdir() if p.is_file()]
        result["files"], result["bytes"] = len(files), sum(p.stat().st_size for p in files)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def line(label: str, name: str, r: dict, n: int) -> str:
    s = r["seconds"]
    return (f"| {label} | {name} | {s:.1f} | {n / s:.0f} | {r['bytes'] / s / 1e6:.1f} | {r['rss_mb']:.0f} | "
            f"{r['files']} | {r['failed']} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--glossapi-python", required=True, help="the interpreter of a venv with glossapi==0.0.13")
    p.add_argument("--glossapi-module", required=True, help="its glossapi/gloss_downloader.py")
    p.add_argument("--small", type=int, default=10000)
    p.add_argument("--big", type=int, default=50)
    p.add_argument("--big-mb", type=float, default=20.0)
    p.add_argument("--slow-links", type=int, default=800)
    p.add_argument("--slow-delay", type=float, default=0.5)
    p.add_argument("--only", default="small,big,slow,rss")
    p.add_argument("--workdir", default=None, help="where the output folders go (default: the system's temp)")
    args = p.parse_args()
    only = set(args.only.split(","))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, ",".join(HOSTS), CONTROL, str(port), str(args.big_mb),
                               HOSTS[-1], str(args.slow_delay)])
    load_before = os.getloadavg()
    rows = []
    try:
        for _ in range(100):
            try:
                control(port, "stats")
                break
            except OSError:
                time.sleep(0.1)

        def urls(kind: str, n: int, hosts: int) -> list[str]:
            return [f"http://{HOSTS[i % hosts]}:{port}/{kind}/{i}.pdf" for i in range(n)]

        lists = []
        if "small" in only:
            lists += [(f"{args.small} x 8 KiB, 1 host", urls("small", args.small, 1), 1),
                      (f"{args.small} x 8 KiB, 8 hosts", urls("small", args.small, 8), 8)]
        if "big" in only:
            lists += [(f"{args.big} x {args.big_mb:g} MB, 1 host", urls("big", args.big, 1), 1),
                      (f"{args.big} x {args.big_mb:g} MB, 8 hosts", urls("big", args.big, 8), 8)]
        if "rss" in only:
            lists += [(f"{n} x 8 KiB, 8 hosts", urls("small", n, 7), 8) for n in (1000, 3 * args.small)]
        for label, batch, hosts in lists:
            for name in ("ours", "glossapi"):
                r = measure(name, args, port, batch, hosts)
                rows.append(line(label, name, r, len(batch)))
                print(rows[-1], flush=True)
        if "slow" in only:
            batch = urls("small", args.slow_links, 8)  # the 8th host answers every request after slow_delay
            batch = [u.replace("/small/", "/slow/") if HOSTS[-1] in u else u for u in batch]
            for name in ("ours", "glossapi"):
                r = measure(name, args, port, batch, 8)
                served = r["served"]
                start = min(v["first"] for v in served.values())
                others = max(v["last"] for h, v in served.items() if h != HOSTS[-1]) - start
                rows.append(line(f"{args.slow_links} x 8 KiB, 8 hosts, one slow ({args.slow_delay:g} s)", name, r,
                                 len(batch)) + f" other hosts done after {others:.1f} s |")
                print(rows[-1], flush=True)
    finally:
        server.terminate()
        server.wait()
    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.2f} {load_before[1]:.2f}, after {load_after[0]:.2f} "
          f"{load_after[1]:.2f}; {os.cpu_count()} CPUs")
    print("| list | downloader | seconds | links/s | MB/s | peak RSS MB | files | failed |")


if __name__ == "__main__":
    main()
