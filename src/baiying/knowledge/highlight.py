"""Highlighting of matched terms as safe HTML: the text is escaped and every stretch that matches a query
term is wrapped in `<mark>`; nothing else of the text can become markup.

Matching follows the tokeniser: a Latin word matches when its term (case-folded, plural stripped) is a
query term, so "Routers" lights up for "router"; in a CJK run every occurrence of a CJK query term is
marked, longest first, without overlaps (segmentation can differ in context, a substring cannot).
"""

import html
import re
from collections.abc import Collection
from typing import Final

from baiying.knowledge.text import CJK, LATIN, latin_term, normalise

_WORDS = re.compile(f"([{CJK}]+)|([{LATIN}]+)")
_CJK_TERM = re.compile(f"^[{CJK}]+$")
_SPACES = re.compile(r"\s+")
ELLIPSIS: Final = "…"
SNIPPET_CHARS: Final = 160


def spans(text: str, terms: Collection[str]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) character ranges of `text` that match a term."""
    cjk_terms = sorted((t for t in terms if _CJK_TERM.match(t)), key=len, reverse=True)
    found: list[tuple[int, int]] = []
    for match in _WORDS.finditer(text):
        run = match.group(0)
        if match.group(2):
            if latin_term(normalise(run)) in terms:
                found.append(match.span())
            continue
        normal = normalise(run)
        if len(normal) != len(run):  # NFKC changed the length; offsets would drift
            continue
        at = 0
        while at < len(normal):
            hit = next((t for t in cjk_terms if normal.startswith(t, at)), None)
            if hit is None:
                at += 1
                continue
            found.append((match.start() + at, match.start() + at + len(hit)))
            at += len(hit)
    return _merge(found)


def _merge(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, marked: list[tuple[int, int]]) -> str:
    out: list[str] = []
    at = 0
    for start, end in marked:
        out.append(html.escape(text[at:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def highlight(text: str, terms: Collection[str]) -> str:
    """The whole text as escaped HTML with its matches marked."""
    return _render(text, spans(text, terms))


def snippet(text: str, terms: Collection[str], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of the text (whitespace collapsed) around its first match, as escaped HTML
    with matches marked and `…` where the text was cut; the start of the text when nothing matches."""
    flat = _SPACES.sub(" ", text).strip()
    marked = spans(flat, terms)
    if len(flat) <= width:
        return _render(flat, marked)
    start = 0
    if marked:
        # Put the first match a fifth of the way in, so the reader sees what leads to it.
        start = max(0, min(marked[0][0] - width // 5, len(flat) - width))
    end = min(len(flat), start + width)
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in marked if e > start and s < end]
    body = _render(flat[start:end], inside)
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(flat) else "")
