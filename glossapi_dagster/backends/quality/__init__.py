"""Judging extracted text: character classes, and triage's signals (GlossAPI's clean gates, needs_ocr)."""
