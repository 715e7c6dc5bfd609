"""Duplicates in the export: the same normalised text (exact), or texts whose word 5-grams are
nearly the same set (MinHash LSH, datasketch; Jaccard >= threshold): the same thesis under two
names, two editions of a gazette a page apart.

Normalised: NFC, HTML comments and lines that are only a page number dropped (furniture a
backend may leave), whitespace collapsed. Each group is exported once, as its longest text
(ties: the first stem); the kept record lists the others. Memory: one 128 x uint32 signature per
distinct text (512 bytes), never a text.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

NEAR_THRESHOLD = 0.8   # measured on the test corpus (BENCHMARKS.md, "Training export")
NUM_PERM = 128
SHINGLE = 5            # words a shingle

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*)?\d{1,4}(?:\s*[-–—])?\s*$", re.M)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _COMMENT.sub(" ", text) if "<!--" in text else text
    return _SPACE.sub(" ", _PAGE_NUMBER.sub(" ", text)).strip()


def shingles(normalised: str) -> list[bytes]:
    words = normalised.casefold().split()
    if len(words) <= SHINGLE:
        return [" ".join(words).encode("utf-8")] if words else []
    return [" ".join(words[i:i + SHINGLE]).encode("utf-8") for i in range(len(words) - SHINGLE + 1)]


class _Signature:
    """What MinHashLSH reads of a MinHash: its hash values and their number."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues: np.ndarray):
        self.hashvalues = hashvalues

    def __len__(self) -> int:
        return len(self.hashvalues)


@dataclass
class DedupResult:
    duplicate_of: dict = field(default_factory=dict)   # left-out stem -> kept stem
    duplicates: dict = field(default_factory=dict)     # kept stem -> sorted left-out stems
    exact: int = 0                                     # left out as exact duplicates
    near: int = 0                                      # left out as near duplicates
    threshold: float = NEAR_THRESHOLD


class Deduplicator:
    """Add documents one at a time (in stem order), then resolve."""

    def __init__(self, threshold: float = NEAR_THRESHOLD, near: bool = True, num_perm: int = NUM_PERM):
        if not 0 < threshold <= 1:
            raise ValueError(f"the near-duplicate Jaccard threshold must be in (0, 1], got {threshold}")
        from datasketch import MinHash

        self.threshold, self.near, self.num_perm = threshold, near, num_perm
        self._base = MinHash(num_perm=num_perm)
        self._exact: dict[bytes, str] = {}     # text digest -> first stem with it
        self._exact_of: dict[str, str] = {}    # stem -> the first stem with its text
        self._chars: dict[str, int] = {}
        self._digest: dict[str, bytes] = {}
        self._reps: list[str] = []              # the first stem of each distinct text
        self._signatures: dict[str, np.ndarray] = {}

    def add(self, stem: str, text: str) -> None:
        norm = normalise(text)
        digest = hashlib.sha256(norm.encode("utf-8")).digest()[:16]
        self._chars[stem] = len(norm)
        self._digest[stem] = digest
        first = self._exact.setdefault(digest, stem)
        if first != stem:
            self._exact_of[stem] = first
            return
        self._reps.append(stem)
        if self.near:
            from datasketch import MinHash

            m = MinHash(num_perm=self.num_perm, permutations=self._base.permutations, scheme="affine32")
            m.update_batch(shingles(norm))
            self._signatures[stem] = m.hashvalues.copy()

    def resolve(self) -> DedupResult:
        parent = {s: s for s in self._reps}

        def find(s: str) -> str:
            while parent[s] != s:
                parent[s] = parent[parent[s]]
                s = parent[s]
            return s

        if self.near and len(self._signatures) > 1:
            from datasketch import MinHashLSH

            lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
            for stem, hv in self._signatures.items():
                sig = _Signature(hv)
                for other in lsh.query(sig):  # candidates share a band; confirm on the estimate
                    if float(np.mean(self._signatures[other] == hv)) >= self.threshold:
                        a, b = find(stem), find(other)
                        if a != b:
                            parent[max(a, b)] = min(a, b)
                lsh.insert(stem, sig)
        groups: dict[str, list[str]] = {}
        for stem in self._reps:
            groups.setdefault(find(stem), []).append(stem)
        for stem, first in self._exact_of.items():  # exact copies join their first's group
            groups[find(first)].append(stem)
        result = DedupResult(threshold=self.threshold)
        for members in groups.values():
            if len(members) < 2:
                continue
            kept = min(members, key=lambda s: (-self._chars[s], s))
            others = sorted(m for m in members if m != kept)
            result.duplicates[kept] = others
            for other in others:
                result.duplicate_of[other] = kept
                if self._digest[other] == self._digest[kept]:
                    result.exact += 1
                else:
                    result.near += 1
        return result
