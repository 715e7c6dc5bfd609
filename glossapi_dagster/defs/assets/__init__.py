from .download_results import download_results
from .extract import extracted_docs
from .ocr import ocr_docs

__all__ = ["download_results", "extracted_docs", "ocr_docs"]
