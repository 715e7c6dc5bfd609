"""The one text stage (backends/text_stage.py): every backend returns its text cleaned, then
repaired, in that order, whatever the backend.

The cause generated here: a producer that put a Greek text's UTF-8 bytes into a single-byte font
writes each Greek letter as two Latin-1/cp1252 characters (`φ` as `Ï†`), and the text layer says
so. Inside it, a Greek word typed with a Latin `o` (a keyboard's layout switched mid-word). The
Greek repairs can see the Latin `o` among Greek letters only once the clean (ftfy) has made the
letters Greek again: Docling's text was repaired before it was cleaned, so the Latin letter stayed
in `φιλoσοφία`. The words avoid the letters whose cp1252 reading docling-parse rewrites (τ's `„`
read as `"`, Η's `—` as `-`), so that ftfy can restore what the text layer says."""
from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor

from .greek_pdfs import _Writer

TRUTH = ["η φιλοσοφία και η μουσική είναι πάλι μαζί,", "μια κοιλάδα δίπλα σε κάποιο βουνό και μια παλιά γωνιά."]
TYPED = [TRUTH[0].replace("φιλοσοφία", "φιλ" + "o" + "σοφία"), TRUTH[1]]  # a Latin o (U+006F) in the word
_LATIN_IN_GREEK = re.compile(r"[α-ωά-ώ][A-Za-z]|[A-Za-z][α-ωά-ώ]")


def _mojibake_pdf(path: Path) -> Path:
    writer = _Writer()
    writer.new_page()
    y = 700.0
    for line in TYPED:
        writer.text(line.encode("utf-8").decode("cp1252"), 60, y, 10)
        y -= 14
    return writer.save(path)


@pytest.mark.parametrize("backend", ["safe", "docling"])
def test_a_latin_letter_in_a_greek_word_of_mojibake_text_is_repaired_by_every_backend(tmp_path, backend):
    pdf = _mojibake_pdf(tmp_path / "mojibake.pdf")
    layer = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "Ï†Î¹Î»oÏƒÎ¿Ï†Î¯Î±" in layer  # the cause is in the text layer: cp1252 characters, a Latin o
    extractor = SafePdfExtractor() if backend == "safe" else DoclingExtractor("native")
    conversion = extractor.convert(pdf)
    markdown = conversion.markdown or conversion.document.export_to_markdown()  # as the backend returns it
    assert " ".join(TRUTH) in " ".join(markdown.split()), markdown
    assert not _LATIN_IN_GREEK.search(markdown), markdown
    assert conversion.repairs["lookalikes"] == [1]
