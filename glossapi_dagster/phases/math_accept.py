"""Which decoded formulas go into the markdown: a formula is accepted when it decoded to something,
its braces, environments and \\left/\\right pairs balance, it is not overlong, and it is not a
model caught in a loop (a short piece repeated a dozen times)."""
from __future__ import annotations

import re

MAX_LATEX_CHARS = 3000


_BEGIN_END = re.compile(r"\\(begin|end)\{([^}]*)\}")
_LEFT, _RIGHT = re.compile(r"\\left(?![A-Za-z])"), re.compile(r"\\right(?![A-Za-z])")


def acceptance(latex: str | None, max_chars: int = MAX_LATEX_CHARS) -> dict[str, bool]:
    """The checks a decoded formula passes before it goes into the markdown."""
    if not latex or not latex.strip():
        return {"decoded": False, "balanced": False, "length_ok": True, "no_repetition": True}
    depth, balanced = 0, True
    unescaped = re.sub(r"\\[{}]", "", latex)
    for ch in unescaped:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            balanced = False
            break
    balanced = balanced and depth == 0
    stack = []
    for kind, name in _BEGIN_END.findall(latex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            balanced = False
    balanced = balanced and not stack and len(_LEFT.findall(latex)) == len(_RIGHT.findall(latex))
    return {
        "decoded": True,
        "balanced": balanced,
        "length_ok": len(latex) <= max_chars,
        "no_repetition": re.search(r"(.{2,16}?)\1{11,}", latex) is None,  # a model caught in a loop
    }
