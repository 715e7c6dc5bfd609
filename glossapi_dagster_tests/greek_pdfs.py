"""PDFs made from known text, for the Greek text rules (issue 26): each reproduces a cause, and its
text is the truth the output is judged against.

- scan_pdf: an image-only PDF of known paragraphs (Greek, English or both), set in a Greek font
  with a tight word space, as a justified gazette column is: what OCR reads with `eng`'s Latin
  lookalikes, polytonic marks and glued function words.
- bilingual_pdf: a text-layer PDF whose Greek and English pages all carry a Greek running header
  written with lookalikes (∆ U+2206, a Latin T), as gazettes' headers are, and page numbers.
- small_caps_pdf: headings in the glyph pattern a small-caps Greek font extracts as (accented
  capitals for the small capitals, a small μ or ϑ where the font has no small capital), over body
  text with a compound hyphen at a line end and an ordinary hyphenation.
- scripts_pdf: a paragraph with subscripts and superscripts inside its lines (CO₂, m², a footnote
  mark), each a smaller run on a shifted baseline, over its footnotes (one with its number on the
  line, two with it raised and glued to the text).
- lists_pdf: lists and paragraphs with no spacing between them (LISTS_PAGE), as a call for
  applications or a gazette sets them: the starts are shown only by bullets, enumerators, a
  paragraph's short last line and a first-line indent.
- columns_pdf: a two-column page whose paragraph goes on from the left column's foot to the right
  column's top, and below it a column that ends a sentence before one that starts another.
- tracked_pdf: titles set with letter spacing (each letter its own text object, 2.5-4 pt apart),
  a formula's variables set apart as single letters, and body text.
- drop_caps_pdf: paragraphs that open with a drop cap (a 36 pt letter beside their first two
  lines), one the first letter of a word (`Ε` + `ίναι`), one a word of its own (`Η` + `έρευνα`).
- greek_in_latin_words_pdf: a Greek page and an English page whose English words were typed with
  the keyboard still in Greek for their first key (`Τhe`, Greek Τ) or an omicron in them.
Text objects are written with pypdfium2 (pdfium's own font embedding, ToUnicode included) in a
system font; images with Pillow. Nothing here needs TeX."""
from __future__ import annotations

import ctypes
import glob
from pathlib import Path

# Known monotonic Greek, in the register of a gazette: articles and prepositions beside longer
# words (με την, και του), a decree in capitals, μ in many words.
GREEK_PARAGRAPHS = [
    "ΠΡΟΕΔΡΙΚΟ ΔΙΑΤΑΓΜΑ ΥΠ’ ΑΡΙΘΜ. 12",
    "Τροποποίηση του προεδρικού διατάγματος για τη σύσταση νομικού προσώπου με την επωνυμία "
    "«Δημοτικό Λιμενικό Ταμείο» και του κανονισμού λειτουργίας του.",
    "Έχοντας υπόψη τις διατάξεις του άρθρου 28 του νόμου για την Κυβέρνηση και τα Κυβερνητικά "
    "Όργανα, με την παράγραφο 2 του ίδιου άρθρου, καθώς και τη γνώμη του Δημοτικού Συμβουλίου "
    "με την απόφαση που λήφθηκε στη συνεδρίαση της επιτροπής.",
    "Το γεγονός ότι από τις διατάξεις του παρόντος δεν προκαλείται δαπάνη σε βάρος του κρατικού "
    "προϋπολογισμού, με πρόταση των Υπουργών Εσωτερικών και Οικονομικών, αποφασίζουμε:",
    "Οι αρμοδιότητες που αφορούν στο Δήμο μεταφέρονται στο νέο νομικό πρόσωπο με την επωνυμία "
    "του ταμείου, το οποίο θα ασκεί τις αρμοδιότητες και τα καθήκοντα του προσωπικού του.",
    "Με απόφαση του Υπουργού ορίζονται οι προϋποθέσεις, η διαδικασία και κάθε άλλη λεπτομέρεια "
    "για την εφαρμογή του παρόντος, καθώς και το μέγεθος του μητρώου και η μορφή του.",
    "Στον Υπουργό Εσωτερικών αναθέτουμε τη δημοσίευση και εκτέλεση του παρόντος διατάγματος, "
    "με την υποστήριξη της υπηρεσίας και του ειδικού προσωπικού της.",
]
ENGLISH_PARAGRAPHS = [
    "MEMORANDUM OF UNDERSTANDING",
    "The Parties agree that the provisions of this Memorandum shall apply to the training of "
    "personnel and to the exchange of information between the competent authorities.",
    "Each Party shall bear the costs of its participation in the activities under this "
    "Memorandum, unless otherwise agreed in writing by the Parties concerned.",
    "This Memorandum shall enter into force on the date of the last signature and shall remain "
    "in force for a period of five years, renewable by mutual consent.",
]
MIXED_PARAGRAPHS = [
    "Η συνεργασία με το University of Cambridge και το Imperial College London ξεκίνησε με την "
    "υπογραφή του Memorandum of Understanding από τον πρύτανη και τον κοσμήτορα.",
    "Τα δεδομένα αναλύθηκαν με το πακέτο Python και τη βιβλιοθήκη NumPy, ενώ τα αποτελέσματα "
    "δημοσιεύθηκαν στο περιοδικό Nature Communications και στο arXiv.",
    "Ο καθηγητής John Smith από το Massachusetts Institute of Technology παρουσίασε τη μέθοδο "
    "για την ανάλυση των δεδομένων και του μοντέλου στην ημερίδα.",
]
# Greek with what a Greek page holds in Latin letters (a web address, an e-mail address) and
# figures beside words (`άρθρο 1`, `παράγραφο 12 του`): what one Greek model alone gets wrong
GREEK_WITH_LATIN = [
    "Πληροφορίες στην ιστοσελίδα www.et.gr και στη διεύθυνση webmaster@et.gr του Εθνικού Τυπογραφείου.",
    "Σύμφωνα με το άρθρο 1 του νόμου 3852/2010 και την παράγραφο 12 του άρθρου 90 του Κώδικα.",
]
# the running header of every page of bilingual_pdf, as gazettes write it: U+2206 for Δ, a Latin T
RUNNING_HEADER = "ΕΦΗΜΕΡΙ\u2206Α TΗΣ ΚΥΒΕΡΝΗΣΕΩΣ"
RUNNING_HEADER_GREEK = "ΕΦΗΜΕΡΙΔΑ ΤΗΣ ΚΥΒΕΡΝΗΣΕΩΣ"
# small-caps headings: (what the font's glyphs extract as, what a reader sees)
SMALL_CAPS_HEADINGS = [("ΠΈΡΊΈΧΌμΈΝΆ", "ΠΕΡΙΕΧΟΜΕΝΑ"), ("ΒΊΒΛΊΌΓΡΆΦΊΆ", "ΒΙΒΛΙΟΓΡΑΦΙΑ"),
                       ("ΑΛΓΌΡΊϑμΏΝ", "ΑΛΓΟΡΙΘΜΩΝ"), ("ΕΙΣΑΓΩΓΉ", "ΕΙΣΑΓΩΓΗ")]
# body lines of small_caps_pdf: a compound hyphen at a line end (kept), a hyphenation (joined)
HYPHEN_LINES = ["Η εργασία εκπονήθηκε στο Τμήμα Μηχανικών Η/Υ και Έρευνας-",
                "Πληροφορικής του Πανεπιστημίου, με τη συμβολή των μεταπτυχιακών φοιτη-",
                "τών του εργαστηρίου και των συνεργατών του."]
HYPHEN_TRUTH = ("Έρευνας-Πληροφορικής", "φοιτητών")

# English words as a writer types them who switches the keyboard from Greek a key late: (typed,
# what a reader sees). Τ, Μ, Η, Α are Greek capitals, the ο of `cοmputer` a Greek omicron.
GREEK_IN_LATIN_WORDS = [("Τhe", "The"), ("Μg", "Mg"), ("Ηz", "Hz"), ("cοmputer", "computer"), ("Αthens", "Athens")]
GREEK_IN_LATIN_LINES = [
    "Το θεώρημα διατυπώνεται στα αγγλικά ως εξής: Τhe square of the hypotenuse is the sum of the squares.",
    "Η μέτρηση του Μg έγινε στα 50 Ηz με τον cοmputer του εργαστηρίου στο University of Αthens.",
]

SERIF_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/usr/share/fonts/**/DejaVuSerif.ttf",
               "/usr/share/fonts/opentype/didot/GFSDidot.otf")


def font_file() -> str:
    for pattern in SERIF_FONTS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    raise FileNotFoundError("no Greek serif font: apt-get install fonts-dejavu-core")


def _wrap(draw, font, words: list[str], width: int, space: float) -> list[list[str]]:
    lines, current, used = [], [], 0.0
    for word in words:
        w = draw.textlength(word, font=font)
        if current and used + space + w > width:
            lines.append(current)
            current, used = [], 0.0
        used += (space if current else 0.0) + w
        current.append(word)
    if current:
        lines.append(current)
    return lines


def scan_pdf(path: Path, pages: list[list[str]], dpi: int = 200, size: float = 10.0, word_space: float = 0.55,
             font: str | None = None) -> Path:
    """An image-only A4 PDF, a page per list of paragraphs, set in `size` pt with word spaces
    `word_space` of the font's own (a tight justified column is ~0.6), one column 12 cm wide."""
    from PIL import Image, ImageDraw, ImageFont

    images = []
    px = dpi / 72.0
    face = ImageFont.truetype(font or font_file(), round(size * px))
    for paragraphs in pages:
        image = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
        draw = ImageDraw.Draw(image)
        space = draw.textlength(" ", font=face) * word_space
        x0, y, width = round(1.2 * dpi), round(1.0 * dpi), round(12 / 2.54 * dpi)
        for paragraph in paragraphs:
            gap = draw.textlength(" ", font=face) if paragraph.isupper() else space  # a heading is not justified
            for line in _wrap(draw, face, paragraph.split(), width, gap):
                x = x0
                for word in line:
                    draw.text((x, y), word, font=face, fill=0)
                    x += draw.textlength(word, font=face) + gap
                y += round(size * 1.25 * px)
            y += round(size * 0.6 * px)
        images.append(image)
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


class _Writer:
    """Text objects on new pages with pypdfium2's raw API (pdfium embeds the font, with ToUnicode)."""

    def __init__(self, font: str | None = None):
        import pypdfium2 as pdfium
        import pypdfium2.raw as raw

        self.raw = raw
        self.pdf = pdfium.PdfDocument.new()
        data = Path(font or font_file()).read_bytes()
        self._data = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)  # alive as long as the document
        self.font = raw.FPDFText_LoadFont(self.pdf.raw, self._data, len(data), raw.FPDF_FONT_TRUETYPE, True)
        self.page = None

    def new_page(self, width: float = 595.0, height: float = 842.0):
        self.finish_page()
        self.page = self.pdf.new_page(width, height)
        return self.page

    def text(self, text: str, x: float, y: float, size: float = 10.0) -> None:
        raw = self.raw
        obj = raw.FPDFPageObj_CreateTextObj(self.pdf.raw, self.font, size)
        buffer = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
        raw.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)))
        raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
        raw.FPDFPage_InsertObject(self.page.raw, obj)

    def paragraph(self, text: str, x: float, y: float, size: float = 10.0, chars: int = 80) -> float:
        """Wrapped at `chars` characters a line; returns the y below it."""
        line = ""
        for word in text.split():
            if line and len(line) + 1 + len(word) > chars:
                self.text(line, x, y, size)
                y -= size * 1.3
                line = ""
            line = f"{line} {word}".strip()
        if line:
            self.text(line, x, y, size)
            y -= size * 1.3
        return y - size * 0.8

    def finish_page(self) -> None:
        if self.page is not None:
            self.raw.FPDFPage_GenerateContent(self.page.raw)
            self.page = None

    def save(self, path: Path) -> Path:
        self.finish_page()
        self.pdf.save(str(path))
        self.pdf.close()
        return path


def bilingual_pdf(path: Path, greek_pages: int = 4, english_pages: int = 3) -> Path:
    """Greek pages, then English ones, each under RUNNING_HEADER with its page number at the foot."""
    writer = _Writer()
    for index in range(greek_pages + english_pages):
        writer.new_page()
        writer.text(RUNNING_HEADER, 200, 805, 9)
        writer.text(str(index + 1), 292, 30, 9)
        paragraphs = GREEK_PARAGRAPHS[1:] if index < greek_pages else ENGLISH_PARAGRAPHS[1:]
        y = 760.0
        for paragraph in paragraphs * 2:
            y = writer.paragraph(paragraph, 60, y)
    return writer.save(path)


def small_caps_pdf(path: Path) -> Path:
    """Pages with a small-caps heading (SMALL_CAPS_HEADINGS' glyph pattern, 16 pt) over Greek body
    text; the first page's body ends with HYPHEN_LINES."""
    writer = _Writer()
    for index, (glyphs, _) in enumerate(SMALL_CAPS_HEADINGS):
        writer.new_page()
        writer.text(glyphs, 60, 760, 16)
        y = 720.0
        for paragraph in GREEK_PARAGRAPHS[1:4]:
            y = writer.paragraph(paragraph, 60, y)
        if index == 0:
            for line in HYPHEN_LINES:
                writer.text(line, 60, y, 10)
                y -= 13
    return writer.save(path)


# (text, size, baseline shift) runs of each line; the 6 pt runs are subscripts (-2) and superscripts (+4)
SCRIPT_LINES = [
    [("Η ρύπανση από CO", 10, 0), ("2", 6, -2), (" και NO", 10, 0), ("x", 6, -2), (" αυξάνεται κάθε χρόνο, όπως έδειξε", 10, 0)],
    [("ο Smith", 10, 0), ("1", 6, 4), (" στη μελέτη του για την Αθήνα. Το εμβαδόν 25 m", 10, 0), ("2", 6, 4),
     (" δίνεται στον", 10, 0)],
    [("πίνακα, όπως και η ενέργεια E = mc", 10, 0), ("2", 6, 4), (" της μονάδας.", 10, 0)],
]
SCRIPT_FOOTNOTE = "1 Βλ. Smith, J. (2020). Methods, σ. 45."
# footnotes set as LaTeX sets them: the number raised and small, glued to the text (a reader sees
# `²Περιοδικό`), each on its own line right under the one before: (number, text)
RAISED_FOOTNOTES = [("2", "Περιοδικό Φυσικής, τόμ. 3, σ. 12-19."), ("3", "Ό.π., σ. 21.")]
SCRIPT_TRUTH = ["ρύπανση από CO2 και NOx αυξάνεται", "μελέτη του", "δίνεται στον πίνακα", "της μονάδας."]


def _width(text: str, size: float) -> float:
    from PIL import ImageFont

    return ImageFont.truetype(font_file(), 100).getlength(text) * size / 100


def scripts_pdf(path: Path) -> Path:
    """SCRIPT_LINES, each run drawn where the one before it ends, and SCRIPT_FOOTNOTE at the foot
    of the page in 8 pt, RAISED_FOOTNOTES under it."""
    writer = _Writer()
    writer.new_page()
    y = 760.0
    for runs in SCRIPT_LINES:
        x = 60.0
        for text, size, shift in runs:
            writer.text(text, x, y + shift, size)
            x += _width(text, size)
        y -= 13
    writer.text(SCRIPT_FOOTNOTE, 60, 80, 8)
    for k, (number, note) in enumerate(RAISED_FOOTNOTES):
        writer.text(number, 60, 70 - 10 * k + 3, 5)
        writer.text(note, 60 + _width(number, 5), 70 - 10 * k, 8)
    return writer.save(path)


# (indent in points, text) of each paragraph or item of lists_pdf, set with no space between them
# and wrapped at COLUMN points (and at each \n: a wrapped line that starts with a number or a dash);
# an item's wrapped lines hang under its text (12 pt)
LISTS_PAGE = [
    (0, "Οι υποψήφιοι πρέπει να προσκομίσουν τα εξής δικαιολογητικά, σύμφωνα με τις διατάξεις του άρθρου\n"
        "12. Η προκήρυξη ορίζει:"),
    (0, "α) Αίτηση συμμετοχής, υπογεγραμμένη από τον υποψήφιο."),
    (0, "β) Αντίγραφο πτυχίου ή διπλώματος από ίδρυμα της ημεδαπής ή ισότιμο τίτλο της αλλοδαπής, "
        "νόμιμα επικυρωμένο."),
    (0, "γ) Βιογραφικό σημείωμα."),
    (0, "Επιπλέον, οι υποψήφιοι οφείλουν:"),
    (0, "• να έχουν εκπληρώσει τις στρατιωτικές τους υποχρεώσεις,"),
    (0, "• να γνωρίζουν άριστα την ελληνική γλώσσα."),
    (0, "Τα δικαιολογητικά υποβάλλονται έως την 15η Μαρτίου στη γραμματεία του Τμήματος, η οποία\n"
        "τα παραλαμβάνει,\n– όπως ορίζει η απόφαση – με απόδειξη παραλαβής."),
    (18, "Η επιτροπή αξιολόγησης εξετάζει τις αιτήσεις και συντάσσει πίνακα κατάταξης των υποψηφίων "
         "με βάση τα κριτήρια της προκήρυξης και τα δικαιολογητικά που υποβλήθηκαν εμπρόθεσμα."),
    (18, "Ο πίνακας αναρτάται στην ιστοσελίδα του Ιδρύματος."),
]
LISTS_TITLE = ("ΠΡΟΣΚΛΗΣΗ ΕΚΔΗΛΩΣΗΣ ΕΝΔΙΑΦΕΡΟΝΤΟΣ ΤΟΥ Ν.Π.Δ.Δ.", "«ΕΛΛΗΝΙΚΟ ΙΝΣΤΙΤΟΥΤΟ ΕΡΕΥΝΑΣ»")
COLUMN = 430.0


def _wrap_width(text: str, width: float, size: float) -> list[str]:
    if "\n" in text:
        return [line for part in text.split("\n") for line in _wrap_width(part, width, size)]
    lines, line = [], ""
    for word in text.split():
        if line and _width(f"{line} {word}", size) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]


def lists_pdf(path: Path) -> Path:
    """LISTS_TITLE centred over two lines, then LISTS_PAGE, 10 pt lines 12 pt apart throughout
    (titles, items and paragraphs alike), as a word processor without paragraph spacing sets them."""
    writer = _Writer()
    writer.new_page()
    y = 780.0
    for line in LISTS_TITLE:
        writer.text(line, 60 + (COLUMN - _width(line, 10)) / 2, y, 10)
        y -= 12
    y -= 12
    for indent, text in LISTS_PAGE:
        hang = 12 if text[:2] in ("α)", "β)", "γ)", "• ") else 0
        for k, line in enumerate(_wrap_width(text, COLUMN - indent - hang, 10)):
            writer.text(line, 60 + (indent if k == 0 else hang), y, 10)
            y -= 12
    return writer.save(path)


# the two columns of columns_pdf's paragraph: it goes on from the left column's foot to the right
# column's top, mid-sentence, in lower case
COLUMN_LINES = [
    ["Η απόφαση του Διοικητικού Συμβουλίου δημοσιεύεται", "στην Εφημερίδα της Κυβερνήσεως και αναρτάται",
     "στην ιστοσελίδα του Φορέα, σύμφωνα με τις διατάξεις", "του νόμου για τη διαφάνεια και τη δημοσιότητα"],
    ["των πράξεων των υπηρεσιών του Φορέα, οι οποίες", "ασκούν τις αρμοδιότητες που ορίζονται στον",
     "οργανισμό του, όπως ισχύει κάθε φορά."],
]
COLUMN_TRUTH = ("Η απόφαση του Διοικητικού Συμβουλίου δημοσιεύεται στην Εφημερίδα της Κυβερνήσεως και "
                "αναρτάται στην ιστοσελίδα του Φορέα, σύμφωνα με τις διατάξεις του νόμου για τη διαφάνεια και "
                "τη δημοσιότητα των πράξεων των υπηρεσιών του Φορέα, οι οποίες ασκούν τις αρμοδιότητες που "
                "ορίζονται στον οργανισμό του, όπως ισχύει κάθε φορά.")
# below it, a column that ends with a sentence, then one that starts another: two paragraphs
COLUMN_APART = (["Το Συμβούλιο συνεδριάζει τακτικά μία φορά", "τον μήνα, στην έδρα του Φορέα."],
                ["Έκτακτη συνεδρίαση συγκαλείται από τον", "Πρόεδρο ή από τρία μέλη του."])


def columns_pdf(path: Path) -> Path:
    """One page: COLUMN_LINES as two columns, COLUMN_APART's two below them."""
    writer = _Writer()
    writer.new_page()
    for top, columns in ((760.0, COLUMN_LINES), (600.0, COLUMN_APART)):
        for x, lines in zip((30, 320), columns):
            y = top
            for line in lines:
                writer.text(line, x, y, 10)
                y -= 12
    return writer.save(path)


# (title, size, tracking in points): what a reader reads, drawn letter by letter with extra space
TRACKED_TITLES = [("ΚΕΦΑΛΑΙΟ ΠΡΩΤΟ", 16, 4.0), ("Εισαγωγή στη μέθοδο", 14, 2.5), ("ΣΥΜΠΕΡΑΣΜΑΤΑ", 14, 3.0)]
SPACED_VARIABLES = "Οι μεταβλητές a b c d ορίζονται στον πίνακα."  # single letters a formula sets apart


def tracked_pdf(path: Path) -> Path:
    """TRACKED_TITLES, each over a paragraph, and SPACED_VARIABLES as one line of body text."""
    writer = _Writer()
    writer.new_page()
    y = 770.0
    for title, size, track in TRACKED_TITLES:
        x = 120.0
        for ch in title:
            writer.text(ch, x, y, size)
            x += _width(ch, size) + track
        y = writer.paragraph(GREEK_PARAGRAPHS[2], 60, y - 30)
    writer.text(SPACED_VARIABLES, 60, y, 10)
    return writer.save(path)


# (drop cap, the lines beside and under it, what a reader reads)
DROP_CAPS = [
    ("Ε", ["ίναι γνωστό ότι η διοίκηση του Φορέα ασκείται από το Διοικητικό", "Συμβούλιο, το οποίο αποτελείται από επτά μέλη με τετραετή",
           "θητεία, σύμφωνα με τις διατάξεις του νόμου."],
     "Είναι γνωστό ότι η διοίκηση του Φορέα ασκείται από το Διοικητικό Συμβούλιο, το οποίο αποτελείται "
     "από επτά μέλη με τετραετή θητεία, σύμφωνα με τις διατάξεις του νόμου."),
    ("Η", ["έρευνα βασίστηκε στη μέθοδο που περιγράφεται στο δεύτερο", "κεφάλαιο της εργασίας και στα αποτελέσματα",
           "των μετρήσεων που έγιναν στο εργαστήριο."],
     "Η έρευνα βασίστηκε στη μέθοδο που περιγράφεται στο δεύτερο κεφάλαιο της εργασίας και στα "
     "αποτελέσματα των μετρήσεων που έγιναν στο εργαστήριο."),
]


def drop_caps_pdf(path: Path) -> Path:
    """DROP_CAPS: each letter at 36 pt, its paragraph's first two lines 6 pt right of it, the third
    back at the margin; 10 pt lines 12 pt apart, a blank line between the paragraphs."""
    writer = _Writer()
    writer.new_page()
    y = 764.0
    for letter, lines, _ in DROP_CAPS:
        writer.text(letter, 60, y - 24, 36)
        beside = 60 + _width(letter, 36) + 6
        for k, line in enumerate(lines):
            writer.text(line, beside if k < 2 else 60, y, 10)
            y -= 12
        y -= 24
    return writer.save(path)


def greek_in_latin_words_pdf(path: Path) -> Path:
    """Page 1: Greek paragraphs with GREEK_IN_LATIN_LINES; page 2: English paragraphs with the same
    lines' English words as typed there."""
    writer = _Writer()
    writer.new_page()
    y = 760.0
    for paragraph in [*GREEK_PARAGRAPHS[1:3], *GREEK_IN_LATIN_LINES]:
        y = writer.paragraph(paragraph, 60, y)
    writer.new_page()
    y = 760.0
    english = " ".join(typed for typed, _ in GREEK_IN_LATIN_WORDS)
    for paragraph in [*ENGLISH_PARAGRAPHS[1:3], f"Typed a key late: {english} and the rest."]:
        y = writer.paragraph(paragraph, 60, y)
    return writer.save(path)


def handwriting_pdf(path: Path, pages: int = 1, dpi: int = 150, seed: int = 26) -> Path:
    """Image-only pages of pen strokes in rows, as handwritten notes look to a recogniser trained on
    print: loops and joins of letter size (arcs of random size and sweep), words of 2-9 of them,
    no letter of any script."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    images = []
    for _ in range(pages):
        image = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
        draw = ImageDraw.Draw(image)
        x_height = round(0.11 * dpi)
        for row in range(18):
            y = round(1.0 * dpi) + row * round(2.6 * x_height)
            x = round(0.8 * dpi)
            while x < image.width - round(1.5 * dpi):
                for _ in range(rng.randint(2, 9)):  # the strokes of one word
                    w = rng.randint(x_height // 2, x_height)
                    h = rng.randint(x_height // 2, 2 * x_height)
                    top = y - (h - x_height) * rng.choice((0, 1))
                    start = rng.randint(0, 359)
                    draw.arc((x, top, x + w, top + h), start, start + rng.randint(180, 340), fill=0, width=3)
                    if rng.random() < 0.5:
                        draw.line((x + w // 2, y + x_height, x + w + 3, y + rng.randint(0, x_height)), fill=0, width=3)
                    x += w
                x += rng.randint(x_height, 2 * x_height)
        images.append(image)
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def checkbox_pdf(path: Path) -> Path:
    """A form written by hand as PDF: answers after checkboxes drawn in a Type 3 dingbat font (no
    ToUnicode, Symbolic flag; codes 0x84 and 0x78, as a Wingdings subset numbers its glyphs), and a
    line of German in Helvetica whose WinAnsi code 0x84 is the real low quote „ (it stays)."""
    def stream(data: bytes) -> bytes:
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    box = b"700 0 0 0 700 700 d1 50 0 m 650 0 l 650 650 l 50 650 l h S"
    crossed = box + b" 50 0 m 650 650 l S 650 0 m 50 650 l S"
    content = (b"BT /F1 12 Tf 72 720 Td (Ja \x84so\x93 oder nein) Tj ET\n"
               b"BT /F2 12 Tf 72 690 Td (\x84) Tj ET BT /F1 12 Tf 90 690 Td (Yes, I agree) Tj ET\n"
               b"BT /F2 12 Tf 72 670 Td (\x84) Tj ET BT /F1 12 Tf 90 670 Td (No, I do not) Tj ET\n")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type3 /Name /Wingdings /FontBBox [0 0 700 700] /FontMatrix [0.001 0 0 0.001 0 0] "
        b"/CharProcs << /box 7 0 R /boxx 8 0 R >> /Encoding << /Type /Encoding /Differences [120 /boxx 132 /box] >> "
        b"/FirstChar 120 /LastChar 132 /Widths [700 0 0 0 0 0 0 0 0 0 0 0 700] /FontDescriptor 9 0 R >>",
        stream(box), stream(crossed),
        b"<< /Type /FontDescriptor /FontName /Wingdings-Regular /Flags 4 /FontBBox [0 0 700 700] /ItalicAngle 0 "
        b"/Ascent 700 /Descent 0 /CapHeight 700 /StemV 80 >>",
    ]
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(out)
    return path


# pages_pdf: each page's blocks, (lines, size) from the top; a page number at each foot. A
# paragraph goes on from page 1's foot (a word hyphenated there) through page 2 (mid-sentence, no
# hyphen) into page 3, which ends a sentence; page 4 starts another and ends mid-sentence, with a
# line of small print (not repeated: no furniture) below it, at the page's foot; page 5 goes on.
PAGE_BREAK_PAGES = [
    [(["Άρθρο 12 Κατάργηση υπηρεσιών"], 10),
     (["Οι αρμοδιότητες των καταργούμενων Υποθηκοφυλακείων και των",
       "Κτηματολογικών Γραφείων Ρόδου, Κω-Λέρου και Θεσσαλο-"], 10)],
    [(["νίκης και Πειραιά περιέρχονται στο Φορέα από την ημερομηνία",
       "έναρξης λειτουργίας του, σύμφωνα με τις διατάξεις του"], 10)],
    [(["νόμου που ορίζει τον τρόπο και τη διαδικασία της μεταφοράς."], 10)],
    [(["Με απόφαση του Υπουργού ορίζεται κάθε λεπτομέρεια για την",
       "εφαρμογή του παρόντος άρθρου και η διαδικασία που ακολουθεί η"], 10),
     (["Η έκδοση διατίθεται δωρεάν στην ιστοσελίδα του Εθνικού Τυπογραφείου"], 7)],
    [(["υπηρεσία για την παραλαβή των αρχείων."], 10)],
]
PAGE_BREAK_TRUTH = [
    "Άρθρο 12 Κατάργηση υπηρεσιών",
    "Οι αρμοδιότητες των καταργούμενων Υποθηκοφυλακείων και των Κτηματολογικών Γραφείων Ρόδου, "
    "Κω-Λέρου και Θεσσαλονίκης και Πειραιά περιέρχονται στο Φορέα από την ημερομηνία έναρξης "
    "λειτουργίας του, σύμφωνα με τις διατάξεις του νόμου που ορίζει τον τρόπο και τη διαδικασία της "
    "μεταφοράς.",
    # the small print at page 4's foot stands between the body's paragraph and its rest: each
    # stays where it is (neither is glued to the small print)
    "Με απόφαση του Υπουργού ορίζεται κάθε λεπτομέρεια για την εφαρμογή του παρόντος άρθρου και η "
    "διαδικασία που ακολουθεί η",
    "Η έκδοση διατίθεται δωρεάν στην ιστοσελίδα του Εθνικού Τυπογραφείου",
    "υπηρεσία για την παραλαβή των αρχείων.",
]


def pages_pdf(path: Path) -> Path:
    """PAGE_BREAK_PAGES: each page's blocks from the top (a paragraph's gap between them), the
    small print at the foot, a page number centred below."""
    writer = _Writer()
    for number, blocks in enumerate(PAGE_BREAK_PAGES, start=1):
        writer.new_page()
        y = 760.0
        for lines, size in blocks:
            if size < 10:
                y = 90.0  # small print: at the page's foot
            for line in lines:
                writer.text(line, 60, y, size)
                y -= size * 1.2
            y -= 12
        writer.text(str(number), 295, 50, 9)
    return writer.save(path)


# spaced_pdf: a thesis page set with wide line spacing (double, as theses are), paragraphs marked
# only by a first-line indent or a short last line, a sentence that goes on below a formula, and
# a list of short items. (kind, text): "title" 16 pt; "para" indented; "formula" centred;
# "item" at the margin, one line each
SPACED_PAGE = [
    ("title", "Κεφάλαιο 2 Μεθοδολογία"),
    ("para", "Η παρούσα εργασία εξετάζει τη μεταβολή της θερμοκρασίας του εδάφους σε τρεις περιοχές "
             "της Κεντρικής Μακεδονίας, με μετρήσεις που συλλέχθηκαν κατά τη διάρκεια δύο ετών από "
             "αισθητήρες εγκατεστημένους σε διαφορετικά βάθη."),
    ("para", "Για την ανάλυση των δεδομένων χρησιμοποιήθηκε η συνάρτηση"),
    ("formula", "f(t) = a sin(ωt) + b"),
    ("cont", "όπου t ο χρόνος σε ημέρες και ω η γωνιακή συχνότητα του ετήσιου κύκλου, ενώ οι σταθερές "
             "υπολογίστηκαν με τη μέθοδο των ελαχίστων τετραγώνων."),
    ("item", "α) οι μετρήσεις του πρώτου έτους,"),
    ("item", "β) οι μετρήσεις του δεύτερου έτους."),
    ("para", "Τα αποτελέσματα παρουσιάζονται αναλυτικά στο επόμενο κεφάλαιο, όπου συγκρίνονται με τις "
             "τιμές που δίνει η βιβλιογραφία για παρόμοιες περιοχές."),
]
SPACED_TRUTH = [
    "## Κεφάλαιο 2 Μεθοδολογία", SPACED_PAGE[1][1],
    # a sentence broken around its formula reads on: the formula's line begins in lower case
    f"{SPACED_PAGE[2][1]} {SPACED_PAGE[3][1]} {SPACED_PAGE[4][1]}",
    SPACED_PAGE[5][1], SPACED_PAGE[6][1], SPACED_PAGE[7][1],
]


def spaced_pdf(path: Path, spacing: float = 2.0) -> Path:
    """SPACED_PAGE on one page, 10 pt text whose baselines are `spacing` times its size apart."""
    writer = _Writer()
    writer.new_page()
    y, pitch = 770.0, 10 * spacing
    for kind, text in SPACED_PAGE:
        if kind == "title":
            writer.text(text, 60, y, 16)
            y -= 2 * pitch
            continue
        if kind == "formula":
            writer.text(text, 297 - _width(text, 10) / 2, y, 10)
            y -= pitch
            continue
        indent = 20 if kind == "para" else 0
        for k, line in enumerate(_wrap_width(text, COLUMN - (indent if kind == "para" else 0), 10)):
            writer.text(line, 60 + (indent if k == 0 else 0), y, 10)
            y -= pitch
    return writer.save(path)
