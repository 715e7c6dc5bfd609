"""Tesseract 5 (through tesserocr) as a page-OCR engine: modern Greek (ell), polytonic Greek (grc)
and English (eng) from the system's language data, nothing downloaded.

The tesserocr wheel bundles libtesseract but looks for language data in './'; the data comes from
Debian's tesseract-ocr-<lang> packages (or TESSDATA_PREFIX). A missing language is one
TesseractLanguageMissing before any work, naming the package to install.
"""
from __future__ import annotations

import logging
import os
import unicodedata
from pathlib import Path

from .layout import Line

ENV_TESSDATA = "TESSDATA_PREFIX"
# Where Debian/Ubuntu (4.x, 5.x), Fedora and a source build put the language data.
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")
DEFAULT_LANGS = "ell+eng"
LINE_PAD = 4  # pixels around a line's box read as one line: its ink, not its neighbours
MIN_CONFIDENCE = 0.0  # Tesseract's line confidences are kept in the JSON; no line is dropped


class TesseractLanguageMissing(RuntimeError):
    """Tesseract or a language it was asked for is not installed; the message names the package."""


def parse_langs(langs: str | list[str] | None) -> list[str]:
    """'ell+eng', 'ell,grc' or ['ell', 'grc'] -> ['ell', 'eng']: order kept, duplicates dropped."""
    if langs is None or langs == "":
        langs = DEFAULT_LANGS
    parts = langs if isinstance(langs, (list, tuple)) else str(langs).replace(",", "+").split("+")
    out: list[str] = []
    for part in (p.strip() for p in parts):
        if part and part not in out:
            if not part.replace("_", "").isalnum():
                raise ValueError(f"ocr_langs: {part!r} is not a Tesseract language code (e.g. ell+eng+grc)")
            out.append(part)
    if not out:
        raise ValueError(f"ocr_langs names no language: {langs!r}")
    return out


def package_for(lang: str) -> str:
    """Debian's package of a Tesseract language (tesseract-ocr-ell, ...)."""
    return f"tesseract-ocr-{lang.replace('_', '-').lower()}"


def tessdata_dir() -> Path | None:
    """TESSDATA_PREFIX when set (the folder itself, or its tessdata/), else the first system folder
    that holds any language data."""
    env = os.environ.get(ENV_TESSDATA, "").strip()
    if env:
        for cand in (Path(env), Path(env) / "tessdata"):
            if cand.is_dir() and any(cand.glob("*.traineddata")):
                return cand
        return Path(env)
    for cand in map(Path, TESSDATA_DIRS):
        if cand.is_dir() and any(cand.glob("*.traineddata")):
            return cand
    return None


def check_languages(langs) -> tuple[Path, list[str]]:
    """The tessdata folder and the languages, or one error naming what to install."""
    wanted = parse_langs(langs)
    try:
        import tesserocr  # noqa: F401
    except ImportError as exc:
        raise TesseractLanguageMissing(
            "ocr_engine='tesseract' needs the tesserocr binding: `pip install -c constraints.txt tesserocr` "
            f"({exc})") from exc
    folder = tessdata_dir()
    have = {p.name[: -len(".traineddata")] for p in folder.glob("*.traineddata")} if folder and folder.is_dir() else set()
    missing = [lang for lang in wanted if lang not in have]
    if missing:
        where = f"{folder}" if folder else f"any of {', '.join(TESSDATA_DIRS)}"
        source = f" ({ENV_TESSDATA}={os.environ[ENV_TESSDATA]})" if os.environ.get(ENV_TESSDATA) else ""
        packages = " ".join(package_for(m) for m in missing)
        raise TesseractLanguageMissing(
            f"Tesseract language data missing for {'+'.join(missing)}: no {', '.join(m + '.traineddata' for m in missing)} "
            f"in {where}{source}. Install it with: sudo apt-get install -y {packages} "
            f"(or point {ENV_TESSDATA} at a folder that has it)")
    return folder, wanted


class TesseractEngine:
    """One tesserocr API per language set, made on first use and kept for the worker's life."""

    name = "tesseract"

    def __init__(self, langs=DEFAULT_LANGS, threads: int = 1, log: logging.Logger | None = None):
        # Tesseract's OpenMP threads: the pool already gives each worker its share of the cores
        os.environ.setdefault("OMP_THREAD_LIMIT", str(max(1, int(threads))))
        self.log = log or logging.getLogger(__name__)
        self.tessdata, self.langs = check_languages(langs)
        self._apis: dict[str, object] = {}
        self._unavailable: set[str] = set()
        self._laid_out: tuple | None = None  # (langs, bitmap) of the page layout() left in that API
        self._api("+".join(self.langs))  # now: a language that fails to load fails the worker's start
        import tesserocr

        self.log.info("tesseract %s langs=%s tessdata=%s", tesserocr.tesseract_version().split()[1],
                      "+".join(self.langs), self.tessdata)

    def _api(self, langs: str):
        if langs not in self._apis:
            import tesserocr

            try:
                api = tesserocr.PyTessBaseAPI(path=str(self.tessdata) + os.sep, lang=langs,
                                              psm=tesserocr.PSM.AUTO, oem=tesserocr.OEM.LSTM_ONLY)
            except RuntimeError as exc:
                raise TesseractLanguageMissing(f"Tesseract cannot load {langs} from {self.tessdata}: {exc}") from exc
            self._apis[langs] = api
        return self._apis[langs]

    def languages_for(self, extra: list[str] | None = None) -> str:
        """The configured languages plus any the document calls for (grc for polytonic text)."""
        langs = list(self.langs)
        for lang in extra or []:
            if lang in langs or lang in self._unavailable:
                continue
            try:
                check_languages(lang)
            except TesseractLanguageMissing as exc:  # asked by a document, not the user: read without it
                self._unavailable.add(lang)
                self.log.warning("tesseract: reading without %s: %s", lang, exc)
                continue
            langs.append(lang)
        return "+".join(langs)

    def read(self, bitmap, dpi: int, extra_langs: list[str] | None = None) -> list[Line]:
        """Text lines of one rendered page (a pypdfium2 bitmap), in pixel coordinates."""
        api = self._api(self.languages_for(extra_langs))
        set_image(api, bitmap, dpi)
        return self._recognized(api)

    def read_box(self, bitmap, dpi: int, box: tuple[float, float, float, float] | None, langs: str,
                 single_line: bool = False) -> list[Line]:
        """Text lines of a rendered page, or of one box of it (pixels x0, y0, x1, y1), read with
        `langs` (chosen per page and per line: backends/ocr/page_langs.py)."""
        api = self._api(langs)
        if self._laid_out is not None and self._laid_out[0] == langs:  # this API's layout is used or replaced now
            laid_out_here, self._laid_out = self._laid_out[1] is bitmap, None
            if box is None and laid_out_here:
                return self._recognized(api)  # Recognize finds the layout made by layout() and keeps it
        set_image(api, bitmap, dpi)
        if box is not None and single_line:  # a box of one line (Tesseract's own layout): no page segmentation
            import tesserocr

            api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE)
            x0, y0 = max(0, int(box[0]) - LINE_PAD), max(0, int(box[1]) - LINE_PAD)
            x1, y1 = min(bitmap.width, int(box[2]) + LINE_PAD), min(bitmap.height, int(box[3]) + LINE_PAD)
            api.SetRectangle(x0, y0, max(1, x1 - x0), max(1, y1 - y0))
            try:
                return self._recognized(api)
            finally:
                api.SetPageSegMode(tesserocr.PSM.AUTO)
        if box is not None:  # a line read again: Tesseract thresholds and reads only this box
            pad = max(8, int(0.5 * (box[3] - box[1])))  # page segmentation finds no line in a box cut tight to it
            x0, y0 = max(0, int(box[0]) - pad), max(0, int(box[1]) - pad)
            x1, y1 = min(bitmap.width, int(box[2]) + pad), min(bitmap.height, int(box[3]) + pad)
            if x1 <= x0 or y1 <= y0:
                api.Clear()
                return []
            api.SetRectangle(x0, y0, x1 - x0, y1 - y0)
        return self._recognized(api)

    def layout(self, bitmap, dpi: int, langs: str) -> list[tuple[int, int, int, int]]:
        """The text lines' boxes (pixels) from Tesseract's page layout alone, no recognition, made
        by the API of `langs`, which keeps it: a read of the whole page with `langs` that follows
        recognises on it without laying the page out again (the layout is ~15% of a page's read)."""
        import tesserocr

        api = self._api(langs)
        set_image(api, bitmap, dpi)
        boxes = []
        iterator = api.AnalyseLayout()
        level = tesserocr.RIL.TEXTLINE
        for item in () if iterator is None else tesserocr.iterate_level(iterator, level):
            box = item.BoundingBox(level)
            if box is not None:
                boxes.append(tuple(int(v) for v in box))
        self._laid_out = (langs, bitmap)
        return boxes

    def _recognized(self, api) -> list[Line]:
        import tesserocr

        api.Recognize()
        lines: list[Line] = []
        level = tesserocr.RIL.TEXTLINE
        iterator = api.GetIterator()
        for item in () if iterator is None else tesserocr.iterate_level(iterator, level):
            try:
                text = item.GetUTF8Text(level)
            except RuntimeError:  # "No text returned": a line of nothing (a rule, a speck)
                continue
            box = item.BoundingBox(level)
            if not text or not text.strip() or box is None:
                continue
            text = unicodedata.normalize("NFC", " ".join(text.split()))  # Greek repairs: text_repairs.py
            confidence = item.Confidence(level) / 100.0
            if confidence < MIN_CONFIDENCE:
                continue
            lines.append(Line(float(box[0]), float(box[1]), float(box[2]), float(box[3]), text, confidence))
        api.Clear()
        return lines


def set_image(api, bitmap, dpi: int) -> None:
    """The page handed to Tesseract as 8-bit gray bytes. tesserocr's SetImage of a PIL image
    encodes it to PNG for leptonica to decode (~50 ms of a 200 dpi page), and Tesseract reads
    gray anyway. Gray by PIL's luma from the colour render: pdfium's own gray rendering
    anti-aliases differently and read a figure-heavy page a few words worse (BENCHMARKS.md)."""
    if bitmap.n_channels == 1:
        api.SetImageBytes(bytes(bitmap.buffer), bitmap.width, bitmap.height, 1, bitmap.stride)
    else:
        image = gray_image(bitmap)
        api.SetImageBytes(image.tobytes(), image.width, image.height, 1, image.width)
    api.SetSourceResolution(int(dpi))


_GRAY: list = [None, None]  # (bitmap, its gray image): a page read again (a line, a wider set) is not converted again


def gray_image(bitmap):
    """The page as a PIL 'L' image (PIL's luma of pdfium's colour render), made once a bitmap."""
    if _GRAY[0] is not bitmap:
        image = bitmap.to_pil()
        _GRAY[:] = [bitmap, image if image.mode == "L" else image.convert("L")]
    return _GRAY[1]

