"""Which OCR engine reads a run's pages, and what it can read.

ocr_engine='rapidocr'  RapidOCR on onnxruntime (CUDA on each worker's GPU); its recogniser is
                       the bundled one, or GLOSSAPI_RAPIDOCR_ONNX_DIR's (GlossAPI's Greek PP-OCRv5).
ocr_engine='tesseract' Tesseract 5 with the system's ell/grc/eng language data (CPU).
ocr_engine='auto'      RapidOCR when its configured recogniser has Greek, else Tesseract.

The recogniser's languages are read from its character dictionary (the keys file, else the list
embedded in the ONNX model): the bundled one has bare capitals and lower-case Greek but no
accented vowel and no final sigma, so it cannot write modern Greek.
"""
from __future__ import annotations

import logging

ENGINES = ("rapidocr", "tesseract", "auto")
# What a recogniser must write to read modern Greek: the letters, final sigma, the accented vowels.
GREEK_NEEDS = "αβγδεζηθικλμνξοπρστυφχψωςάέήίόύώΑΒΓΔΩ"
POLYTONIC_PROBE = "ἀἁὰᾶῆῶἐὐ"  # a few Greek Extended letters: a recogniser with them reads polytonic
LATIN_NEEDS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


RAPIDOCR_OPTIONS = ("dpi", "max_side_len", "max_pages", "use_cls", "text_score", "det_model", "rec_model",
                    "cls_model", "keys", "model_dir")


class OcrEngineError(ValueError):
    """An unknown engine name."""


def recogniser_characters(models) -> str:
    """The characters a RapidOCR recognition model can write: its keys file, else its ONNX's list."""
    if models.keys is not None:
        return "".join(line.rstrip("\r\n") for line in open(models.keys, encoding="utf-8"))
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(models.rec), sess_options=options, providers=["CPUExecutionProvider"])
    return session.get_modelmeta().custom_metadata_map.get("character", "").replace("\n", "")


def onnxruntime_installed() -> bool:
    """Without importing it (a Tesseract run must not pay for it)."""
    import importlib.util

    try:
        return importlib.util.find_spec("onnxruntime") is not None
    except (ImportError, ValueError):  # a finder that refuses it, or a module left half-imported
        return False


def languages_covered(characters: str) -> dict[str, bool]:
    """Tesseract's language codes -> whether a recogniser with these characters can write them."""
    have = set(characters)
    return {"eng": set(LATIN_NEEDS) <= have, "ell": set(GREEK_NEEDS) <= have,
            "grc": set(GREEK_NEEDS) <= have and set(POLYTONIC_PROBE) <= have}


def rapidocr_languages(model_dir: str | None = None, keys: str | None = None, rec_model: str | None = None):
    """(models, {lang: covered}) of the RapidOCR recogniser a run would load."""
    from .rapidocr import resolve_models

    models = resolve_models(rec=rec_model, keys=keys, model_dir=model_dir)
    return models, languages_covered(recogniser_characters(models))


def resolve_engine(engine: str, options: dict | None = None) -> tuple[str, str]:
    """(rapidocr|tesseract, why) for a run; 'auto' looks at the configured recogniser."""
    if engine not in ENGINES:
        raise OcrEngineError(f"ocr_engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")
    if engine != "tesseract" and not onnxruntime_installed():  # RapidOCR runs on it: the `gpu` extra
        if engine == "rapidocr":
            raise OcrEngineError("ocr_engine='rapidocr' needs onnxruntime, which is not installed: "
                                 "pip install 'glossapi-dagster[gpu]' (onnxruntime-gpu; it runs on the CPU too)")
        return "tesseract", "onnxruntime is not installed (the gpu extra), so RapidOCR cannot run"
    if engine != "auto":
        return engine, "asked for"
    options = options or {}
    # a model folder that is configured but broken is an error, not a reason to switch engines
    models, covered = rapidocr_languages(options.get("model_dir"), options.get("keys"), options.get("rec_model"))
    if covered["ell"]:
        return "rapidocr", f"the RapidOCR recogniser {models.rec} ({models.source}) has Greek"
    return "tesseract", f"the RapidOCR recogniser {models.rec.name} ({models.source}) has no Greek"


# The checks that passed in this process (as gpu_preflight's _PASSED): Corpus checks before any
# work, then the run it starts checks again before its workers; the second only logs. Keyed by
# the variables that choose the data too, so that pointing them elsewhere checks anew.
_PASSED: dict[tuple, tuple] = {}


def ocr_preflight(engine: str, langs: str | None, options: dict | None = None,
                  log: logging.Logger | None = None, quiet: bool = False) -> str:
    """Before any work: the engine the run uses (logged once), its language data checked.

    Tesseract: a missing language is TesseractLanguageMissing naming its package. RapidOCR: the
    recogniser's languages are logged, with a warning when Greek is asked of one without it.
    quiet: check only (the Corpus facade, before the run that logs it)."""
    import os

    from .rapidocr import ENV_MODEL_DIR
    from .tesseract import ENV_TESSDATA

    key = (engine, langs, repr(sorted((options or {}).items())), os.environ.get(ENV_TESSDATA),
           os.environ.get(ENV_MODEL_DIR))
    if key not in _PASSED:
        _PASSED[key] = _check_engine(engine, langs, options)
    chosen, why, wanted, found = _PASSED[key]
    if quiet:
        return chosen
    log = log or logging.getLogger(__name__)
    if chosen == "tesseract":
        log.info("OCR engine: tesseract (%s; ocr_engine=%r), languages %s from %s", why, engine, "+".join(wanted), found)
        return chosen
    models, covered = found
    log.info("OCR engine: rapidocr (%s; ocr_engine=%r); its recogniser %s covers %s", why, engine, models.rec.name,
             ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in covered.items()))
    lacking = [lang for lang in wanted if lang in covered and not covered[lang]]
    if any(lang in ("ell", "grc") for lang in lacking):
        log.warning("OCR: Greek (%s) was asked of the RapidOCR recogniser %s (%s), whose dictionary has no %s: "
                    "Greek words will come out wrong. Set GLOSSAPI_RAPIDOCR_ONNX_DIR to a Greek PP-OCRv5 model "
                    "folder, or use ocr_engine='tesseract'.", "+".join(lacking), models.rec, models.source,
                    "accented Greek or final sigma" if "ell" in lacking else "polytonic Greek")
    return chosen


def _check_engine(engine: str, langs: str | None, options: dict | None) -> tuple:
    """(chosen, why, languages, the tessdata folder or RapidOCR's (models, coverage)); raises what is missing."""
    from .tesseract import check_languages, parse_langs

    chosen, why = resolve_engine(engine, options)
    wanted = parse_langs(langs)
    if chosen == "tesseract":
        return chosen, why, wanted, check_languages(wanted)[0]
    options = options or {}
    return chosen, why, wanted, rapidocr_languages(options.get("model_dir"), options.get("keys"),
                                                   options.get("rec_model"))


def build_engine(name: str, threads: int, device: str, log, options: dict | None = None,
                 langs: str | None = None):
    """The page-OCR backend of one worker (built once): rapidocr or tesseract."""
    # None: each engine's own default (200 dpi for both: Tesseract's best
    # word recall on the Greek gazette, see BENCHMARKS.md; 2000 px RapidOCR, 4000 px Tesseract)
    options = {k: v for k, v in (options or {}).items() if v is not None or k not in ("dpi", "max_side_len")}
    if name == "tesseract":
        from .document import PageOcrExtractor
        from .tesseract import TesseractEngine

        engine = TesseractEngine(langs, threads=threads, log=log)
        return PageOcrExtractor(engine, dpi=int(options.get("dpi") or 200), max_side_len=int(options.get("max_side_len") or 4000),
                                max_pages=options.get("max_pages"), log=log)
    if name == "rapidocr":
        from .rapidocr import OcrExtractor

        return OcrExtractor(threads=threads, device=device, log=log,
                            **{k: v for k, v in options.items() if k in RAPIDOCR_OPTIONS})
    raise OcrEngineError(f"no OCR engine {name!r} (resolve 'auto' first)")
