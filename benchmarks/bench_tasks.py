"""Pool tasks and helpers used by the benchmarks (importable by the workers: the pool passes the
controller's sys.path to them as PYTHONPATH, and the benchmarks put this folder on it)."""
from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "
         "labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris "
         "nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse "
         "cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui "
         "officia deserunt mollit anim id est laborum").split()


def minimal_pdf(seed: int, pages: int = 1, lines: int = 40) -> bytes:
    """A born-digital PDF (Helvetica text, a heading and `lines` lines a page), written by hand:
    no dependency, ~1 ms a file. Every file differs (the seed picks the words)."""
    objs: list[bytes] = []
    kids = []
    font_id = 3
    n_words = len(WORDS)
    for p in range(pages):
        rows = [f"BT /F1 16 Tf 72 770 Td (Document {seed} page {p + 1}) Tj ET"]
        rows.append("BT /F1 10 Tf 12 TL 72 740 Td")
        for ln in range(lines):
            k = (seed * 7919 + p * 131 + ln * 17)
            words = " ".join(WORDS[(k + j * 3) % n_words] for j in range(12))
            rows.append(f"({words}.) Tj T*")
        rows.append("ET")
        stream = zlib.compress("\n".join(rows).encode("latin-1"))
        content_id = 4 + 2 * p
        page_id = 5 + 2 * p
        objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> "
                    b"/Contents %d 0 R >>" % (font_id, content_id))
        kids.append(page_id)
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    all_objs = head + objs
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(all_objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(all_objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(all_objs) + 1, xref)
    return bytes(out)


def generate_corpus(folder: Path, n: int, pages_cycle=(1, 2, 3)) -> int:
    """n PDFs doc-00000.pdf ... with 1, 2, 3, 1, 2, 3 ... pages; returns the number of pages."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        pages = pages_cycle[i % len(pages_cycle)]
        (folder / f"doc-{i:05d}.pdf").write_bytes(minimal_pdf(i, pages))
        total += pages
    return total


@dataclass
class SlowedTask:
    """Wraps any task: on the chosen worker labels each item takes `factor` times as long
    (the extra is slept, so the slowed worker leaves its core to the others)."""

    inner: object
    slow: dict = field(default_factory=dict)   # label -> factor (3.0: three times as long)

    def setup(self, ctx):
        process = self.inner.setup(ctx)
        factor = float(self.slow.get(ctx.label, 1.0))

        def slowed(item):
            t = time.perf_counter()
            result = process(item)
            if factor > 1.0:
                time.sleep((factor - 1.0) * (time.perf_counter() - t))
            return result

        return slowed


@dataclass
class TorchMatmulTask:
    """The GPU check: per item, n x n matmuls on the worker's device; reports where it ran."""

    size: int = 4096
    reps: int = 20

    def setup(self, ctx):
        import torch

        dev = torch.device("cuda:0" if torch.cuda.is_available() and ctx.cuda_id is not None else "cpu")
        a = torch.randn(self.size, self.size, device=dev)
        b = torch.randn(self.size, self.size, device=dev)
        (a @ b).sum().item()  # warm-up (cuBLAS handles)

        def process(item):
            t = time.perf_counter()
            c = a
            for _ in range(self.reps):
                c = (c @ b) / self.size
            c.sum().item()  # synchronise
            return {
                "item": item, "label": ctx.label, "pid": os.getpid(),
                "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                "current_device": torch.cuda.current_device() if dev.type == "cuda" else None,
                "device_name": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
                "tensor_device": str(c.device),
                "seconds": time.perf_counter() - t,
                "tflops": 2 * self.reps * self.size ** 3 / (time.perf_counter() - t) / 1e12,
            }

        return process
