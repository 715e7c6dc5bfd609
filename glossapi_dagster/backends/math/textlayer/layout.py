"""LaTeX from the two-dimensional layout of a formula's glyphs (PDF points, y up).

Input: atoms (a glyph, a number, a function name ...) with their boxes, baselines and sizes,
and the horizontal rules drawn among them. In order: tall delimiters stacked from pieces,
accents over their bases, radicals and fractions (a rule with a stack above and/or below),
limits under and over big operators, then rows, and in each row sub- and superscripts from
baseline offsets and smaller sizes.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, replace

from .symbols import DELIMITER_PIECES, NEGATION, WIDE_ACCENTS

AXIS = 0.25  # the math axis above the baseline, in ems (CM: 2.5pt at 10pt)


@dataclass(eq=False)  # identity: two atoms are never the same because they look alike
class Atom:
    latex: str
    x0: float
    y0: float
    x1: float
    y1: float
    base: float
    size: float
    kind: str = "ord"        # ord | op | rel | bin | open | close | punct | accent | prime | text | rad
    text: str = ""           # the characters it came from
    limits: bool = False     # a big operator or function name that takes limits below/above
    accent: str | None = None

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def y(self) -> float:
        return (self.y0 + self.y1) / 2


def layout(atoms: list[Atom], rules: list[Rule] = ()) -> str:
    """The LaTeX of a formula."""
    atoms = _stack_delimiters(list(atoms))
    atoms = _vertical_dots(atoms)
    atoms = _attach_accents(atoms)
    atoms = _negations(atoms)
    rules = sorted(rules, key=lambda r: r.x1 - r.x0)
    atoms, rules = _radicals(atoms, rules)
    atoms = _fractions(atoms, rules)
    return linearize(atoms)


def linearize(atoms: list[Atom]) -> str:
    atoms = _limits(atoms)
    if not atoms:
        return ""
    atoms = _matrices(atoms)
    brace = _cases_brace(atoms)
    if brace is not None:
        left = [a for a in atoms if a.cx < brace.x0]
        right = [a for a in atoms if a.cx > brace.x1]
        rows = _rows(right)
        body = r" \\ ".join(_row_latex(r) for r in rows)
        return _join_parts([_row_latex(left) if left else "", r"\begin{cases} " + body + r" \end{cases}"])
    rows = _rows(atoms)
    if len(rows) == 1:
        return _row_latex(rows[0])
    return r"\begin{gathered} " + r" \\ ".join(_row_latex(r) for r in rows) + r" \end{gathered}"


# -- pieces, accents, negations ---------------------------------------------------------------
def _stack_delimiters(atoms: list[Atom]) -> list[Atom]:
    """⎛⎜⎝ and friends, stacked at one x, become one tall delimiter."""
    pieces = [a for a in atoms if a.text in DELIMITER_PIECES and a.kind != "rad"]
    if not pieces:
        return atoms
    rest = [a for a in atoms if not (a.text in DELIMITER_PIECES and a.kind != "rad")]
    groups: list[list[Atom]] = []
    for p in sorted(pieces, key=lambda a: -a.y1):  # top down
        for g in groups:
            last = g[-1]
            if abs(last.cx - p.cx) < 0.4 * p.size and DELIMITER_PIECES[last.text] == DELIMITER_PIECES[p.text] \
                    and last.y0 - p.y1 < 1.0 * p.size:  # extension pieces may be drawn as rules
                g.append(p)
                break
        else:
            groups.append([p])
    for g in groups:
        char = DELIMITER_PIECES[g[0].text]
        latex = {"{": r"\{", "}": r"\}", "|": "|", "√": r"\surd"}.get(char, char)
        kind = "open" if char in "([{" else "close" if char in ")]}" else "ord"
        y0, y1 = min(a.y0 for a in g), max(a.y1 for a in g)
        size = max(a.size for a in g)
        rest.append(Atom(latex, min(a.x0 for a in g), y0, max(a.x1 for a in g), y1,
                         (y0 + y1) / 2 - AXIS * size, size, kind, char))
    return rest


def _vertical_dots(atoms: list[Atom]) -> list[Atom]:
    """Three periods stacked in a column: \\vdots."""
    dots = sorted((a for a in atoms if a.text == "."), key=lambda a: -a.y1)
    used: set[int] = set()
    out = []
    for d in dots:
        if id(d) in used:
            continue
        column = [d]
        for e in dots:
            last = column[-1]
            if id(e) not in used and e is not d and abs(e.cx - last.cx) < 0.2 * e.size and 0 < last.y0 - e.y1 < 0.6 * e.size:
                column.append(e)
        if len(column) >= 3:
            used.update(id(c) for c in column)
            out.append(_union(column, r"\vdots"))
    if not out:
        return atoms
    return [a for a in atoms if id(a) not in used] + out


def _attach_accents(atoms: list[Atom]) -> list[Atom]:
    accents = [a for a in atoms if a.kind == "accent"]
    if not accents:
        return atoms
    bases = [a for a in atoms if a.kind != "accent"]
    for acc in sorted(accents, key=lambda a: a.y0):
        under = [b for b in bases if b.y1 <= acc.y0 + 0.35 * acc.size and acc.y0 - b.y1 < 0.6 * acc.size
                 and min(b.x1, acc.x1) - max(b.x0, acc.x0) > 0.3 * min(b.x1 - b.x0, acc.x1 - acc.x0)]
        if not under:
            continue  # an accent over nothing is dropped
        top = max(b.y1 for b in under)
        under = [b for b in under if b.y1 > top - 0.5 * acc.size]
        if len(under) == 1:
            b = under[0]
            merged = replace(b, latex=f"{acc.accent}{{{b.latex}}}", y1=max(b.y1, acc.y1))
        else:
            command = WIDE_ACCENTS.get(acc.accent, acc.accent)
            inner = linearize(under)
            merged = _union(under, f"{command}{{{inner}}}", y1=max(acc.y1, top))
        bases = [b for b in bases if b not in under] + [merged]
    return bases


def _negations(atoms: list[Atom]) -> list[Atom]:
    slashes = [a for a in atoms if a.text == NEGATION]
    for s in slashes:
        over = [a for a in atoms if a is not s and a.text != NEGATION and a.x0 < s.cx < a.x1]
        atoms = [a for a in atoms if a is not s]
        if over:
            target = over[0]
            latex = {"\\in": r"\notin", "=": r"\neq"}.get(target.latex, r"\not" + (" " if target.latex[:1] != "\\" else "") + target.latex)
            atoms = [replace(a, latex=latex) if a is target else a for a in atoms]
    return atoms


# -- radicals and fractions -------------------------------------------------------------------
def _radicals(atoms: list[Atom], rules: list[Rule]) -> tuple[list[Atom], list[Rule]]:
    radicals = sorted((a for a in atoms if a.kind == "rad"), key=lambda a: -a.x0)  # inner ones first
    rules = list(rules)
    for rad in radicals:
        bar = next((r for r in rules if abs(r.x0 - rad.x1) < 1.5 and rad.y1 - 2.5 <= r.y <= rad.y1 + 1.5), None)
        if bar is None:
            continue
        rules.remove(bar)
        inside = [a for a in atoms if a is not rad and bar.x0 - 0.5 <= a.cx <= bar.x1 + 0.5
                  and a.y1 <= bar.y + 0.5 and a.y0 >= rad.y0 - 1.0]
        merged = _union([rad, *inside], r"\sqrt{" + layout(inside) + "}", kind="ord")
        if inside:
            merged.base = statistics.median(a.base for a in inside)
            merged.size = max(a.size for a in inside)
        atoms = [a for a in atoms if a is not rad and a not in inside] + [merged]
    return atoms, rules


def _fractions(atoms: list[Atom], rules: list[Rule]) -> list[Atom]:
    for rule in rules:  # shortest first: inner fractions become atoms of outer ones
        num = _stack(atoms, rule, up=True)
        den = _stack(atoms, rule, up=False)
        if num and den:
            latex = r"\frac{" + linearize(num) + "}{" + linearize(den) + "}"
        elif den and not num:
            latex = r"\overline{" + linearize(den) + "}"
        elif num and not den:
            latex = r"\underline{" + linearize(num) + "}"
        else:
            continue
        parts = num + den
        size = max(a.size for a in parts)
        frac = _union(parts, latex, kind="ord")
        frac.x0, frac.x1 = min(frac.x0, rule.x0), max(frac.x1, rule.x1)
        frac.size = size
        frac.base = rule.y - AXIS * size if num and den else statistics.median(a.base for a in parts)
        atoms = [a for a in atoms if a not in parts] + [frac]
    return atoms


def _stack(atoms: list[Atom], rule: Rule, up: bool) -> list[Atom]:
    """The atoms stacked right above (or below) a rule, within its width, gap by gap."""
    tol = 0.6
    cands = [a for a in atoms if rule.x0 - tol <= a.cx <= rule.x1 + tol
             and (a.y0 >= rule.y - 0.2 * a.size if up else a.y1 <= rule.y + 0.2 * a.size)]
    cands.sort(key=lambda a: a.y0 if up else -a.y1)
    taken, reach = [], rule.y
    for a in cands:
        gap = (a.y0 - reach) if up else (reach - a.y1)
        if gap > (0.9 if not taken else 0.6) * a.size:
            break
        taken.append(a)
        reach = max(reach, a.y1) if up else min(reach, a.y0)
    if not taken:
        return taken
    # Farther rows must lie over or under the rows already taken, not beside them (the next
    # row of a case distinction sits under the left end of a fraction's rule).
    near = (lambda a: a.y0) if up else (lambda a: -a.y1)
    batches: list[list[Atom]] = []
    for a in taken:
        if batches and near(a) - near(batches[-1][0]) <= 0.5 * a.size:
            batches[-1].append(a)
        else:
            batches.append([a])
    kept = list(batches[0])
    for batch in batches[1:]:
        if not any(a.x0 < k.x1 + 0.5 * a.size and k.x0 < a.x1 + 0.5 * a.size for a in batch for k in kept):
            break
        kept.extend(batch)
    return kept


# -- limits -------------------------------------------------------------------------------------
def _limits(atoms: list[Atom]) -> list[Atom]:
    ops = [a for a in atoms if a.limits]
    for op in sorted(ops, key=lambda a: a.x0):
        if op not in atoms:
            continue
        lower = _limit(atoms, op, below=True)
        upper = _limit(atoms, op, below=False)
        if not lower and not upper:
            continue
        latex = op.latex
        if lower:
            latex += "_{" + linearize(lower) + "}"
        if upper:
            latex += "^{" + linearize(upper) + "}"
        merged = replace(op, latex=latex, limits=False,
                         x0=min([op.x0] + [a.x0 for a in lower + upper]),
                         x1=max([op.x1] + [a.x1 for a in lower + upper]),
                         y0=min([op.y0] + [a.y0 for a in lower]), y1=max([op.y1] + [a.y1 for a in upper]))
        atoms = [a for a in atoms if a is not op and a not in lower and a not in upper] + [merged]
    return atoms


def _limit(atoms: list[Atom], op: Atom, below: bool) -> list[Atom]:
    pad = 0.5 * op.size

    def beyond(a: Atom) -> bool:
        if below:
            return a.y1 <= op.y0 + 0.25 * a.size and op.y0 - a.y1 <= 1.0 * op.size
        return a.y0 >= op.y1 - 0.25 * a.size and a.y0 - op.y1 <= 1.0 * op.size

    cands = [a for a in atoms if a is not op and beyond(a) and a.size <= 0.9 * op.size]
    seeds = [a for a in cands if a.x1 > op.x0 - pad and a.x0 < op.x1 + pad]
    if not seeds:
        return []
    taken = list(seeds)
    grown = True
    while grown:  # neighbours on the limit's line, left and right
        grown = False
        for a in cands:
            if a in taken:
                continue
            if any(abs(a.base - t.base) < 0.5 * t.size and (abs(a.x0 - t.x1) < 0.6 * t.size or abs(t.x0 - a.x1) < 0.6 * t.size
                                                             or (a.x0 < t.x1 and t.x0 < a.x1)) for t in taken):
                taken.append(a)
                grown = True
    center = sum(a.cx for a in taken) / len(taken)
    if abs(center - op.cx) > 0.6 * max(op.size, op.x1 - op.x0):
        return []  # not centred under the operator: scripts of something else
    return taken


# -- rows and scripts -------------------------------------------------------------------------
def _cases_brace(atoms: list[Atom]) -> Atom | None:
    """A tall '{' with two or more rows to its right, all within its height: a case distinction."""
    sizes = [a.size for a in atoms]
    typical = statistics.median(sizes) if sizes else 10.0
    for a in sorted(atoms, key=lambda a: a.x0):
        if a.latex == r"\{" and a.height > 1.8 * typical:
            right = [b for b in atoms if b.cx > a.x1]
            inside = all(a.y0 - 0.3 * b.size <= (b.y0 + b.y1) / 2 <= a.y1 + 0.3 * b.size for b in right)
            if inside and len(_rows(right)) > 1:
                return a
    return None


def _matrices(atoms: list[Atom]) -> list[Atom]:
    """Tall delimiters around several rows: a matrix or a column vector."""
    sizes = [a.size for a in atoms]
    typical = statistics.median(sizes) if sizes else 10.0
    envs = {"(": "pmatrix", "[": "bmatrix", "|": "vmatrix"}
    for o in sorted(atoms, key=lambda a: a.x0):
        if o.text not in envs or o.kind == "close" or o.height <= 1.8 * typical or o not in atoms:
            continue
        closing = {"(": ")", "[": "]", "|": "|"}[o.text]
        c = next((b for b in sorted(atoms, key=lambda a: a.x0) if b is not o and b.x0 >= o.x1 and b.text == closing
                  and min(b.y1, o.y1) - max(b.y0, o.y0) >= 0.7 * o.height), None)
        if c is None:
            continue
        inner = [b for b in atoms if o.x1 <= b.cx <= c.x0 and o.y0 <= (b.y0 + b.y1) / 2 <= o.y1]
        rows = _rows(inner)
        if len(rows) < 2:
            continue
        body = r" \\ ".join(" & ".join(_row_latex(cell) for cell in _cells(r)) for r in rows)
        env = envs[o.text]
        merged = _union([o, c, *inner], f"\\begin{{{env}}} {body} \\end{{{env}}}")
        merged.base = (o.y0 + o.y1) / 2 - AXIS * typical
        merged.size = typical
        gone = {id(b) for b in (o, c, *inner)}
        atoms = [b for b in atoms if id(b) not in gone] + [merged]
    return atoms


def _cells(row: list[Atom]) -> list[list[Atom]]:
    seq = sorted(row, key=lambda a: a.x0)
    cells = [[seq[0]]]
    for a in seq[1:]:
        if a.x0 - max(b.x1 for b in cells[-1]) > 1.0 * a.size:
            cells.append([a])
        else:
            cells[-1].append(a)
    return cells


def _band(a: Atom) -> tuple[float, float]:
    return a.base - 0.25 * a.size, a.base + 0.75 * a.size


def _rows(atoms: list[Atom]) -> list[list[Atom]]:
    """Atoms on one line (scripts with their bases), top to bottom."""
    if not atoms:
        return []
    big = max(a.size for a in atoms)
    full = sorted((a for a in atoms if a.size >= 0.85 * big), key=lambda a: -a.base)
    rows: list[list[Atom]] = []
    for a in full:
        lo, hi = _band(a)
        for row in rows:
            rlo, rhi = _band(row[0])
            if min(hi, rhi) - max(lo, rlo) >= 0.5 * min(hi - lo, rhi - rlo):
                row.append(a)
                break
        else:
            rows.append([a])
    for a in atoms:
        if a.size >= 0.85 * big:
            continue
        best = min(rows, key=lambda r: abs(statistics.median(b.base for b in r) - a.base))
        if abs(statistics.median(b.base for b in best) - a.base) <= 1.1 * big:
            best.append(a)
        else:
            rows.append([a])
    rows.sort(key=lambda r: -max(b.base for b in r))
    return rows


def _row_latex(row: list[Atom]) -> str:
    if not row:
        return ""
    size = max(a.size for a in row)
    base = statistics.median(a.base for a in row if a.size >= 0.9 * size)
    seq = sorted(row, key=lambda a: (a.x0, -a.base))

    def role(a: Atom) -> str | None:
        offset = (a.base - base) / size
        if a.size > 0.88 * size:  # full size: only a sign set clearly high or low (a hyphen in i-1)
            if a.kind in ("bin", "rel", "punct") and abs(offset) >= 0.3:
                return "sup" if offset > 0 else "sub"
            return None
        if offset >= 0.18:
            return "sup"
        if offset <= -0.06:
            return "sub"
        return None

    tokens: list[list] = []  # [latex, kind, script_roles, x1]
    i = 0
    while i < len(seq):
        r = role(seq[i])
        if r is None:
            a = seq[i]
            tokens.append([a.latex, a.kind, set(), a.x1])
            i += 1
            continue
        j = i
        while j < len(seq) and role(seq[j]) == r:
            j += 1
        group = seq[i:j]
        i = j
        if r == "sup" and all(a.kind == "prime" for a in group) and tokens:
            tokens[-1][0] += "'" * len(group)
            continue
        inner = linearize(group)
        if not tokens:
            tokens.append(["{}", "ord", set(), group[0].x0])
        last = tokens[-1]
        if r in last[2]:  # a second group of the same kind: the base was dropped, keep both readable
            tokens.append(["{}", "ord", set(), group[0].x0])
            last = tokens[-1]
        last[0] += ("^" if r == "sup" else "_") + "{" + inner + "}"
        last[2].add(r)
        last[3] = max(last[3], max(a.x1 for a in group))
    return _join([(t[0], t[1]) for t in tokens])


def _join(tokens: list[tuple[str, str]]) -> str:
    out, prev = "", ""
    for latex, kind in tokens:
        if not latex:
            continue
        if kind in ("rel", "bin") and out:
            out = out.rstrip() + " " + latex + " "
        elif kind == "punct" and latex in (",", ";"):
            out = out.rstrip() + latex + " "
        else:
            if out and not out.endswith(" ") and (kind == "text" or prev == "text" or (
                    _ends_with_command(out) and latex[0].isalnum())):
                out += " "
            out += latex
        prev = kind
    return out.strip()


def _join_parts(parts: list[str]) -> str:
    return " ".join(p for p in parts if p)


def _ends_with_command(text: str) -> bool:
    i = len(text) - 1
    while i >= 0 and text[i].isalpha():
        i -= 1
    return i >= 0 and text[i] == "\\"


def _union(atoms: list[Atom], latex: str, kind: str = "ord", y1: float | None = None) -> Atom:
    size = max(a.size for a in atoms)
    main = [a for a in atoms if a.size >= 0.9 * size] or atoms
    return Atom(latex, min(a.x0 for a in atoms), min(a.y0 for a in atoms), max(a.x1 for a in atoms),
                y1 if y1 is not None else max(a.y1 for a in atoms), statistics.median(a.base for a in main),
                size, kind, "".join(a.text for a in atoms))
