"""A paragraph that goes on over a page break reads whole in the markdown.

A page ends where the paper does, not where the writer's paragraph does: a sentence runs from
the foot of one page to the head of the next, often with a word hyphenated across
(`Κτηματολογικών Γραφείων Θεσσαλο-` / `νίκης και Πειραιά`). Written as two paragraphs, a reader
(and a model trained on the text) sees a sentence cut in two and a word broken in half.

The Docling JSON keeps each page's items on their page: OCR replaces a page's items with its own,
and a long document is converted in page ranges apart, so that a page must read the same in a
range as in the whole. The join is therefore made in the markdown, at the page breaks it is
written with (PAGE_BREAK, a paragraph of its own), by one rule wherever a markdown is made from
pages (the safe backend's, Docling's export, the OCR'd pages merged in, a long document's ranges
stitched): the last paragraph before the break goes on into the first after it when it stopped
mid-sentence and that one begins with a word in lower case, not as a list item
(paragraph_starts.goes_on, the rule a column break follows), and both are text, not a heading,
a table, a formula or a picture. The break's furniture (running head, page number) is not in the
markdown, so it does not stand between them. A hyphen at the break goes as it does at a line
end (line_join.join_pair).
"""
from __future__ import annotations

from .line_join import join_pair
from .paragraph_starts import goes_on

# a form feed, the page break of plain text: the Unicode clean leaves no control character in a
# text, and Docling's export escapes none, so it cannot be a document's own
PAGE_BREAK = "\f"
_SEPARATOR = "\n\n"
_NOT_TEXT = ("#", "<!--", "|", "$$", "```", "![", ">", "- ", "* ")  # heading, comment/picture, table, ...


def join_over_pages(markdown: str) -> str:
    """The markdown (its pages apart by PAGE_BREAK paragraphs) with its breaks gone, a paragraph
    that goes on over one joined into one."""
    if PAGE_BREAK not in markdown:
        return markdown
    body = markdown.rstrip("\n")
    pages: list[str] = []  # each page's markdown (a blank page none), joined at the end: no copy a page
    for page in body.split(PAGE_BREAK):
        page = page.strip("\n")
        if page and pages:
            pages[-1], page = join_at_break(pages[-1], page)
        if page:
            pages.append(page)
    return _SEPARATOR.join(pages) + markdown[len(body):]


def join_at_break(before: str, after: str) -> tuple[str, str]:
    """The markdown before a page break and after it (neither with a newline at its ends), the
    paragraph that goes on over the break moved whole into before."""
    cut = before.rfind(_SEPARATOR)
    last = before[cut + len(_SEPARATOR):] if cut >= 0 else before
    end = after.find(_SEPARATOR)
    first = after if end < 0 else after[:end]
    if not (_is_text(last) and _is_text(first) and goes_on(last, first)):
        return before, after
    return before[:len(before) - len(last)] + join_pair(last, first), after[len(first):].lstrip("\n")


def markdown_of(doc) -> str:
    """A DoclingDocument's markdown (Docling's export), its paragraphs joined over page breaks."""
    return join_over_pages(doc.export_to_markdown(page_break_placeholder=PAGE_BREAK))


def _is_text(paragraph: str) -> bool:
    return "\n" not in paragraph and not paragraph.startswith(_NOT_TEXT)
