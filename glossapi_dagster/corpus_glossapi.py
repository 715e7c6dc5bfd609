"""The rest of GlossAPI's Corpus surface: its constructor's arguments, filter(), triage_math(),
formula_enrich_from_json(), and extract()'s GlossAPI-only arguments.

A GlossAPI script runs unchanged but for the import: an argument that means something here does
it; one that has no meaning here is accepted, and an IgnoredArgument warning says why (never a
TypeError).
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

PACKAGE_LOGGER = "glossapi_dagster"


class IgnoredArgument(UserWarning):
    """A GlossAPI argument accepted for a script's sake that has no meaning here; the message says why."""


def ignored(name: str, why: str, stacklevel: int = 3) -> None:
    warnings.warn(f"{name}: {why}", IgnoredArgument, stacklevel=stacklevel)


def setup_logging(log_level: int, verbose: bool) -> logging.Logger:
    """GlossAPI's log_level and verbose: the package's logger at that level (DEBUG when verbose),
    with a handler of its own when no handler is configured anywhere (as GlossAPI adds one)."""
    package = logging.getLogger(PACKAGE_LOGGER)
    package.setLevel(logging.DEBUG if verbose else log_level)
    if not package.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s:%(name)s: %(message)s", "%H:%M:%S"))
        package.addHandler(handler)
    return logging.getLogger(PACKAGE_LOGGER + ".corpus")


class GlossAPIArguments:
    """What Corpus.__init__ does with GlossAPI's constructor arguments."""

    def _take_glossapi_arguments(self, section_classifier_model_path, extraction_model_path, metadata_path,
                                 annotation_mapping, downloader_config, log_level, verbose) -> None:
        self.logger = setup_logging(log_level, verbose)
        self.verbose = verbose
        self.section_classifier_model_path = Path(section_classifier_model_path) if section_classifier_model_path else None
        if extraction_model_path is not None:
            ignored("extraction_model_path", "GlossAPI's k-means model sorted extractions by quality; here triage's "
                                             "signals (the store's columns) and clean() decide", stacklevel=4)
        self.extraction_model_path = Path(extraction_model_path) if extraction_model_path else None
        self.metadata_path = Path(metadata_path) if metadata_path else None
        if self.metadata_path is not None and not self.metadata_path.is_file():
            self.logger.warning("metadata_path %s does not exist; document types are unknown", self.metadata_path)
            self.metadata_path = None
        self.annotation_mapping = dict(annotation_mapping) if annotation_mapping else {"Κεφάλαιο": "chapter"}
        self.downloader_config = dict(downloader_config or {})  # read by download() (corpus_download.py)
        # GlossAPI's paths, for the scripts that read them
        out = self.output_dir
        self.downloads_dir, self.markdown_dir, self.sections_dir = out / "downloads", out / "markdown", out / "sections"
        self.logs_dir, self.models_dir = out / "logs", out / "models"
        self.sections_parquet = self.sections_dir / "sections_for_annotation.parquet"
        self.classified_parquet = out / "classified_sections.parquet"
        self.fully_annotated_parquet = out / "fully_annotated_sections.parquet"

    # -- GlossAPI's other methods ---------------------------------------------------------
    def filter(self, *args, **kwargs):
        """Deprecated in GlossAPI too: clean() under its old name."""
        warnings.warn("Corpus.filter() is deprecated (as in GlossAPI): calling clean()", DeprecationWarning,
                      stacklevel=2)
        return self.clean(*args, **kwargs)

    def triage_math(self) -> dict:
        """GlossAPI's triage_math(): per document, formula_total, formula_avg_pp, formula_p90_pp,
        pages_with_formula and phase_recommended ('2A': run Phase 2; 'stop': no formula) into the
        store. Returns the counts by recommendation."""
        from .phases.triage_math import triage_math

        self._require_store()
        report = triage_math(self.output_dir)
        self.logger.info("triage_math: %s", report)
        return report

    def formula_enrich_from_json(self, files=None, *, device: str = "cuda", batch_size: int = 8,
                                 dpi_base: int = 220, targets_by_stem=None, **pool):
        """GlossAPI's Phase 2 from the Docling JSON: here ocr(mode='math_only') on `files` (stems or
        file names; None: every extracted PDF), math_batch_size=batch_size, on `device` ('cuda' or
        'cpu'; 'cuda' checked before any work). The pool's arguments (devices, use_gpus...) pass on."""
        if dpi_base != 220:
            ignored("dpi_base", "each formula's crop is rendered at a resolution chosen from its height")
        if targets_by_stem:
            ignored("targets_by_stem", "Phase 2 decodes every formula of a document, and places each in its "
                                       "markdown; there is no per-formula pick")
        accel = {"cuda": "cuda", "cpu": "cpu"}.get(str(device).split(":")[0].lower(), str(device))
        return self.ocr(mode="math_only", math_batch_size=batch_size, accel_type=pool.pop("accel_type", accel),
                        filenames=list(files) if files else None, **pool)

    def _glossapi_extract_arguments(self, formula_enrichment, code_enrichment, skip_existing, use_cls,
                                    export_doc_json, emit_formula_index, _prepared) -> dict:
        """extract()'s GlossAPI-only arguments: what each becomes here (warnings for the rest)."""
        if code_enrichment:
            ignored("code_enrichment", "code blocks are kept as the text layer has them; Docling's code "
                                       "classifier is not run", stacklevel=4)
        if use_cls:
            ignored("use_cls", "RapidOCR's direction classifier is ocr()'s option here: ocr(use_cls=True)", stacklevel=4)
        if not export_doc_json:
            ignored("export_doc_json", "the Docling JSON is always written: OCR, Phase 2 and section() read it",
                    stacklevel=4)
        if emit_formula_index:
            ignored("emit_formula_index", "Phase 2 writes each formula to json/<stem>.latex_map.jsonl", stacklevel=4)
        if _prepared:
            ignored("_prepared", "GlossAPI's worker-internal flag; the pool prepares its workers itself", stacklevel=4)
        if not skip_existing:
            ignored("skip_existing", "the store decides what is left: documents that failed are extracted again "
                                     "(reprocess), those extracted with success are kept", stacklevel=4)
        return {"reprocess": not skip_existing, "then_math": bool(formula_enrichment)}

    def _glossapi_ocr_arguments(self, mode, fix_bad, math_enhance, backend, device, other: dict):
        """ocr()'s GlossAPI-only arguments: (the mode, {ocr_engine, accel_type, reprocess} taken)."""
        taken: dict = {}
        if mode is None:  # GlossAPI's legacy flags choose the mode
            mode = {(True, True): "ocr_bad_then_math", (True, False): "ocr_bad",
                    (False, True): "math_only"}.get((bool(fix_bad), bool(math_enhance)))
        if backend is not None:
            if backend in ("rapidocr", "tesseract"):
                taken["ocr_engine"] = backend
            else:
                ignored("backend", f"{backend!r} is not an OCR engine here (rapidocr, tesseract); ocr_engine "
                                   "'auto' chooses", stacklevel=4)
        if device is not None:
            taken["accel_type"] = "cpu" if str(device).lower().startswith("cpu") else "cuda"
        if other.pop("force", None) or other.pop("reprocess_completed", None) or other.pop("skip_existing", None) is False:
            taken["reprocess"] = True
        why = {"limit": "every flagged document is OCR'd (filenames= picks some)",
               "persist_engine": "each worker loads its engine once, always",
               "precision": "the engines run at their own precision",
               "math_targets": "Phase 2 decodes every formula of a document",
               "math_dpi_base": "each formula's crop resolution is chosen from its height",
               "content_debug": "no debug markers are written into the markdown",
               "CONTENT_DEBUG": "no debug markers are written into the markdown",
               "internal_debug": "no debug markers are written into the markdown",
               "INTERNAL_DEBUG": "no debug markers are written into the markdown"}
        defaults = {"persist_engine": True, "math_dpi_base": 220}
        for name, value in other.items():
            if name not in why:
                raise TypeError(f"ocr() got an unexpected keyword argument {name!r}")
            if value not in (None, False, defaults.get(name)):
                ignored(name, why[name], stacklevel=4)
        return mode, taken

    def prime_extractor(self, *args, **kwargs) -> None:
        """GlossAPI's prime_extractor(): nothing to prime here, each worker loads its backend once."""
        ignored("prime_extractor", "each worker of the pool loads its backend once; nothing to prime")

    def _names_to_extract(self, filenames, file_paths) -> list[str] | None:
        """GlossAPI's filenames and file_paths, checked against the store after the scan: a name
        that is no document of the input folder is an error, before any work."""
        from .state import OutputLayout, ProgressStore
        from .state.names import match_names

        names = [str(n) for n in (filenames or [])] + [str(Path(p).absolute()) for p in (file_paths or [])]
        if not names:
            return None
        rows = ProgressStore(OutputLayout(self.output_dir).store_dir).read(["stem", "path"]).to_dict("records")
        _, unknown = match_names(rows, names)
        if unknown:
            raise FileNotFoundError(f"not documents of {self.input_dir}: {', '.join(unknown[:10])}"
                                    + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""))
        return names
