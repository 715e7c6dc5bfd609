"""OCR: the engines (Tesseract, RapidOCR), which pages need them, and their text as a DoclingDocument."""
