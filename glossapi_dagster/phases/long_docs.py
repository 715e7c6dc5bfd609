"""The controller's side of page ranges, for every phase: plan them, journal them, bisect
failures, and hand a complete document to the phase to assemble.

A PDF longer than max_pages_per_unit enters the queue as its missing ranges (what an earlier
run finished is in its journal). A range that fails after its retries is split in two, down to
single pages; a page that still fails is recorded as failed. Once every page is done or failed
the phase's `complete(doc)` assembles the document (extraction stitches its parts, OCR merges
its pages in, math places its formulas) and it becomes one outcome, one store row, as a short
document would.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..pool import FATAL, PROBLEMATIC, SUCCESS, ItemOutcome
from ..state import OutputLayout
from ..state.ranges import RangeJournal, file_fingerprint
from .ranges import PageRange, missing_ranges, pdf_pages


@dataclass
class LongDoc:
    path: str
    stem: str
    total: int
    journal: RangeJournal
    item: object = None                             # what the document is as one work item (path or stem)
    done: list = field(default_factory=list)        # (first, last) converted
    failed: dict = field(default_factory=dict)      # page -> reason
    results: list = field(default_factory=list)     # each range's ItemOutcome, this run
    redone: int = 0                                 # ranges this run converted
    set_aside: bool = False                         # one range's outcome set the whole document aside

    def covered(self) -> int:
        return sum(last - first + 1 for first, last in self.done) + len(self.failed)

    @property
    def workers(self) -> str | None:
        """The workers that converted its ranges this run: "gpu0,gpu1"."""
        return ",".join(sorted({o.worker for o in self.results if o.worker})) or None


class LongDocuments:
    def __init__(self, layout: OutputLayout, unit: int | None, max_failed_share: float,
                 complete: Callable[[LongDoc], dict], log=None, phase: str = "extract", inputs=None,
                 set_aside: tuple = ()):
        """complete(doc) assembles a document whose pages are all done or failed (doc.done, doc.failed,
        its parts in doc.journal) and returns its result; ValueError/KeyError/OSError: problematic.
        inputs(row): the files a part is made from besides the PDF (OCR's and math's: the extracted
        outputs); a part made from another version of any of them is not reused.
        `set_aside`: range statuses that make the whole document that outcome at once, its journal
        kept for when it is brought back (math: FATAL, past the respawn cap, and SKIPPED, no device
        left); otherwise a failed range is bisected and a skipped one waits for the next run."""
        self.layout, self.unit, self.max_failed_share = layout, unit, max_failed_share
        self.complete, self.log, self.phase, self.set_aside = complete, log, phase, set_aside
        self.inputs = inputs or (lambda row: [])
        self.docs: dict[str, LongDoc] = {}
        self.pool = None
        self.stem_of: dict = {}
        self.pages: dict = {}  # whole documents' page counts, where counted: the pool groups short ones
        self.completed: list[tuple[str, ItemOutcome]] = []  # (stem, outcome) per assembled (or failed) document

    @property
    def outcomes(self) -> list[ItemOutcome]:
        return [o for _, o in self.completed]

    def plan(self, rows: list[dict], size_of, whole_only, item_of=lambda row: row["path"]) -> dict:
        """Work items -> stem, largest first: whole documents (item_of(row)) and the missing ranges of
        long ones. Long documents whose ranges are all finished already are assembled now.
        whole_only: True (every row), or a predicate of the row (e.g. nothing there to split)."""
        weighted = []
        for row in rows:
            path, stem, size = row["path"], row["stem"], size_of(row)
            whole = whole_only(row) if callable(whole_only) else whole_only
            total = None if whole or not self.unit else pdf_pages(path)
            if total is None or total <= self.unit:
                weighted.append((size, item_of(row), stem))
                if total is not None:
                    self.pages[item_of(row)] = total
                continue
            fingerprint = "+".join(file_fingerprint(p) for p in [path, *self.inputs(row)])
            journal = RangeJournal(self.layout.root, stem, fingerprint, self.phase)
            doc = LongDoc(path, stem, total, journal, item_of(row))
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
        if doc.set_aside:  # what its other ranges finished still counts for a later run
            if outcome.status == SUCCESS:
                doc.journal.record(item.first, item.last, "done", worker=outcome.worker)
            return None
        if outcome.status in self.set_aside:
            doc.set_aside = True
            if self.pool is not None:  # its other ranges would only charge more respawns
                self.pool.withdraw(i for i, s in self.stem_of.items() if s == stem and isinstance(i, PageRange))
            outcome = ItemOutcome(doc.item, outcome.status, error=f"pages {item.first}-{item.last}: {outcome.error}"[:2000],
                                  attempts=outcome.attempts, worker=outcome.worker, seconds=outcome.seconds)
            self.completed.append((doc.stem, outcome))
            return outcome
        if outcome.status == SUCCESS:
            doc.journal.record(item.first, item.last, "done", worker=outcome.worker)
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

    def _complete(self, doc: LongDoc) -> ItemOutcome:
        failed = doc.failed
        runs = doc.results
        doc.done.sort()
        # the report counts a document once, for the worker that finished it; the row names them all.
        # One whose ranges an earlier run converted (a node lost before it assembled them) names
        # the worker that did, from the journal
        common = dict(attempts=max((o.attempts for o in runs), default=1),
                      worker=runs[-1].worker if runs else doc.journal.last_worker(), seconds=sum(o.seconds for o in runs))
        if len(failed) > self.max_failed_share * doc.total:
            pages = ", ".join(str(p) for p in sorted(failed))
            first = failed[min(failed)]
            error = (f"failed pages: {len(failed)} of {doc.total} pages failed (more than "
                     f"max_failed_page_share={self.max_failed_share:g}): pages {pages}; first error: {first}")
            outcome = ItemOutcome(doc.item, PROBLEMATIC, error=error[:2000], **common)
            doc.journal.close()  # a reprocess tries every page again
        else:
            try:
                outcome = ItemOutcome(doc.item, SUCCESS, result=self.complete(doc), **common)
                doc.journal.close()
            except (OSError, ValueError, KeyError) as exc:
                if isinstance(exc, OSError) and getattr(exc, "errno", None) in (28, 122):
                    raise
                outcome = ItemOutcome(doc.item, PROBLEMATIC, error=f"assembling the ranges failed: "
                                      f"{type(exc).__name__}: {exc}"[:2000], **common)
        self.completed.append((doc.stem, outcome))
        return outcome

    @property
    def ranges_converted(self) -> dict[str, int]:
        """Ranges each long document had converted by this run (a resume converts only the missing)."""
        return {stem: doc.redone for stem, doc in self.docs.items()}
