"""Duplicates in the export: the same normalised text (exact), or texts whose word 5-grams are
nearly the same set (MinHash LSH, datasketch; Jaccard >= threshold): the same thesis under two
names, two editions of a gazette a page apart.

Normalised: NFC, HTML comments and lines that are only a page number dropped (furniture a
backend may leave), whitespace collapsed. Each group is exported once, as its longest text
(ties: the first stem); the kept record lists the others.

Signatures are datasketch's MinHash (128 permutations, uint32) and the bands datasketch's
_optimal_param for the threshold (weighted to recall: 14 bands of 9 at 0.8); the band lookup
is done here, vectorised over numpy arrays: datasketch's in-memory MinHashLSH keeps a Python set and bytes key per band and document (about
3 KB a document, 3 GB for a million), this ~600 bytes (the signature and one hash per band).
"""
from __future__ import annotations

import hashlib
import re
from array import array
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
        self._exact: dict[bytes, int] = {}     # text digest -> index of the first document with it
        self.stems: list[str] = []
        self._chars = array("q")
        self._first = array("q")               # index of the first document with the same text
        self._reps = array("q")                # indices of the first of each distinct text
        self._signatures = bytearray()         # the reps' signatures, num_perm uint32 each

    def add(self, stem: str, text: str) -> None:
        norm = normalise(text)
        digest = hashlib.sha256(norm.encode("utf-8")).digest()[:16]
        index = len(self.stems)
        self.stems.append(stem)
        self._chars.append(len(norm))
        first = self._exact.setdefault(digest, index)
        self._first.append(first)
        if first != index:
            return
        self._reps.append(index)
        if self.near:
            from datasketch import MinHash

            m = MinHash(num_perm=self.num_perm, permutations=self._base.permutations, scheme="affine32")
            m.update_batch(shingles(norm))
            self._signatures += m.hashvalues.astype(np.uint32).tobytes()

    def _near_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Pairs of reps (positions in _reps) that share a band and whose estimate passes the threshold."""
        from datasketch.lsh import _optimal_param

        sig = np.frombuffer(self._signatures, dtype=np.uint32).reshape(-1, self.num_perm)
        # recall weighted 9:1: every candidate is confirmed on its estimate, a false one costs a comparison
        b, r = _optimal_param(self.threshold, self.num_perm, 0.1, 0.9)
        found_a, found_b = [], []
        for band in range(b):
            h = np.zeros(len(sig), dtype=np.uint64)
            for k in range(band * r, (band + 1) * r):
                h = (h * np.uint64(1099511628211)) ^ sig[:, k].astype(np.uint64)
            order = np.argsort(h, kind="stable")
            hs = h[order]
            same = np.flatnonzero(hs[1:] == hs[:-1])
            if not len(same):
                continue
            run_start = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])  # each member's run's first
            first_of = run_start[np.searchsorted(run_start, np.arange(len(hs)), side="right") - 1]
            a = np.r_[order[same], order[first_of[same + 1]]]
            c = np.r_[order[same + 1], order[same + 1]]
            keep = a != c
            a, c = a[keep], c[keep]
            for lo in range(0, len(a), 4096):
                est = (sig[a[lo:lo + 4096]] == sig[c[lo:lo + 4096]]).mean(axis=1)
                ok = est >= self.threshold
                found_a.append(a[lo:lo + 4096][ok])
                found_b.append(c[lo:lo + 4096][ok])
        if not found_a:
            return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
        return np.concatenate(found_a), np.concatenate(found_b)

    def resolve(self) -> DedupResult:
        parent = list(range(len(self._reps)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        if self.near and len(self._reps) > 1:
            for a, c in zip(*(x.tolist() for x in self._near_pairs())):
                ra, rc = find(a), find(c)
                if ra != rc:
                    parent[max(ra, rc)] = min(ra, rc)
        position = {index: pos for pos, index in enumerate(self._reps)}
        roots = [find(position[first]) for first in self._first]  # each document's group
        sizes: dict[int, int] = {}
        for root in roots:
            sizes[root] = sizes.get(root, 0) + 1
        groups: dict[int, list[int]] = {}
        for index, root in enumerate(roots):
            if sizes[root] > 1:
                groups.setdefault(root, []).append(index)
        result = DedupResult(threshold=self.threshold)
        for members in groups.values():
            if len(members) < 2:
                continue
            kept = min(members, key=lambda i: (-self._chars[i], self.stems[i]))
            others = sorted(self.stems[m] for m in members if m != kept)
            result.duplicates[self.stems[kept]] = others
            for m in members:
                if m == kept:
                    continue
                result.duplicate_of[self.stems[m]] = self.stems[kept]
                if self._first[m] == self._first[kept]:
                    result.exact += 1
                else:
                    result.near += 1
        return result
