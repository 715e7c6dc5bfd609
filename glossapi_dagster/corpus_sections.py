"""GlossAPI's section(), annotate() and process_all() on Corpus: each a recorded run of the
sections / annotated_sections assets (defs/sections/assets.py)."""
from __future__ import annotations

from .datamodel import AnnotateOptions, SectionOptions, build


class SectionsMethods:
    def section(self, *, docling_headers: bool = True) -> dict:
        """GlossAPI's section(): the markdown of the usable documents (extraction succeeded, kept
        by clean, or not needing OCR before any clean) cut into sections, written to
        OUT/sections/sections_for_annotation.parquet. Returns the run's figures (documents,
        sections, path, run_id)."""
        from .defs.instance import call_instance as _instance
        from .runs import materialize_sections

        options = build(SectionOptions, docling_headers=docling_headers)
        self._require_store()
        with _instance() as instance:
            run = materialize_sections(instance, self._export_resources(), **options.model_dump())
        figures = _figures(run, "sections")
        self.logger.info("section: %s sections of %s documents -> %s", figures["sections"], figures["documents"],
                         figures["path"])
        return figures

    def annotate(self, annotation_type: str = "text", fully_annotate: bool = True, *, classifier: str = "auto",
                 model_path=None) -> dict:
        """GlossAPI's annotate(): every section labelled (π, β, άλλο: the classifier of model_path,
        else of section_classifier_model_path, else GlossAPI's installed one; without a model, or
        with classifier='structural', the structural labeller), then, with fully_annotate, every
        `άλλο` placed (ε.σ., κ, α). annotation_type 'auto' takes each document's type from
        metadata_path (or the store) through annotation_mapping. Writes OUT/classified_sections.parquet
        and OUT/fully_annotated_sections.parquet; returns the run's figures."""
        from .defs.instance import call_instance as _instance
        from .runs import materialize_annotation

        model = model_path or self.section_classifier_model_path
        options = build(AnnotateOptions, annotation_type=annotation_type, fully_annotate=fully_annotate,
                        classifier=classifier, model_path=str(model) if model else None,
                        metadata_path=str(self.metadata_path) if self.metadata_path else None,
                        annotation_mapping=self.annotation_mapping)
        if not self.sections_parquet.is_file():
            raise FileNotFoundError(f"{self.sections_parquet} does not exist: run section() first")
        with _instance() as instance:
            run = materialize_annotation(instance, self._export_resources(), **options.model_dump())
        figures = _figures(run, "annotated_sections")
        self.logger.info("annotate: %s sections labelled by %s: %s", figures["sections"], figures["labeller"],
                         figures["labels"])
        return figures

    def process_all(self, input_format: str = "pdf", fully_annotate: bool = True, annotation_type: str = "auto",
                    download_first: bool = False) -> dict:
        """GlossAPI's process_all(): (download,) extract, section, annotate. Returns each step's result."""
        done = {}
        if download_first:
            if hasattr(self, "download"):
                done["download"] = self.download()
            else:
                from .corpus_glossapi import ignored

                ignored("download_first", "this Corpus has no download(): the input folder's files are extracted")
        done["extract"] = self.extract(input_format=input_format)
        done["section"] = self.section()
        done["annotate"] = self.annotate(annotation_type=annotation_type, fully_annotate=fully_annotate)
        return done


def _figures(run, node: str) -> dict:
    meta = run.asset_materializations_for_node(node)[0].metadata
    return {k: v.value for k, v in meta.items()} | {"run_id": run.run_id}
