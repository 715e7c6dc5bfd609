"""The statuses a phase's outcome takes, as the store records them (extract_status, math_status):
the pool reports them, the store's queries read them. No imports: workers load this too."""
from __future__ import annotations

SUCCESS, PROBLEMATIC, FATAL, SKIPPED = "success", "problematic", "fatal", "skipped"
NO_MATH = "no_math"  # math_status of a document without formulas
