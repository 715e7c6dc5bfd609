"""Columns of download_results.parquet: GlossAPI's names where it has one, then ours."""
from __future__ import annotations

import pyarrow as pa

KEY = "stem"

_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()

COLUMNS: dict[str, pa.DataType] = {
    # GlossAPI's columns
    "filename": _S,
    "file_ext": _S,
    "download_success": _B,
    "download_error": _S,
    "extract_status": _S,          # success | problematic | skipped
    "extract_error": _S,
    "processing_stage": _S,
    "page_count": _I,
    "needs_ocr": _B,
    "ocr_success": _B,
    "formula_total": _I,
    "math_enriched": _B,
    "math_items": _I,
    "math_accepted": _I,
    "math_time_sec": _F,
    # GlossAPI's triage_math() (phases/triage_math.py)
    "formula_avg_pp": _F,
    "formula_p90_pp": _F,
    "pages_with_formula": _I,
    "phase_recommended": _S,       # 2A (run Phase 2) | stop
    # GlossAPI's text-quality signals (backends/quality/triage.py)
    "char_count_no_comments": _I,
    "is_empty": _B,
    "percentage_greek": _F,        # 0-100
    "latin_percentage": _F,        # 0-100
    "polytonic_ratio": _F,
    "mojibake_badness_score": _F,
    "filter": _S,                  # ok, or the reasons joined by ';'
    # this project's
    "garbled_text_score": _F,
    "empty_pages": _I,
    "scanned_pages": _I,
    "ocr_error": _S,
    "ocr_sec": _F,
    "ocr_unreadable_pages": _S,    # OCR'd pages the recogniser could not read, "3,7" (backends/ocr/readability.py)
    KEY: _S,
    "path": _S,                    # absolute path of the input
    "size": _I,
    "sha256": _S,
    "mtime": _F,                   # of the input when its sha256 was taken: a replaced file is new work
    "shard": _S,                   # the dynamic partition key the row belongs to
    "missing": _B,                 # the file vanished from the input folder (flagged, never deleted)
    "extraction_backend": _S,
    "attempts": _I,
    "worker": _S,
    "device": _S,
    "extract_sec": _F,
    "failed_pages": _S,            # a long document's pages that failed to convert, "3,7" (phases/long_docs.py)
    "chars": _I,
    "greek_ratio": _F,
    "math_status": _S,
    "math_error": _S,
    "math_failed_pages": _S,       # a long document's pages Phase 2 could not do, "3,7" (phases/math.py)
    "updated_at": pa.timestamp("us", tz="UTC"),
    # a downloaded row (download/): GlossAPI's downloader columns, then what an audit needs
    "url": _S,
    "source_row": _I,              # the row of the link list the link came from
    "url_index": _I,               # the link's place in its cell (-1: the cell held none)
    "is_duplicate": _B,            # the same link as another row, or the same bytes
    "duplicate_of": _S,            # the stem of the row that stands for this one
    "download_retry_count": _I,     # runs in which the link failed; at skip_failed_after it is not tried again
    "filename_base": _S,
    "base_domain": _S,             # scheme://host[:port]
    "download_status": _S,         # pending | downloaded | duplicate | retry (next run tries again) | failed
    "download_attempts": _I,       # requests made for the link, all runs together
    "http_status": _I,
    "content_type": _S,
    "final_url": _S,               # after redirects
    "etag": _S,
    "last_modified": _S,
    "bytes": _I,
    "downloaded_at": pa.timestamp("us", tz="UTC"),
    "link_list": _S,               # the file the link came from
}


def arrow_type(column: str, values: list) -> pa.DataType:
    if column in COLUMNS:
        return COLUMNS[column]
    inferred = pa.infer_type(values)
    return _S if pa.types.is_null(inferred) else inferred
