"""Duplicates in the export: the same normalised text (exact), or texts whose word 5-grams are
nearly the same set (MinHash LSH, datasketch; Jaccard >= threshold): the same thesis under two
names, two editions of a gazette a page apart.

Normalised: NFC, HTML comments and lines that are only a page number dropped (furniture a
backend may leave), whitespace collapsed. Each group is exported once, as its longest text
(ties: the first stem); the kept record lists the others.

Signatures are datasketch's MinHash (128 permutations, uint32) and the bands datasketch's
_optimal_param for the threshold (weighted to recall: 14 bands of 9 at 0.8). The index is a
sqlite file in a temp folder, not memory: one row a document (digest, length), and for each
distinct text its signature and one hash a band; candidates are the documents sharing a band
(each against its bucket's first and its predecessor), confirmed on their estimate. Memory holds
only the pairs confirmed and the groups they make: what the result itself needs.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..datamodel.export import NEAR_THRESHOLD

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

    def __init__(self, threshold: float = NEAR_THRESHOLD, near: bool = True, num_perm: int = NUM_PERM,
                 folder=None):
        if not 0 < threshold <= 1:
            raise ValueError(f"the near-duplicate Jaccard threshold must be in (0, 1], got {threshold}")
        from datasketch import MinHash
        from datasketch.lsh import _optimal_param

        self.threshold, self.near, self.num_perm = threshold, near, num_perm
        self._base = MinHash(num_perm=num_perm)
        # recall weighted 9:1: every candidate is confirmed on its estimate, a false one costs a comparison
        self.bands, self.rows = _optimal_param(threshold, num_perm, 0.1, 0.9)
        self._dir = tempfile.TemporaryDirectory(prefix=".dedup-", dir=folder)
        self.db = sqlite3.connect(Path(self._dir.name) / "dedup.sqlite", isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-2048", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript("""
            CREATE TABLE docs(id INTEGER PRIMARY KEY, stem TEXT, digest BLOB, chars INT, rep INT);
            CREATE INDEX docs_digest ON docs(digest);
            CREATE TABLE sigs(id INTEGER PRIMARY KEY, sig BLOB);
            CREATE TABLE bands(hash INT, id INT);
            BEGIN;""")
        self.count = 0

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def signature(self, normalised: str) -> bytes:
        """num_perm uint32 of the MinHash of the text's word 5-grams."""
        from datasketch import MinHash

        m = MinHash(num_perm=self.num_perm, permutations=self._base.permutations, scheme="affine32")
        m.update_batch(shingles(normalised))
        return m.hashvalues.astype(np.uint32).tobytes()

    def add(self, stem: str, text: str) -> None:
        norm = normalise(text)
        digest = hashlib.sha256(norm.encode("utf-8")).digest()[:16]
        self.add_measured(stem, digest, len(norm), lambda: self.signature(norm))

    def add_measured(self, stem: str, digest: bytes, chars: int, signature) -> None:
        """A document by its normalised text's digest and length; `signature`: its bytes, or a
        callable that makes them (called only for the first document with this digest)."""
        self.count += 1
        index = self.count
        found = self.db.execute("SELECT rep FROM docs WHERE digest=? LIMIT 1", (digest,)).fetchone()
        rep = found[0] if found else index
        self.db.execute("INSERT INTO docs VALUES(?,?,?,?,?)", (index, stem, digest, chars, rep))
        if found or not self.near:
            return
        sig = signature() if callable(signature) else signature
        self.db.execute("INSERT INTO sigs VALUES(?,?)", (index, sig))
        width = self.rows * 4
        self.db.executemany("INSERT INTO bands VALUES(?,?)", [
            (int.from_bytes(hashlib.blake2b(bytes([band]) + sig[band * width:(band + 1) * width],
                                            digest_size=8).digest(), "little", signed=True), index)
            for band in range(self.bands)])

    def _near_pairs(self) -> Iterator[tuple[int, int]]:
        """Pairs of distinct texts (doc ids) that share a band and whose estimate passes the threshold."""
        self.db.execute("CREATE INDEX bands_hash ON bands(hash, id)")
        seen: set[tuple[int, int]] = set()
        first = previous = bucket = None
        for h, index in self.db.execute(
                "SELECT hash, id FROM bands WHERE hash IN (SELECT hash FROM bands GROUP BY hash HAVING count(*) > 1) "
                "ORDER BY hash, id"):
            if h != bucket:
                bucket, first, previous = h, index, index
                continue
            for other in {first, previous}:
                if (other, index) not in seen and self._estimate(other, index) >= self.threshold:
                    seen.add((other, index))
                    yield other, index
            previous = index

    def _estimate(self, a: int, b: int) -> float:
        sa, sb = (np.frombuffer(self.db.execute("SELECT sig FROM sigs WHERE id=?", (i,)).fetchone()[0], np.uint32)
                  for i in (a, b))
        return float((sa == sb).mean())

    def resolve(self) -> DedupResult:
        self.db.execute("COMMIT")
        parent: dict[int, int] = {}   # over the texts in a confirmed pair only

        def find(i: int) -> int:
            while parent.get(i, i) != i:
                parent[i] = parent.get(parent[i], parent[i])
                i = parent[i]
            return i

        if self.near:
            for a, c in list(self._near_pairs()):
                ra, rc = find(a), find(c)
                if ra != rc:
                    parent[max(ra, rc)] = min(ra, rc)
        groups: dict[int, list[tuple]] = {}   # root -> (stem, chars, rep, id) of its documents
        exact = self.db.execute("SELECT stem, chars, rep, id FROM docs WHERE rep IN "
                                "(SELECT rep FROM docs GROUP BY rep HAVING count(*) > 1) ORDER BY id")
        for member in exact:
            groups.setdefault(find(member[2]), []).append(member)
        for rep in list(parent):
            if not any(m[3] == rep for m in groups.get(find(rep), ())):
                groups.setdefault(find(rep), []).append(
                    self.db.execute("SELECT stem, chars, rep, id FROM docs WHERE id=?", (rep,)).fetchone())
        result = DedupResult(threshold=self.threshold)
        for members in groups.values():
            if len(members) < 2:
                continue
            kept = min(members, key=lambda m: (-m[1], m[0]))
            result.duplicates[kept[0]] = sorted(m[0] for m in members if m is not kept)
            for m in members:
                if m is kept:
                    continue
                result.duplicate_of[m[0]] = kept[0]
                if m[2] == kept[2]:
                    result.exact += 1
                else:
                    result.near += 1
        self.close()
        return result
