"""Tokenisation of Chinese, English and mixed text into search terms.

Text is NFKC-normalised (full-width letters and digits become ASCII) and cut into runs: CJK runs are
segmented by jieba in search mode (`cut_for_search`: words and the shorter words inside long ones, so
"中华人民共和国" also yields "人民" and "共和国"); Latin runs are words of letters and digits, case-folded and
lightly stemmed (plural endings only: "routers" and "router" meet, "setting" stays apart from "set").
Stop words of both languages and punctuation are dropped. Documents and queries go through the same
function, so they meet on the same terms; the storage joins a document's terms with spaces for the
database's full-text index (FTS5's `ascii` tokenizer, PostgreSQL's `simple` configuration), which then
splits on nothing but those spaces.

jieba loads its dictionary (~1 s, from its package data and a cache in the temporary directory) the first
time a CJK run is segmented, once per process, with its log messages silenced; `warm_up()` does it ahead.
"""

import functools
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

CJK: Final = (
    "\u3400-\u4dbf"  # CJK unified ideographs, extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\u3040-\u30ff"  # hiragana, katakana
    "\uac00-\ud7af"  # hangul syllables
)
LATIN: Final = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
RUNS: Final = re.compile(f"([{CJK}]+)|([{LATIN}]+)")
MAX_TERM_CHARS: Final = 40  # longer "words" (hashes, base64) are noise, and FTS5 would keep them whole

_ENGLISH_STOP_WORDS = """
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her
here hers him his how i if in into is it its itself just me more most my no nor not of off on once only or
other our ours out over own same she should so some such than that the their theirs them then there these
they this those through to too under until up very was we were what when where which while who whom why
will with would you your yours
"""
_CHINESE_STOP_WORDS = """
的 了 着 过 是 在 和 与 及 或 而 也 都 就 还 又 把 被 给 让 对 从 向 于 以 之 其 这 那 这个 那个 这些 那些
我 你 您 他 她 它 我们 你们 他们 吗 呢 吧 啊 呀 哦 嗯 么 怎么 怎么办 怎样 如何 什么
为什么 请问 一下 一个 有 个
"""
ENGLISH_STOP_WORDS: Final = frozenset(_ENGLISH_STOP_WORDS.split())
CHINESE_STOP_WORDS: Final = frozenset(_CHINESE_STOP_WORDS.split())

log = logging.getLogger(__name__)
_jieba_lock = threading.Lock()
_jieba: Any = None


def _segmenter() -> Any:
    """jieba's tokenizer, loaded once per process with its console logging silenced."""
    global _jieba  # noqa: PLW0603  (one dictionary per process, loaded on first use)
    if _jieba is not None:
        return _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)  # it prints "Building prefix dict..." to stderr at DEBUG
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _jieba = tokenizer
    return _jieba


def warm_up() -> None:
    """Load jieba's dictionary now rather than on the first Chinese text."""
    _segmenter()


def stem(word: str) -> str:
    """A light English stemmer for plural endings (Harman's S-stemmer): policies → policy,
    routers → router, passwords → password; words of three letters or fewer are kept."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def latin_term(word: str) -> str | None:
    """The term an already-normalised Latin word indexes as, or None for a stop word or noise."""
    folded = word.casefold()
    if folded in ENGLISH_STOP_WORDS or len(folded) > MAX_TERM_CHARS:
        return None
    return stem(folded)


@functools.lru_cache(maxsize=65_536)
def _cjk_terms(run: str) -> tuple[str, ...]:
    """The terms of one CJK run (text between punctuation, spaces or Latin words). jieba segments such
    runs independently, so a run's terms never depend on its neighbours; cached, as phrases recur."""
    return tuple(
        word
        for word in _segmenter().cut_for_search(run, HMM=True)
        if word and word not in CHINESE_STOP_WORDS and len(word) <= MAX_TERM_CHARS
    )


def terms(text: str) -> list[str]:
    """The text's search terms in order, repeats kept (a term's frequency counts in ranking)."""
    found: list[str] = []
    for match in RUNS.finditer(normalise(text)):
        cjk, latin = match.group(1), match.group(2)
        if cjk:
            found.extend(_cjk_terms(cjk))
        else:
            term = latin_term(latin)
            if term is not None:
                found.append(term)
    return found


def query_terms(query: str) -> list[str]:
    """The distinct terms of a query, in order of first appearance."""
    return list(dict.fromkeys(terms(query)))


@dataclass(frozen=True, slots=True)
class Segmented:
    """A document's fields as space-joined terms, the form the full-text indexes read."""

    title: str
    tags: str
    body: str


def segment(title: str, tags: list[str], body: str) -> Segmented:
    return Segmented(" ".join(terms(title)), " ".join(terms(" ".join(tags))), " ".join(terms(body)))
