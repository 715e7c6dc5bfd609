"""RapidOCR (rapidocr 3.x on onnxruntime) as a Phase-1 backend: every page rendered and OCR'd.

Docling's own OCR route (StandardPdfPipeline with RapidOcrOptions, full-page OCR) needs the
layout model's weights, which a machine without them cannot load; this backend needs only the
ONNX models bundled in the rapidocr wheel, so force_ocr works offline on any machine. It yields
what extraction yields: a DoclingDocument (docling-core) with pages and their sizes, one text
item per paragraph in reading order, each with its page and bounding box in page coordinates.

Models (det, rec, cls, and the rec model's keys file where its ONNX carries no character list):
explicit paths win; else the folder named by `model_dir` or GLOSSAPI_RAPIDOCR_ONNX_DIR (file
names found as GlossAPI finds them, e.g. a Greek PP-OCRv5 recogniser with its keys); else the
models bundled in the rapidocr wheel. A missing or unreadable model is one OcrModelError at
construction (the worker's start), naming the path; nothing is ever downloaded.

Device: 'cuda'/'cuda:N' asks for onnxruntime's CUDAExecutionProvider on cuda:0 (each worker sees
one GPU); when a CUDA session cannot be made there, the CPU provider, with a single warning.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ...datamodel import settings
from ..extract.base import Conversion
from .document import ocr_pdf
from .layout import lines_from_quads

ENV_MODEL_DIR = "GLOSSAPI_RAPIDOCR_ONNX_DIR"
CUDA_EP, CPU_EP = "CUDAExecutionProvider", "CPUExecutionProvider"

# GlossAPI's search patterns for a model folder (src/glossapi/_rapidocr_paths.py), first match wins.
PATTERNS = {
    "det": ["**/det/**/inference.onnx", "*det*server*onnx", "*PP*det*.onnx", "det*.onnx", "*det*.onnx"],
    "rec": ["**/rec/**/inference.onnx", "*el*rec*onnx", "*greek*rec*onnx", "*PP*rec*.onnx", "rec*.onnx",
            "*rec*.onnx"],
    "cls": ["*cls*infer*.onnx", "*cls*.onnx"],
    "keys": ["*greek*keys*.txt", "*ppocr*keys*.txt", "*keys*.txt", "*dict*.txt"],
}


class OcrModelError(RuntimeError):
    """A RapidOCR model that is missing, unreadable or not loadable; the message names the path."""


@dataclass(frozen=True)
class OcrModels:
    det: Path
    rec: Path
    cls: Path | None
    keys: Path | None
    source: str  # where they came from, for the log


def bundled_model_dir() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


def _find(folder: Path, role: str) -> Path | None:
    for pattern in PATTERNS[role]:
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                return path
    return None


def _check(path: Path, role: str, source: str) -> Path:
    what = f"RapidOCR {role} model" if role != "keys" else "RapidOCR recogniser keys file"
    if not path.exists():
        raise OcrModelError(f"{what} not found: {path} ({source})")
    if not path.is_file():
        raise OcrModelError(f"{what} is not a file: {path} ({source})")
    try:
        with open(path, "rb") as f:
            if not f.read(1):
                raise OcrModelError(f"{what} is empty: {path} ({source})")
    except OSError as exc:
        raise OcrModelError(f"{what} cannot be read: {path} ({exc.strerror or exc}; {source})") from exc
    return path


def resolve_models(det: str | None = None, rec: str | None = None, cls: str | None = None,
                   keys: str | None = None, model_dir: str | None = None) -> OcrModels:
    """Explicit paths, else model_dir / GLOSSAPI_RAPIDOCR_ONNX_DIR, else the wheel's bundled models."""
    folder_arg = model_dir or settings().rapidocr_onnx_dir
    if folder_arg:
        folder = Path(folder_arg).expanduser()
        source = f"model_dir={folder}" if model_dir else f"{ENV_MODEL_DIR}={folder}"
        if not folder.is_dir():
            raise OcrModelError(f"RapidOCR model folder not found: {folder} ({source})")
    else:
        folder, source = bundled_model_dir(), "bundled with rapidocr"
    found = {role: _find(folder, role) for role in PATTERNS}
    chosen = {"det": det, "rec": rec, "cls": cls, "keys": keys}
    paths: dict[str, Path | None] = {}
    for role, explicit in chosen.items():
        if explicit:
            paths[role] = _check(Path(explicit).expanduser(), role, f"{role} path given explicitly")
        elif found[role] is not None:
            paths[role] = _check(found[role], role, source)
        elif role in ("det", "rec"):
            raise OcrModelError(f"RapidOCR {role} model not found in {folder} ({source}); looked for "
                                f"{', '.join(PATTERNS[role])}")
        elif role == "cls" and folder_arg:  # GlossAPI's fallback: the wheel's direction classifier
            paths[role] = _find(bundled_model_dir(), "cls")
        else:
            paths[role] = None
    return OcrModels(paths["det"], paths["rec"], paths["cls"], paths["keys"], source)


def _load_session(path: Path, role: str, providers: list):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:
        raise OcrModelError(f"RapidOCR {role} model cannot be loaded by onnxruntime: {path} "
                            f"({type(exc).__name__}: {str(exc)[:300]})") from exc


def _wants_cuda(device: str) -> bool:
    return str(device).lower().startswith("cuda")


class OcrExtractor:
    """Built once per worker: the models are loaded here, never per page or per document."""

    def __init__(
        self,
        threads: int = 1,
        device: str = "cpu",
        log: logging.Logger | None = None,
        dpi: int = 200,
        max_side_len: int = 2000,
        max_pages: int | None = None,
        use_cls: bool = False,
        text_score: float = 0.5,
        det_model: str | None = None,
        rec_model: str | None = None,
        cls_model: str | None = None,
        keys: str | None = None,
        model_dir: str | None = None,
    ):
        self.log = log or logging.getLogger(__name__)
        if dpi < 36 or max_side_len < 200:
            raise ValueError(f"dpi must be >= 36 and max_side_len >= 200, got {dpi} and {max_side_len}")
        if max_pages is None:  # GLOSSAPI_OCR_MAX_PAGES, checked by the controller before the pool
            max_pages = settings().ocr_max_pages
        if max_pages is not None and max_pages < 1:
            raise ValueError(f"max_pages must be >= 1 or None, got {max_pages}")
        self.dpi, self.max_side_len, self.max_pages = dpi, max_side_len, max_pages
        self.models = resolve_models(det_model, rec_model, cls_model, keys, model_dir)
        self.providers = self._choose_providers(device)
        self.use_cls = bool(use_cls and self.models.cls)
        self.engine = self._build(threads, text_score)
        self.log.info("rapidocr det=%s rec=%s cls=%s keys=%s (%s) providers=%s dpi=%d",
                      self.models.det.name, self.models.rec.name,
                      self.models.cls.name if self.use_cls else None,
                      self.models.keys.name if self.models.keys else "embedded",
                      self.models.source, self.providers, dpi)

    # -- construction ------------------------------------------------------------------
    def _choose_providers(self, device: str) -> list[str]:
        """CUDA on cuda:0 when asked and a CUDA session really works here; else the CPU, warned once.

        The recogniser is loaded once here with the providers asked for: that shows whether
        CUDA works (onnxruntime-gpu lists CUDAExecutionProvider even on a machine without a GPU,
        and silently falls back) and whether the model carries its character list."""
        import onnxruntime as ort

        cuda = _wants_cuda(device) and CUDA_EP in ort.get_available_providers()
        if cuda and hasattr(ort, "preload_dlls"):
            try:  # CUDA/cuDNN from the nvidia-* wheels, as torch would load them
                ort.preload_dlls()
            except Exception:  # pragma: no cover - best effort; the session below tells
                pass
        wanted = [(CUDA_EP, {"device_id": 0}), CPU_EP] if cuda else [CPU_EP]
        if cuda:
            ort.set_default_logger_severity(4)  # our single warning below replaces its own messages
        try:
            session = _load_session(self.models.rec, "rec", wanted)
        finally:
            ort.set_default_logger_severity(3)
        got = session.get_providers()
        embedded = "character" in session.get_modelmeta().custom_metadata_map
        del session
        if not embedded and self.models.keys is None:
            raise OcrModelError(f"RapidOCR rec model carries no character list and no keys file was given: "
                                f"{self.models.rec} ({self.models.source}); pass keys=PATH or put a *keys*.txt "
                                "beside it")
        if _wants_cuda(device) and CUDA_EP not in got:
            self.log.warning("OCR on the CPU: device %s was asked for, but onnxruntime %s could not run "
                             "CUDAExecutionProvider here (available: %s; the session got %s). Install the GPU "
                             "driver / CUDA 13 + cuDNN 9 for onnxruntime-gpu, or choose accel_type='cpu'.",
                             device, ort.__version__, ort.get_available_providers(), got)
        return [CUDA_EP, CPU_EP] if CUDA_EP in got else [CPU_EP]

    def _build(self, threads: int, text_score: float):
        from rapidocr import RapidOCR

        cuda = CUDA_EP in self.providers
        params = {
            "Global.log_level": "warning",
            "Global.use_cls": self.use_cls,
            "Global.text_score": float(text_score),
            "Global.max_side_len": int(self.max_side_len),
            "Det.model_path": str(self.models.det),
            "Rec.model_path": str(self.models.rec),
            "EngineConfig.onnxruntime.intra_op_num_threads": int(threads),
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            "EngineConfig.onnxruntime.use_cuda": cuda,
            "EngineConfig.onnxruntime.cuda_ep_cfg.device_id": 0,
            # pages and text lines vary in size: an exhaustive cuDNN search per new shape costs more
            "EngineConfig.onnxruntime.cuda_ep_cfg.cudnn_conv_algo_search": "HEURISTIC",
        }
        if self.models.cls:
            params["Cls.model_path"] = str(self.models.cls)
        if self.models.keys:
            params["Rec.rec_keys_path"] = str(self.models.keys)
        engine = RapidOCR(params=params)
        loaders = [("det", self.models.det, engine._load_det_model), ("rec", self.models.rec, engine._load_rec_model)]
        if self.use_cls:
            loaders.append(("cls", self.models.cls, engine._load_cls_model))
        for role, path, load in loaders:  # now, once: a bad model fails the worker's start, not a page
            try:
                load()
            except Exception as exc:
                raise OcrModelError(f"RapidOCR {role} model cannot be loaded: {path} "
                                    f"({type(exc).__name__}: {str(exc)[:300]})") from exc
        return engine

    # -- conversion --------------------------------------------------------------------
    name = "rapidocr"

    def read(self, bitmap, dpi: int, extra_langs: list[str] | None = None) -> list:
        """Text lines of one rendered page (a pypdfium2 bitmap, BGR as RapidOCR takes arrays)."""
        result = self.engine(bitmap.to_numpy())
        return lines_from_quads(getattr(result, "boxes", None), getattr(result, "txts", None),
                                getattr(result, "scores", None))

    def convert(self, path: str | Path, pages=None, extra_langs: list[str] | None = None) -> Conversion:
        """OCR every page (or the first max_pages, or the 1-based `pages`); raises ConversionFailed
        for an unreadable PDF."""
        return ocr_pdf(self, path, pages, self.dpi, self.max_side_len, self.max_pages, extra_langs, self.log)
