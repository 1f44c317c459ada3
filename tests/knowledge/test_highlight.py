"""Highlighting: matches in <mark>, everything else escaped, snippets cut around the first match."""

import html

from baiying.knowledge.highlight import highlight as mark
from baiying.knowledge.highlight import marked_snippet, snippet, spans


def test_english_words_match_by_term_whatever_their_case_or_plural() -> None:
    assert mark("Reset your Routers now", {"router", "reset"}) == (
        "<mark>Reset</mark> your <mark>Routers</mark> now"
    )


def test_chinese_terms_are_marked_where_they_occur() -> None:
    assert mark("宽带无法上网，宽带故障", {"宽带", "故障"}) == (
        "<mark>宽带</mark>无法上网，<mark>宽带故障</mark>"
    )


def test_longer_terms_win_and_matches_do_not_overlap() -> None:
    assert spans("中华人民共和国", {"中华", "中华人民共和国", "人民"}) == [(0, 7)]


def test_text_is_escaped_so_nothing_but_mark_becomes_markup() -> None:
    html = mark('<script>alert("router")</script> & router', {"router", "script"})
    assert html == (
        "&lt;<mark>script</mark>&gt;alert(&quot;<mark>router</mark>&quot;)&lt;/<mark>script</mark>&gt; "
        "&amp; <mark>router</mark>"
    )


def test_a_snippet_is_cut_around_the_first_match_with_ellipses() -> None:
    text = "无关内容。" * 40 + "如果宽带无法上网，请先重启光猫。" + "其他说明。" * 40
    cut = snippet(text, {"宽带"}, width=60)
    assert cut.startswith("…")
    assert cut.endswith("…")
    assert "<mark>宽带</mark>无法上网" in cut
    assert len(cut.replace("<mark>", "").replace("</mark>", "")) == 62


def test_a_marked_snippet_gives_plain_text_and_the_ranges_to_mark() -> None:
    text = "无关内容。" * 40 + "如果宽带无法上网，请先重启光猫。" + "<b>其他</b>说明。" * 40
    shown, marks = marked_snippet(text, {"宽带", "b"}, width=60)
    assert shown.startswith("…")
    assert shown.endswith("…")
    assert [shown[start:end] for start, end in marks][:3] == ["宽带", "b", "b"]
    assert {shown[start:end] for start, end in marks[1:]} == {"b"}
    # The same cut and marks as the HTML snippet, so both read alike.
    rebuilt, at = [], 0
    for start, end in marks:
        rebuilt += [html.escape(shown[at:start]), "<mark>", shown[start:end], "</mark>"]
        at = end
    assert "".join(rebuilt) + html.escape(shown[at:]) == snippet(text, {"宽带", "b"}, width=60)
    assert marked_snippet("Short  router", {"router"}) == ("Short router", [(6, 12)])


def test_a_short_text_or_one_without_matches_is_kept_from_the_start() -> None:
    assert snippet("Short  text\n here", {"router"}) == "Short text here"
    assert snippet("x" * 300, {"router"}, width=10) == "xxxxxxxxxx…"


def test_a_huge_text_is_scanned_only_at_its_start() -> None:
    text = "filler " * 10_000 + "router"
    assert "<mark>" not in snippet(text, {"router"})
    assert snippet(text, {"router"}, width=20) == "filler filler filler…"
    assert snippet("router " + "x " * 20_000, {"router"}, width=12).startswith("<mark>router</mark> x x")
