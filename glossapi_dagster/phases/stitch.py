"""Stitching a long document's page ranges, in page order, into one markdown and one Docling JSON.

Every part already carries its real page numbers, and a failed page comes as a part with only its
page, so stitching is a splice of the Docling JSON dicts: each part's items appended to the
document's lists, every reference ("$ref", "self_ref") moved by the items before it, the body's
and the furniture's children joined, the pages merged. docling-core's DoclingDocument.concatenate
gives the same document (a test compares them) but costs 9 s for 1,000 pages (validation, deep
copies) and walks the body only, dropping the furniture; the splice costs a fraction of that.
docling-core loads the result (tests check it, and its page count against the PDF's).
"""
from __future__ import annotations

import re

from ..backends.page_joins import PAGE_BREAK, join_over_pages
from ..state.atomic import atomic_write_bytes
from ..state.ranges import RangeJournal
from .disk import stop_on_disk_faults


def failed_page_part(page_no: int, width: float, height: float, name: str) -> dict:
    """A failed page as a document of its own: the page (its size) and nothing on it."""
    return {"pages": {str(page_no): {"size": {"width": width, "height": height}, "page_no": page_no}},
            "name": name}


def placeholder(page_no: int, reason: str) -> str:
    """Where a failed page's text would be: a comment a reader of the markdown sees, not text."""
    reason = " ".join(str(reason).split()).replace("--", "- -")[:200]
    return f"<!-- page {page_no} failed to convert: {reason} -->"


def page_sizes(path: str, pages: list[int]) -> dict[int, tuple[float, float]]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return {p: tuple(pdf[p - 1].get_size()) for p in pages}
    finally:
        pdf.close()


def write_part(path, piece: dict, root) -> None:
    """A converted range, for the controller to stitch (atomic: a kill leaves none or all of it)."""
    import orjson
    import zstandard

    data = orjson.dumps(piece, option=orjson.OPT_NON_STR_KEYS)  # page numbers as keys
    with stop_on_disk_faults(root):
        atomic_write_bytes(path, zstandard.ZstdCompressor(level=3).compress(data))


def read_part(path) -> dict:
    """A part file as write_part had it (JSON made its page-number keys text)."""
    import orjson
    import zstandard

    piece = orjson.loads(zstandard.ZstdDecompressor().decompress(path.read_bytes()))
    piece["page_covers"] = _int_keys(piece.get("page_covers"))
    per_page = (piece.get("timings") or {}).get("per_page")
    if isinstance(per_page, dict):
        piece["timings"]["per_page"] = _int_keys(per_page)
    if piece.get("ocr"):
        piece["ocr"]["pages"] = _int_keys(piece["ocr"]["pages"])
        piece["ocr"]["timings"]["per_page"] = _int_keys(piece["ocr"]["timings"].get("per_page"))
    return piece


def _int_keys(d: dict | None) -> dict | None:
    return None if d is None else {int(k): v for k, v in d.items()}


LISTS = ("groups", "texts", "pictures", "tables", "key_value_items", "form_items", "field_regions", "field_items")
_REF = re.compile(r"#/(" + "|".join(LISTS) + r")/(\d+)")


def empty_document() -> dict:
    """docling-core's export of an empty document: schema name, version, body, furniture (kept
    on disk per docling-core version: the controller need not import docling-core to splice)."""
    from ..backends.extract.docling_template import empty_document as template

    return template()


def splice(parts: list[dict], template: dict, name: str, own: bool = False) -> dict:
    """Docling JSON dicts of consecutive page ranges as one document's. own=True: the parts are
    this call's to use up (read from their files for it), and their items become the document's
    with their references moved in place, not copied (a copy of every dict and list of a long
    document cost more than reading its parts); else the parts are left as they were."""
    out = {**template, "name": name, "pages": {}}
    out["body"] = {**template["body"], "children": []}
    out["furniture"] = {**template["furniture"], "children": []}
    lists = [key for key in LISTS if key in template]  # what this docling-core writes (older ones lack field_*)
    for key in lists:
        out[key] = []
    for part in parts:
        offsets = {key: len(out[key]) for key in lists}

        def move(ref: str) -> str:
            m = _REF.fullmatch(ref)
            return f"#/{m.group(1)}/{int(m.group(2)) + offsets[m.group(1)]}" if m else ref

        shift = any(offsets.values())  # the first part's references stay: nothing before it to move them by
        for key in lists:
            out[key].extend(_in_place(part.get(key) or [], move, shift) if own else _moved(part.get(key) or [], move))
        for root in ("body", "furniture"):
            children = (part.get(root) or {}).get("children") or []
            out[root]["children"].extend(_in_place(children, move, shift) if own else _moved(children, move))
        out["pages"].update(part.get("pages") or {})
        if "origin" in part and "origin" not in out:
            out["origin"] = part["origin"]
    return out


def _moved(obj, move):
    """A copy of obj (its dicts and lists) with every reference (a "$ref" or "self_ref" string, at any
    depth) replaced by move(ref)."""
    if isinstance(obj, dict):
        return {key: (move(value) if key == "$ref" or key == "self_ref" else value) if isinstance(value, str)
                else _moved(value, move) if isinstance(value, (dict, list)) else value
                for key, value in obj.items()}
    if isinstance(obj, list):
        return [_moved(value, move) if isinstance(value, (dict, list)) else value for value in obj]
    return obj


def _in_place(items: list, move, shift: bool) -> list:
    """items with every reference in them replaced by move(ref), in place (none when not shift)."""
    if shift:
        _move_refs(items, move)
    return items


def _move_refs(obj, move) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, str):
                if key == "$ref" or key == "self_ref":
                    obj[key] = move(value)
            elif isinstance(value, (dict, list)):
                _move_refs(value, move)
    elif isinstance(obj, list):
        for value in obj:
            if isinstance(value, (dict, list)):
                _move_refs(value, move)


def stitch(journal: RangeJournal, path: str, name: str, done: list[tuple[int, int]],
           failed: dict[int, str], read_part) -> tuple[dict, str, list[dict]]:
    """(Docling JSON dict, markdown, each range's piece but its text) of the whole document;
    `read_part(path)` loads a part file (what write_part wrote)."""
    sizes = page_sizes(path, sorted(failed)) if failed else {}
    pieces = [(first, read_part(journal.part(first, last))) for first, last in done]
    for page, reason in failed.items():
        width, height = sizes[page]
        pieces.append((page, {"data": failed_page_part(page, width, height, name),
                              "markdown": placeholder(page, reason) + "\n", "failed": True}))
    pieces.sort(key=lambda p: p[0])
    data = splice([part["data"] for _, part in pieces], empty_document(), name, own=True)  # read for it
    texts = [part for _, part in pieces if part["markdown"].strip()]
    # a paragraph may go on over the page break between two ranges, as in one conversion of the
    # whole (page_joins), unless the range before said its last one ends there
    bodies = [part["markdown"].strip("\n") for part in texts]
    seams = [f"\n\n{PAGE_BREAK}\n\n" if part.get("ends_open") else "\n\n" for part in texts[:-1]]
    markdown = join_over_pages("".join(body + seam for body, seam in zip(bodies, [*seams, ""])))
    ending = texts[-1]["markdown"][len(texts[-1]["markdown"].rstrip("\n")):] if texts else "\n"  # as one conversion's would end
    metas = [{k: v for k, v in part.items() if k not in ("data", "markdown")} for _, part in pieces
             if not part.get("failed")]
    return data, markdown + ending, metas


def merge_pieces(metas: list[dict], data: dict, markdown: str, total: int) -> dict:
    """The ranges' pieces as one document's piece (what finish_document takes)."""
    first = metas[0] if metas else {"backend": None, "device": None}
    repairs: dict[str, list] = {}
    covers: dict = {}
    timings: dict = {"ranges": len(metas)}
    for meta in metas:
        for key, pages in (meta.get("repairs") or {}).items():
            repairs.setdefault(key, []).extend(pages)
        covers.update(meta.get("page_covers") or {})
        for key, value in (meta.get("timings") or {}).items():
            if isinstance(value, (int, float)):
                timings[key] = round(timings.get(key, 0.0) + value, 4)
    ocr = merge_ocr_infos([meta["ocr"] for meta in metas if meta.get("ocr")])
    return {"markdown": markdown, "data": data, "backend": first["backend"], "pages": total,
            "seconds": sum(m.get("seconds") or 0.0 for m in metas), "timings": timings,
            "repairs": {k: sorted(set(v)) for k, v in repairs.items()}, "page_covers": covers or None,
            "ocr": ocr, "device": first["device"]}



def merge_ocr_infos(parts: list[dict]) -> dict | None:
    """The ranges' OCR records ({pages, engine, seconds, merged, timings}) as the document's."""
    ocr = None
    for part in parts:
        if ocr is None:
            ocr = {"pages": {}, "engine": part["engine"], "seconds": 0.0, "merged": False,
                   "timings": {"per_page": {}}, "page_quality": {}, "repairs": {}}
        ocr["pages"].update(part["pages"])
        ocr["page_quality"].update(part.get("page_quality") or {})
        for name, pages in (part.get("repairs") or {}).items():
            ocr["repairs"][name] = sorted(set(ocr["repairs"].get(name, [])) | set(pages))
        ocr["seconds"] += part["seconds"]
        ocr["merged"] |= part["merged"]
        for key, value in part["timings"].items():
            if key == "per_page":
                ocr["timings"]["per_page"].update(value or {})
            elif isinstance(value, (int, float)):
                ocr["timings"][key] = round(ocr["timings"].get(key, 0.0) + value, 4)
    return ocr
