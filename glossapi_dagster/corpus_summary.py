"""What a Corpus call returns: its counts, read from the runs' materializations."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PhaseSummary:
    """A call's counts; a call of several phases (ocr_bad_then_math) sums its parts' counts (a
    document OCR'd, then enriched, is in both) and shows each part's on its line."""

    phase: str
    run_ids: list[str] = field(default_factory=list)
    processed: int = 0
    problematic: int = 0
    skipped: int = 0
    seconds: float = 0.0
    output_dir: str = ""
    notes: list[str] = field(default_factory=list)          # what was left undone, and why
    parts: list["PhaseSummary"] = field(default_factory=list)

    @classmethod
    def of_run(cls, phase: str, run_ids: list[str], run, node: str, seconds: float, output_dir: str) -> PhaseSummary:
        """Counts from the run's materialization metadata: one per shard, each with that shard's counts."""
        summary = cls(phase, run_ids, seconds=seconds, output_dir=output_dir)
        mats = run.asset_materializations_for_node(node) if run is not None else []
        summary.processed = sum(int(m.metadata["processed"].value) for m in mats)
        summary.problematic = sum(int(m.metadata["problematic"].value) for m in mats)
        summary.skipped = sum(int(m.metadata["skipped"].value) for m in mats)
        return summary

    def add(self, part: PhaseSummary, run) -> None:
        """A part of this call (its run, None when it had nothing to do) counted in."""
        self.run_ids += [run.run_id] if run is not None else []
        self.parts.append(part)
        self.processed += part.processed
        self.problematic += part.problematic
        self.skipped += part.skipped

    def counts(self) -> str:
        return f"{self.processed} processed, {self.problematic} problematic, {self.skipped} skipped"

    def __str__(self) -> str:
        counts = "; ".join(f"{p.phase} {p.counts()}" for p in self.parts) if len(self.parts) > 1 else self.counts()
        return "\n".join([f"{self.phase}: {counts} in {self.seconds:.1f}s -> {self.output_dir}",
                          *(f"note: {n}" for n in self.notes)])
