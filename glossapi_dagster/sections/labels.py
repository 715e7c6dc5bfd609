"""GlossAPI's section labels and its full-annotation rules.

GlossAPI's classifier knows three labels: `π` (περιεχόμενα: a table of contents), `β`
(βιβλιογραφία: bibliography, references) and `άλλο` (anything else). Full annotation then gives
every `άλλο` a label by its place in the document, the first `π` and the last `β` being the
boundaries of the body: before the first `π`, `ε.σ.` (εισαγωγικά σημειώματα: the front matter:
title page, dedication, acknowledgements); after the last `β`, `α` (appendices and other back
matter); between them, `κ` (κυρίως κείμενο: the main text). A `chapter` document (a book
chapter, which has no contents page of its own) is all main text but its bibliography.
"""
from __future__ import annotations

LABELS = {
    "π": "table_of_contents",
    "β": "bibliography",
    "ε.σ.": "front_matter",
    "κ": "main_text",
    "α": "appendix",
    "άλλο": "other",
}
NAMES = {name: label for label, name in LABELS.items()}
ANNOTATION_TYPES = ("text", "chapter", "auto")


def label_of(name: str) -> str:
    """GlossAPI's label for a label or its readable name ('bibliography' -> 'β')."""
    if name in LABELS:
        return name
    if name in NAMES:
        return NAMES[name]
    raise ValueError(f"unknown section label {name!r}: one of {', '.join(LABELS)} or {', '.join(NAMES)}")


def annotate_text(labels: list[str], sources: list[str]) -> tuple[list[str], list[str], str | None]:
    """GlossAPI's fully_annotate_text for one document's labels in order: every `άλλο` becomes
    `ε.σ.` before the first `π`, `α` after the last `β`, `κ` between. Without both boundaries, or
    with the first `π` after the last `β`, the labels stay as they are. Returns the labels, how
    each was decided, and why nothing changed (None when the rule applied)."""
    if "π" not in labels or "β" not in labels:
        missing = " and ".join(f"'{b}'" for b in ("π", "β") if b not in labels)
        return labels, sources, f"no {missing} boundary"
    first_pi = labels.index("π")
    last_beta = len(labels) - 1 - labels[::-1].index("β")
    if first_pi > last_beta:
        return labels, sources, "the first 'π' comes after the last 'β'"
    out, how = list(labels), list(sources)
    for i, label in enumerate(labels):
        if label != "άλλο":
            continue
        out[i], how[i] = (("ε.σ.", "place:before_contents") if i < first_pi else
                          ("α", "place:after_bibliography") if i > last_beta else ("κ", "place:body"))
    return out, how, None


def annotate_chapter(labels: list[str], sources: list[str]) -> tuple[list[str], list[str], None]:
    """GlossAPI's fully_annotate_chapter: `π` and `άλλο` become `κ`; `β` stays."""
    out = ["κ" if label in ("π", "άλλο") else label for label in labels]
    how = ["chapter:body" if a != b else s for a, b, s in zip(out, labels, sources)]
    return out, how, None
