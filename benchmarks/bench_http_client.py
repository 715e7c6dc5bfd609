"""Which async HTTP client the downloader is built on: aiohttp or httpx, measured on loopback.

    .venv/bin/python benchmarks/bench_http_client.py [--small 3000] [--big 40] [--concurrency 32] [--rounds 3]

A server in its own process (aiohttp's, on 127.0.25.1) serves small files (8 KiB) and big ones
(8 MiB); each client fetches the same list with the same concurrency, streaming every body in
64 KiB chunks into a sha256 as the downloader does. Printed per client and list: median
links/s, MB/s and the client process's CPU seconds over the rounds (alternating, so load drift
hits both alike), and the load average.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import subprocess
import sys
import time

HOST = "127.0.25.1"
SERVER = r"""
import sys
from aiohttp import web
small, big = b"s" * 8192, b"b" * (8 << 20)
async def handle(request):
    return web.Response(body=big if request.path.startswith("/big") else small,
                        content_type="application/octet-stream")
app = web.Application()
app.router.add_get("/{tail:.*}", handle)
web.run_app(app, host=sys.argv[1], port=int(sys.argv[2]), print=None, access_log=None)
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


async def with_aiohttp(urls: list[str], concurrency: int) -> int:
    import aiohttp

    total = 0
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(url: str) -> None:
            nonlocal total
            async with gate, session.get(url) as response:
                h = hashlib.sha256()
                async for chunk in response.content.iter_chunked(1 << 16):
                    h.update(chunk)
                    total += len(chunk)
        await asyncio.gather(*(one(u) for u in urls))
    return total


async def with_httpx(urls: list[str], concurrency: int) -> int:
    import httpx

    total = 0
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        async def one(url: str) -> None:
            nonlocal total
            async with gate, client.stream("GET", url) as response:
                h = hashlib.sha256()
                async for chunk in response.aiter_bytes(1 << 16):
                    h.update(chunk)
                    total += len(chunk)
        await asyncio.gather(*(one(u) for u in urls))
    return total


def measure(client, urls: list[str], concurrency: int) -> dict:
    cpu0, t0 = time.process_time(), time.perf_counter()
    nbytes = asyncio.run(client(urls, concurrency))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"links_s": len(urls) / seconds, "mb_s": nbytes / seconds / 1e6, "cpu_s": cpu}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", type=int, default=3000)
    p.add_argument("--big", type=int, default=40)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, HOST, str(port)])
    try:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/ready", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        lists = {"small": [f"http://{HOST}:{port}/small/{i}" for i in range(args.small)],
                 "big": [f"http://{HOST}:{port}/big/{i}" for i in range(args.big)]}
        clients = {"aiohttp": with_aiohttp, "httpx": with_httpx}
        results = {(c, k): [] for c in clients for k in lists}
        for _ in range(args.rounds):
            for kind, urls in lists.items():
                for name, client in clients.items():
                    results[name, kind].append(measure(client, urls, args.concurrency))
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; {args.rounds} rounds, "
              f"concurrency {args.concurrency}; medians")
        print(f"{'client':8} {'list':6} {'links/s':>9} {'MB/s':>8} {'CPU s':>7}")
        for (name, kind), runs in results.items():
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"{name:8} {kind:6} {med['links_s']:9.0f} {med['mb_s']:8.1f} {med['cpu_s']:7.2f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
