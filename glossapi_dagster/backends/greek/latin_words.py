"""Whole words in Latin letters, in Greek text, that are lookalike spellings of Greek words.

OCR with Greek and English models together gives a short Greek word to the English model when its
letters look alike (`tou` for του, `Kal` for και, `Tic` for Τις, `v.` for ν., `ΑIATATMATA` for
ΔΙΑΤΑΓΜΑΤΑ). Such a token becomes Greek when its letters, each read as a Greek letter it looks
like, spell a word of the Greek lexicon (with accents and case aside for a word in capitals, which
has none), and the text around it is Greek. A Latin word that spells no Greek word (`webmaster`,
`fax`), a part of an address (`www.et.gr`, `info@`), and Latin words in a Latin text stay."""
from __future__ import annotations

import itertools
import re

from .chars import GREEK_CHAR

# Greek letters each Latin letter is mistaken for, the likeliest first
_UPPER = {"A": "ΑΔΛ", "B": "Β", "E": "Ε", "H": "Η", "I": "Ι", "K": "Κ", "M": "Μ", "N": "Ν", "O": "ΟΘ", "P": "Ρ",
          "T": "ΤΓ", "X": "Χ", "Y": "Υ", "Z": "Ζ", "V": "Υ", "\x01": "Π"}
_LOWER = {"a": "α", "b": "β", "d": "δ", "e": "ε", "h": "η", "i": "ι", "k": "κ", "l": "ι", "n": "η",
          "o": "οσ", "p": "ρ", "t": "τι", "u": "υμ", "v": "νυ", "w": "ω", "x": "χ", "y": "γυ", "z": "ζ",
          "c": "σ", "s": "σ", "g": "γ"}
_FINAL = {**_LOWER, "c": "ς", "s": "ς", "g": "ςγ"}
_TOKEN = re.compile(r"(?<![\w@./:\\-])[A-Za-z]+(?![\w@/:\\]|\.[A-Za-z])")
_GREEK_LETTER = GREEK_CHAR
_LATIN_LETTER = re.compile("[A-Za-z]")
MAX_READINGS = 512
MAX_SECOND = 2  # letters read as a less likely twin, at most
MAX_PI = 3  # TI/IT/II pairs of a token looked at as Π
# a Greek word ends in a vowel, ς, ν or ρ (παρ, υπέρ); one cut short elsewhere before ’ or .
_WORD_ENDS = set("αεηιουωάέήίόύώϊϋςνρ")
_CUT_MARKS = ("'", "’", ".", "΄")


def _options(token: str) -> list[str] | None:
    """The Greek letters each letter of a Latin token may be. A word's last c, s or g is ς. The
    less likely twins only in a word of three letters or more (`et` is not ει), and those of a
    capital only in a word in capitals (Δ and Γ look like A and T as capitals, not as initials)."""
    options = []
    capitals = token.replace("\x01", "").isupper() or token == "\x01"
    for i, ch in enumerate(token):
        if ch.isupper() or ch == "\x01":
            greek = _UPPER.get(ch)
            if greek is None and i > 0:  # a capital inside a word in lower case: its small letter's twins
                greek = _LOWER.get(ch.lower(), "").upper() or None
            if greek and not capitals:
                greek = greek[0]
        else:
            greek = _FINAL.get(ch) if i == len(token) - 1 else _LOWER.get(ch)
        if not greek:
            return None
        options.append(greek if len(token) >= 3 else greek[0])
    return options


def _readings(options: list[str]):
    """Greek spellings, the likeliest first: each letter its first twin, then one or two letters
    read as a less likely twin (Δ for A and Γ for T, in ΔΙΑΤΑΓΜΑΤΑ)."""
    yield "".join(o[0] for o in options)
    varied = [i for i, o in enumerate(options) if len(o) > 1]
    count = 0
    for k in range(1, min(MAX_SECOND, len(varied)) + 1):
        for positions in itertools.combinations(varied, k):
            for picks in itertools.product(*(options[i][1:] for i in positions)):
                count += 1
                if count > MAX_READINGS:
                    return
                letters = [o[0] for o in options]
                for i, ch in zip(positions, picks):
                    letters[i] = ch
                yield "".join(letters)


def _pi_variants(token: str) -> list[str]:
    """A capital Π read as two letters (TI, IT, II: its legs and its bar) is one letter: the token
    as it is, then with each such pair as Π (marked \x01 for _options)."""
    if not token.isupper() or len(token) < 4:  # `IT` is no Π
        return [token]
    spots = [m.start() for m in re.finditer("(?=(?:TI|IT|II))", token)][:MAX_PI]
    out = [token]
    for k in range(1, len(spots) + 1):
        for chosen in itertools.combinations(spots, k):
            if any(b - a < 2 for a, b in zip(chosen, chosen[1:])):
                continue
            variant = token
            for at in reversed(chosen):
                variant = variant[:at] + "\x01" + variant[at + 2:]
            out.append(variant)
    return out


def greek_reading(token: str, lexicon, after: str = "") -> str | None:
    """The Greek word a Latin token spells, or None. after: the character after it; a word cut
    short (`κατ`, `αριθμ`) is one only before an apostrophe or the period of an abbreviation."""
    capitals = token.isupper() and len(token) > 1
    cut_ok = after in _CUT_MARKS
    for variant in _pi_variants(token):
        options = _options(variant)
        if options is None:
            continue
        for reading in _readings(options):
            if not cut_ok and len(reading) > 1 and reading[-1].lower() not in _WORD_ENDS:
                continue
            if lexicon.known(reading) if not capitals else lexicon.known_bare(reading):
                return reading
    return None


def latin_tokens(text: str) -> list[str]:
    """The whole Latin words of text, parts of addresses (`www.et.gr`, `info@`) left out."""
    return _TOKEN.findall(text)


def greek_context(text: str, greek_page: bool = False) -> bool:
    """Greek letters outnumber Latin ones three to one, or (on a page that is mostly Greek: a
    heading read half in Latin lookalikes) at all: the Latin tokens in it are strays."""
    greek, latin = len(_GREEK_LETTER.findall(text)), len(_LATIN_LETTER.findall(text))
    return greek >= 3 * latin or greek_page and greek > latin


def fix_latin_words(text: str, lexicon, greek_page: bool = False) -> str:
    """text (a paragraph of OCR) with its Latin-lettered Greek words in Greek letters."""
    if lexicon is None or not _LATIN_LETTER.search(text) or not greek_context(text, greek_page):
        return text

    def fix(m: re.Match) -> str:
        return greek_reading(m.group(0), lexicon, m.string[m.end():m.end() + 1]) or m.group(0)

    return _TOKEN.sub(fix, text)
