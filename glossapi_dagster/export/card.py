"""README.md dataset card of an export: the Hub's YAML header (configs, dataset_info) and a
summary a reader can check against the shards."""
from __future__ import annotations

import pyarrow as pa
import yaml

from .shards import PARQUET_SCHEMA

CARD = "README.md"


def _dtype(t: pa.DataType):
    if pa.types.is_list(t):
        return {"list": _dtype(t.value_type)}
    return {pa.string(): "string", pa.int64(): "int64", pa.float64(): "float64", pa.bool_(): "bool"}[t]


def features(fmt: str, by_section: bool = False, provenance: list = ()) -> list[dict] | None:
    """dataset_info features in the Hub's YAML form (parquet only: the JSONL keys follow the store)."""
    if fmt != "parquet":
        return None
    from .provenance import extend_schema
    from .sections import SECTION_PARQUET_SCHEMA

    out = []
    for field in extend_schema(SECTION_PARQUET_SCHEMA if by_section else PARQUET_SCHEMA, list(provenance)):
        d = _dtype(field.type)
        out.append({"name": field.name, **(d if isinstance(d, dict) else {"dtype": d})})
    return out


def write_card(path, fmt: str, prefix: str, shards: list[dict], summary: dict, provenance: list = ()) -> str:
    pattern = f"{prefix}-*.parquet" if fmt == "parquet" else f"{prefix}-*.jsonl*"
    info = {"splits": [{"name": "train", "num_bytes": summary["bytes"], "num_examples": summary["records"]}],
            "download_size": sum(s["file_bytes"] for s in shards), "dataset_size": summary["bytes"]}
    feats = features(fmt, bool(summary.get("by_section")), provenance)
    if feats:
        info = {"features": feats, **info}
    header = {"language": ["el"], "pretty_name": "GlossAPI training export",
              "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": pattern}]}],
              "dataset_info": info}
    lines = ["---", yaml.safe_dump(header, sort_keys=False, allow_unicode=True).strip(), "---", "",
             "# GlossAPI training export", "",
             "Usable documents of a glossapi-dagster output folder (extraction succeeded, kept by clean), "
             "deduplicated, one record per document.", "", "| | |", "|---|---|"]
    rows = [("records", summary["records"]), ("pages", summary["pages"]), ("characters", summary["chars"]),
            ("words", summary["words"]), ("uncompressed bytes", summary["bytes"]),
            ("mean Greek share (% of characters)", summary["greek_share"]),
            ("extraction backends", _pairs(summary["backends"])),
            ("exact duplicates left out", summary["exact_duplicates"]),
            ("near duplicates left out", summary["near_duplicates"]),
            ("near-duplicate Jaccard threshold", summary["near_threshold"]),
            ("documents left out, by reason", _pairs(summary["left_out"]) or "none"),
            *_origins(summary.get("provenance") or {})]
    if summary.get("sections"):  # an export from sections (export/sections.py)
        rows += section_rows(summary["sections"], bool(summary.get("by_section")))
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "## Shards", "", "| file | records | bytes (uncompressed) | file bytes |", "|---|---|---|---|"]
    lines += [f"| {s['file']} | {s['records']} | {s['size']} | {s['file_bytes']} |" for s in shards]
    text = "\n".join(lines) + "\n"
    return text


def section_rows(sections: dict, by_section: bool) -> list[tuple]:
    """What the card says of an export from sections: the unit, what was left out and its size."""
    from ..sections.labels import LABELS

    def named(key: str) -> str:
        return f"{key} ({LABELS[key]})" if key in LABELS else key

    removed = ", ".join(f"{named(k)}: {n} sections, {sections['chars_removed'].get(k, 0)} characters"
                        for k, n in sections["sections_removed"].items())
    return [("record unit", "one record per section" if by_section else "one record per document"),
            ("sections from", sections["sections_file"]),
            ("sections excluded", ", ".join(named(k) for k in sections["excluded"]) or "none"),
            ("removed by the exclusion", removed or "nothing"),
            ("documents exported whole (no sections for their markdown as it stands)",
             sections["documents_exported_whole"])]


def _origins(p: dict) -> list[tuple]:
    """Where the documents came from: per licence, per source host, and which have no licence."""
    if not p:
        return []
    column = p.get("licence_column")
    unlicensed = p.get("no_licence", 0)
    named = ", ".join(p.get("no_licence_documents", []))
    more = unlicensed - len(p.get("no_licence_documents", []))
    return [("licence column of the link list", f"`{column}`" if column else "none (no link list has one)"),
            ("documents per licence", _pairs(p.get("licences", {})) or "none recorded"),
            ("documents per source host", _pairs(p.get("hosts", {})) or "none"),
            ("documents without a licence recorded", f"{unlicensed}" + (f": {named}" if named else "")
             + (f" and {more} more" if more > 0 else ""))]


def _pairs(d: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(d.items()))


def read_card(text: str) -> tuple[dict, list[dict]]:
    """The YAML header and the shard table of a card."""
    if not text.startswith("---\n"):
        raise ValueError("the dataset card has no YAML header")
    header = yaml.safe_load(text[4:text.index("\n---\n", 4)])
    shards = []
    body = text.split("## Shards", 1)[1] if "## Shards" in text else ""
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].isdigit():
            shards.append({"file": cells[0], "records": int(cells[1]), "size": int(cells[2]),
                           "file_bytes": int(cells[3])})
    return header, shards
