"""A test-only Phase-1 backend: the safe backend, except on chosen pages (poison pages).

Set by environment variables, which the pool's workers inherit:
  GLOSSAPI_TEST_POISON_RAISE  pages whose conversion raises ("3,7")
  GLOSSAPI_TEST_POISON_HANG   pages whose conversion hangs (the pool's per-range timeout kills it)
  GLOSSAPI_TEST_POISON_KILL   pages whose conversion SIGKILLs the worker
  GLOSSAPI_TEST_PAGE_DELAY    seconds added per page (a slow backend, so a test can act mid-document)
Registered as phase1_backend="poison" by register().
"""
from __future__ import annotations

import os
import signal
import time

from glossapi_dagster.datamodel.engines import register_phase1_backend
from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor

NAME = "poison"


def register() -> None:
    register_phase1_backend(NAME, f"{__name__}:build")


def _pages(var: str) -> set[int]:
    return {int(p) for p in os.environ.get(var, "").split(",") if p.strip()}


class PoisonExtractor:
    def __init__(self, log):
        self.safe = SafePdfExtractor(log=log)
        self.raise_on = _pages("GLOSSAPI_TEST_POISON_RAISE")
        self.hang_on = _pages("GLOSSAPI_TEST_POISON_HANG")
        self.kill_on = _pages("GLOSSAPI_TEST_POISON_KILL")
        self.delay = float(os.environ.get("GLOSSAPI_TEST_PAGE_DELAY") or 0)

    def convert(self, path, page_range=None):
        import pypdfium2 as pdfium

        if page_range is None:
            pdf = pdfium.PdfDocument(path)
            page_range = (1, len(pdf))
            pdf.close()
        pages = set(range(page_range[0], page_range[1] + 1))
        if self.delay:
            time.sleep(self.delay * len(pages))
        if pages & self.kill_on:
            os.kill(os.getpid(), signal.SIGKILL)
        if pages & self.hang_on:
            time.sleep(3600)
        if bad := sorted(pages & self.raise_on):
            raise RuntimeError(f"poison page {bad[0]}")
        conv = self.safe.convert(path, page_range)
        conv.backend = NAME
        return conv


def build(ctx):
    return PoisonExtractor(ctx.log)
