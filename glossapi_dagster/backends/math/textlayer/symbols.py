"""What a math glyph means: TeX's built-in font encodings (for glyphs the PDF gives no Unicode
for), math-font families, and the LaTeX of Unicode math characters.

Used by the text-layer math backend; pure data and small functions, no PDF library.
"""
from __future__ import annotations

import functools
import re
import unicodedata

# -- fonts --------------------------------------------------------------------------------
_SUBSET = re.compile(r"^[A-Z]{6}\+")


@functools.lru_cache(maxsize=4096)  # called per glyph; a document has a few dozen font names
def base_font(name: str) -> str:
    """'/ABCDEF+CMMI10' -> 'CMMI10'."""
    return _SUBSET.sub("", (name or "").lstrip("/"))


def font_family(name: str) -> str:
    """'CMR10' -> 'CMR', 'SFRM1095' -> 'SFRM'; names without a size suffix stay as they are."""
    return re.sub(r"\d+$", "", base_font(name)) or base_font(name)


@functools.lru_cache(maxsize=4096)
def _key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", base_font(name).upper())


# Fonts that carry math only: TeX's (Type 1 and their Latin Modern / OpenType cousins) and the
# math fonts of word processors. CMR and its kin are text fonts that math borrows (digits,
# upright letters, + = ( )): they count only next to these.
_MATH_FONT = re.compile(
    r"^(CMMI|CMMIB|CMSY|CMBSY|CMEX|MSAM|MSBM|EUFM|EUFB|EUSM|EUSB|EUEX|EURM|EURB|RSFS|STMARY|WASY|"
    r"LMMATH|LATINMODERNMATH|LMMI|LMSY|LMEX|STIXMATH|STIXTWOMATH|STIX2MATH|STIXSIZE|STIXINTEGRALS|"
    r"STIXNONUNICODE|XITSMATH|CAMBRIAMATH|ASANAMATH|TEXGYRE\w*MATH|LIBERTINUSMATH|FIRAMATH|"
    r"GARAMONDMATH|DEJAVUMATH|NEWCM\w*MATH|MTEXTRA|MTSYMBOL|EUCLIDMATH|EUCLIDSYMBOL|EUCLIDEXTRA|"
    r"SYMBOLMT|SYMBOL$|TXMI|TXSY|TXEX|PXMI|PXSY|PXEX|RTXMI|RTXSY|NTXMI|NTXSY|NTXEX|ZXMI|ZXSY|"
    r"MNSYMBOL|MATHDESIGN|MDPUT\w*MATH|CAMBRIA\w*MATH)"
)
# Text fonts math borrows (upright letters, digits, operators): they join a formula, never start one.
_MATH_TEXT_FONT = re.compile(r"^(CMR|CMBX|CMSS|CMTI|CMBXTI|CMTT|LMROMAN|LMSANS|LMMONO|LMR|LMSS|LATINMODERN)")
_ITALIC_MATH = re.compile(r"^(CMMI|LMMATHITALIC|LMMI|TXMI|PXMI|RTXMI|NTXMI|ZXMI|EUCLIDMATH)")
_ITALIC_NAME = re.compile(r"(ITALIC|OBLIQUE|ITAL|-IT$|CMTI|SLANT)", re.I)


def is_math_font(name: str) -> bool:
    return bool(_MATH_FONT.match(_key(name)))


def is_math_text_font(name: str) -> bool:
    return bool(_MATH_TEXT_FONT.match(_key(name)))


def is_italic_font(name: str) -> bool:
    return bool(_ITALIC_MATH.match(_key(name)) or _ITALIC_NAME.search(base_font(name)))


def font_style(name: str) -> str | None:
    """The LaTeX alphabet a font's letters belong to: mathcal, mathbb, mathfrak, mathbf or None."""
    key = _key(name)
    if key.startswith(("CMSY", "CMBSY", "RSFS", "EUSM", "EUSB", "LMSY")):
        return "mathcal"
    if key.startswith("MSBM"):
        return "mathbb"
    if key.startswith(("EUFM", "EUFB")):
        return "mathfrak"
    if key.startswith(("CMBX", "CMMIB")) or "BOLD" in key:
        return "mathbf"
    return None


# -- TeX font encodings: the glyph of a char code when the PDF has no Unicode for it --------
_GREEK_CAPS = "ΓΔΘΛΞΠΣΥΦΨΩ"
OT1 = {i: c for i, c in enumerate(_GREEK_CAPS)}                                   # CMR, CMBX
OML = {**{i: c for i, c in enumerate(_GREEK_CAPS)},                               # CMMI
       **{0x0B + i: c for i, c in enumerate("αβγδϵζηθικλμνξπρστυϕχψω")},
       0x22: "ε", 0x23: "ϑ", 0x24: "ϖ", 0x25: "ϱ", 0x26: "ς", 0x27: "φ",
       0x28: "↼", 0x29: "↽", 0x2A: "⇀", 0x2B: "⇁", 0x3A: ".", 0x3B: ",", 0x3C: "<", 0x3D: "/", 0x3E: ">",
       0x3F: "⋆", 0x40: "∂", 0x5B: "♭", 0x5C: "♮", 0x5D: "♯", 0x5E: "⌣", 0x5F: "⌢", 0x60: "ℓ",
       0x7B: "ı", 0x7C: "ȷ", 0x7D: "℘", 0x7E: "\u20d7"}
OML.update({0x30 + i: str(i) for i in range(10)})
OMS = dict(enumerate("−·×∗÷⋄±∓⊕⊖⊗⊘⊙◯∘•≍≡⊆⊇≤≥⪯⪰∼≈⊂⊃≪≫≺≻←→↑↓↔↗↘≃⇐⇒⇑⇓⇔↖↙∝"))  # CMSY 0x00-0x2F
OMS.update({0x30: "′", 0x31: "∞", 0x32: "∈", 0x33: "∋", 0x34: "△", 0x35: "▽", 0x36: "\u0338", 0x37: "↦",
            0x38: "∀", 0x39: "∃", 0x3A: "¬", 0x3B: "∅", 0x3C: "ℜ", 0x3D: "ℑ", 0x3E: "⊤", 0x3F: "⊥", 0x40: "ℵ"})
OMS.update({0x5B + i: c for i, c in enumerate("∪∩⊎∧∨⊢⊣⌊⌋⌈⌉{}⟨⟩|‖↕⇕\\≀√⨿∇∫⊔⊓⊑⊒§†‡¶♣♢♡♠")})
OMX = {}                                                                             # CMEX
for start, chars in ((0x00, "()[]⌊⌋⌈⌉{}⟨⟩∣∥/\\"), (0x10, "()()[]⌊⌋⌈⌉{}⟨⟩/\\"), (0x20, "()[]⌊⌋⌈⌉{}⟨⟩/\\/\\"),
                     (0x30, "⎛⎞⎡⎤⎣⎦⎢⎥⎧⎫⎩⎭⎨⎬⎪∣"), (0x40, "⎝⎠⎜⎟⟨⟩⊔⊔∮∮⊙⊙⊕⊕⊗⊗"),
                     (0x50, "∑∏∫⋃⋂⊎∧∨∑∏∫⋃⋂⊎⋀⋁"), (0x60, "∐∐\u0302\u0302\u0302\u0303\u0303\u0303[]⌊⌋⌈⌉{}"),
                     (0x70, "√√√√√⎷⎷∣↑↓︷︷︸︸⇑⇓")):
    OMX.update({start + i: c for i, c in enumerate(chars)})
MSAM = dict(enumerate("⊡⊞⊠□■▪◊⧫↻↺⇌⇋⊵⊴⊛⊚"))
MSBM = {0x7C: "ℏ", 0x7D: "ℏ", 0x7B: "ϰ"}

# Adobe's private-use codes for the pieces of tall delimiters (Symbol font), which TeX-to-PDF
# tools also emit in ToUnicode maps; "" marks extenders with no meaning of their own.
ADOBE_PUA = {0xF8EB: "⎛", 0xF8EC: "⎜", 0xF8ED: "⎝", 0xF8EE: "⎡", 0xF8EF: "⎢", 0xF8F0: "⎣", 0xF8F1: "⎧",
             0xF8F2: "⎨", 0xF8F3: "⎩", 0xF8F4: "⎪", 0xF8F5: "⎮", 0xF8F6: "⎞", 0xF8F7: "⎟", 0xF8F8: "⎠",
             0xF8F9: "⎤", 0xF8FA: "⎥", 0xF8FB: "⎦", 0xF8FC: "⎫", 0xF8FD: "⎬", 0xF8FE: "⎭", 0xF8E5: "",
             0xF8E6: "", 0xF8E7: ""}

_ENCODINGS = (("CMMI", OML), ("CMSY", OMS), ("CMBSY", OMS), ("CMEX", OMX), ("MSAM", MSAM), ("MSBM", MSBM),
              ("CMR", OT1), ("CMBX", OT1), ("CMSS", OT1), ("CMTI", OT1))


def decode_tex_glyph(font: str, code: int) -> str | None:
    """The character a code stands for in a TeX font's built-in encoding, None if not known."""
    key = _key(font)
    for prefix, table in _ENCODINGS:
        if key.startswith(prefix):
            if prefix in ("MSBM", "CMSY", "CMBSY") and 0x41 <= code <= 0x5A:
                return chr(code)  # blackboard / calligraphic capitals sit on their ASCII codes
            if prefix == "CMMI" and (0x41 <= code <= 0x5A or 0x61 <= code <= 0x7A):
                return chr(code)
            return table.get(code)
    return None


def misread_symbol(font: str, ch: str) -> str | None:
    """A symbol font's glyph that a ToUnicode map (or its absence) turned into a plain ASCII
    letter or digit: CMSY's 'k' is ∥, CMEX's 'X' is ∑. None when the character is plausible."""
    if len(ch) != 1 or not ch.isascii() or not ch.isalnum():
        return None
    key = _key(font)
    if key.startswith(("CMSY", "CMBSY")) and not ch.isupper():
        return OMS.get(ord(ch))
    if key.startswith(("CMEX", "MSAM")):
        return (OMX if key.startswith("CMEX") else MSAM).get(ord(ch))
    return None


# -- LaTeX of characters --------------------------------------------------------------------
GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ϵ": r"\epsilon", "ε": r"\varepsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta", "ι": r"\iota", "κ": r"\kappa",
    "ϰ": r"\varkappa", "λ": r"\lambda", "μ": r"\mu", "µ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi",
    "ϖ": r"\varpi", "ρ": r"\rho", "ϱ": r"\varrho", "σ": r"\sigma", "ς": r"\varsigma", "τ": r"\tau",
    "υ": r"\upsilon", "ϕ": r"\phi", "φ": r"\varphi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Γ": r"\Gamma", "Δ": r"\Delta", "∆": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi",
    "Π": r"\Pi", "Σ": r"\Sigma", "Υ": r"\Upsilon", "Φ": r"\Phi", "Ψ": r"\Psi", "\u03a9": r"\Omega", "\u2126": r"\Omega",
    "ο": "o", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X",
}
BIG_OPERATORS = {
    "∑": r"\sum", "∏": r"\prod", "∐": r"\coprod", "∫": r"\int", "∬": r"\iint", "∭": r"\iiint", "∮": r"\oint",
    "⋃": r"\bigcup", "⋂": r"\bigcap", "⋀": r"\bigwedge", "⋁": r"\bigvee", "⨁": r"\bigoplus",
    "⨂": r"\bigotimes", "⨀": r"\bigodot", "⨄": r"\biguplus", "⨆": r"\bigsqcup",
}
RELATIONS = {
    "=": "=", "<": "<", ">": ">", "≤": r"\leq", "≥": r"\geq", "≦": r"\leqq", "≧": r"\geqq", "≠": r"\neq",
    "≈": r"\approx", "≡": r"\equiv", "∼": r"\sim", "≃": r"\simeq", "≅": r"\cong", "∝": r"\propto",
    "∈": r"\in", "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset", "⊃": r"\supset", "⊆": r"\subseteq",
    "⊇": r"\supseteq", "⊊": r"\subsetneq", "⊋": r"\supsetneq", "→": r"\to", "←": r"\leftarrow",
    "↔": r"\leftrightarrow", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow",
    "⟹": r"\Longrightarrow", "⟸": r"\Longleftarrow", "⟺": r"\iff", "↦": r"\mapsto", "⟼": r"\longmapsto",
    "⟶": r"\longrightarrow", "⟵": r"\longleftarrow", "↪": r"\hookrightarrow", "↑": r"\uparrow",
    "↓": r"\downarrow", "≪": r"\ll", "≫": r"\gg", "≺": r"\prec", "≻": r"\succ", "⪯": r"\preceq",
    "⪰": r"\succeq", "⊢": r"\vdash", "⊣": r"\dashv", "⊥": r"\perp", "∣": r"\mid",
    "≍": r"\asymp", "≐": r"\doteq", "⊑": r"\sqsubseteq", "⊒": r"\sqsupseteq", "∤": r"\nmid",
    "∦": r"\nparallel", "⇀": r"\rightharpoonup", "↼": r"\leftharpoonup", "≔": ":=", "↗": r"\nearrow",
    "↘": r"\searrow", "↖": r"\nwarrow", "↙": r"\swarrow", "⇑": r"\Uparrow", "⇓": r"\Downarrow",
    "∄": r"\nexists", "⊲": r"\triangleleft", "⊳": r"\triangleright", "⊴": r"\trianglelefteq",
    "⊵": r"\trianglerighteq",
}
BINARY = {
    "+": "+", "-": "-", "−": "-", "±": r"\pm", "∓": r"\mp", "×": r"\times", "÷": r"\div", "·": r"\cdot",
    "⋅": r"\cdot", "∗": r"\ast", "∘": r"\circ", "◦": r"\circ", "∪": r"\cup", "∩": r"\cap", "∧": r"\wedge",
    "∨": r"\vee", "⊕": r"\oplus", "⊖": r"\ominus", "⊗": r"\otimes", "⊘": r"\oslash", "⊙": r"\odot",
    "⊎": r"\uplus", "⊔": r"\sqcup", "⊓": r"\sqcap", "∖": r"\setminus", "\\": r"\setminus", "⋆": r"\star",
    "⋄": r"\diamond", "•": r"\bullet", "≀": r"\wr", "⨿": r"\amalg", "†": r"\dagger", "‡": r"\ddagger",
}
SYMBOLS = {
    "∂": r"\partial", "∇": r"\nabla", "∞": r"\infty", "∅": r"\emptyset", "∀": r"\forall", "∃": r"\exists",
    "¬": r"\neg", "ℓ": r"\ell", "ℜ": r"\Re", "ℑ": r"\Im", "ℵ": r"\aleph", "℘": r"\wp", "ℏ": r"\hbar",
    "△": r"\triangle", "▽": r"\triangledown", "⊤": r"\top", "∠": r"\angle", "∡": r"\measuredangle",
    "■": r"\blacksquare", "□": r"\square", "◊": r"\lozenge", "♭": r"\flat", "♮": r"\natural", "♯": r"\sharp",
    "§": r"\S", "¶": r"\P", "♣": r"\clubsuit", "♢": r"\diamondsuit", "♡": r"\heartsuit", "♠": r"\spadesuit",
    "◯": r"\bigcirc", "⋯": r"\cdots", "…": r"\ldots", "⋮": r"\vdots", "⋱": r"\ddots", "ı": r"\imath",
    "ȷ": r"\jmath", "′": "'", "″": "''", "{": r"\{", "}": r"\}", "⟨": r"\langle", "⟩": r"\rangle",
    "〈": r"\langle", "〉": r"\rangle", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil",
    "‖": r"\|", "∥": r"\|", "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$", "_": r"\_", "~": r"\sim", "^": r"\wedge",
    "⌣": r"\smile", "⌢": r"\frown", "√": r"\surd", "∎": r"\blacksquare", "ϒ": r"\Upsilon",
}
# Accents as they come out of a text layer: spacing marks drawn above (or a rule) their base.
ACCENTS = {
    "¯": r"\bar", "ˉ": r"\bar", "\u0304": r"\bar", "ˆ": r"\hat", "\u0302": r"\hat", "˜": r"\tilde",
    "\u0303": r"\tilde", "˙": r"\dot", "\u0307": r"\dot", "¨": r"\ddot", "\u0308": r"\ddot", "ˇ": r"\check",
    "\u030c": r"\check", "˘": r"\breve", "\u0306": r"\breve", "´": r"\acute", "\u0301": r"\acute",
    "`": r"\grave", "\u0300": r"\grave", "˚": r"\mathring", "\u20d7": r"\vec",
}
WIDE_ACCENTS = {r"\bar": r"\overline", r"\hat": r"\widehat", r"\tilde": r"\widetilde", r"\vec": r"\overrightarrow"}
NEGATION = "\u0338"
OPEN, CLOSE = set("([⟨⌊⌈{〈") | {"⎛", "⎡", "⎧", "⎣", "⎝"}, set(")]⟩⌋⌉}〉") | {"⎞", "⎤", "⎫", "⎦", "⎠"}
# Pieces TeX stacks into tall delimiters, and what the whole stands for.
DELIMITER_PIECES = {"⎛": "(", "⎜": "(", "⎝": "(", "⎞": ")", "⎟": ")", "⎠": ")", "⎡": "[", "⎢": "[", "⎣": "[",
                    "⎤": "]", "⎥": "]", "⎦": "]", "⎧": "{", "⎨": "{", "⎩": "{", "⎫": "}", "⎬": "}", "⎭": "}",
                    "⎪": "|", "∣": "|", "⎮": "|", "⎷": "√"}
BRACE_PIECES = set("︷︸")   # horizontal brace pieces (\overbrace, \underbrace): dropped
FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "coth", "arcsin", "arccos",
             "arctan", "exp", "log", "ln", "lg", "lim", "liminf", "limsup", "min", "max", "sup", "inf", "det",
             "dim", "ker", "deg", "arg", "gcd", "hom", "Pr", "mod", "tr", "id", "Re", "Im", "rank", "span",
             "argmin", "argmax", "sgn", "diag", "div", "grad", "rot", "curl", "im", "coker", "Hom", "End",
             "Aut", "Ker", "Id"}
STANDARD_FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "coth", "arcsin",
                      "arccos", "arctan", "exp", "log", "ln", "lg", "lim", "liminf", "limsup", "min", "max",
                      "sup", "inf", "det", "dim", "ker", "deg", "arg", "gcd", "hom", "Pr"}
LIMIT_FUNCTIONS = {"lim", "liminf", "limsup", "min", "max", "sup", "inf", "argmin", "argmax", "det", "gcd", "Pr"}
# Glyphs that alone are list bullets, footnote marks or end-of-proof signs, not formulas.
NOT_ALONE = set("•◦∗·⋆−–—†‡§¶▪■□∎*")


def is_greek(ch: str) -> bool:
    return "\u0370" <= ch <= "\u03ff" or ch in "\u2206\u2126\u00b5"


def math_alphanumeric(ch: str) -> str | None:
    """LaTeX of a character from Unicode's math alphabets (𝒜, ℝ, 𝔄, 𝐱 ...), else None."""
    if len(ch) != 1:
        return None
    code = ord(ch)
    if not (0x1D400 <= code <= 0x1D7FF or ch in "ℂℍℕℙℚℝℤℬℰℱℋℐℒℳℛℭℌℨ"):
        return None
    name = unicodedata.name(ch, "")
    base = unicodedata.normalize("NFKC", ch)
    for marker, command in (("DOUBLE-STRUCK", "mathbb"), ("FRAKTUR", "mathfrak"), ("BLACK-LETTER", "mathfrak"),
                            ("SCRIPT", "mathcal"), ("BOLD", "mathbf"), ("SANS-SERIF", "mathsf"),
                            ("MONOSPACE", "mathtt")):
        if marker in name:
            return f"\\{command}{{{char_latex(base)}}}"
    return char_latex(base)


def char_latex(ch: str) -> str:
    """LaTeX of one character (no font context)."""
    for table in (GREEK, BIG_OPERATORS, RELATIONS, BINARY, SYMBOLS):
        if ch in table:
            return table[ch]
    alnum = math_alphanumeric(ch)
    if alnum is not None:
        return alnum
    return ch


def is_math_symbol(ch: str) -> bool:
    """Characters that mark math wherever they appear (relations, operators, arrows, ∂, ∞ ...)."""
    if len(ch) != 1 or ch in "+<=>|~^¬±×÷":
        return False
    if ch in "′″…{}%#&$_§¶†‡•⁄":
        return False
    return unicodedata.category(ch) == "Sm" or ch in BIG_OPERATORS or ch in SYMBOLS


def is_broken_char(ch: str) -> bool:
    """A character no font mapping should produce: controls, U+FFFD, private use."""
    if not ch:
        return True
    code = ord(ch[0])
    return code < 0x20 or ch == "\ufffd" or 0xE000 <= code <= 0xF8FF or 0xF0000 <= code
