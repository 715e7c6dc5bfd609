from ..quiet import dagster_notes_to_log

with dagster_notes_to_log():  # backfill_policy's "beta" note goes to the log, not to the user's terminal
    from .download import downloaded_files, link_list
    from .download_results import download_results
    from .export import cleaned_docs, training_dataset
    from .extract import extracted_docs
    from .math import math_enriched
    from .ocr import ocr_docs
    from .sections import annotated_sections, sections

__all__ = ["cleaned_docs", "training_dataset", "download_results", "downloaded_files", "link_list", "extracted_docs",
           "math_enriched", "ocr_docs", "sections", "annotated_sections"]
