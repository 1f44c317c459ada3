"""Reports for people: a KPI report (a simulation run or a stretch of the live log) as one self-contained
HTML page with charts, in English or Chinese.

    html = render_report(compute_kpis(events), title="Guangzhou + Chengdu, Monday", language="zh")
"""

from baiying.reports.html import ComparisonRow, InvalidReportSettings, chart_data_json, render_report
from baiying.reports.labels import LANGUAGES, labels

__all__ = [
    "LANGUAGES",
    "ComparisonRow",
    "InvalidReportSettings",
    "chart_data_json",
    "labels",
    "render_report",
]
