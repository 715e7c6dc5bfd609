"""sections and annotated_sections: GlossAPI's section() and annotate() as assets (the engine is
glossapi_dagster/sections/)."""
from pathlib import Path

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from ...datamodel import OptionsError
from ...export.records import select_usable
from ...export.verify import DECIDES
from ...sections.annotate import annotate_file, labeller_for
from ...sections.classifier import ModelError
from ...sections.doctypes import DEFAULT_ANNOTATION_MAPPING, document_types
from ...sections.writer import section_corpus, sections_path
from ...state import OutputLayout, ProgressStore
from .config import AnnotateConfig, SectionConfig
from ..resources import CorpusResource

CLASSIFIED, FULLY_ANNOTATED = "classified_sections.parquet", "fully_annotated_sections.parquet"


def _options(config):
    try:
        return config.options()
    except OptionsError as exc:
        raise Failure(str(exc), allow_retries=False) from exc


@asset(group_name="glossapi", deps=["cleaned_docs", "math_enriched"],
       description="GlossAPI's section(): the markdown of every usable document (math-enriched where Phase 2 "
                   "ran) cut into sections, OUT/sections/sections_for_annotation.parquet (GlossAPI's columns).")
def sections(context: AssetExecutionContext, config: SectionConfig, corpus: CorpusResource) -> MaterializeResult:
    options = _options(config)
    store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
    usable, left_out = select_usable(store.read(DECIDES))
    report = section_corpus(corpus.output_dir, usable.index, use_docling_headers=options.docling_headers)
    context.log.info(f"{report.sections} sections of {report.documents} documents in {report.seconds:.1f}s "
                     f"-> {report.path}")
    return MaterializeResult(metadata={
        "path": MetadataValue.path(report.path), "documents": report.documents, "sections": report.sections,
        "sections_per_second": MetadataValue.float(round(report.sections / max(report.seconds, 1e-6), 1)),
        "headers_from_docling_json": report.docling_headers, "empty_markdown": MetadataValue.json(report.empty[:500]),
        "markdown_missing": MetadataValue.json(report.missing[:500]),
        "documents_left_out_by_reason": MetadataValue.json(dict(left_out)),
    })


@asset(group_name="glossapi", deps=[sections],
       description="GlossAPI's annotate(): every section labelled (π contents, β bibliography, ...; a classifier "
                   "or the structural labeller) into OUT/classified_sections.parquet, then fully annotated "
                   "(ε.σ. front matter, κ main text, α appendices) into OUT/fully_annotated_sections.parquet.")
def annotated_sections(context: AssetExecutionContext, config: AnnotateConfig, corpus: CorpusResource) -> MaterializeResult:
    options = _options(config)
    out = Path(corpus.output_dir)
    source = sections_path(out)
    if not source.is_file():
        raise Failure(f"{source} does not exist: materialize sections (Corpus.section()) first", allow_retries=False)
    try:
        labeller = labeller_for(options.model_path, options.classifier, log=context.log.warning)
        store = ProgressStore(OutputLayout(out).store_dir).read()
        types = document_types(store, options.metadata_path) if options.annotation_type == "auto" else {}
        report = annotate_file(source, out / CLASSIFIED, out / FULLY_ANNOTATED if options.fully_annotate else None,
                               labeller, options.annotation_type, types,
                               options.annotation_mapping or DEFAULT_ANNOTATION_MAPPING, log=context.log.info)
    except (ModelError, ValueError, FileNotFoundError) as exc:
        raise Failure(str(exc), allow_retries=False) from exc
    context.log.info(f"{report.sections} sections of {report.documents} documents labelled by {report.labeller}: "
                     f"{report.labels}")
    return MaterializeResult(metadata={
        "classified": MetadataValue.path(report.classified),
        "fully_annotated": MetadataValue.path(report.fully_annotated or ""),
        "labeller": report.labeller, "documents": report.documents, "sections": report.sections,
        "labels": MetadataValue.json(report.labels),
        "documents_not_fully_annotated": MetadataValue.json(report.not_fully_annotated),
        "seconds": MetadataValue.float(round(report.seconds, 2)),
    })
