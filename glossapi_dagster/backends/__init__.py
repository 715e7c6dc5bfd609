"""Backends: each a class with one job, built once per worker process, never per document."""
