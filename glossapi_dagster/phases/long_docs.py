"""The controller's side of page ranges: plan them, journal them, bisect failures, stitch.

A PDF longer than max_pages_per_unit enters the queue as its missing ranges (what an earlier
run finished is in its journal). A range that fails after its retries is split in two, down to
single pages; a page that still fails is recorded as failed. Once every page is done or failed
the document is stitched and becomes one outcome, one store row, as a short document would.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..pool import FATAL, PROBLEMATIC, SUCCESS, ItemOutcome
from ..state import OutputLayout
from ..state.ranges import RangeJournal, file_fingerprint
from .ranges import missing_ranges, pdf_pages
from .stitch import read_part, stitch


@dataclass
class _Doc:
    path: str
    stem: str
    total: int
    journal: RangeJournal
    done: list = field(default_factory=list)        # (first, last) converted
    failed: dict = field(default_factory=dict)      # page -> reason
    results: list = field(default_factory=list)     # each range's ItemOutcome, this run
    redone: int = 0                                 # ranges this run converted

    def covered(self) -> int:
        return sum(last - first + 1 for first, last in self.done) + len(self.failed)


class LongDocuments:
    def __init__(self, layout: OutputLayout, unit: int | None, max_failed_share: float, finish, log=None):
        """finish(doc, data, markdown, metas, failed_pages) writes a stitched document and returns its result."""
        self.layout, self.unit, self.max_failed_share = layout, unit, max_failed_share
        self.finish, self.log = finish, log
        self.docs: dict[str, _Doc] = {}
        self.pool = None
        self.stem_of: dict = {}
        self.outcomes: list[ItemOutcome] = []       # one per stitched (or failed) document

    def plan(self, rows: list[dict], size_of, whole_only: bool) -> dict:
        """Work items -> stem, largest first: whole documents and the missing ranges of long ones.
        Long documents whose ranges are all finished already are stitched now (self.outcomes)."""
        weighted = []
        for row in rows:
            path, stem, size = row["path"], row["stem"], size_of(row)
            total = None if whole_only or not self.unit else pdf_pages(path)
            if total is None or total <= self.unit:
                weighted.append((size, path, stem))
                continue
            doc = _Doc(path, stem, total, RangeJournal(self.layout.root, stem, file_fingerprint(path)))
            doc.done, doc.failed = doc.journal.finished()
            self.docs[stem] = doc
            missing = missing_ranges(path, total, self.unit, doc.done, doc.failed)
            if not missing:
                self._complete(doc)
            for item in missing:
                weighted.append((size * item.pages / total, item, stem))
        weighted.sort(key=lambda w: -w[0])  # stable: a document's ranges stay in page order
        self.stem_of = {item: stem for _, item, stem in weighted}
        return self.stem_of

    def on_outcome(self, stem: str, outcome: ItemOutcome) -> ItemOutcome | None:
        """A range's outcome; the document's own once it is complete, else None (no store row yet)."""
        doc, item = self.docs[stem], outcome.item
        if outcome.status == SUCCESS:
            doc.journal.record(item.first, item.last, "done")
            doc.done.append((item.first, item.last))
            doc.redone += 1
        elif outcome.status in (PROBLEMATIC, FATAL):
            if item.pages > 1:
                halves = item.halves()
                for half in halves:
                    self.stem_of[half] = stem
                if self.log:
                    self.log.info(f"{stem}: pages {item.first}-{item.last} failed ({outcome.error}); bisecting")
                self.pool.submit(halves, attempts=1 if halves[0].pages > 1 else None)  # a single page: retried
                return None
            doc.journal.record(item.first, item.last, "failed", outcome.error)
            doc.failed[item.first] = outcome.error or "failed"
        else:  # skipped: no device left; the range stays missing for the next run
            return None
        doc.results.append(outcome)
        if doc.covered() < doc.total:
            return None
        return self._complete(doc)

    def _complete(self, doc: _Doc) -> ItemOutcome:
        failed = doc.failed
        runs = doc.results
        # the report counts a document once, for the worker that finished it; the row names them all
        common = dict(attempts=max((o.attempts for o in runs), default=1),
                      worker=runs[-1].worker if runs else None, seconds=sum(o.seconds for o in runs))
        if len(failed) > self.max_failed_share * doc.total:
            pages = ", ".join(str(p) for p in sorted(failed))
            first = failed[min(failed)]
            error = (f"failed pages: {len(failed)} of {doc.total} pages failed (more than "
                     f"max_failed_page_share={self.max_failed_share:g}): pages {pages}; first error: {first}")
            outcome = ItemOutcome(doc.path, PROBLEMATIC, error=error[:2000], **common)
            doc.journal.close()  # a reprocess tries every page again
        else:
            try:
                data, markdown, results = stitch(doc.journal, doc.path, os.path.splitext(os.path.basename(doc.path))[0],
                                                 sorted(doc.done), failed, read_part)
                result = self.finish(doc, data, markdown, results, failed)
                outcome = ItemOutcome(doc.path, SUCCESS, result=result, **common)
                doc.journal.close()
            except (OSError, ValueError, KeyError) as exc:
                if isinstance(exc, OSError) and getattr(exc, "errno", None) in (28, 122):
                    raise
                outcome = ItemOutcome(doc.path, PROBLEMATIC, error=f"stitching failed: {type(exc).__name__}: {exc}"[:2000],
                                      **common)
        self.outcomes.append(outcome)
        return outcome

    @property
    def ranges_converted(self) -> dict[str, int]:
        """Ranges each long document had converted by this run (a resume converts only the missing)."""
        return {stem: doc.redone for stem, doc in self.docs.items()}

