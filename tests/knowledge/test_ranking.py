"""BM25 as FTS5 computes it: idf, saturation, length normalisation and field weights."""

import math

import pytest

from baiying.knowledge.ranking import (
    K1,
    MIN_IDF,
    B,
    CorpusStats,
    InMemoryIndex,
    distinctive_terms,
    idf,
    score,
    weighted_frequencies,
)
from baiying.knowledge.text import terms


def test_idf_follows_the_fts5_formula_and_stays_positive() -> None:
    assert idf(100, 1) == pytest.approx(math.log(99.5 / 1.5))
    assert idf(100, 50) == MIN_IDF  # ln(50.5 / 50.5) = 0
    assert idf(100, 90) == MIN_IDF


def test_a_document_score_by_hand() -> None:
    frequencies = weighted_frequencies(["router"], [], ["router", "reset", "router"])
    assert frequencies == {"router": 5.0, "reset": 1.0}
    stats = CorpusStats(documents=10, terms=40, holding={"router": 2, "reset": 5})
    length = 4
    norm = K1 * (1 - B + B * length / 4.0)
    expected = idf(10, 2) * 5 * (K1 + 1) / (5 + norm) + idf(10, 5) * 1 * (K1 + 1) / (1 + norm)
    assert score(frequencies, length, ["router", "reset"], stats) == pytest.approx(expected)
    assert score(frequencies, length, ["modem"], stats) == 0.0


def test_the_index_ranks_rare_terms_title_matches_and_short_documents_first() -> None:
    index = InMemoryIndex()
    index.add("title", terms("宽带无法上网"), [], terms("请重启光猫后再试。"))
    index.add("body", terms("光猫指示灯说明"), [], terms("宽带无法上网时，先看光猫的指示灯。"))
    index.add("other", terms("手机套餐变更"), [], terms("套餐次月生效。"))
    index.add("long", terms("常见问题"), [], terms("宽带 " + "套餐 资费 " * 50))
    ranked = [key for key, _ in index.search(terms("宽带 故障"))]
    assert ranked == ["title", "body", "long"]
    index.add("short-body", ["说明"], [], terms("光猫 重启"))
    index.add("long-body", ["说明"], [], terms("光猫 重启 " + "套餐 资费 " * 20))
    ranked = [key for key, _ in index.search(["重启"])]
    assert ranked.index("short-body") < ranked.index("long-body")


def test_removing_a_document_updates_the_statistics() -> None:
    index = InMemoryIndex()
    index.add("a", ["router"], [], ["reset"])
    index.add("b", ["modem"], [], [])
    assert index.stats(["router"]) == CorpusStats(2, 3, {"router": 1})
    index.remove("a")
    assert index.stats(["router"]) == CorpusStats(1, 1, {"router": 0})
    assert index.search(["router"]) == []
    index.add("b", ["modem", "reset"], [], [])  # re-adding replaces
    assert index.stats(["reset"]) == CorpusStats(1, 2, {"reset": 1})


def test_distinctive_terms_prefer_rare_repeated_terms_the_index_knows() -> None:
    stats = CorpusStats(100, 1000, {"宽带": 5, "上网": 40, "光猫": 2, "您好": 90})
    text = terms("您好，我家宽带不能上网，宽带灯不亮，光猫重启过了")
    assert distinctive_terms(text, stats, 3) == ["宽带", "光猫", "上网"]
    assert "您好" not in distinctive_terms(text, stats, 10)
