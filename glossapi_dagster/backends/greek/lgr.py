"""LGR / cbgreek text layers decoded back to Greek.

LaTeX set in the cbgreek fonts (LGR encoding: `MAJHMATIKA` for ΜΑΘΗΜΑΤΙΚΑ) often carries no
ToUnicode map: bitmap (PK, Type 3) fonts have no names at all, so pdfium reports each glyph's
8-bit code as the character. The codes are the cbgreek font encoding (CB.enc of Debian's
texlive-lang-greek, fonts/enc/dvips/cbfonts): ASCII letters for the Greek ones (`j` θ, `q` χ,
`c` final ς, `w` ω), slots 128-255 for accented letters (0x88 ά, 0xE8 έ, 0xEC ό, 0xD0 ί, 0xB8 ώ,
0xD4 ύ, 0xA0 ή), and spacing accents (`'` tonos, `<` `>` breathings) before capitals.

Which text is LGR is decided per font (a span) of a page, by what the text reads as: a named
cbgreek font (grmn1000, gsmn1200...) whose text came out as ASCII, or an unnamed font whose words
carry the LGR marks (accent slots inside words, final `c`) and not the Latin ones (final `s`,
English function words). Latin, numbers and math in other fonts of the page stay as they are.
"""
from __future__ import annotations

import re
import unicodedata

from .chars import COMBINING, GREEK

# slot -> text: CB.enc's glyph names as Unicode (`scripts/make_lgr_pdfs.py --table` prints it);
# slots that read as themselves (digits, punctuation) are left out, invisible ones map to ''.
# 9, 10, 13 (capitals with prosgegrammeni) and 32 are left out: pdfium writes its own line breaks
# and spaces with those codes.
CB_ENCODING = {
     0: '–', 1: '', 2: '𐅄', 3: '𐅅', 4: '𐅆', 5: '𐅇', 6: 'ϛ', 7: 'ϛ', 8: 'ι', 9: 'ᾼ', 10: 'ῌ', 11:
    'ῼ', 12: 'Α', 13: 'Ϋ', 14: 'α', 15: 'ϋ', 16: 'ˏ', 17: 'ˎ', 18: 'ϟ', 19: 'ϙ', 20: '', 21: 'Ϙ',
    22: 'Ϛ', 23: 'Ϡ', 24: '€', 25: '‰', 26: 'ə', 27: 'ϡ', 28: '‘', 29: '’', 30: '˘', 31: '¯', 32:
    '῁', 34: '¨', 35: '΅', 36: '῭', 38: '·', 39: '΄', 59: '·', 60: '῾', 62: '᾿', 63: ';', 64: '῟',
    65: 'Α', 66: 'Β', 67: '῝', 68: 'Δ', 69: 'Ε', 70: 'Φ', 71: 'Γ', 72: 'Η', 73: 'Ι', 74: 'Θ', 75:
    'Κ', 76: 'Λ', 77: 'Μ', 78: 'Ν', 79: 'Ο', 80: 'Π', 81: 'Χ', 82: 'Ρ', 83: 'Σ', 84: 'Τ', 85: 'Υ',
    86: '῞', 87: 'Ω', 88: 'Ξ', 89: 'Ψ', 90: 'Ζ', 92: '῏', 94: '῎', 95: '῍', 96: '`', 97: 'α', 98:
    'β', 99: 'ς', 100: 'δ', 101: 'ε', 102: 'φ', 103: 'γ', 104: 'η', 105: 'ι', 106: 'θ', 107: 'κ',
    108: 'λ', 109: 'μ', 110: 'ν', 111: 'ο', 112: 'π', 113: 'χ', 114: 'ρ', 115: 'σ', 116: 'τ', 117:
    'υ', 118: '', 119: 'ω', 120: 'ξ', 121: 'ψ', 122: 'ζ', 123: '«', 124: 'ͺ', 125: '»', 126: '῀',
    127: '—', 128: 'ὰ', 129: 'ἁ', 130: 'ἀ', 131: 'ἃ', 132: 'ᾲ', 133: 'ᾁ', 134: 'ᾀ', 135: 'ᾃ', 136:
    'ά', 137: 'ἅ', 138: 'ἄ', 139: 'ἂ', 140: 'ᾴ', 141: 'ᾅ', 142: 'ᾄ', 143: 'ᾂ', 144: 'ᾶ', 145: 'ἇ',
    146: 'ἆ', 147: 'ϝ', 148: 'ᾷ', 149: 'ᾇ', 150: 'ᾆ', 151: '', 152: 'ὴ', 153: 'ἡ', 154: 'ἠ', 155:
    '', 156: 'ῂ', 157: 'ᾑ', 158: 'ᾐ', 159: '', 160: 'ή', 161: 'ἥ', 162: 'ἤ', 163: 'ἣ', 164: 'ῄ',
    165: 'ᾕ', 166: 'ᾔ', 167: 'ᾓ', 168: 'ῆ', 169: 'ἧ', 170: 'ἦ', 171: 'ἢ', 172: 'ῇ', 173: 'ᾗ', 174:
    'ᾖ', 175: 'ᾒ', 176: 'ὼ', 177: 'ὡ', 178: 'ὠ', 179: 'ὣ', 180: 'ῲ', 181: 'ᾡ', 182: 'ᾠ', 183: 'ᾣ',
    184: 'ώ', 185: 'ὥ', 186: 'ὤ', 187: 'ὢ', 188: 'ῴ', 189: 'ᾥ', 190: 'ᾤ', 191: 'ᾢ', 192: 'ῶ', 193:
    'ὧ', 194: 'ὦ', 195: 'Ϝ', 196: 'ῷ', 197: 'ᾧ', 198: 'ᾦ', 199: '', 200: 'ὶ', 201: 'ἱ', 202: 'ἰ',
    203: 'ἳ', 204: 'ὺ', 205: 'ὑ', 206: 'ὐ', 207: 'ὓ', 208: 'ί', 209: 'ἵ', 210: 'ἴ', 211: 'ἲ', 212:
    'ύ', 213: 'ὕ', 214: 'ὔ', 215: 'ὒ', 216: 'ῖ', 217: 'ἷ', 218: 'ἶ', 219: 'Ϊ', 220: 'ῦ', 221: 'ὗ',
    222: 'ὖ', 223: 'Ϋ', 224: 'ὲ', 225: 'ἑ', 226: 'ἐ', 227: 'ἓ', 228: 'ὸ', 229: 'ὁ', 230: 'ὀ', 231:
    'ὃ', 232: 'έ', 233: 'ἕ', 234: 'ἔ', 235: 'ἒ', 236: 'ό', 237: 'ὅ', 238: 'ὄ', 239: 'ὂ', 240: 'ϊ',
    241: 'ῒ', 242: 'ΐ', 243: 'ῗ', 244: 'ϋ', 245: 'ῢ', 246: 'ΰ', 247: 'ῧ', 248: 'ᾳ', 249: 'ῃ', 250:
    'ῳ', 251: 'ῥ', 252: 'ῤ', 253: '', 254: 'ʹ', 255: '͵',
}
for _slot in (9, 10, 13, 32):
    CB_ENCODING.pop(_slot, None)
for _slot in (118, 155, 159, 199, 253):  # strut, NULL, word boundary: invisible
    CB_ENCODING[_slot] = ""
_TABLE = str.maketrans({chr(k): v for k, v in CB_ENCODING.items()})
# what a decoded page uses for "nothing here" so character offsets stay those of the text page
# (U+FFFE: what the safe backend already drops, pdfium's soft-hyphen mark)
GONE = "\ufffe"
_TABLE_KEEP_LENGTH = str.maketrans({chr(k): (v if len(v) == 1 else GONE) for k, v in CB_ENCODING.items()})

# A spacing accent or breathing (tonos, psili, dasia, their pairs) before a capital: LGR writes
# 'A for Ά; Unicode puts the combining marks after the letter.
_SPACING = {"\u0384": "\u0301", "\u1fbf": "\u0313", "\u1ffe": "\u0314", "\u1fef": "\u0300",
            "\u1fce": "\u0313\u0301", "\u1fcd": "\u0313\u0300", "\u1fcf": "\u0313\u0342",
            "\u1fde": "\u0314\u0301", "\u1fdd": "\u0314\u0300", "\u1fdf": "\u0314\u0342",
            "\u00a8": "\u0308", "\u0385": "\u0308\u0301"}
_ACCENT_CAPITAL = re.compile(f"([{''.join(_SPACING)}]+)([\u0391-\u03a9])")
_FINAL_SIGMA = re.compile(f"(?<=[{GREEK}])σ(?![{GREEK}{COMBINING}])")

# cbgreek fonts: g + family (r roman, s sans, t typewriter, l, o...) + series/shape + size,
# after a subset prefix (VNBQFC+gsmn1200)
CBGREEK_FONT = re.compile(r"^(?:[A-Z]{6}\+)?g[a-z][a-z]{2}\d{4}$")

# words: ASCII letters and the 8-bit slots, with LGR's accent characters
_WORD = re.compile(r"[A-Za-z\u0080-\u00ff'<>`~\"|]+")
# LGR's commonest accented letters in slots no real language writes inside a word: the C1 codes
# (0x88 ά...), ¸ ώ, Ð ί, Ô ύ, ð ϊ, and è έ, ì ό (Italian has those two, but with its final -s words
# it reads as Latin). ä, ö, ü, é, «, », ±, nbsp are German, French, math as often as LGR, so
# they are no mark (they still decode in an LGR span).
_ACCENTED_SLOTS = "\u0080-\u009f\u00b8\u00d0\u00d4\u00f0\u00e8\u00ec"
_LGR_MARK = re.compile(f"[A-Za-z][{_ACCENTED_SLOTS}]|[{_ACCENTED_SLOTS}][A-Za-z]|[aehouwy{_ACCENTED_SLOTS}]c$")
_LATIN_MARK = re.compile(r"[a-z]s$")
# English and Latin-alphabet function words: text that is really Latin
_LATIN_WORDS = frozenset("the and of to in is for with on are that this by from as be or an at it we "
                         "der die das und von ist le la les et des du un une".split())


def decode(text: str) -> str:
    """LGR text (pdfium's characters = cbgreek codes) as Greek, NFC."""
    return finish(text.translate(_TABLE))


def decode_keep_length(text: str) -> str:
    """decode() one character for one, with GONE for what disappears; finish() completes it."""
    return text.translate(_TABLE_KEEP_LENGTH)


def finish(text: str) -> str:
    """Accents before capitals moved onto them, σ at a word's end as ς, invisible marks gone, NFC."""
    if GONE in text:
        text = text.replace(GONE, "")
    text = _ACCENT_CAPITAL.sub(lambda m: m.group(2) + "".join(_SPACING[c] for c in m.group(1)), text)
    text = _FINAL_SIGMA.sub("ς", text)
    return unicodedata.normalize("NFC", text)


def evidence(text: str) -> tuple[int, int, int]:
    """(words, words with an LGR mark, words with a Latin mark) of text read as pdfium gave it."""
    words = lgr = latin = 0
    for m in _WORD.finditer(text):
        word = m.group(0).strip("'<>`~\"|")
        if len(word) < 2:
            continue
        words += 1
        if _LGR_MARK.search(word):
            lgr += 1
        elif _LATIN_MARK.search(word) or word.lower() in _LATIN_WORDS:
            latin += 1
    return words, lgr, latin


# A span is LGR when this share of its words carries an LGR mark and at most a third as many a
# Latin one (thresholds measured on the corpus: see BENCHMARKS.md, "Greek text fidelity").
MARKED_SHARE = 0.08
LATIN_RATIO = 3


def reads_as_lgr(text: str, font_name: str | None = None) -> bool | None:
    """True: LGR; False: not; None: too little text to tell (caps-only headings, a lone word)."""
    if font_name and CBGREEK_FONT.match(font_name):
        ascii_letters = sum(1 for c in text if "a" <= c.lower() <= "z")
        return ascii_letters > len(text) - len(text.encode("ascii", "ignore"))  # its text came out ASCII
    words, lgr, latin = evidence(text)
    if lgr >= 2 and lgr >= MARKED_SHARE * words and lgr >= LATIN_RATIO * latin:
        return True
    if latin or (lgr == 0 and words >= 8):
        return False
    return None
