"""The demo data set's knowledge base: a few articles in Chinese and English, as the Markdown files an
editor would import (`baiying kb import --demo`, or `demo_articles()` for a seeding script)."""

from typing import Final

from baiying.knowledge.documents import ArticleFile, check_unique, parse_markdown

DEMO_ARTICLES: Final[dict[str, str]] = {
    "broadband-down.md": """---
category: broadband
tags: [broadband, fault]
visibility: public
---
# 宽带无法上网怎么办

1. 查看光猫指示灯：PON 灯熄灭或 LOS 灯红色闪烁，说明光纤线路故障，请报修。
2. 指示灯正常时，重启光猫和路由器（断电 30 秒后再通电）。
3. 仍然无法上网：请拨打客服热线，我们会在 24 小时内安排工程师上门。
""",
    "outage-escalation.md": """---
category: broadband
tags: [fault, escalation]
visibility: agent
---
# 区域性网络故障升级流程（坐席专用）

同一小区 30 分钟内有三位以上客户报告宽带故障时，视为区域性故障：
在工单中标记"区域故障"，升级到网络运维组，并告知客户预计恢复时间，不要逐一派单。
""",
    "plan-change.md": """---
category: mobile
tags: [plan]
visibility: public
---
# 手机套餐变更说明

套餐变更次月 1 日生效，当月仍按原套餐计费。可通过营业厅、客服热线或手机 APP 办理；
合约期内的套餐只能升档，不能降档。
""",
    "aircon-not-cooling.md": """---
category: appliances
tags: [repair]
visibility: public
---
# 空调不制冷的处理方法

先确认遥控器设为制冷模式、温度低于室温；清洗滤网；检查外机是否运转。
外机不转或显示故障代码（如 E1、F3），请预约上门维修，保修期内免费。
""",
    "router-reset.md": """---
category: broadband
tags: [broadband]
visibility: public
---
# How to reset your router

Hold the reset button on the back of the router for ten seconds, until the lights flash. The router
restarts with its factory settings: reconnect to the Wi-Fi network and password printed on its label.
""",
    "refund-policy.md": """---
category: billing
tags: [refund, escalation]
visibility: agent
---
# Refund policy for agents

Agents may refund up to 100 yuan per customer per month without approval. Larger refunds, and any
refund for a customer with an open complaint, need a supervisor's approval in the ticket.
""",
}


def demo_articles() -> list[ArticleFile]:
    """The demo articles, parsed as `baiying kb import` parses files (all published)."""
    articles = [
        parse_markdown(text, f"demo/{name}", name.removesuffix(".md")) for name, text in DEMO_ARTICLES.items()
    ]
    check_unique(articles)
    return articles
