"""GlossAPI's GlossSectionClassifier, for the scripts that train or apply one directly:
`from glossapi_dagster import GlossSectionClassifier` then train_from_csv, load_model,
classify_sections, fully_annotate, as in GlossAPI (parquet in, parquet out)."""
from __future__ import annotations

import pandas as pd

from . import classifier as clf
from .annotate import ModelLabeller, annotate_file
from .labels import LABELS, annotate_text


class GivenLabels:
    """The labels a classified parquet already holds (fully_annotate on classify_sections' output)."""

    name = "given"

    def label(self, df: pd.DataFrame) -> tuple[list, list, list]:
        labels = df["predicted_section"].fillna("άλλο").astype(str).tolist()
        kinds = df["section_type"].tolist() if "section_type" in df else [LABELS.get(x, x) for x in labels]
        sources = df["label_source"].tolist() if "label_source" in df else ["given"] * len(labels)
        return labels, kinds, sources


class GlossSectionClassifier:
    def __init__(self):
        self.loaded_model = None
        self.clf_pipeline = None

    def load_model(self, model_file=None):
        if model_file is None:
            raise ValueError("Model file path is required. Please specify a valid model path.")
        self.loaded_model = self.clf_pipeline = clf.load_model(model_file)
        return self.loaded_model

    def build_pipeline(self):
        self.clf_pipeline = clf.build_pipeline()
        return self.clf_pipeline

    def train_from_csv(self, csv_file, output_model_file=None):
        self.clf_pipeline = clf.train_from_csv(csv_file, output_model_file)
        return self.clf_pipeline

    def classify_sections(self, input_parquet, output_parquet, model_path, n_cpus: int = 4, column_name: str = "title"):
        """Every section of input_parquet labelled by the model of model_path (GlossAPI's index
        detection included) into output_parquet. n_cpus and column_name are GlossAPI's; unused here."""
        model = self.load_model(model_path)
        return annotate_file(input_parquet, output_parquet, None, ModelLabeller(model, f"model:{model_path}"))

    def fully_annotate(self, input_parquet, output_parquet, document_types=None, annotation_type: str = "text"):
        """GlossAPI's fully_annotate on a classified parquet: 'text' or 'chapter' for every document."""
        if annotation_type not in ("text", "chapter"):
            raise ValueError(f"Invalid annotation type: {annotation_type}. Must be 'text' or 'chapter'.")
        scratch = f"{output_parquet}.classified.tmp"
        try:
            return annotate_file(input_parquet, scratch, output_parquet, GivenLabels(), annotation_type,
                                 document_types or {})
        finally:
            import os

            if os.path.exists(scratch):
                os.remove(scratch)

    @staticmethod
    def fully_annotate_text_group(group: pd.DataFrame) -> pd.DataFrame:
        group = group.sort_values("id").copy()
        labels, _, _ = annotate_text(group["predicted_section"].tolist(), [""] * len(group))
        group["predicted_section"] = labels
        return group
