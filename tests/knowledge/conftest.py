"""Knowledge-base fixtures: a small corpus of Chinese and English articles, stored through the repository
on SQLite and PostgreSQL (the suite's `db_url` fixture)."""

from baiying.knowledge.model import Content, Visibility

T0 = 1_795_000_000.0

# id, title, body, category, tags, visibility
CORPUS = [
    (
        "broadband-down",
        "宽带无法上网怎么办",
        "宽带无法上网时，请先检查光猫指示灯：LOS 灯红色闪烁表示光纤线路故障，请报修；PON 灯熄灭请重启光猫。",
        "broadband",
        ("broadband",),
        Visibility.PUBLIC,
    ),
    (
        "fibre-install",
        "光纤宽带安装预约",
        "新装宽带需要预约上门安装，工程师会在两个工作日内联系您。",
        "broadband",
        ("broadband",),
        Visibility.PUBLIC,
    ),
    (
        "outage-escalation",
        "区域性网络故障升级流程",
        "同一小区三位以上客户报告故障时，坐席应在工单中标记区域故障并升级到网络运维组。",
        "broadband",
        ("escalation",),
        Visibility.AGENT,
    ),
    (
        "plan-change",
        "手机套餐变更",
        "套餐变更次月生效，可通过营业厅或客服热线办理。",
        "mobile",
        (),
        Visibility.PUBLIC,
    ),
    (
        "router-reset",
        "How to reset your router",
        "Hold the reset button for ten seconds. The router restarts with its factory settings; "
        "reconnect to the default Wi-Fi network printed on the label.",
        "broadband",
        ("broadband",),
        Visibility.PUBLIC,
    ),
    (
        "refund-policy",
        "Refund policy for agents",
        "Agents may refund up to 100 yuan without approval; larger refunds need a supervisor.",
        None,
        ("escalation",),
        Visibility.AGENT,
    ),
]

CATEGORIES = [("broadband", "宽带 Broadband"), ("mobile", "手机 Mobile")]
TAGS = [("broadband", "宽带"), ("escalation", "升级 escalation")]


def content(index: int) -> Content:
    _, title, body, category, tags, visibility = CORPUS[index]
    return Content(title, body, category, tags, visibility)


# The API tests' world (tenants acme and globex, users wang/admin, chen and zhou/supervisors, lina/agent,
# smith/globex admin) and app, reused as they are.
from tests.api.conftest import app, client, clock, settings, world  # noqa: E402, F401
