"""The web UI's one message catalogue: every string a page shows, in English and Chinese.

Templates call `t("key")`; the pages' scripts get the same catalogue as JSON and call `t("key")` too. A
key missing from a language cannot be written (each entry is an (English, Chinese) pair); a test checks
that every key the templates and scripts use is defined here.
"""

from collections.abc import Mapping
from typing import Final, Literal

Language = Literal["en", "zh"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "zh")
DEFAULT_LANGUAGE: Final[Language] = "en"

# key: (English, Chinese)
MESSAGES: Final[Mapping[str, tuple[str, str]]] = {
    # shell
    "app.name": ("Baiying", "百应"),
    "app.tagline": ("Contact center", "联络中心"),
    "nav.desktop": ("Agent desktop", "坐席工作台"),
    "nav.wallboard": ("Wallboard", "监控大屏"),
    "nav.api": ("API", "接口文档"),
    "nav.logout": ("Log out", "退出"),
    "lang.switch": ("Language", "语言"),
    "lang.en": ("English", "English"),
    "lang.zh": ("中文", "中文"),
    "conn.online": ("Connected", "已连接"),
    "conn.reconnecting": ("Reconnecting…", "正在重新连接…"),
    "conn.offline": ("Disconnected", "连接已断开"),
    "error.generic": ("Something went wrong: {message}", "出错了：{message}"),
    "error.forbidden.title": ("Not allowed", "无权访问"),
    "error.forbidden.agent": (
        "This page is for agents: your account is not linked to an agent.",
        "此页面仅供坐席使用：您的账号未关联坐席。",
    ),
    "error.forbidden.wallboard": (
        "The wallboard is for supervisors and administrators.",
        "监控大屏仅供主管和管理员使用。",
    ),
    "error.back": ("Back to the start", "返回首页"),
    "error.noscript": ("These pages need JavaScript.", "本页面需要启用 JavaScript。"),
    # login
    "login.title": ("Log in", "登录"),
    "login.login": ("Login", "账号"),
    "login.password": ("Password", "密码"),
    "login.submit": ("Log in", "登录"),
    "login.wrong": ("Wrong login or password.", "账号或密码错误。"),
    "login.throttled": (
        "Too many failed attempts: try again in {seconds} s.",
        "失败次数过多，请 {seconds} 秒后重试。",
    ),
    "login.failed": ("Could not log in: {message}", "无法登录：{message}"),
    # agent states
    "state.ready": ("Ready", "就绪"),
    "state.reserved": ("Ringing", "振铃中"),
    "state.busy": ("Busy", "通话中"),
    "state.wrap-up": ("Wrap-up", "话后整理"),
    "state.aux": ("Not ready", "小休"),
    "state.offline": ("Logged out", "已登出"),
    # aux reasons
    "aux.break": ("Break", "休息"),
    "aux.lunch": ("Lunch", "用餐"),
    "aux.meeting": ("Meeting", "会议"),
    "aux.training": ("Training", "培训"),
    "aux.coaching": ("Coaching", "辅导"),
    "aux.login": ("Just logged in", "刚登录"),
    "aux.missed": ("Missed an offer", "未接来电"),
    # agent desktop
    "desktop.title": ("Agent desktop", "坐席工作台"),
    "desktop.agent": ("Agent {agent}", "坐席 {agent}"),
    "desktop.state": ("State", "状态"),
    "desktop.since": ("for {duration}", "已持续 {duration}"),
    "desktop.login": ("Log in to the queues", "签入队列"),
    "desktop.ready": ("Ready", "就绪"),
    "desktop.aux": ("Not ready", "小休"),
    "desktop.aux.reason": ("Reason", "原因"),
    "desktop.logout": ("Log out of the queues", "签出队列"),
    "desktop.offer.title": ("Incoming contact", "新来电"),
    "desktop.offer.none": ("No contact offered. Go ready to receive one.", "暂无来电。设为就绪即可接听。"),
    "desktop.offer.accept": ("Accept", "接听"),
    "desktop.offer.reject": ("Reject", "拒接"),
    "desktop.offer.deadline": ("Answer within {seconds} s", "请在 {seconds} 秒内接听"),
    "desktop.offer.expired": ("The offer is about to be withdrawn", "来电即将转走"),
    "desktop.offer.withdrawn": (
        "Contact {contact} was withdrawn ({reason}).",
        "来电 {contact} 已撤回（{reason}）。",
    ),
    "withdrawn.rejected": ("rejected", "已拒接"),
    "withdrawn.missed": ("not answered in time", "超时未接"),
    "withdrawn.abandoned": ("the customer hung up", "客户已挂断"),
    "withdrawn.transferred": ("transferred", "已转接"),
    "withdrawn.routed-out": ("routed elsewhere", "已转出"),
    "withdrawn.withdrawn": ("withdrawn", "已撤回"),
    "pop.title": ("Contact", "客户信息"),
    "pop.none": ("No contact in hand.", "当前无接待中的客户。"),
    "pop.caller": ("Caller", "来电号码"),
    "pop.customer": ("Customer", "客户"),
    "pop.queue": ("Queue", "队列"),
    "pop.channel": ("Channel", "渠道"),
    "pop.language": ("Language", "语言"),
    "pop.intent": ("Intent", "意图"),
    "pop.tier": ("Tier", "客户等级"),
    "pop.region": ("Region", "地区"),
    "pop.site": ("Site", "站点"),
    "pop.priority": ("Priority", "优先级"),
    "pop.arrived": ("Arrived", "到达时间"),
    "pop.attributes": ("Details", "详细信息"),
    "pop.unknown": ("—", "—"),
    "pop.phase.reserved": ("Ringing", "振铃中"),
    "pop.phase.active": ("In progress", "接待中"),
    "pop.phase.wrap-up": ("Wrap-up", "话后整理"),
    "channel.voice": ("Voice", "语音"),
    "channel.chat": ("Chat", "在线聊天"),
    "channel.email": ("Email", "邮件"),
    "channel.sms": ("SMS", "短信"),
    "complete.title": ("Complete", "结束接待"),
    "complete.code": ("Wrap-up code", "小结代码"),
    "complete.code.none": ("(none)", "（无）"),
    "complete.notes": ("Notes", "备注"),
    "complete.submit": ("Complete", "结束"),
    "complete.end-wrap-up": ("Done with wrap-up", "完成话后整理"),
    "transfer.title": ("Transfer", "转接"),
    "transfer.queue": ("To queue", "转至队列"),
    "transfer.submit": ("Transfer", "转接"),
    # wallboard
    "board.title": ("Wallboard", "监控大屏"),
    "board.updated": ("Updated {time}", "更新于 {time}"),
    "board.total": ("All sites", "全部站点"),
    "board.sites": ("Sites", "站点"),
    "board.queues": ("Queues", "队列"),
    "board.site": ("Site {site}", "站点 {site}"),
    "board.queue": ("Queue {queue}", "队列 {queue}"),
    "board.waiting": ("Waiting", "排队中"),
    "board.longest": ("Longest wait", "最长等待"),
    "board.sl.today": ("SL today", "今日服务水平"),
    "board.sl.interval": ("SL this interval", "本时段服务水平"),
    "board.asa": ("ASA", "平均应答时间"),
    "board.abandoned": ("Abandoned", "放弃数"),
    "board.offered": ("Offered", "呼入量"),
    "board.agents": ("Agents", "坐席"),
    "board.none": ("No figures yet.", "暂无数据。"),
    "board.chart.title": ("Today, by interval", "今日分时段"),
    "board.chart.session": ("By interval, since this page opened", "分时段（自打开本页起）"),
    "board.chart.volume": ("Offered", "呼入量"),
    "board.chart.sl": ("Service level", "服务水平"),
    "sites.title": ("Sites", "站点"),
    "sites.name": ("Site", "站点"),
    "sites.status": ("Status", "状态"),
    "sites.evacuate": ("Evacuate", "疏散"),
    "sites.reopen": ("Reopen", "重新开放"),
    "sites.confirm.title": ("Evacuate site {site}?", "确认疏散站点 {site}？"),
    "sites.confirm.body": (
        "The site takes no more contacts and its waiting contacts move to the other sites now.",
        "该站点将不再接收新的来电，其排队中的来电会立即转移到其他站点。",
    ),
    "sites.confirm.yes": ("Evacuate now", "立即疏散"),
    "sites.confirm.no": ("Cancel", "取消"),
    "site.open": ("Open", "开放"),
    "site.draining": ("Draining", "排空中"),
    "site.evacuated": ("Evacuated", "已疏散"),
    "agents.title": ("Agents", "坐席"),
    "agents.agent": ("Agent", "坐席"),
    "agents.site": ("Site", "站点"),
    "agents.state": ("State", "状态"),
    "agents.time": ("Time in state", "状态时长"),
    "agents.force": ("Force state", "强制状态"),
    "agents.force.submit": ("Apply", "执行"),
    "agents.none": ("No agent logged in.", "暂无坐席签入。"),
}


def catalogue(language: Language) -> dict[str, str]:
    """Every message in one language."""
    index = LANGUAGES.index(language)
    return {key: pair[index] for key, pair in MESSAGES.items()}


def parse_language(value: str | None) -> Language | None:
    """The language named "en" or "zh" in a cookie or a query; None for anything else."""
    if value == "en":
        return "en"
    if value == "zh":
        return "zh"
    return None


def from_accept_language(header: str | None) -> Language:
    """The first of the browser's languages we speak (Chinese for any zh-*), else English."""
    if header:
        for part in header.split(","):
            tag = part.split(";")[0].strip().lower()
            if tag == "zh" or tag.startswith("zh-"):
                return "zh"
            if tag == "en" or tag.startswith("en-"):
                return "en"
    return DEFAULT_LANGUAGE
