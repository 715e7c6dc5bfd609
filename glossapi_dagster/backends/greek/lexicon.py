"""A Greek lexicon: the word forms of Debian's hunspell-el dictionary (LibreOffice's el_GR, MPL-2.0;
828,806 full forms, no affix rules), asked whether a word is Greek as it is written, or whether its
letters spell one with accents and case set aside (a word in capitals carries no accent).

The forms are kept as sorted 64-bit hashes (13 MiB for both questions, against ~200 MiB as Python
sets), built once from the dictionary and cached beside docling-core's template (XDG cache); a
worker loads the cache in ~20 ms. Without the dictionary the rules that need it stand aside, and
say so once (`scripts/system-deps.sh` installs it: `apt-get install hunspell-el`)."""
from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

ENV_DICTIONARY = "GLOSSAPI_GREEK_DICTIONARY"  # Settings.greek_dictionary
DICTIONARIES = ("/usr/share/hunspell/el_GR.dic", "/usr/share/myspell/el_GR.dic", "/usr/share/myspell/dicts/el_GR.dic")
PACKAGE = "hunspell-el"
log = logging.getLogger(__name__)


def _hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def bare(word: str) -> str:
    """Lower case without any mark (tonos, diaeresis, breathings): how a word in capitals is spelt."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Lexicon:
    def __init__(self, exact: np.ndarray, bare_forms: np.ndarray):
        self._exact, self._bare = exact, bare_forms

    @classmethod
    def from_words(cls, words) -> "Lexicon":
        lower = {unicodedata.normalize("NFC", w.strip()).lower() for w in words if w.strip()}
        exact = np.unique(np.fromiter((_hash(w) for w in lower), dtype=np.uint64, count=len(lower)))
        stripped = {bare(w) for w in lower}
        return cls(exact, np.unique(np.fromiter((_hash(w) for w in stripped), dtype=np.uint64, count=len(stripped))))

    @staticmethod
    def _has(table: np.ndarray, word: str) -> bool:
        h = np.uint64(_hash(word))
        i = int(table.searchsorted(h))
        return i < len(table) and bool(table[i] == h)

    def known(self, word: str) -> bool:
        """The word as written (accents count; case does not: `Του` and `του` alike)."""
        return self._has(self._exact, word.lower())

    def known_bare(self, word: str) -> bool:
        """Some word of the lexicon has these letters, accents and case aside (`ΔΙΑΤΑΓΜΑΤΑ`, `οδος`)."""
        return self._has(self._bare, bare(word))

    def __len__(self) -> int:
        return len(self._exact)


def dictionary_path() -> Path | None:
    from ...datamodel import settings

    env = (settings().greek_dictionary or "").strip()
    for cand in ([env] if env else []) + list(DICTIONARIES):
        if Path(cand).is_file():
            return Path(cand)
    return None


def _read_dictionary(path: Path) -> list[str]:
    """A hunspell .dic: its first line the count, then a form a line (`form/FLAGS`: flags dropped;
    el_GR has none). Its encoding is the .aff's SET (ISO-8859-7 for el_GR)."""
    encoding = "utf-8"
    aff = path.with_suffix(".aff")
    if aff.is_file():
        for line in aff.read_bytes().decode("latin-1").splitlines():
            if line.startswith("SET "):
                encoding = line.split()[1].strip()
                break
    lines = path.read_bytes().decode(encoding, "replace").split("\n")[1:]
    return [line.split("/", 1)[0] for line in lines]


def _cache_file(path: Path) -> Path:
    stat = path.stat()
    key = hashlib.sha1(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "glossapi-dagster"
    return root / f"lexicon-el-{key}.npz"


@lru_cache(maxsize=1)
def is_word(word: str) -> bool:
    """The process's lexicon knows these letters as a word, accents and case aside (a bare form
    covers every written one); False without a lexicon."""
    lexicon = greek_lexicon()
    return lexicon is not None and lexicon.known_bare(word)


def greek_lexicon() -> Lexicon | None:
    """The process's lexicon (loaded on first use), or None, logged once, when no dictionary is installed."""
    path = dictionary_path()
    if path is None:
        log.warning("no Greek dictionary (%s): glued words stay glued and Latin-lettered Greek words stay Latin; "
                    "install it with: sudo apt-get install -y %s (or set %s)", ", ".join(DICTIONARIES), PACKAGE,
                    ENV_DICTIONARY)
        return None
    cache = _cache_file(path)
    try:
        with np.load(cache) as data:
            return Lexicon(data["exact"], data["bare"])
    except (OSError, ValueError, KeyError):
        pass
    lexicon = Lexicon.from_words(_read_dictionary(path))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, exact=lexicon._exact, bare=lexicon._bare)
        os.replace(tmp, cache)
    except OSError:  # a read-only home: built again by the next process
        pass
    return lexicon
