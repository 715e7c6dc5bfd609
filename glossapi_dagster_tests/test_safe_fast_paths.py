"""The safe path's fast tests answer as the rules they stand for (issue 29: speed, output unchanged).

Each fast form below replaces a pattern or a loop that states a rule plainly, because the plain
form cost the text layer's CPU (a regex of alternatives tried at every character, a Python call a
line). The plain forms are written out here as the definitions, and each fast form must give the
same answer on every string of an alphabet of the characters that matter to it, at every length up
to 7: generated, exhaustive over short strings, so that a boundary the fast form misses (a Greek
letter before a lookalike, a newline after an accented capital, an empty line) shows up as a
failure. About 2 s in all.
"""
from __future__ import annotations

import itertools
import random
import re

from glossapi_dagster.backends.extract import safe_lines, text_fixes
from glossapi_dagster.backends.greek import capitals, lookalikes
from glossapi_dagster.backends.line_join import join_lines, join_pair


def _strings(alphabet: str, exhaustive: int, samples: int, longest: int, seed: int):
    """Every string of alphabet up to `exhaustive` characters, then `samples` random longer ones."""
    for n in range(exhaustive + 1):
        for chars in itertools.product(alphabet, repeat=n):
            yield "".join(chars)
    rnd = random.Random(seed)
    for _ in range(samples):
        yield "".join(rnd.choice(alphabet) for _ in range(rnd.randint(exhaustive + 1, longest)))


def test_the_capitals_hint_answers_as_its_pattern():
    # an accented capital, a small accented letter, capitals and small letters, the symbol forms,
    # a sign of the Greek block that is no letter, and what ends a word
    alphabet = "ΆΈΏάώΐΑΩαωϑ΄ \na"
    for text in _strings(alphabet, 4, 20000, 9, 29):
        assert capitals.has_capitals_hint(text) == (capitals.HINT.search(text) is not None), repr(text)


def test_the_lookalike_hints_answer_as_their_patterns():
    # Latin capitals and o with Greek twins, ∆ and µ, Greek letters of both blocks, a combining
    # accent, a Latin letter without a twin, what ends a word
    alphabet = "AOoΑοα\u1f00\u2206\u00b5\u0301h \n"
    for text in _strings(alphabet, 4, 20000, 9, 30):
        plain = lookalikes.HINT.search(text) is not None
        assert lookalikes._greek_hint(text) == plain, repr(text)
        assert lookalikes.has_lookalike(text) == (plain or lookalikes.LATIN_HINT.search(text) is not None), repr(text)


def test_the_mojibake_suspect_answers_as_its_pattern():
    moji = text_fixes._MOJI
    plain = re.compile(f"[\u0080-\u024f\u2500-\u25ff][{moji}]|[\u0080-\u009f\ufffd]")
    # each range's ends and a character just outside it, on both sides of the pair
    alphabet = "a\u007f\u0080\u009f\u00a0\u00ab\u024f\u0250\u200f\u2010\u2122\u2123\u24ff\u2500\u25ff\u2600\ufffd\ufffe"
    for text in _strings(alphabet, 3, 20000, 7, 31):
        assert text_fixes.may_need_repair(text) == (plain.search(text) is not None), repr(text)


def test_lines_and_compound_hyphen_marks_are_found_as_before():
    line = re.compile(r"[^\S\r\n]*(\S(?:[^\r\n]*\S)?)")  # a line without its surrounding blanks
    compound = re.compile("(?<=[^\\W\\d_])[\ufffe\x02](?=[^\\W\\d_])")  # a mark between two letters
    alphabet = "aΆ1_ \t\x0b\u2028\r\n\ufffe\x02-"
    for text in _strings(alphabet, 3, 30000, 10, 32):
        assert [m.span() for m in safe_lines._LINE.finditer(text)] == [m.span(1) for m in line.finditer(text)], repr(text)
        assert [m.span() for m in safe_lines._COMPOUND.finditer(text)] == [m.span() for m in compound.finditer(text)], repr(text)


def test_a_paragraphs_lines_join_as_pair_by_pair():
    pieces = ["", "a", "ab-", "Ab", "ab", "x\u00ad", "Έρευνας-", "Πλη", "-", "q\u2010", "7-", " ", "b"]
    rnd = random.Random(33)
    for _ in range(30000):
        lines = [rnd.choice(pieces) + rnd.choice(pieces) for _ in range(rnd.randint(1, 5))]
        out = lines[0]
        for nxt in lines[1:]:
            out = join_pair(out, nxt)
        assert join_lines(lines) == out, lines
