"""A KPI report as one self-contained HTML page: headline figures, charts and tables.

`render_report` turns a `KpiReport` (a simulation run, or a stretch of the live log) into a single HTML
document. Chart.js (MIT, vendored in `static/`) and the page's own script and styles are inlined, and the
chart data travels as JSON inside the page, so the file opens offline and can be mailed or archived as is.
The page is rendered with Jinja2, autoescaped: titles, notes, facts, site and queue names are text, never
markup. Interval times are shown in the report's own time zone.
"""

import functools
import json
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from baiying.analytics import KpiReport, Kpis
from baiying.analytics.kpis import Tally
from baiying.analytics.timegrid import TimeGrid
from baiying.errors import DomainError
from baiying.events import SiteStatusChanged
from baiying.reports.labels import HTML_LANG, LANGUAGES, labels, status_label

NO_SITE = "-"  # the site of contacts that could not be attributed to one (see baiying.analytics)
DASH = "–"
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


class InvalidReportSettings(DomainError):
    code = "invalid-report-settings"


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One line of a simulated-vs-real table (e.g. one day): ratios in [0, 1], None when unknown."""

    label: str
    simulated_abandon_rate: float | None
    real_abandon_rate: float | None
    simulated_service_level: float | None
    real_service_level: float | None

    @classmethod
    def from_kpis(cls, label: str, simulated: Kpis, real: Kpis) -> "ComparisonRow":
        return cls(
            label,
            simulated.abandon_rate,
            real.abandon_rate,
            simulated.service_level,
            real.service_level,
        )


# -- the view model handed to the template -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    text: str
    numeric: bool = True


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    numeric: bool = True
    tone: str | None = None  # "good" / "bad": coloured against the service level target
    bar: float | None = None  # 0..1: a small bar drawn under the value
    heat: float | None = None  # 0..1: background intensity (overflow matrix)
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    footer: tuple[Cell, ...] | None = None


@dataclass(frozen=True, slots=True)
class Tile:
    label: str
    value: str
    detail: str = ""
    tone: str | None = None


@dataclass(frozen=True, slots=True)
class Drill:
    time: str
    site: str
    status: str
    previous: str
    tone: str  # the status itself, for the badge colour


def render_report(
    report: KpiReport,
    *,
    title: str,
    description: str | None = None,
    facts: Mapping[str, str] | None = None,
    drills: Sequence[SiteStatusChanged] | None = None,
    comparison: Sequence[ComparisonRow] | None = None,
    notes: Sequence[str] | None = None,
    language: str = "en",
    sl_target: float = 0.8,
    top_agents: int = 20,
) -> str:
    """The report as one self-contained HTML document (inline CSS, JS and chart data).

    `facts` are shown as given (e.g. scenario name, days, seed, replications); `drills` are site status
    changes, listed and marked on the interval charts; `comparison` rows become a simulated-vs-real table
    and charts; `notes` are short sentences shown near the top. `sl_target` (a ratio) draws the target
    line and colours service levels; `top_agents` bounds the occupancy table. `language` is "en" or "zh".
    """
    if language not in LANGUAGES:
        raise InvalidReportSettings(f"unsupported report language {language!r} (use one of {LANGUAGES})")
    if not 0.0 <= sl_target <= 1.0:
        raise InvalidReportSettings(f"sl_target is a ratio between 0 and 1, got {sl_target}")
    if top_agents < 1:
        raise InvalidReportSettings(f"top_agents must be at least 1, got {top_agents}")
    builder = _Builder(report, language, sl_target)
    context = builder.context(
        title=title,
        description=description,
        facts=dict(facts or {}),
        drills=sorted(drills or (), key=lambda change: change.at),
        comparison=list(comparison or ()),
        notes=list(notes or ()),
        top_agents=top_agents,
    )
    return _environment().get_template("report.html.j2").render(context)


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("baiying.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def _script(name: str) -> Markup:
    """A vendored or own script from `static/`, safe to inline in a <script> element."""
    text = (files("baiying.reports") / "static" / name).read_text(encoding="utf-8")
    text = _SOURCE_MAP.sub("", text).rstrip() + "\n"  # no source map to fetch: the page stays offline
    lowered = text.lower()
    if "</script" in lowered or "<!--" in lowered:
        raise RuntimeError(f"static/{name} cannot be inlined in a <script> element")
    return Markup(text)  # trusted package data, checked above


class _Builder:
    def __init__(self, report: KpiReport, language: str, sl_target: float) -> None:
        self.report = report
        self.language = language
        self.text = labels(language)
        self.sl_target = sl_target
        self.grid = TimeGrid(report.interval_seconds, report.timezone)

    # -- formatting -------------------------------------------------------------------------------------

    def seconds(self, value: float | None) -> str:
        """A duration: "23.4 s" under a minute, else m:ss (h:mm:ss from an hour)."""
        if value is None:
            return DASH
        if value < 59.95:
            return f"{value:.1f} {self.text['seconds_unit']}"
        whole = round(value)
        hours, rest = divmod(whole, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

    def hours(self, seconds: float) -> str:
        return f"{seconds / 3600:.1f} {self.text['hours_unit']}"

    def site(self, site_id: str) -> str:
        return self.text["no_site"] if site_id == NO_SITE else site_id

    def sl_tone(self, value: float | None) -> str | None:
        if value is None:
            return None
        return "good" if value >= self.sl_target - 1e-9 else "bad"

    def sl_cell(self, value: float | None) -> Cell:
        return Cell(_percent(value), tone=self.sl_tone(value))

    def period(self) -> str:
        first, last = self.report.first_at, self.report.last_at
        if first is None or last is None:
            return DASH
        start, end = self.grid.local(first), self.grid.local(last)
        if start.date() == end.date():
            return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"

    # -- the whole page ---------------------------------------------------------------------------------

    def context(
        self,
        *,
        title: str,
        description: str | None,
        facts: dict[str, str],
        drills: list[SiteStatusChanged],
        comparison: list[ComparisonRow],
        notes: list[str],
        top_agents: int,
    ) -> dict[str, Any]:
        report, text = self.report, self.text
        sl = f"{report.sl_seconds:g}"
        definitions = [
            text["definition_sl"].format(sl=sl),
            text["definition_abandon"],
            text["definition_asa"],
            text["definition_aht"],
            text["definition_occupancy"],
            text["definition_attribution"],
        ]
        if report.ignored_events:
            definitions.append(text["ignored_events"].format(count=report.ignored_events))
        agent_table, agents_shown = self.agents(top_agents)
        minutes = text["interval_minutes"].format(minutes=report.interval_seconds // 60)
        return {
            "t": text,
            "html_lang": HTML_LANG[self.language],
            "title": title,
            "description": description,
            "meta": [
                (text["period"], self.period()),
                (text["time_zone"], report.timezone),
                (text["interval_length"], minutes),
                (text["sl_threshold"], f"{sl} {text['seconds_unit']}"),
                (text["sl_target"], _percent(self.sl_target, digits=0)),
            ],
            "tiles": self.tiles(),
            "interval_note": f"{minutes} · {report.timezone}",
            "facts": list(facts.items()),
            "context_columns": max(1, sum(1 for part in (facts, notes, drills) if part)),
            "notes": notes,
            "drills": [self.drill(change) for change in drills],
            "has_days": len(report.days) > 1,
            "days": self.days(),
            "comparison": self.comparison(comparison) if comparison else None,
            "sites": self.sites(),
            "overflows": self.overflows(),
            "queues": self.queues(),
            "agents": agent_table,
            "agents_shown": agents_shown,
            "definitions": definitions,
            "data": self.chart_data(drills, comparison),
            "chart_js": _script("chart.umd.min.js"),
            "report_js": _script("report.js"),
        }

    def tiles(self) -> list[Tile]:
        total, text = self.report.total, self.text
        short = text["short_abandons"].format(
            count=total.short_abandoned, seconds=f"{self.report.short_abandon_seconds:g}"
        )
        target = text["target_value"].format(target=_percent(self.sl_target, digits=0))
        within = text["within_seconds"].format(sl=f"{self.report.sl_seconds:g}")
        answered_share = total.answered / total.offered if total.offered else None
        return [
            Tile(text["offered"], f"{total.offered:,}"),
            Tile(
                text["answered"],
                f"{total.answered:,}",
                text["of_offered"].format(rate=_percent(answered_share)),
            ),
            Tile(text["abandoned"], f"{total.abandoned:,}", short),
            Tile(
                text["service_level"],
                _percent(total.service_level),
                f"{target} · {within}",
                self.sl_tone(total.service_level),
            ),
            Tile(text["abandon_rate"], _percent(total.abandon_rate)),
            Tile(text["asa"], self.seconds(total.asa_seconds)),
            Tile(text["aht"], self.seconds(total.aht_seconds)),
            Tile(text["occupancy"], _percent(total.occupancy)),
            Tile(text["longest_wait"], self.seconds(total.longest_wait_seconds)),
            Tile(text["overflows"], f"{total.overflows:,}"),
        ]

    def drill(self, change: SiteStatusChanged) -> Drill:
        moment = self.grid.local(change.at)
        days = self.report.days
        same_day = len(days) == 1 and days[0].day == moment.date()  # the period chip shows the date
        return Drill(
            time=f"{moment:%H:%M}" if same_day else f"{moment:%Y-%m-%d %H:%M}",
            site=self.site(change.site_id),
            status=status_label(self.language, change.status),
            previous=status_label(self.language, change.previous),
            tone=change.status,
        )

    # -- tables -----------------------------------------------------------------------------------------

    def kpi_cells(self, kpis: Kpis, *, occupancy: bool = True, overflows: bool = False) -> list[Cell]:
        cells = [
            Cell(f"{kpis.offered:,}"),
            Cell(f"{kpis.answered:,}"),
            Cell(f"{kpis.abandoned:,}"),
            self.sl_cell(kpis.service_level),
            Cell(_percent(kpis.abandon_rate)),
            Cell(self.seconds(kpis.asa_seconds)),
            Cell(self.seconds(kpis.aht_seconds)),
            Cell(self.seconds(kpis.longest_wait_seconds)),
        ]
        if occupancy:
            cells.append(Cell(_percent(kpis.occupancy)))
        if overflows:
            cells.append(Cell(f"{kpis.overflows:,}"))
        return cells

    def kpi_columns(self, first: str, *, occupancy: bool = True, overflows: bool = False) -> list[Column]:
        text = self.text
        columns = [
            Column(first, numeric=False),
            Column(text["offered"]),
            Column(text["answered"]),
            Column(text["abandoned"]),
            Column(text["service_level"]),
            Column(text["abandon_rate"]),
            Column(text["asa_short"]),
            Column(text["aht_short"]),
            Column(text["longest_wait"]),
        ]
        if occupancy:
            columns.append(Column(text["occupancy"]))
        if overflows:
            columns.append(Column(text["overflows"]))
        return columns

    def total_row(self, *, occupancy: bool = True, overflows: bool = False) -> tuple[Cell, ...]:
        cells = self.kpi_cells(self.report.total, occupancy=occupancy, overflows=overflows)
        return (Cell(self.text["total"], numeric=False, strong=True), *cells)

    def days(self) -> Table:
        rows = tuple(
            (Cell(row.day.isoformat(), numeric=False), *self.kpi_cells(row.kpis)) for row in self.report.days
        )
        return Table(tuple(self.kpi_columns(self.text["day"])), rows, self.total_row())

    def sites(self) -> Table:
        rows = tuple(
            (
                Cell(self.site(row.site_id), numeric=False, strong=True),
                *self.kpi_cells(row.kpis, overflows=True),
            )
            for row in self.report.sites
        )
        columns = self.kpi_columns(self.text["site"], overflows=True)
        return Table(tuple(columns), rows, self.total_row(overflows=True))

    def queues(self) -> Table:
        rows = tuple(
            (
                Cell(row.queue_id, numeric=False, strong=True),
                *self.kpi_cells(row.kpis, occupancy=False, overflows=True),
            )
            for row in self.report.queues
        )
        columns = self.kpi_columns(self.text["queue"], occupancy=False, overflows=True)
        return Table(tuple(columns), rows, self.total_row(occupancy=False, overflows=True))

    def overflows(self) -> Table | None:
        flows = self.report.overflow_flows
        if not flows:
            return None
        sources = sorted({flow.from_site_id for flow in flows})
        targets = sorted({flow.to_site_id for flow in flows})
        counts = {(flow.from_site_id, flow.to_site_id): flow.count for flow in flows}
        peak = max(flow.count for flow in flows)
        rows = []
        for source in sources:
            cells = [Cell(self.site(source), numeric=False, strong=True)]
            for target in targets:
                count = counts.get((source, target), 0)
                cells.append(Cell(f"{count:,}" if count else DASH, heat=count / peak if count else None))
            cells.append(Cell(f"{sum(counts.get((source, t), 0) for t in targets):,}", strong=True))
            rows.append(tuple(cells))
        arrow = f"{self.text['from_site']} ↓ / {self.text['to_site']} →"
        columns = (
            Column(arrow, numeric=False),
            *(Column(self.site(target)) for target in targets),
            Column(self.text["total"]),
        )
        footer = (
            Cell(self.text["total"], numeric=False, strong=True),
            *(
                Cell(f"{sum(counts.get((s, target), 0) for s in sources):,}", strong=True)
                for target in targets
            ),
            Cell(f"{sum(counts.values()):,}", strong=True),
        )
        return Table(columns, tuple(rows), footer)

    def agents(self, top: int) -> tuple[Table | None, str]:
        agents = self.report.agents
        if not agents:
            return None, self.text["no_agents"]
        ranked = sorted(
            agents,
            key=lambda row: (row.occupancy is None, -(row.occupancy or 0.0), -row.handled, row.agent_id),
        )[:top]
        text = self.text
        columns = (
            Column(text["agent"], numeric=False),
            Column(text["site"], numeric=False),
            Column(text["answered"]),
            Column(text["handled"]),
            Column(text["aht_short"]),
            Column(text["staffed"]),
            Column(text["occupancy"]),
        )
        rows = tuple(
            (
                Cell(row.agent_id, numeric=False, strong=True),
                Cell(self.site(row.site_id), numeric=False),
                Cell(f"{row.answered:,}"),
                Cell(f"{row.handled:,}"),
                Cell(self.seconds(row.aht_seconds)),
                Cell(self.hours(row.staffed_seconds)),
                Cell(_percent(row.occupancy), bar=row.occupancy),
            )
            for row in ranked
        )
        key = "agents_all" if len(ranked) == len(agents) else "agents_shown"
        shown = text[key].format(shown=len(ranked), total=len(agents))
        return Table(columns, rows), shown

    def comparison(self, rows: list[ComparisonRow]) -> Table:
        text = self.text
        sim, real, diff = text["simulated"], text["real"], text["difference"]
        columns = (
            Column("", numeric=False),
            Column(f"{text['abandon_rate']} · {sim}"),
            Column(f"{text['abandon_rate']} · {real}"),
            Column(diff),
            Column(f"{text['service_level']} · {sim}"),
            Column(f"{text['service_level']} · {real}"),
            Column(diff),
        )
        body = tuple(
            (
                Cell(row.label, numeric=False, strong=True),
                Cell(_percent(row.simulated_abandon_rate)),
                Cell(_percent(row.real_abandon_rate)),
                Cell(self.points(row.simulated_abandon_rate, row.real_abandon_rate)),
                self.sl_cell(row.simulated_service_level),
                self.sl_cell(row.real_service_level),
                Cell(self.points(row.simulated_service_level, row.real_service_level)),
            )
            for row in rows
        )
        return Table(columns, body)

    def points(self, simulated: float | None, real: float | None) -> str:
        if simulated is None or real is None:
            return DASH
        return f"{(simulated - real) * 100:+.1f} {self.text['points_unit']}"

    # -- chart data -------------------------------------------------------------------------------------

    def chart_data(self, drills: list[SiteStatusChanged], comparison: list[ComparisonRow]) -> dict[str, Any]:
        report, text = self.report, self.text
        keys = [
            "offered",
            "answered",
            "abandoned",
            "other_outcome",
            "service_level",
            "abandon_rate",
            "occupancy",
            "asa",
            "sl_target",
            "seconds_unit",
            "simulated",
            "real",
        ]
        data: dict[str, Any] = {
            "text": {key: text[key] for key in keys},
            "slTarget": round(self.sl_target * 100, 2),
            "intervals": self.interval_series(drills),
            "days": None,
            "sites": {
                "labels": [self.site(row.site_id) for row in report.sites],
                "offered": [row.kpis.offered for row in report.sites],
                "serviceLevel": [_pct_value(row.kpis.service_level) for row in report.sites],
                "asa": [_round(row.kpis.asa_seconds) for row in report.sites],
            },
            "comparison": None,
        }
        if len(report.days) > 1:
            day_kpis = [row.kpis for row in report.days]
            data["days"] = {
                "labels": [row.day.isoformat() for row in report.days],
                **_volume(day_kpis),
                "serviceLevel": [_pct_value(kpis.service_level) for kpis in day_kpis],
                "abandonRate": [_pct_value(kpis.abandon_rate) for kpis in day_kpis],
            }
        if comparison:
            data["comparison"] = {
                "labels": [row.label for row in comparison],
                "simulatedAbandon": [_pct_value(row.simulated_abandon_rate) for row in comparison],
                "realAbandon": [_pct_value(row.real_abandon_rate) for row in comparison],
                "simulatedSl": [_pct_value(row.simulated_service_level) for row in comparison],
                "realSl": [_pct_value(row.real_service_level) for row in comparison],
            }
        return data

    def interval_series(self, drills: list[SiteStatusChanged]) -> dict[str, Any]:
        """Per-interval series; quiet intervals inside a day are filled in so the time axis stays even."""
        step = self.report.interval_seconds
        by_start = {row.start.timestamp(): row.kpis for row in self.report.intervals}
        days: dict[date, list[float]] = defaultdict(list)
        for start in sorted(by_start):
            days[self.grid.day(start)].append(start)
        starts: list[float] = []
        for in_day in days.values():  # in time order
            start = in_day[0]
            while start <= in_day[-1]:
                starts.append(start)
                start += step
        locals_ = [self.grid.local(start) for start in starts]
        several_days = len({moment.date() for moment in locals_}) > 1
        rows: list[Kpis | None] = [by_start.get(start) for start in starts]
        kpis = [row if row is not None else _EMPTY for row in rows]
        markers = []
        for change in drills:
            index = bisect_right(starts, change.at) - 1
            if index >= 0 and change.at < starts[index] + step:
                status = status_label(self.language, change.status)
                label = f"{self.grid.local(change.at):%H:%M} {self.site(change.site_id)}: {status}"
                markers.append({"index": index, "text": label, "status": change.status})
        return {
            "labels": [_axis_label(moment, several_days) for moment in locals_],
            "starts": [moment.isoformat() for moment in locals_],
            **_volume(kpis),
            "serviceLevel": [_pct_value(row.service_level) for row in kpis],
            "abandonRate": [_pct_value(row.abandon_rate) for row in kpis],
            "occupancy": [_pct_value(row.occupancy) for row in kpis],
            "asa": [_round(row.asa_seconds) for row in kpis],
            "markers": markers,
        }


_EMPTY = Tally().freeze()  # a quiet interval: nothing offered, nothing measured


def _volume(rows: Sequence[Kpis]) -> dict[str, list[int]]:
    return {
        "offered": [row.offered for row in rows],
        "answered": [row.answered for row in rows],
        "abandoned": [row.abandoned for row in rows],
        "other": [row.routed_out + row.waiting_at_end for row in rows],
    }


def _axis_label(moment: datetime, with_date: bool) -> str:
    return f"{moment:%m-%d %H:%M}" if with_date else f"{moment:%H:%M}"


def _percent(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def _pct_value(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def chart_data_json(html: str) -> Any:
    """The chart data embedded in a rendered report (for tests and tools that post-process reports)."""
    match = re.search(r'<script type="application/json" id="baiying-report-data">(.*?)</script>', html, re.S)
    if match is None:
        raise ValueError("no Baiying report data in this document")
    return json.loads(match.group(1))
