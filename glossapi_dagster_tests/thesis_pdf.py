"""A Greek thesis written as a PDF with a text layer (pypdfium2, DejaVu Sans): a cover page,
acknowledgements, a table of contents with dot leaders and page numbers, chapters with a bullet
list, a bibliography and an appendix, each part opening with a heading in a larger type, as a
thesis template sets them. The tests' case for section() and the structural labeller; its parts
and what each is (SECTIONS) come from how it is built, not from reading its output."""
from __future__ import annotations

import ctypes
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core: Greek glyphs
HEADING, BODY, LEADING = 18, 11, 15

BODY_TEXT = ("Η εργασία μελετά τη συμπεριφορά των κατανεμημένων συστημάτων αποθήκευσης όταν ο φόρτος "
             "αυξάνεται απότομα. Εξετάζουμε πώς η αναπαραγωγή των δεδομένων επηρεάζει τον χρόνο απόκρισης "
             "και ποιες ρυθμίσεις κρατούν το σύστημα διαθέσιμο χωρίς να θυσιάζεται η συνέπεια.")
# (heading, GlossAPI's label once fully annotated, what the section is, its body lines)
SECTIONS = [
    ("Τίτλος Διπλωματικής Εργασίας", "ε.σ.", "front_matter", ["Λεωνίδας Παπαδόπουλος", "Πανεπιστήμιο Ιωαννίνων, 2021"]),
    ("ΕΥΧΑΡΙΣΤΙΕΣ", "ε.σ.", "acknowledgements",
     ["Θα ήθελα να ευχαριστήσω τον επιβλέποντα καθηγητή μου για τη βοήθεια και την υπομονή του, "
      "καθώς και την οικογένειά μου για τη στήριξη όλα αυτά τα χρόνια."]),
    ("ΠΕΡΙΕΧΟΜΕΝΑ", "π", "table_of_contents",
     [f"{title} " + ". " * 18 + str(page) for title, page in [
         ("Ευχαριστίες", "ii"), ("1 Εισαγωγή", 1), ("1.1 Στόχοι της εργασίας", 2), ("2 Μεθοδολογία", 3),
         ("2.1 Πειραματική διάταξη", 3), ("2.2 Μετρήσεις", 4), ("3 Αποτελέσματα", 5), ("Βιβλιογραφία", 7),
         ("Παράρτημα Α", 8)]]),
    ("1 Εισαγωγή", "κ", "main_text", [BODY_TEXT, BODY_TEXT]),
    ("2 Μεθοδολογία", "κ", "main_text",
     [BODY_TEXT, "• η αναπαραγωγή σε τρεις κόμβους με ομοφωνία πλειοψηφίας",
      "• η ανάγνωση από τον πλησιέστερο κόμβο χωρίς συντονισμό", BODY_TEXT]),
    ("3 Αποτελέσματα", "κ", "main_text", [BODY_TEXT, BODY_TEXT, BODY_TEXT]),
    ("ΒΙΒΛΙΟΓΡΑΦΙΑ", "β", "bibliography", [
        "[1] M. E. J. Newman, «The structure and function of complex networks», SIAM Review, vol. 45, "
        "pp. 167–256, 2003.",
        "[2] Γ. Παπαδόπουλος, Κατανεμημένα συστήματα, Εκδόσεις Κλειδάριθμος, Αθήνα, 2015.",
        "[3] R. K. Jain, D. Chiu and W. Hawe, «A quantitative measure of fairness», DEC-TR-301, 1984."]),
    ("ΠΑΡΑΡΤΗΜΑ Α", "α", "appendix", ["Ο πηγαίος κώδικας των πειραμάτων και οι ρυθμίσεις των κόμβων.", BODY_TEXT]),
]


def _wrap(text: str, width: int = 80) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def thesis_pdf(path: Path) -> Path:
    """Each part of SECTIONS on its own page (a thesis starts each part on a new page)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument.new()
    data = FONT.read_bytes()
    buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    font = raw.FPDFText_LoadFont(doc.raw, buffer, len(data), raw.FPDF_FONT_TRUETYPE, 1)

    def put(page, text: str, x: float, y: float, size: float) -> None:
        obj = raw.FPDFPageObj_CreateTextObj(doc.raw, font, size)
        wide = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
        raw.FPDFText_SetText(obj, ctypes.cast(wide, ctypes.POINTER(ctypes.c_ushort)))
        raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
        raw.FPDFPage_InsertObject(page.raw, obj)

    for heading, _, _, paragraphs in SECTIONS:
        page = doc.new_page(595, 842)
        y = 760
        put(page, heading, 72, y, HEADING)
        y -= 2 * LEADING + 6
        for paragraph in paragraphs:
            for line in _wrap(paragraph):
                put(page, line, 72, y, BODY)
                y -= LEADING
            y -= LEADING // 2
        raw.FPDFPage_GenerateContent(page.raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
