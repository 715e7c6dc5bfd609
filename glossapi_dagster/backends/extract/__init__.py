"""Phase-1 extractors (Docling, the safe pdfium backend) and what they share: the Conversion
they return, PDF diagnosis, image cover, running headers and footers, Unicode hygiene."""
