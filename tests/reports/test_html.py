"""The HTML KPI report: chart data, tables, languages, escaping, self-containment, and a real browser."""

import random
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from baiying.analytics import KpiReport, compute_kpis
from baiying.events import (
    AgentStateChanged,
    ContactAbandoned,
    ContactAnswered,
    ContactArrived,
    ContactCompleted,
    ContactOverflowed,
    ContactQueued,
    Event,
    SiteStatusChanged,
    WrapUpEnded,
)
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.reports import ComparisonRow, InvalidReportSettings, chart_data_json, render_report
from baiying.reports.labels import LABELS

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 3, 4, 9, 0, tzinfo=SHANGHAI).timestamp()  # Monday 09:00 in Guangzhou


def at(minutes: float) -> float:
    return T0 + minutes * 60


def small_log() -> list[Event]:
    """Two 15-minute intervals, two sites, one overflow, one abandon; every figure is easy to check."""
    billing, gz, cd = QueueId("billing"), SiteId("guangzhou"), SiteId("chengdu")
    return [
        AgentStateChanged(at(0), AgentId("li-na"), gz, "ready", "offline"),
        AgentStateChanged(at(0), AgentId("zhou-min"), cd, "ready", "offline"),
        ContactArrived(at(1), ContactId("c1"), billing, "voice", gz),
        ContactAnswered(at(1.25), ContactId("c1"), billing, AgentId("li-na"), gz, 15),
        AgentStateChanged(at(1.25), AgentId("li-na"), gz, "busy", "ready"),
        ContactArrived(at(2), ContactId("c2"), billing, "voice", gz),
        ContactQueued(at(2), ContactId("c2"), billing, (gz,), "first"),
        ContactOverflowed(at(2.5), ContactId("c2"), billing, gz, cd, "wider"),
        ContactAnswered(at(3), ContactId("c2"), billing, AgentId("zhou-min"), cd, 60),
        AgentStateChanged(at(3), AgentId("zhou-min"), cd, "busy", "ready"),
        ContactArrived(at(4), ContactId("c3"), QueueId("tech"), "voice", gz),
        ContactAbandoned(at(4.5), ContactId("c3"), QueueId("tech"), gz, 30),
        ContactCompleted(at(6.25), ContactId("c1"), billing, AgentId("li-na"), gz, 300),
        AgentStateChanged(at(6.25), AgentId("li-na"), gz, "wrap-up", "busy"),
        WrapUpEnded(at(7.25), ContactId("c1"), billing, AgentId("li-na"), gz, 60),
        AgentStateChanged(at(7.25), AgentId("li-na"), gz, "ready", "wrap-up"),
        ContactCompleted(at(8), ContactId("c2"), billing, AgentId("zhou-min"), cd, 300),
        AgentStateChanged(at(8), AgentId("zhou-min"), cd, "ready", "busy"),
        ContactArrived(at(16), ContactId("c4"), billing, "voice", cd),
        ContactAnswered(at(16.1), ContactId("c4"), billing, AgentId("zhou-min"), cd, 6),
        AgentStateChanged(at(16.1), AgentId("zhou-min"), cd, "busy", "ready"),
        ContactCompleted(at(20), ContactId("c4"), billing, AgentId("zhou-min"), cd, 234),
        AgentStateChanged(at(20), AgentId("zhou-min"), cd, "ready", "busy"),
        AgentStateChanged(at(29), AgentId("li-na"), gz, "offline", "ready"),
        AgentStateChanged(at(29), AgentId("zhou-min"), cd, "offline", "ready"),
    ]


def small_report() -> KpiReport:
    return compute_kpis(small_log(), interval_seconds=900, sl_seconds=20, timezone="Asia/Shanghai")


def busy_day(seed: int = 7) -> tuple[list[Event], list[SiteStatusChanged]]:
    """A morning at two sites with a peak and an evacuation drill at Chengdu (11:00-12:00).

    Each site serves its own contacts first come, first served; while Chengdu is evacuated its contacts
    overflow to Guangzhou and its agents are offline. Deterministic for a given seed.
    """
    rng = random.Random(seed)
    sites = {SiteId("guangzhou"): 7, SiteId("chengdu"): 5}
    free_at: dict[AgentId, float] = {}
    agent_site: dict[AgentId, SiteId] = {}
    events: list[Event] = []
    for site, count in sites.items():
        for n in range(count):
            agent = AgentId(f"{site[:2]}-{n + 1:02d}")
            free_at[agent] = at(0)
            agent_site[agent] = site
            events.append(AgentStateChanged(at(0), agent, site, "ready", "offline"))
    drill_start, drill_end = at(120), at(180)
    drills = [
        SiteStatusChanged(drill_start, SiteId("chengdu"), "evacuated", "open"),
        SiteStatusChanged(drill_end, SiteId("chengdu"), "open", "evacuated"),
    ]
    events.extend(drills)
    for agent, site in agent_site.items():
        if site == "chengdu":
            events.append(AgentStateChanged(drill_start, agent, site, "offline", "ready"))
            events.append(AgentStateChanged(drill_end, agent, site, "ready", "offline"))
    clock, number = at(0), 0
    while clock < at(240):
        minute = (clock - T0) / 60
        per_minute = 2.2 + 1.6 * max(0.0, 1 - abs(minute - 95) / 60)  # a peak around 10:35
        clock += rng.expovariate(per_minute / 60)
        if clock >= at(240):
            break
        number += 1
        contact, queue = ContactId(f"c{number}"), QueueId(rng.choice(["billing", "billing", "tech"]))
        home = SiteId("guangzhou" if rng.random() < 0.55 else "chengdu")
        site = home
        events.append(ContactArrived(clock, contact, queue, "voice", home))
        events.append(ContactQueued(clock, contact, queue, (home,), "first"))
        if home == "chengdu" and drill_start <= clock < drill_end:
            site = SiteId("guangzhou")
            events.append(ContactOverflowed(clock, contact, queue, home, site, "site evacuated"))
        agent = min((a for a in free_at if agent_site[a] == site), key=lambda a: free_at[a])
        start = max(clock, free_at[agent])
        if site == "chengdu" and drill_start <= start < drill_end:
            start = drill_end  # nobody answers at an evacuated site
        patience = rng.expovariate(1 / 150)
        if start - clock > patience:
            events.append(ContactAbandoned(clock + patience, contact, queue, site, patience))
            continue
        talk, wrap = rng.lognormvariate(5.3, 0.45), rng.uniform(15, 45)
        events.append(ContactAnswered(start, contact, queue, agent, site, start - clock))
        events.append(AgentStateChanged(start, agent, site, "busy", "ready"))
        events.append(ContactCompleted(start + talk, contact, queue, agent, site, talk))
        events.append(AgentStateChanged(start + talk, agent, site, "wrap-up", "busy"))
        events.append(WrapUpEnded(start + talk + wrap, contact, queue, agent, site, wrap))
        events.append(AgentStateChanged(start + talk + wrap, agent, site, "ready", "wrap-up"))
        free_at[agent] = start + talk + wrap
    events.sort(key=lambda event: event.at)
    return events, drills


def busy_report_html(language: str = "en") -> str:
    events, drills = busy_day()
    report = compute_kpis(events, interval_seconds=900, sl_seconds=20, timezone="Asia/Shanghai")
    by_day = report.days[0].kpis
    return render_report(
        report,
        title="Guangzhou + Chengdu, Monday morning (simulated)",
        description="Two sites, one national number; Chengdu runs an evacuation drill at 11:00.",
        facts={"Scenario": "two-sites-drill", "Days": "1", "Seed": "7", "Replications": "1"},
        drills=drills,
        comparison=[
            ComparisonRow.from_kpis("2024-03-04", by_day, by_day),
            ComparisonRow("2024-03-05", 0.061, 0.074, 0.81, 0.77),
        ],
        notes=["Evacuation drill: 0 contacts lost; Chengdu's calls overflowed to Guangzhou."],
        language=language,
    )


# -- content ------------------------------------------------------------------------------------------


def test_the_chart_data_carries_the_per_interval_figures_in_local_time() -> None:
    report = small_report()

    html = render_report(report, title="Small day")
    data = chart_data_json(html)

    series = data["intervals"]
    assert series["labels"] == ["09:00", "09:15"]
    assert series["starts"] == ["2024-03-04T09:00:00+08:00", "2024-03-04T09:15:00+08:00"]
    assert series["offered"] == [row.kpis.offered for row in report.intervals] == [3, 1]
    assert series["answered"] == [2, 1]
    assert series["abandoned"] == [1, 0]
    assert series["serviceLevel"] == [pytest.approx(100 / 3, abs=0.01), 100.0]
    assert series["abandonRate"] == [pytest.approx(100 / 3, abs=0.01), 0.0]
    assert series["asa"] == [37.5, 6.0]
    assert data["slTarget"] == 80.0
    assert data["sites"]["labels"] == ["chengdu", "guangzhou"]
    assert data["sites"]["offered"] == [2, 2]
    assert data["days"] is None  # one day: the per-day chart is left out
    assert data["comparison"] is None


def test_quiet_intervals_inside_a_day_are_filled_so_the_time_axis_stays_even() -> None:
    billing, gz = QueueId("billing"), SiteId("guangzhou")
    events: list[Event] = [
        ContactArrived(at(1), ContactId("c1"), billing, "voice", gz),
        ContactAnswered(at(1.1), ContactId("c1"), billing, AgentId("li-na"), gz, 6),
        ContactArrived(at(50), ContactId("c2"), billing, "voice", gz),
        ContactAbandoned(at(51), ContactId("c2"), billing, gz, 60),
    ]
    report = compute_kpis(events, interval_seconds=900)

    series = chart_data_json(render_report(report, title="Gaps"))["intervals"]

    assert len(report.intervals) == 2
    assert series["labels"] == ["09:00", "09:15", "09:30", "09:45"]
    assert series["offered"] == [1, 0, 0, 1]
    assert series["serviceLevel"] == [100.0, None, None, 0.0]


def test_tables_show_queues_sites_overflows_and_agents() -> None:
    html = render_report(small_report(), title="Small day")

    queues = _section(html, "queues")
    assert ">billing<" in queues
    assert ">tech<" in queues
    sites = _section(html, "sites")
    assert ">chengdu<" in sites
    assert ">guangzhou<" in sites
    overflows = _section(html, "overflows")
    assert "From site" in overflows
    assert re.search(r"<td class=\"num\"[^>]*>1</td>", overflows)  # guangzhou -> chengdu, once
    agents = _section(html, "agents")
    assert agents.index("zhou-min") < agents.index("li-na")  # the more occupied agent comes first
    assert "All 2 agents, the most occupied first." in agents
    top = _section(render_report(small_report(), title="Small day", top_agents=1), "agents")
    assert "The 1 most occupied of 2 agents." in top
    assert "li-na" not in top


def test_the_total_service_level_is_the_headline_figure() -> None:
    report = small_report()
    assert report.total.service_level == pytest.approx(0.5)  # c1 (15 s) and c4 (6 s) of 4 offered

    html = render_report(report, title="Small day", sl_target=0.8)

    summary = _section(html, "summary")
    assert "75.0% of offered" in summary  # 3 of 4 answered
    assert "50.0%" in summary
    assert "tone-bad" in summary  # below the 80 % target


def test_facts_notes_drills_and_comparison_are_shown() -> None:
    html = busy_report_html()
    data = chart_data_json(html)

    assert "two-sites-drill" in html
    assert "Replications" in html
    assert "Evacuation drill: 0 contacts lost" in html
    drills = _section(html, "drills")
    assert '<td class="txt">11:00</td>' in drills  # one day: the date is in the period above
    assert 'open →</span> <span class="status evacuated">evacuated</span>' in drills
    assert [marker["index"] for marker in data["intervals"]["markers"]] == [8, 12]  # 11:00 and 12:00
    assert data["intervals"]["labels"][8] == "11:00"
    assert data["comparison"]["labels"] == ["2024-03-04", "2024-03-05"]
    assert data["comparison"]["realAbandon"][1] == 7.4
    comparison = _section(html, "comparison")
    assert "-1.3 pts" in comparison  # 6.1 % simulated vs 7.4 % real
    assert "+4.0 pts" in comparison


def test_chinese_labels() -> None:
    html = busy_report_html(language="zh")
    data = chart_data_json(html)

    assert '<html lang="zh-CN">' in html
    for label in ("服务水平", "平均应答时间", "放弃率", "呼入量", "站点间溢出", "坐席占用率", "已疏散"):
        assert label in html
    assert data["text"]["offered"] == "呼入量"
    assert data["text"]["service_level"] == "服务水平"
    assert "Abandonment rate" not in html


def test_both_languages_have_the_same_labels() -> None:
    assert set(LABELS["en"]) == set(LABELS["zh"])


def test_a_malicious_title_and_names_are_escaped() -> None:
    billing = QueueId("<b>billing</b>")
    events: list[Event] = [
        ContactArrived(
            at(1), ContactId("c1"), billing, "voice", SiteId("</script><script>alert(2)</script>")
        ),
        ContactAbandoned(at(2), ContactId("c1"), billing, SiteId("</script><script>alert(2)</script>"), 60),
    ]
    report = compute_kpis(events)

    html = render_report(
        report,
        title="<script>alert(1)</script>",
        description='"><img src=x onerror=alert(3)>',
        facts={"<i>k</i>": "<u>v</u>"},
        notes=["<script>alert(4)</script>"],
    )

    assert "<script>alert" not in html
    assert "<img" not in html
    assert "<b>billing" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>&lt;script&gt;" in html
    assert "&lt;i&gt;k&lt;/i&gt;" in html
    assert chart_data_json(html)["sites"]["labels"] == ["</script><script>alert(2)</script>"]
    # Exactly three script elements: the JSON data, Chart.js and the page's script.
    assert html.count("<script") == 3
    assert html.count("</script>") == 3


def test_the_page_is_self_contained() -> None:
    html = busy_report_html()

    assert re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE) is None
    assert re.search(r"<link\b", html, re.IGNORECASE) is None
    assert re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", html, re.IGNORECASE) is None
    assert "sourceMappingURL" not in html
    assert "Chart.js v4" in html  # inlined, with its MIT license header kept
    assert "Released under the MIT License" in html


def test_rendering_is_deterministic() -> None:
    assert busy_report_html() == busy_report_html()


def test_invalid_settings_are_refused() -> None:
    report = small_report()
    with pytest.raises(InvalidReportSettings, match="unsupported report language 'fr'"):
        render_report(report, title="x", language="fr")
    with pytest.raises(InvalidReportSettings, match="sl_target is a ratio"):
        render_report(report, title="x", sl_target=80)
    with pytest.raises(InvalidReportSettings, match="top_agents must be at least 1"):
        render_report(report, title="x", top_agents=0)


def test_an_empty_report_still_renders() -> None:
    html = render_report(compute_kpis([]), title="Nothing yet")

    assert "No contact overflowed between sites." in html
    assert "No agent time in this report." in html
    assert chart_data_json(html)["intervals"]["offered"] == []


# -- in a real browser --------------------------------------------------------------------------------


def test_screenshot_in_headless_chromium(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip(
            "chromium is not installed: the report is not rendered in a browser here (CI installs it)"
        )
    page = tmp_path / "report.html"
    page.write_text(busy_report_html(), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    for name, height in (("report.png", 900), ("report-full.png", 4200)):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--virtual-time-budget=5000",
                f"--user-data-dir={tmp_path / 'profile'}",
                f"--screenshot={shot}",
                f"--window-size=1366,{height}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        assert shot.stat().st_size > 20_000  # a blank page compresses to a few kB


def _section(html: str, section_id: str) -> str:
    """The markup of the element with id `section_id` up to the next section."""
    start = html.index(f'id="{section_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]
