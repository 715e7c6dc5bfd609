"""Phases: the work of one pipeline stage as a pool Task plus the controller side that records it."""
