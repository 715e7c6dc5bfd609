"""A markdown document cut into sections, as GlossAPI's GlossSection cuts it.

A section runs from one heading to the next; the text before the first heading is a section of
its own whose header is its first line (GlossAPI's rule). Inside a section, lines are grouped
into blocks: tables (lines between `|`), list items (a bullet line and its continuation lines),
"other" lines (short standalone lines: a page reference, a figure placeholder) and text.

Unlike GlossAPI, nothing is lost: a section keeps the raw line that opened it (`header_line`,
with its newline) and its content exactly as written (`section`), so the document is
`"".join(header_line + section)` over its sections, byte for byte. That is what lets the export
drop a section (a bibliography) and keep every other character of the document.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

# ATX headings as markdown defines them: up to three spaces, 1-6 '#', then a space or the end.
# GlossAPI takes any line starting with '#', which makes "#3 στη λίστα" a heading; here it is text.
HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
# A bullet: '-', '*', '•' (and its cousins) followed by a space, or a number with '.' or ')' and a
# space. GlossAPI's pattern takes any line starting with '-', so a negative number ("-5 °C") or
# a dash of dialogue would start a list; here a space must follow.
BULLET = re.compile(r"^\s*(?:[-*+\u2022\u2023\u25E6\u00BB\u2043]\s+\S|\d{1,3}[.)]\s+\S)")
HTML_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
OTHER_MAX = 20  # GlossAPI's max_length: a non-empty line shorter than this is "other", not text
EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(.+)\1$")


@dataclass
class Section:
    header: str                 # its title: the heading's text, or the first line of the leading text
    header_line: str            # the raw markup that opened it, newline included ("" for the leading text)
    header_level: int           # 1-6 for a heading, 0 for the text before the first heading
    header_source: str          # markdown (a '#' heading), docling (the Docling JSON's section header), first_line
    section: str                # its content, exactly as in the markdown
    start: int = 0              # index of its first line (the heading's) in the document
    end: int = 0                # index of its last line
    blocks: list = field(default_factory=list)  # [(kind, text)]: text, table, list, other

    _length: int | None = None

    def has(self, kind: str) -> bool:
        if kind == "text":  # a text block of blank lines only is layout, not text
            return any(k == "text" and t.strip() for k, t in self.blocks)
        return any(k == kind for k, _ in self.blocks)

    @property
    def length(self) -> int:
        """GlossAPI's section_length: the non-empty lines of its content."""
        if self._length is None:
            self._length = sum(1 for line in self.section.splitlines() if line.strip())
        return self._length

    def json_section(self) -> str:
        """GlossAPI's json_section: the blocks as [{kind: text}], indented (json.dumps(..., indent=2,
        ensure_ascii=False) writes the same JSON; orjson, ten times faster)."""
        import orjson

        return orjson.dumps([{k: t} for k, t in self.blocks], option=orjson.OPT_INDENT_2).decode("utf-8")


def normalise(text: str) -> str:
    """A heading's text as compared with the Docling JSON's: emphasis and '#' marks off, spaces
    collapsed, NFC."""
    text = unicodedata.normalize("NFC", text).strip()
    match = HEADING.match(text)
    if match:
        text = (match.group(2) or "").strip()
    while True:
        inner = EMPHASIS.match(text)
        if not inner:
            break
        text = inner.group(2).strip()
    return " ".join(text.split())


def split_sections(text: str, docling_headers: list[str] | None = None) -> list[Section]:
    """The sections of one markdown document, in order. docling_headers: the Docling JSON's
    section headers; a line of the markdown that is one of them (its emphasis aside) opens a
    section even where the text layer lost its heading markup (a bold line, a numbered title)."""
    if not text.strip():
        return []
    lines = text.splitlines(keepends=True)
    wanted = Counter(normalise(h) for h in (docling_headers or []) if normalise(h))
    longest = max(map(len, wanted), default=0) + 12  # a longer line is no header (emphasis marks aside)
    opens: list[tuple[int, str, int, str]] = []  # (line index, title, level, source)
    for i, line in enumerate(lines):
        match = HEADING.match(line.rstrip("\r\n")) if "#" in line[:4] else None
        if match:
            title = (match.group(2) or "").strip()
            opens.append((i, title, len(match.group(1)), "markdown"))
            if wanted[normalise(title)] > 0:
                wanted[normalise(title)] -= 1
            continue
        if not wanted or len(line) > longest or not line.strip():  # no Docling header to find here
            continue
        key = normalise(line)
        if key and wanted[key] > 0 and not _is_table(line) and not BULLET.match(line):
            wanted[key] -= 1
            opens.append((i, key, 2, "docling"))  # Docling's level 1 is markdown's '##'

    sections: list[Section] = []
    first = opens[0][0] if opens else len(lines)
    leading = "".join(lines[:first])
    if leading.strip():
        title = next(line.strip() for line in lines[:first] if line.strip())
        sections.append(Section(title, "", 0, "first_line", leading, 0, max(first - 1, 0)))
        leading = ""
    for k, (i, title, level, source) in enumerate(opens):
        stop = opens[k + 1][0] if k + 1 < len(opens) else len(lines)
        # whitespace before the first heading belongs to its markup: nothing is dropped
        header_line = (leading if k == 0 else "") + lines[i]
        sections.append(Section(title, header_line, level, source, "".join(lines[i + 1:stop]), i, stop - 1))
    for section in sections:
        section.blocks = blocks(section.section)
    return sections


def _is_table(line: str) -> bool:
    s = line.strip()
    return len(s) > 1 and s.startswith("|") and s.endswith("|")


BULLET_STARTS = set("-*+\u2022\u2023\u25E6\u00BB\u2043") | set("0123456789")


def _kind(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return "text"
    first = stripped[0]
    if first == "|" and _is_table(line):
        return "table"
    if first in BULLET_STARTS and BULLET.match(line):
        return "list"
    if len(stripped) < OTHER_MAX or (first == "<" and HTML_COMMENT.match(line)):
        return "other"
    return "text"


def blocks(content: str) -> list[tuple[str, str]]:
    """GlossAPI's content blocks of a section: a table is its run of table lines; a list item is
    its bullet line and the lines that continue it (up to a blank line, a bullet, a table line or
    a heading); an "other" line stands alone; text (blank lines included) fills the rest."""
    out: list[tuple[str, str]] = []
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the content's final newline ends its last line; it is not an empty line
    text: list[str] = []
    i = 0
    while i < len(lines):
        kind = _kind(lines[i])
        if kind == "text":
            text.append(lines[i])
            i += 1
            continue
        if text:
            out.append(("text", "\n".join(text)))
            text = []
        run = [lines[i]]
        i += 1
        if kind == "table":
            while i < len(lines) and _is_table(lines[i]):
                run.append(lines[i])
                i += 1
        elif kind == "list":
            while (i < len(lines) and lines[i].strip() and not BULLET.match(lines[i]) and not _is_table(lines[i])
                   and not HEADING.match(lines[i])):
                run.append(lines[i])
                i += 1
        out.append((kind, "\n".join(run)))
    if text:
        out.append(("text", "\n".join(text)))
    return out


def document_text(sections) -> str:
    """The markdown again, from its sections (objects or rows with header_line and section)."""
    get = (lambda s, k: s[k]) if sections and isinstance(sections[0], dict) else getattr
    return "".join(get(s, "header_line") + get(s, "section") for s in sections)
