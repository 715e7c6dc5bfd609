"""One options model per phase, the only place an option is declared (in the manner of Docling's
`PipelineOptions`): its name, type, choices, bounds, default and description.

Every door takes these: the assets' Dagster Config classes are built from them field for field
(defs/config.py), `Corpus`'s methods validate their arguments through them, the CLI's flags are
generated from them, and the Tasks that travel to the workers are filled from them. A bad value
is an `OptionsError` (a ValueError) naming the option, before any worker starts.

Defaults are GlossAPI's where GlossAPI has one (`Corpus.extract(input_format='all',
phase1_backend='auto', use_gpus='single')`).
"""
from __future__ import annotations

from typing import Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..state.filetype import ACCEPTED as DOWNLOAD_FORMATS  # what the downloader keeps: kinds told from the bytes
from .engines import BUILTIN_MATH_ENGINES, BUILTIN_PHASE1_BACKENDS, registered_math_engines, registered_phase1_backends

OCR_ENGINE_HELP = ("rapidocr, tesseract, or auto (RapidOCR when its recogniser has Greek, e.g. "
                   "GLOSSAPI_RAPIDOCR_ONNX_DIR's; else Tesseract)")
OCR_LANGS_HELP = "Tesseract languages, e.g. ell+eng+grc (grc is added for a polytonic text layer)"
LANGS = r"^[A-Za-z_]+(\+[A-Za-z_]+)*$"
FILENAMES_HELP = ("Only these documents: file names, stems or paths in the input folder (GlossAPI's filenames "
                  "and file_paths; None: every document)")


def pages_per_unit_field():
    """max_pages_per_unit, as every phase that takes long documents as page ranges declares it (one
    description: run_sample makes one CLI flag of the phases' same-named fields)."""
    return Field(100, ge=1, description="A longer PDF is split into page ranges of this many pages, each a "
                                        "queue item of its own (None: never split)")


def _max_failed_page_share():
    """One description for every phase: the CLI's `ocr` takes OCR's and math's options as one flag."""
    return Field(0.1, ge=0, le=1, description="A document with more failed pages than this share is problematic "
                                              "(OCR: a failed OCR); fewer are listed in failed_pages "
                                              "(ocr_failed_pages, whose pages keep their text layer; "
                                              "math_failed_pages)")


class OptionsError(ValueError):
    """A bad option value, said in one line that names the option."""


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManifestOptions(_Options):
    """download_results: which files of the input folder become manifest rows, and in what shards."""

    input_format: Literal["pdf", "docx", "html", "xml", "md", "pptx", "all"] = Field(
        "all", description="Which files of the input folder are documents (all: every supported format)")
    shard_size: int = Field(1000, ge=1, description="Up to this many new files per shard (partition)")


class ExtractOptions(_Options):
    """extracted_docs (Phase 1): every document to markdown and Docling JSON."""

    phase1_backend: str = Field(
        "auto", json_schema_extra={"choices": list(BUILTIN_PHASE1_BACKENDS)}, description="safe (pypdfium2, fast), docling, or auto (safe for PDFs unless math is "
                            "requested; GlossAPI's names)")
    pipeline: Literal["native", "standard", "auto"] = Field(
        "native", description="Docling pipeline: native (no weights), standard (layout and table models), or auto")
    force_ocr: bool = Field(False, description="OCR every page, ignoring the text layer")
    do_ocr: bool = Field(False, description="OCR only the pages whose text layer fails (scanned, empty, garbled)")
    ocr_engine: Literal["auto", "rapidocr", "tesseract"] = Field("auto", description=OCR_ENGINE_HELP)
    ocr_langs: str = Field("ell+eng", pattern=LANGS, description=OCR_LANGS_HELP)
    math_requested: bool = Field(False, description="Phase 2 will follow: 'auto' then takes Docling")
    artifacts_path: str | None = Field(None, description="Folder with Docling's model weights")
    benchmark_mode: bool = Field(False, description="Skip the per-document and per-page metrics files")
    reprocess: bool = Field(False, description="Process again documents that were problematic (or done)")
    max_pages: int | None = Field(None, ge=1, description="Page budget per document in the safe backend "
                                                          "(more pages: problematic; None: no limit)")
    page_time_budget: float = Field(20.0, gt=0, description="Seconds one page may take: the safe backend's budget, "
                                                            "and a page range's time limit a page")
    # Ranges of 100 pages keep a range's own cost (a conversion's start, its part file, the
    # stitching) under 1% of its time and cut a 1,000-page volume into 10 queue items
    # (BENCHMARKS.md, "Page ranges").
    max_pages_per_unit: int | None = pages_per_unit_field()
    max_failed_page_share: float = _max_failed_page_share()
    filenames: list[str] | None = Field(None, description=FILENAMES_HELP)

    @field_validator("phase1_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        # the built-in choices, or a backend registered with register_phase1_backend (e.g. by the tests)
        known = BUILTIN_PHASE1_BACKENDS + tuple(registered_phase1_backends())
        if value not in known:
            raise ValueError(f"must be one of {', '.join(map(repr, known))}")
        return value


class OcrOptions(_Options):
    """ocr_docs: the pages that need it of the documents triage flagged needs_ocr (GlossAPI's ocr_bad)."""

    ocr_engine: Literal["auto", "rapidocr", "tesseract"] = Field("auto", description=OCR_ENGINE_HELP)
    ocr_langs: str = Field("ell+eng", pattern=LANGS, description=OCR_LANGS_HELP)
    whole_document: bool = Field(False, description="OCR every page of a flagged document, not only the pages "
                                                    "that need it")
    dpi: int | None = Field(None, ge=36, le=1200, description="Render resolution of each page for OCR (None: 200)")
    max_side_len: int | None = Field(None, ge=200, description="Longest side of a rendered page in pixels "
                                                              "(None: 2000 RapidOCR, 4000 Tesseract)")
    max_pages: int | None = Field(None, ge=1, description="OCR only the first N pages of each document "
                                                          "(None: GLOSSAPI_OCR_MAX_PAGES, else all)")
    use_cls: bool = Field(False, description="Run RapidOCR's text-direction classifier (rotated lines)")
    model_dir: str | None = Field(None, description="Folder with det/rec/cls ONNX models and keys "
                                                    "(None: GLOSSAPI_RAPIDOCR_ONNX_DIR, else rapidocr's bundled)")
    det_model: str | None = Field(None, description="Explicit detection model (.onnx)")
    rec_model: str | None = Field(None, description="Explicit recognition model (.onnx), e.g. Greek PP-OCRv5")
    cls_model: str | None = Field(None, description="Explicit direction classifier (.onnx)")
    keys: str | None = Field(None, description="Keys (character list) file of the recognition model")
    reprocess: bool = Field(False, description="Process again documents that were problematic (or done)")
    benchmark_mode: bool = Field(False, description="Skip the per-document and per-page metrics files")
    # as ExtractOptions': a long document's ranges OCR'd by any worker, journaled, bisected on failure
    page_time_budget: float = Field(20.0, gt=0, description="Seconds one page may take in a page range "
                                                            "(GlossAPI's 20 s a page)")
    max_pages_per_unit: int | None = pages_per_unit_field()
    max_failed_page_share: float = _max_failed_page_share()
    filenames: list[str] | None = Field(None, description=FILENAMES_HELP)

    def engine_options(self) -> dict:
        """The OCR engines' keyword arguments."""
        return {"dpi": self.dpi, "max_side_len": self.max_side_len, "max_pages": self.max_pages,
                "use_cls": self.use_cls, "model_dir": self.model_dir, "det_model": self.det_model,
                "rec_model": self.rec_model, "cls_model": self.cls_model, "keys": self.keys}


class MathOptions(_Options):
    """math_enriched (Phase 2): the formulas of every extracted PDF decoded to LaTeX."""

    math_engine: str = Field(
        "auto", json_schema_extra={"choices": list(BUILTIN_MATH_ENGINES)},
        description="textlayer (the PDF's glyphs, no model), codeformula (Docling's CodeFormulaV2 on the GPUs), "
                    "or auto (codeformula where its weights are present, else textlayer)")
    math_batch_size: int = Field(8, ge=1, description="Formulas per model call (codeformula)")
    artifacts_path: str | None = Field(None, description="Folder with Docling's model weights")
    reprocess: bool = Field(False, description="Process again documents that were problematic (or done)")
    math_respawn_cap: int | None = Field(None, ge=0, description="Respawns allowed per math worker (None: "
                                                                 "GLOSSAPI_MATH_RESPAWN_CAP, default 5; 0: never)")
    # the same ranges as Phase 1's; a math range costs its pages' scan, its part and one placement pass
    max_pages_per_unit: int | None = pages_per_unit_field()
    max_failed_page_share: float = _max_failed_page_share()
    filenames: list[str] | None = Field(None, description=FILENAMES_HELP)

    @field_validator("math_engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        # the built-in choices, or an engine registered with register_math_engine (e.g. by the tests)
        known = BUILTIN_MATH_ENGINES + registered_math_engines()
        if value not in known:
            raise ValueError(f"must be one of {', '.join(map(repr, known))}")
        return value


class PoolOptions(_Options):
    """The worker pool every phase runs on: which devices, how many threads, and its fault policy."""

    use_gpus: Literal["single", "multi"] = Field("single", description="One GPU, or every GPU found "
                                                                       "(GLOSSAPI_USE_GPUS for the code location)")
    devices: list[int] | None = Field(None, description="Explicit device ids, e.g. [0, 1] (overrides use_gpus; "
                                                        "with accel_type cpu, one CPU worker each)")
    accel_type: Literal["auto", "cuda", "cpu"] = Field(
        "auto", description="auto (CUDA where the GPU preflight passes, else the CPU, said in one line), cuda "
                            "(checked before any work: no GPU is an error) or cpu; GlossAPI's Auto, CUDA, CPU too")
    num_threads: int | None = Field(None, ge=1, description="Threads per worker (None: min(cpus, 2 x devices))")
    batch_size: int | None = Field(None, ge=1, description="Work items a worker takes at a time (None: short "
                                                           "documents together, up to batch_pages pages)")
    batch_pages: int = Field(16, ge=1, description="With batch_size None, the pages of short documents a worker is "
                                                   "handed at once (one round trip to the controller for all); a longer "
                                                   "document or a page range goes alone")
    item_timeout: float | None = Field(1800.0, gt=0, description="Seconds one document may take before its worker "
                                                                 "is killed (None: no limit)")
    summary_interval: float = Field(30.0, gt=0, description="Seconds between the pool's progress summaries")
    max_attempts: int = Field(2, ge=1, description="Attempts per document before it is problematic")
    respawn_cap: int = Field(5, ge=0, description="Respawns allowed per worker (extraction and OCR)")
    respawn_delay: float = Field(0.0, ge=0, description="Seconds before a dead worker is respawned")
    respawn_backoff: Literal["none", "linear", "exponential"] = Field(
        "none", description="How respawn_delay grows with each respawn")
    max_items_per_worker: int | None = Field(None, ge=1, description="A worker is replaced (not a crash) after "
                                                                     "this many items (None: never)")
    max_worker_rss_mb: float | None = Field(None, gt=0, description="A worker is replaced once its resident memory "
                                                                    "passes this many MB, checked between items "
                                                                    "(None: never)")
    range_startup_timeout: float = Field(120.0, gt=0, description="Seconds a page range may take on top of its "
                                                                  "pages' page_time_budget (a conversion's set-up)")

    @field_validator("devices")
    @classmethod
    def _device_ids(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (not value or any(d < 0 for d in value)):
            raise ValueError("must be a non-empty list of device ids >= 0")
        return value

    @field_validator("respawn_backoff", mode="before")
    @classmethod
    def _backoff(cls, value):
        return "none" if value is None else str(value).lower()

    @field_validator("accel_type", mode="before")
    @classmethod
    def _accel(cls, value):
        return accel_name(value)


def accel_name(value):
    """GlossAPI's spellings of accel_type (Auto, CUDA, CPU, cuda:0) as this project's; MPS is refused."""
    if not isinstance(value, str):
        return value
    name = value.strip().lower()
    if name.startswith("cuda:") and name[5:].isdigit():  # the pool binds each worker to its own GPU
        return "cuda"
    if name == "mps":
        raise ValueError("'mps' (Apple's GPU) is not supported here: use 'auto' or 'cpu'")
    return name


class SectionOptions(_Options):
    """sections: the usable documents' markdown cut into sections (GlossAPI's section())."""

    docling_headers: bool = Field(True, description="A markdown line the Docling JSON calls a section header opens a "
                                                    "section, though the text layer lost its heading markup")


class AnnotateOptions(_Options):
    """annotated_sections: every section labelled, then fully annotated (GlossAPI's annotate())."""

    annotation_type: Literal["text", "chapter", "auto"] = Field(
        "text", description="text (front matter, body, appendices by the contents and the bibliography), chapter "
                            "(all body but the bibliography), or auto (chapter where annotation_mapping says so "
                            "for the document's type, else text)")
    fully_annotate: bool = Field(True, description="Label every 'άλλο' by its place (GlossAPI's full annotation)")
    classifier: Literal["auto", "model", "structural"] = Field(
        "auto", description="model (model_path, else GlossAPI's installed model), structural (headings and shapes, "
                            "no model), or auto (a model where one loads, else structural)")
    model_path: str | None = Field(None, description="A section classifier saved with joblib (GlossAPI's "
                                                     "section_classifier_model_path, or one train_from_csv wrote)")
    metadata_path: str | None = Field(None, description="A parquet of filename and document_type, for annotation_type "
                                                        "auto (GlossAPI's metadata_path; a document_type column of "
                                                        "the store is read too)")
    annotation_mapping: dict[str, str] | None = Field(
        None, description="Document type -> text or chapter, for annotation_type auto (None: GlossAPI's "
                          "{'Κεφάλαιο': 'chapter'})")

    @field_validator("annotation_mapping")
    @classmethod
    def _mapping(cls, value: dict | None) -> dict | None:
        bad = {k: v for k, v in (value or {}).items() if v not in ("text", "chapter")}
        if bad:
            raise ValueError(f"maps document types to 'text' or 'chapter', not {bad}")
        return value



class DownloadOptions(_Options):
    """link_list and downloaded_files: the links of a list in IN fetched into OUT/downloads, politely and
    resumably (GlossAPI's download())."""

    # which list, and where its links are (read by link_list, the sensor, Corpus.download and the CLI)
    input_parquet: str | None = Field(None, description="The link list: parquet, CSV or JSONL (None: the first "
                                                        "*.parquet in IN, else *.csv, else *.jsonl; GlossAPI's name)")
    url_column: str = Field("url", description="The column of the links (where absent: the first column named like "
                                               "url, link or uri, as GlossAPI finds it); a cell may hold a list")
    parallelize_by: str | None = Field(None, description="A column whose values take turns (round-robin), e.g. "
                                                         "collection_slug (None: the host); per-host limits hold "
                                                         "either way")
    referer_column: str | None = Field(None, description="A column holding the page each link was found on, sent "
                                                         "as Referer")
    # how politely, and how fast
    concurrency: int = Field(32, ge=1, description="Requests in flight at once, all hosts together")
    per_host_concurrency: int = Field(4, ge=1, description="Requests in flight at once to one host")
    per_host_rate: float | None = Field(4.0, gt=0, description="Requests a second started on one host (None: no "
                                                               "limit); a robots.txt Crawl-delay can only slow it")
    user_agent: str = Field("glossapi-dagster/0.1 (harvesting documents for the GlossAPI Greek corpus)",
                            min_length=1, description="The one User-Agent of every request (and robots.txt's "
                                                      "agent)")
    ignore_robots: bool = Field(False, description="Fetch what robots.txt disallows (it is honoured by default)")
    # when to give up
    max_attempts: int = Field(3, ge=1, description="Attempts per link in a run on transient failures (timeouts, "
                                                   "resets, 5xx, 408, 429), backing off; other 4xx are final")
    backoff: float = Field(1.0, gt=0, description="Seconds before the second attempt; doubled at each one, with "
                                                  "jitter, up to max_backoff")
    max_backoff: float = Field(60.0, gt=0, description="Longest wait between two attempts (seconds)")
    max_retry_after: float = Field(600.0, ge=0, description="Longest Retry-After waited for in a run (seconds); "
                                                            "a host asking more is left for a later run")
    skip_failed_after: int = Field(3, ge=1, description="Runs a link may fail in before it is not tried again "
                                                        "(GlossAPI's); each later run tries a failed link once more")
    connect_timeout: float = Field(30.0, gt=0, description="Seconds to connect")
    read_timeout: float = Field(60.0, gt=0, description="Seconds without a byte before a read fails")
    timeout: float | None = Field(900.0, gt=0, description="Seconds one whole download may take (None: no limit)")
    max_redirects: int = Field(10, ge=0, description="Redirects followed per link (a loop fails at once)")
    max_bytes: int | None = Field(512 << 20, ge=1, description="Largest file kept, in bytes (None: no limit)")
    supported_formats: list[str] = Field(list(DOWNLOAD_FORMATS), description="Kinds of file kept, "
                                         "told from the bytes: " + ", ".join(DOWNLOAD_FORMATS))
    ssl_insecure: bool = Field(False, description="Skip TLS certificate checks (a site with a broken chain; "
                                                  "GlossAPI's ssl_verify=False)")

    @field_validator("supported_formats")
    @classmethod
    def _known_formats(cls, value: list[str]) -> list[str]:
        value = [v.strip().lower().lstrip(".") for v in value if v.strip()]
        unknown = [v for v in value if v not in DOWNLOAD_FORMATS]
        if unknown or not value:
            raise ValueError(f"must be some of {', '.join(map(repr, DOWNLOAD_FORMATS))}")
        return value

# Corpus.ocr's and `glossapi-dagster ocr`'s mode: which of the two phases to run (GlossAPI's names)
OCR_MODES = ("ocr_bad", "math_only", "ocr_bad_then_math")
PHASE_OPTIONS = (ManifestOptions, ExtractOptions, OcrOptions, MathOptions, PoolOptions, SectionOptions,
                 AnnotateOptions, DownloadOptions)
M = TypeVar("M", bound=BaseModel)


def build(model: type[M], **values) -> M:
    """model(**values), its errors said as one line per option."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise OptionsError("; ".join(_say(e) for e in exc.errors())) from None


def _say(error: dict) -> str:
    name = ".".join(str(p) for p in error["loc"]) or "options"
    value = error.get("input")
    if error["type"] == "literal_error":
        return f"unknown {name} {value!r}; {name} must be one of {error['ctx']['expected']}"
    if error["type"] == "extra_forbidden":
        return f"unknown option {name!r}"
    message = error["msg"].removeprefix("Value error, ")
    sep = " " if message.startswith("must") else ": "
    return f"{name}{sep}{message[0].lower() + message[1:]}, got {value!r}"


def choices_of(model: type[BaseModel], name: str) -> tuple | None:
    """The values a field allows (its Literal's, or those it lists), None when it takes any."""
    field = model.model_fields[name]
    extra = field.json_schema_extra or {}
    if isinstance(extra, dict) and "choices" in extra:
        return tuple(extra["choices"])
    annotation = field.annotation
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return None
