"""Tokenisation: Chinese by jieba's search mode, English case-folded and de-pluralised, stop words out."""

import pytest

from baiying.knowledge.text import query_terms, segment, stem, terms


def test_chinese_is_segmented_into_words_and_their_parts() -> None:
    found = terms("宽带无法上网怎么办")
    assert "宽带" in found
    assert "无法" in found
    assert "上网" in found
    assert "怎么办" not in found  # a stop word
    assert "中华" in terms("中华人民共和国")
    assert "共和国" in terms("中华人民共和国")


def test_chinese_stop_words_and_punctuation_are_dropped() -> None:
    assert terms("我的宽带，断了吗？") == ["宽带", "断"]


def test_english_is_case_folded_stemmed_and_stripped_of_stop_words() -> None:
    assert terms("How do I reset the Routers' passwords?") == ["reset", "router", "password"]
    assert terms("policies") == ["policy"]
    assert terms("bus gas glass") == ["bus", "gas", "glass"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("policies", "policy"), ("routers", "router"), ("status", "status"), ("class", "class"), ("is", "is")],
)
def test_stemming_strips_only_plural_endings(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_mixed_text_keeps_both_languages_and_full_width_letters() -> None:
    found = terms("ＷｉＦｉ密码忘了, reset 5G套餐")
    assert found[:2] == ["wifi", "密码"]
    assert "reset" in found
    assert "5g" in found
    assert "套餐" in found


def test_query_terms_are_distinct_in_first_order() -> None:
    assert query_terms("router 宽带 Router 宽带") == ["router", "宽带"]
    assert query_terms("的 了 the of") == []


def test_segmented_fields_are_space_joined_terms() -> None:
    segmented = segment("宽带无法上网", ["宽带", "fault"], "Check the modem lights.")
    assert segmented.title.split() == terms("宽带无法上网")
    assert segmented.tags == "宽带 fault"
    assert segmented.body == "check modem light"


def test_jieba_loads_quietly_once_per_process() -> None:
    import subprocess
    import sys

    script = (
        "from baiying.knowledge import text\n"
        "assert text.terms('宽带无法上网') == ['宽带', '无法', '上网']\n"
        "first = text._segmenter()\n"
        "assert text.terms('光猫') and text._segmenter() is first\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # jieba logs "Building prefix dict..." to stderr unless silenced
