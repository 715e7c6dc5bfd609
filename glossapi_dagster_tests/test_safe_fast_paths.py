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


def test_a_pages_repairs_look_only_at_its_hinted_texts_and_answer_as_each_texts():
    """text_layer_repairs runs the Greek repairs on the texts where the page shows a hint (or that
    are not NFC); the plain form runs them on every text. Pages of generated texts: lookalikes
    beside Greek letters, Greek twins before Latin letters, accented capitals and small letters
    among capitals, a decomposed accent, at a text's start and end, where a hint would reach over
    the blank between two texts if it could."""
    from glossapi_dagster.backends.greek.repair import needs_repair, repair_greek
    from glossapi_dagster.backends.greek.lookalikes import greek_page
    from glossapi_dagster.backends.text_stage import text_layer_repairs

    alphabet = "AOoΤhΆάΑαωϑ\u2206\u00b5\u0301 "
    rnd = random.Random(34)
    texts = list(_strings(alphabet, 3, 3000, 8, 33))
    for _ in range(4000):
        page = [rnd.choice(texts) for _ in range(rnd.randint(1, 6))]
        got = text_layer_repairs(page)
        if not needs_repair(" ".join(page)):
            assert got == (page, []), page
            continue
        greek, out, names = greek_page(" ".join(page)), [], []
        for text in page:
            text, done = repair_greek(text, greek)
            out.append(text)
            names.extend(name for name in done if name not in names)
        assert got == (out, names), page


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
        assert safe_lines._line_spans(text) == [m.span(1) for m in line.finditer(text)], repr(text)
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


def test_the_class_table_is_the_patterns_own():
    """count_classes' table of every BMP code point's class bits, built by re.sub and numpy, is the
    one each pattern's matches give one by one."""
    import numpy as np

    from glossapi_dagster.backends.quality import charclass

    chars = "".join(chr(c) if not 0xD800 <= c <= 0xDFFF else " " for c in range(0x10000))
    plain = np.zeros(0x10000, dtype=np.uint8)
    for bit, pattern in charclass.PATTERNS.items():
        plain[[m.start() for m in pattern.finditer(chars)]] |= bit
    plain[0xD800:0xE000] = charclass.NONSPACE | charclass.BAD
    assert np.array_equal(charclass._bmp_table(), plain)


def test_a_long_documents_ranges_splice_with_every_reference_moved():
    """splice(own=True) moves references in place (the parts read from their files are its own),
    splice() copies; the plain form copies every dict and list, moving each "$ref" and "self_ref" by
    the items of the parts before it. Both give the plain form's document; splice() leaves the parts."""
    import copy

    from glossapi_dagster.phases.stitch import _REF, empty_document, splice

    def part(n_texts: int, page: int) -> dict:
        texts = [{"self_ref": f"#/texts/{i}", "parent": {"$ref": "#/body"}, "children": [],
                  "prov": [{"page_no": page, "bbox": {"l": 0, "t": 1, "r": 1, "b": 0}}], "text": "#/texts/0"}
                 for i in range(n_texts)]
        pictures = [{"self_ref": "#/pictures/0", "parent": {"$ref": "#/body"}, "captions": [{"$ref": "#/texts/1"}],
                     "children": [], "prov": []}]
        return {"texts": texts, "pictures": pictures, "pages": {str(page): {"page_no": page}},
                "body": {"children": [{"$ref": f"#/texts/{i}"} for i in range(n_texts)] + [{"$ref": "#/pictures/0"}]},
                "furniture": {"children": [{"$ref": "#/texts/0"}]}}

    parts = [part(3, 1), part(2, 2), part(4, 3)]
    template = empty_document()
    out = template | {"name": "x", "pages": {}, "body": {**template["body"], "children": []},
                      "furniture": {**template["furniture"], "children": []}}
    lists = [key for key in ("groups", "texts", "pictures", "tables", "key_value_items", "form_items",
                             "field_regions", "field_items") if key in template]
    for key in lists:
        out[key] = []
    for p in copy.deepcopy(parts):
        offsets = {key: len(out[key]) for key in lists}

        def fix(obj):
            if isinstance(obj, dict):
                return {k: (lambda m: f"#/{m[1]}/{int(m[2]) + offsets[m[1]]}" if m else v)(_REF.fullmatch(v))
                        if k in ("$ref", "self_ref") and isinstance(v, str) else fix(v) for k, v in obj.items()}
            return [fix(v) for v in obj] if isinstance(obj, list) else obj

        for key in lists:
            out[key].extend(fix(p.get(key) or []))
        for root in ("body", "furniture"):
            out[root]["children"].extend(fix(p[root]["children"]))
        out["pages"].update(p["pages"])
    original = copy.deepcopy(parts)
    assert splice(parts, template, "x") == out
    assert parts == original
    spliced = splice(parts, template, "x", own=True)
    assert spliced == out
    assert spliced["texts"][5]["self_ref"] == "#/texts/5" and spliced["texts"][5]["text"] == "#/texts/0"
    assert spliced["pictures"][2]["captions"] == [{"$ref": "#/texts/6"}]
