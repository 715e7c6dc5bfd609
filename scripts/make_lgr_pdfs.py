#!/usr/bin/env python3
"""Typeset known Greek text in the cbgreek fonts (LGR) as PDFs whose Greek has no ToUnicode map.

pdfTeX embeds the cbgreek fonts as Type 1 with glyph names, which pdfium reads correctly; a
legacy PDF made from bitmap (PK) fonts has Type 3 fonts with no names and no ToUnicode, and its
text extracts as LGR transliteration (`MAJHMATIKA`). Removing the cbgreek fonts from pdfTeX's map
makes it embed PK fonts, as those PDFs do: a first run finds the fonts used, a second one makes the
PDF without their map lines.

Needs pdflatex and Debian's texlive-lang-greek (cbfonts, greek-fontenc, babel-greek). Writes
glossapi_dagster_tests/data/lgr/<name>.pdf beside <name>.txt (the Greek each must decode to, one
paragraph a line); the tests read those and need no TeX.

    python scripts/make_lgr_pdfs.py
    python scripts/make_lgr_pdfs.py --table   # prints lgr.py's CB_ENCODING from CB.enc instead
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "glossapi_dagster_tests" / "data" / "lgr"

# (U+037E is the Greek question mark, `;` to a reader: in LGR an ASCII `;` is the ano teleia `·`)
# name -> paragraphs: ("el", text) set in Greek (LGR), ("en", text) in English, ("math", tex) a formula
CASES = {
    "lgr_monotonic": [
        ("el", "Μαθηματικά ΙΙ: Ενδιάμεση Εξέταση, 17 Μαρτίου 2019."),
        ("el", "Διδάσκοντες: ο καθηγητής και η βοηθός. Διάρκεια εξέτασης: δύο ώρες."),
        ("el", "Άσκηση 1. Έστω ότι η συνάρτηση είναι συνεχής· να βρεθεί το όριό της\u037e "
               "Ένα βιβλίο, ώρα, ύλη, ήλιος, ίσως, Ότι, Ύψος, Ώρα, Ήρα, Ίδιος."),
        ("el", "Διαλυτικά: ρολόι, πρωτεΐνη, προϋπόθεση, Παλαιϊκός, διυλιστήριο, αϋπνία, ξϊ."),
        ("el", "«Η χρήση σημειώσεων δεν επιτρέπεται» — Καλή Επιτυχία!"),
    ],
    "lgr_mixed": [
        ("el", "Θέμα 2: Να υπολογιστούν τα πιο κάτω ολοκληρώματα."),
        ("en", "The integral of a continuous function over a closed interval exists."),
        ("math", r"\int_0^1 x^2\,dx = \frac{1}{3}"),
        ("el", "Το ιόν του χαλκού γράφεται"),
        ("en", "Cu2+ and H2O are written in Latin letters; see section 3.1 of the notes."),
        ("el", "Τέλος της άσκησης."),
    ],
}

PREAMBLE = r"""\documentclass[12pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[LGR,T1]{fontenc}
\usepackage[english,greek]{babel}
\pagestyle{empty}
\hyphenpenalty=10000 \exhyphenpenalty=10000 \raggedright
"""


def tex_source(paragraphs, unmapped=()) -> str:
    body = []
    for kind, text in paragraphs:
        if kind == "el":
            body.append(r"\selectlanguage{greek}" + text)
        elif kind == "en":
            body.append(r"\selectlanguage{english}" + text)
        else:
            body.append(r"\[" + text + r"\]")
    maps = "".join(r"\pdfmapline{-%s}" % f + "\n" for f in unmapped)
    return maps + PREAMBLE + "\\begin{document}\n" + "\n\n".join(body) + "\n\\end{document}\n"


def run_pdflatex(folder: Path, source: str) -> Path:
    (folder / "doc.tex").write_text(source, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "doc.tex"], cwd=folder,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        sys.exit(f"pdflatex failed:\n{done.stdout[-3000:]}")
    return folder / "doc.pdf"


def cbgreek_fonts(log: str) -> list[str]:
    """The cbgreek fonts pdfTeX embedded (their .pfb paths in the log)."""
    return sorted(set(re.findall(r"/(g[a-z]{3}\d{4})\.pfb", log.replace("\n", ""))))


CB_ENC = "/usr/share/texlive/texmf-dist/fonts/enc/dvips/cbfonts/CB.enc"


def print_table() -> None:
    """CB.enc's glyph names (uniXXXX, uXXXXX, or the U+XXXX of its comment) as slot -> text, the
    slots that read as themselves left out; U+037E for 63 (CB.enc: 'semicolon instead of GREEK
    QUESTION MARK'), Υ for 85 (it names U+03D2, the symbol), '' for the spacing-combining slots."""
    out = {}
    for line in Path(CB_ENC).read_text(encoding="latin-1").splitlines():
        m = re.match(r"/(\S+)\s+%\s*(\d+)(?:--(.*))?", line)
        if not m:
            continue
        name, slot, desc = m.group(1).split(".")[0], int(m.group(2)), m.group(3) or ""
        text = None
        if re.fullmatch(r"uni(?:[0-9A-F]{4})+", name):
            text = "".join(chr(int(name[i:i + 4], 16)) for i in range(3, len(name), 4))
        elif re.fullmatch(r"u[0-9A-F]{5}", name):
            text = chr(int(name[1:], 16))
        elif (u := re.search(r"U\+([0-9A-F]{4})", desc)):
            text = chr(int(u.group(1), 16))
        text = {63: ";", 85: "\u03a5"}.get(slot, text)
        if text is None or slot in (1, 20, 151):
            text = ""
        if not (slot < 128 and text == chr(slot)):
            out[slot] = text
    print(",".join(f" {k}: {v!r}" for k, v in sorted(out.items())))


def main() -> None:
    if "--table" in sys.argv:
        print_table()
        return
    if not shutil.which("pdflatex"):
        sys.exit("pdflatex not found: apt-get install texlive-latex-base texlive-lang-greek")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, paragraphs in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            run_pdflatex(folder, tex_source(paragraphs))
            fonts = cbgreek_fonts((folder / "doc.log").read_text(encoding="latin-1"))
            pdf = run_pdflatex(folder, tex_source(paragraphs, fonts))
            shutil.copyfile(pdf, OUT / f"{name}.pdf")
        expected = [unicodedata.normalize("NFC", text) for kind, text in paragraphs if kind != "math"]
        (OUT / f"{name}.txt").write_text("\n".join(expected) + "\n", encoding="utf-8")
        print(f"{name}.pdf: cbgreek fonts as PK bitmaps: {', '.join(fonts)}")


if __name__ == "__main__":
    main()
