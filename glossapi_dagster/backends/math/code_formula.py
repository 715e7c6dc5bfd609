"""Phase-2 model backend: Docling's CodeFormula model (docling-project/CodeFormulaV2), on cuda:0.

Loaded once per worker from the local caches (artifacts_path, DOCLING_CACHE_DIR, Docling's
~/.cache/docling/models, the Hugging Face cache): never downloaded mid-run. Without the weights
the worker fails at start with a message naming the model and how to provide it.

Each formula is cropped from its PDF page at a resolution adapted to its height (a one-line
inline formula would be a dozen pixels high at the 120 dpi the model was trained on; a tall
display formula needs no more), then decoded `batch_size` crops per model call.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

REPO_ID = "docling-project/CodeFormulaV2"
FOLDER = REPO_ID.replace("/", "--")          # docling-tools' folder name: docling-project--CodeFormulaV2
PROMPT = "<formula>"
BASE_DPI = 120.0                             # the model's training resolution (Docling's images_scale 1.67)
MIN_DPI, MAX_DPI = 72.0, 300.0
MIN_HEIGHT_PX, MAX_HEIGHT_PX, MAX_WIDTH_PX = 48, 768, 1600


class CodeFormulaWeightsMissing(RuntimeError):
    """math_engine='codeformula' was asked for but the model is not on this machine."""


def cache_roots(artifacts_path: str | None = None) -> list[Path]:
    """Where the weights may be, in order: the explicit folder, Docling's caches, Hugging Face's."""
    home = Path(os.path.expanduser("~"))
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    docling = os.environ.get("DOCLING_CACHE_DIR")
    hf_home = Path(os.environ.get("HF_HOME") or xdg / "huggingface")
    roots = [artifacts_path, docling, docling and Path(docling) / "models", xdg / "docling" / "models",
             os.environ.get("HF_HUB_CACHE"), hf_home / "hub"]
    seen, out = set(), []
    for r in roots:
        if r and str(r) not in seen:
            seen.add(str(r))
            out.append(Path(r))
    return out


def find_weights(artifacts_path: str | None = None) -> Path | None:
    """The folder holding CodeFormulaV2's config and weights, or None."""
    if artifacts_path and (Path(artifacts_path) / "config.json").is_file() and Path(artifacts_path).name == FOLDER:
        return Path(artifacts_path)  # pointed straight at the model's folder
    for root in cache_roots(artifacts_path):
        if (root / FOLDER / "config.json").is_file():
            return root / FOLDER
        snapshots = root / f"models--{FOLDER}" / "snapshots"
        if snapshots.is_dir():
            for snap in sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
                if (snap / "config.json").is_file():
                    return snap
    return None


def missing_message(artifacts_path: str | None = None) -> str:
    where = ", ".join(str(r) for r in cache_roots(artifacts_path))
    return (f"math_engine='codeformula' needs Docling's CodeFormula model {REPO_ID}, not found in {where}. "
            f"Download it where there is internet (`docling-tools models download code_formula -o DIR`, or "
            f"`huggingface-cli download {REPO_ID}`), copy it here and set artifacts_path (or DOCLING_CACHE_DIR) "
            f"to the folder that holds {FOLDER}, or use math_engine='textlayer'.")


def crop_scale(height_pt: float, width_pt: float) -> float:
    """Pixels per PDF point for a formula crop: 120 dpi, raised (up to 300 dpi) for short crops so
    that they are at least MIN_HEIGHT_PX high, lowered so that no crop exceeds MAX_HEIGHT_PX x
    MAX_WIDTH_PX."""
    height_pt, width_pt = max(height_pt, 1.0), max(width_pt, 1.0)
    scale = BASE_DPI / 72.0
    if height_pt * scale < MIN_HEIGHT_PX:
        scale = MIN_HEIGHT_PX / height_pt
    scale = max(MIN_DPI / 72.0, min(MAX_DPI / 72.0, scale))
    return min(scale, MAX_HEIGHT_PX / height_pt, MAX_WIDTH_PX / width_pt)  # the pixel budget wins


def render_crops(pdf_path: str | os.PathLike, regions: list[tuple[int, tuple[float, float, float, float]]]):
    """PIL images of (page_no, (left, bottom, right, top)) regions, each at crop_scale, with a margin."""
    import pypdfium2 as pdfium

    images = []
    pdf = pdfium.PdfDocument(os.fspath(pdf_path))
    try:
        pages: dict[int, object] = {}
        for page_no, (l, b, r, t) in regions:
            page = pages.get(page_no) or pages.setdefault(page_no, pdf[page_no - 1])
            width, height = page.get_size()
            pad = max(2.0, 0.15 * (t - b))
            l, b, r, t = max(0.0, l - pad), max(0.0, b - pad), min(width, r + pad), min(height, t + pad)
            scale = crop_scale(t - b, r - l)
            bitmap = page.render(scale=scale, crop=(l, b, width - r, height - t))
            images.append(bitmap.to_pil().convert("RGB"))
        for page in pages.values():
            page.close()
    finally:
        pdf.close()
    return images


class CodeFormulaDecoder:
    """CodeFormulaV2 on one device; `decode` takes crops, returns LaTeX, batch by batch."""

    name = "codeformula"

    def __init__(self, device: str = "cpu", batch_size: int = 8, artifacts_path: str | None = None,
                 log: logging.Logger | None = None, max_new_tokens: int = 1024):
        self.log = log or logging.getLogger(__name__)
        path = find_weights(artifacts_path)
        if path is None:
            raise CodeFormulaWeightsMissing(missing_message(artifacts_path))
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never hang on a download mid-run
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.torch = torch
        self.device = device
        self.batch_size = max(1, int(batch_size))
        self.max_new_tokens = max_new_tokens
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        try:
            self.processor = AutoProcessor.from_pretrained(path)
            self.model = AutoModelForImageTextToText.from_pretrained(path, torch_dtype=dtype).to(device).eval()
        except Exception as exc:  # a partial or corrupt download
            raise CodeFormulaWeightsMissing(f"{missing_message(artifacts_path)} (found {path}, but loading failed: "
                                            f"{type(exc).__name__}: {exc})") from exc
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PROMPT}]}]
        self.prompt = self.processor.apply_chat_template(messages, add_generation_prompt=True)
        self.log.info("CodeFormula %s loaded from %s on %s (batch %d)", REPO_ID, path, device, self.batch_size)

    def decode(self, images: list) -> list[tuple[str, float]]:
        """(LaTeX, seconds) per crop; each model call takes up to batch_size crops."""
        out: list[tuple[str, float]] = []
        for start in range(0, len(images), self.batch_size):
            batch = images[start:start + self.batch_size]
            began = time.perf_counter()
            inputs = self.processor(text=[self.prompt] * len(batch), images=batch, return_tensors="pt", padding=True)
            inputs = inputs.to(self.device)
            limit = min(self.max_new_tokens, self.processor.tokenizer.model_max_length - inputs.input_ids.shape[1])
            with self.torch.inference_mode():
                generated = self.model.generate(**inputs, max_new_tokens=max(16, limit), use_cache=True, do_sample=False)
            texts = self.processor.batch_decode(generated[:, inputs.input_ids.shape[1]:], skip_special_tokens=False)
            each = (time.perf_counter() - began) / len(batch)
            out.extend((clean_output(t), each) for t in texts)
        return out

    def decode_regions(self, pdf_path, regions: list[tuple[int, tuple[float, float, float, float]]]):
        return self.decode(render_crops(pdf_path, regions)) if regions else []


def clean_output(text: str) -> str:
    """Docling's post-processing: cut at the end of the utterance, drop the closing tags."""
    cut = text.find("<end_of_utterance>")
    if cut != -1:
        text = text[:cut]
    for token in ("</formula>", "</code>", "<loc_0><loc_0><loc_500><loc_500>", "<formula>"):
        text = text.replace(token, "")
    return text.strip()
