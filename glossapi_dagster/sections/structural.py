"""The structural labeller: GlossAPI's labels without a model, for the sections that matter most
when the text is for training (what a model should not learn from as prose).

Each rule is stated by its cause, and every label says which rule gave it (`label_source`):

- a table of contents (`π`): its heading says so (Περιεχόμενα, Contents, Inhaltsverzeichnis, a
  list of figures or tables), or its entries end in page numbers that climb (contents.py), dot
  leaders between; only in the first third of the document, where contents pages are (further
  on, ascending numbers are a table's data);
- a bibliography (`β`): its heading (Βιβλιογραφία, Αναφορές, References, Literatur...), or most
  of its entries have the shape of a citation: a reference mark ([3], 3.) or an author
  ("Παπαδόπουλος, Α.", "Newman, M.") and a year or a publication mark (pp., σσ., vol., doi,
  ISBN, Press, εκδ.);
- an index (Ευρετήριο, Index, Stichwortverzeichnis; or short entries "term, 3, 15" in
  alphabetical order in the last third of the document): back matter, `α`;
- acknowledgements and a dedication (Ευχαριστίες, Acknowledgements, Αφιέρωση): front matter, `ε.σ.`;
- anything else is `άλλο`, which full annotation then places (labels.py).
"""
from __future__ import annotations

import re
import unicodedata

from .contents import DOT_LEADER, looks_like_contents, page_ref

HEADINGS = {
    "table_of_contents": ("περιεχομενα", "πινακας περιεχομενων", "καταλογος σχηματων", "καταλογος πινακων",
                          "καταλογος εικονων", "καταλογος διαγραμματων", "καταλογος αλγοριθμων",
                          "ευρετηριο περιεχομενων", "ευρετηριο σχηματων", "ευρετηριο πινακων",
                          "ευρετηριο εικονων", "contents", "table of contents", "list of figures", "list of tables",
                          "list of algorithms", "inhaltsverzeichnis", "inhalt", "abbildungsverzeichnis",
                          "tabellenverzeichnis", "table des matieres", "sommaire", "indice"),
    "bibliography": ("βιβλιογραφια", "αναφορες", "βιβλιογραφικες αναφορες", "πηγες", "ελληνικη βιβλιογραφια",
                     "ξενογλωσση βιβλιογραφια", "ξενη βιβλιογραφια", "διεθνης βιβλιογραφια", "βιβλιογραφια πηγες",
                     "references", "bibliography", "works cited", "literature", "literature cited",
                     "references and notes", "literatur", "literaturverzeichnis", "quellen", "bibliographie",
                     "references bibliographiques"),
    "index": ("ευρετηριο", "ευρετηριο ορων", "ευρετηριο ονοματων", "αλφαβητικο ευρετηριο", "index",
              "subject index", "author index", "index of terms", "stichwortverzeichnis", "sachregister",
              "register", "namensregister", "index terminorum"),
    "acknowledgements": ("ευχαριστιες", "ευχαριστηριο", "ευχαριστηριο σημειωμα", "αφιερωση", "acknowledgements",
                         "acknowledgments", "acknowledgement", "acknowledgment", "dedication", "danksagung",
                         "danksagungen", "widmung", "remerciements"),
}
LABEL_OF_TYPE = {"table_of_contents": "π", "bibliography": "β", "index": "α", "acknowledgements": "ε.σ."}
# "2.", "Κεφάλαιο 5:", "Chapter 3 -", "ΠΑΡΑΡΤΗΜΑ Α" before the name itself
NUMBERING = re.compile(r"^(?:(?:κεφαλαιο|chapter|kapitel|μερος|part)\s+\w+\s*[:.\-–]?\s*|[\divxlc]+(?:\.\d+)*[.)]?\s+)",
                       re.I)

REF_MARK = re.compile(r"^\s*(?:\[\d{1,4}\]|\(\d{1,4}\)|\d{1,4}[.)])\s+")
AUTHOR = re.compile(r"^\s*[^\W\d_][\w'’\-]+(?:\s+[^\W\d_][\w'’\-]+)?,\s*(?:[^\W\d_]{1,3}\.|[^\W\d_][\w\-]+)", re.U)
YEAR = re.compile(r"(?:\(|\b)(1[5-9]\d\d|20\d\d)[a-z]?(?:\)|\b)")
PUBLICATION = re.compile(r"\b(?:pp?\.|σσ?\.|σελ\.|vol\.|τόμ\.|τομ\.|no\.|doi|isbn|issn|in:|εκδ\.|εκδόσεις|"
                         r"press|journal|proceedings|university|πανεπιστημ|et al\.|κ\.ά\.|arxiv|http)", re.I)
ENTRY_SPLIT = re.compile(r"\s(?=\[\d{1,4}\]\s)")
INDEX_ENTRY = re.compile(r"^\s*[^\W\d_][^\d]{0,80}?[,\s]\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?(?:\s*,\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?)*"
                         r"\s*$")
# first-person thanks, in plain() form (no accents, lower case)
THANKS = re.compile(r"\b(?:ευχαριστω|ευχαριστουμε|θα ηθελα να ευχαριστησω|i would like to thank|i am grateful|"
                    r"we thank|i thank|ich danke|bedanken)\b")


def plain(text: str) -> str:
    """Casefolded, accents and punctuation off, spaces collapsed: 'ΒΙΒΛΙΟΓΡΑΦΙΑ:' -> 'βιβλιογραφια'."""
    text = unicodedata.normalize("NFD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s]", " ", text.replace("ς", "σ"))
    return " ".join(text.split())


HEADING_KEYS = {kind: {plain(name) for name in names} for kind, names in HEADINGS.items()}


def heading_type(header: str) -> tuple[str, str] | None:
    """The kind of section its heading names and the name found, its numbering aside
    ('2. Βιβλιογραφία' -> bibliography, βιβλιογραφια)."""
    text = plain(header)
    stripped = plain(NUMBERING.sub("", unicodedata.normalize("NFD", header.casefold()).strip()))
    for kind, keys in HEADING_KEYS.items():
        for name in (text, stripped):
            if name in keys:
                return kind, name
    return None


def citation_entries(text: str, share: float = 0.6) -> tuple[int, int]:
    """(entries, those shaped like citations): paragraphs, and within one, each "[n] " entry. Stops
    reading once `share` of them can no longer be citations (a chapter of prose: at its first lines)."""
    entries = [e for para in re.split(r"\n\s*\n", text or "") for e in ENTRY_SPLIT.split(para.strip()) if e.strip()]
    cited = 0
    for k, entry in enumerate(entries):
        opens = bool(REF_MARK.match(entry) or AUTHOR.match(entry))
        if opens and (YEAR.search(entry) or PUBLICATION.search(entry)):
            cited += 1
        elif cited + len(entries) - k - 1 < share * len(entries):
            break
    return len(entries), cited


def index_entries(text: str) -> tuple[int, int, float]:
    """(lines, lines shaped like index entries, share of neighbouring entries in alphabetical order)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    entries = [plain(line) for line in lines if INDEX_ENTRY.match(line) and not DOT_LEADER.search(line)]
    ordered = sum(1 for a, b in zip(entries, entries[1:]) if a <= b)
    return len(lines), len(entries), ordered / max(1, len(entries) - 1)


def classify(header: str, section: str, start: float) -> tuple[str, str, str]:
    """(GlossAPI label, section type, how it was decided) of one section; start: where it begins,
    as a share of the document's lines."""
    named = heading_type(header)
    if named:
        return LABEL_OF_TYPE[named[0]], named[0], f"heading:{named[1]}"
    # a whole section of entries: one long section that holds a contents page and the body too
    # (a document whose headings were all lost) is not a contents page
    if start < 1 / 3:
        is_contents, how = looks_like_contents(section, min_share=0.5)
        if is_contents:
            return "π", "table_of_contents", f"shape:{how}"
    if "[" in section or YEAR.search(section):  # no reference mark and no year: no citation
        entries, cited = citation_entries(section)
        if entries >= 3 and cited >= 0.6 * entries:
            return "β", "bibliography", "shape:citations"
    if start >= 2 / 3:
        lines, index, ordered = index_entries(section)
        if lines >= 5 and index >= 0.6 * lines and ordered >= 0.7 and not any(
                page_ref(line) is not None and DOT_LEADER.search(line) for line in section.splitlines()):
            return "α", "index", "shape:index_entries"
    if start < 0.2 and THANKS.search(plain(section[:2000])):
        return "ε.σ.", "acknowledgements", "shape:thanks"
    return "άλλο", "other", "default"
