"""Sections and their labels (GlossAPI's section() and annotate()): markdown cut into sections,
each labelled by a classifier or by the structural labeller, then fully annotated. Knows nothing
of Dagster."""
