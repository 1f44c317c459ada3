"""Highlighting of matched terms as safe HTML: the text is escaped and every stretch that matches a query
term is wrapped in `<mark>`; nothing else of the text can become markup.

Matching follows the tokeniser: a Latin word matches when its term (case-folded, plural stripped) is a
query term, so "Routers" lights up for "router"; in a CJK run every occurrence of a CJK query term is
marked, longest first, without overlaps (segmentation can differ in context, a substring cannot).
"""

import functools
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
SNIPPET_SCAN_CHARS: Final = 20_000  # a snippet comes from the first match within this much of the text


@functools.lru_cache(maxsize=65_536)
def _latin_key(word: str) -> str | None:
    return latin_term(normalise(word))


@functools.lru_cache(maxsize=1_024)
def _cjk_pattern(cjk_terms: frozenset[str]) -> re.Pattern[str] | None:
    """One alternation of the CJK terms, longest first: at each position the longest term wins."""
    if not cjk_terms:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(cjk_terms, key=lambda t: (-len(t), t))))


def spans(text: str, terms: Collection[str]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) character ranges of `text` that match a term."""
    wanted = frozenset(terms)
    pattern = _cjk_pattern(frozenset(t for t in wanted if _CJK_TERM.match(t)))
    found: list[tuple[int, int]] = []
    for match in _WORDS.finditer(text):
        run = match.group(0)
        if match.group(2):
            if _latin_key(run) in wanted:
                found.append(match.span())
            continue
        if pattern is None or len(normalise(run)) != len(run):  # NFKC changed the length: offsets drift
            continue
        normal = normalise(run)
        found.extend(
            (match.start() + hit.start(), match.start() + hit.end()) for hit in pattern.finditer(normal)
        )
    return _merge(found)


def _merge(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def render_marked(text: str, marked: list[tuple[int, int]]) -> str:
    """`text` as escaped HTML with the `marked` ranges in <mark>."""
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
    return render_marked(text, spans(text, terms))


def snippet(text: str, terms: Collection[str], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of the text (whitespace collapsed) around its first match, as escaped HTML
    with matches marked and `…` where the text was cut; the start of the text when nothing matches.
    Only the first SNIPPET_SCAN_CHARS characters are looked at, so a huge article costs no more."""
    shown, marked = marked_snippet(text, terms, width)
    return render_marked(shown, marked)


def marked_snippet(
    text: str, terms: Collection[str], width: int = SNIPPET_CHARS
) -> tuple[str, list[tuple[int, int]]]:
    """The snippet of `snippet` as plain text (with its `…`) and the (start, end) ranges of it to mark:
    for a client that builds its own nodes rather than trusting HTML."""
    flat = _SPACES.sub(" ", text[:SNIPPET_SCAN_CHARS]).strip()
    cut_short = len(text) > SNIPPET_SCAN_CHARS
    marked = spans(flat, terms)
    if len(flat) <= width and not cut_short:
        return flat, marked
    start = 0
    if marked:
        # Put the first match a fifth of the way in, so the reader sees what leads to it.
        start = max(0, min(marked[0][0] - width // 5, len(flat) - width))
    end = min(len(flat), start + width)
    lead = ELLIPSIS if start > 0 else ""
    shift = len(lead) - start
    inside = [(max(s, start) + shift, min(e, end) + shift) for s, e in marked if e > start and s < end]
    tail = ELLIPSIS if end < len(flat) or cut_short else ""
    return lead + flat[start:end] + tail, inside
