"""The one message catalogue: both languages for every key, every key the templates and scripts use is
defined (including those built from the domain's states, channels, site statuses and phases), and a page
in Chinese shows no English sentence from the catalogue."""

import re
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

from baiying.api.schemas.auth import PageLanguage
from baiying.api.websockets import __doc__ as STREAM_DOC
from baiying.routing.model import AgentState, Channel, SiteStatus
from baiying.routing.state import Phase
from baiying.web.messages import LANGUAGES, MESSAGES, catalogue, from_accept_language, parse_language
from baiying.web.pages import AUX_REASONS
from tests.api.conftest import TestClient
from tests.web.conftest import sign_in

WEB = Path(__file__).resolve().parents[2] / "src" / "baiying" / "web"
REPO = WEB.parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        keys |= set(re.findall(r"""\bt\(\s*['"]([\w.\-]+)['"]\s*[,)]""", template.read_text()))
    for script in (WEB / "static").glob("*.js"):
        keys |= set(re.findall(r"""\bt\(\s*"([\w.\-]+)"\s*[,)]""", script.read_text()))
    return keys


def test_every_message_is_in_both_languages() -> None:
    for key, (english, chinese) in MESSAGES.items():
        assert english.strip(), key
        assert chinese.strip(), key
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", chinese)), key
    untranslated = [k for k, (en, zh) in MESSAGES.items() if not CJK.search(zh) and en == zh]
    assert set(untranslated) <= {"lang.en", "lang.zh", "pop.unknown"}, untranslated
    assert catalogue("zh")["login.title"] == "登录"
    assert catalogue("en")["login.title"] == "Log in"


def test_every_key_used_is_defined() -> None:
    used = used_keys()
    assert len(used) > 50  # the scan finds the pages' keys
    assert used - set(MESSAGES) == set()


def test_keys_built_from_domain_values_are_defined() -> None:
    built = {f"state.{s.value}" for s in AgentState}
    built |= {f"channel.{c.value}" for c in Channel}
    built |= {f"site.{s.value}" for s in SiteStatus}
    built |= {f"pop.phase.{p.value}" for p in Phase}
    built |= {f"aux.{r}" for r in AUX_REASONS} | {"aux.login", "aux.missed"}  # the router's own reasons
    assert STREAM_DOC is not None
    reasons = re.search(r"reason `rejected`,(.*?)\(the agent", STREAM_DOC, re.S)
    assert reasons is not None
    built |= {"withdrawn.rejected"} | {f"withdrawn.{r}" for r in re.findall(r"`([\w-]+)`", reasons.group(1))}
    built |= {f"conn.{s}" for s in ("online", "reconnecting", "offline")}
    assert "withdrawn.routed-out" in built
    assert built - set(MESSAGES) == set()


def test_languages_are_parsed_strictly() -> None:
    assert parse_language("zh") == "zh"
    assert parse_language("ZH") is None
    assert parse_language(None) is None
    assert from_accept_language("zh-TW,en;q=0.5") == "zh"
    assert from_accept_language("en-GB,zh;q=0.5") == "en"
    assert from_accept_language("fr-FR, de") == "en"
    assert from_accept_language(None) == "en"


class VisibleText(HTMLParser):
    """Text a user sees (not scripts or styles), and the placeholder, title and label attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        self.texts += [v for k, v in attrs if k in ("aria-label", "placeholder", "title") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


def test_pages_in_chinese_show_no_english_message(web: TestClient) -> None:
    english = {en for en, zh in MESSAGES.values() if en != zh and re.search(r"[A-Za-z]{3}", en)}
    web.get("/lang/zh")
    pages = {"/login": web.get("/login").text}
    pages["/chat"] = web.get("/chat", params={"tenant": "national", "queue": "billing"}).text
    pages["/chat (not set up)"] = web.get("/chat").text
    sign_in(web, "agent-gz")
    pages["/agent"] = web.get("/agent").text
    web.cookies.clear()
    web.get("/lang/zh")
    sign_in(web, "boss")
    pages["/wallboard"] = web.get("/wallboard").text
    pages["/agent (forbidden)"] = web.get("/agent").text
    for path, html in pages.items():
        texts = visible(html)
        assert any(CJK.search(text) for text in texts), path
        assert [text for text in texts if text in english] == [], path


def test_the_package_data_ships_every_template_and_static_file() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["baiying"]
    files = [p for d in ("templates", "static") for p in (WEB / d).rglob("*") if p.is_file()]
    assert files
    for path in files:
        relative = path.relative_to(WEB.parent).as_posix()
        assert any(fnmatch(relative, pattern.replace("**/", "*")) for pattern in patterns), relative


def test_the_api_accepts_exactly_the_page_languages() -> None:
    assert get_args(PageLanguage) == LANGUAGES
