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
    "pop.tabs": ("Contacts in hand", "接待中的联系"),
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
    # customer 360 (customer360.js)
    "c360.title": ("Customer", "客户"),
    "c360.error": ("Could not load the customer: {message}", "无法加载客户信息：{message}"),
    "c360.new": ("New customer", "新客户"),
    "c360.new.detail": ("No customer on record for {value}.", "系统中没有 {value} 的客户记录。"),
    "c360.new.nothing": (
        "The contact gives no phone, email or chat id to look up.",
        "该来电未提供可查询的电话、邮箱或聊天账号。",
    ),
    "c360.new.visitor": ("The visitor gave no phone or email.", "访客未留下手机号码或邮箱。"),
    "c360.id": ("Customer id", "客户编号"),
    "c360.tier": ("Tier", "客户等级"),
    "c360.language": ("Language", "语言"),
    "c360.region": ("Region", "地区"),
    "c360.point.phone": ("Phone", "电话"),
    "c360.point.email": ("Email", "邮箱"),
    "c360.point.chat": ("Chat id", "聊天账号"),
    "c360.products": ("Products", "产品"),
    "c360.products.none": ("No product.", "暂无产品。"),
    "c360.product.inactive": ("inactive", "已停用"),
    "c360.interactions": ("Last interactions", "最近互动"),
    "c360.interactions.none": ("No earlier interaction.", "暂无历史互动。"),
    "c360.topic.none": ("no topic", "无主题"),
    "c360.transcript": ("Transcript", "聊天记录"),
    "c360.reminders": ("Reminders", "提醒"),
    "c360.offers": ("Offers", "推荐方案"),
    "outcome.open": ("open", "进行中"),
    "outcome.answered": ("answered", "已接听"),
    "outcome.completed": ("completed", "已完成"),
    "outcome.abandoned": ("abandoned", "已放弃"),
    "outcome.routed-out": ("routed out", "已转出"),
    "resolution.resolved": ("resolved", "已解决"),
    "resolution.unresolved": ("unresolved", "未解决"),
    "offer.accepted": ("Accept", "接受"),
    "offer.declined": ("Decline", "拒绝"),
    "offer.later": ("Later", "稍后"),
    "offer.recorded.accepted": ("Accepted: recorded.", "已记录：客户接受。"),
    "offer.recorded.declined": ("Declined: recorded.", "已记录：客户拒绝。"),
    "offer.recorded.later": ("Put off: recorded.", "已记录：稍后再议。"),
    "offer.saving": ("Saves ¥{amount} a month", "每月节省 ¥{amount}"),
    # web chat: the visitor's page and the agent's conversation panel
    "chat.empty": ("No message.", "暂无消息。"),
    "chat.title": ("Chat with us", "在线客服"),
    "chat.intro": (
        "Tell us your name and your question; an agent will answer here.",
        "请留下您的称呼和问题，客服将在此为您解答。",
    ),
    "chat.unconfigured": (
        "This chat is not set up: the page needs its tenant and queue (?tenant=...&queue=...).",
        "在线客服尚未配置：页面地址需要指定租户和队列（?tenant=...&queue=...）。",
    ),
    "chat.name": ("Your name", "您的称呼"),
    "chat.phone": ("Phone", "手机号码"),
    "chat.email": ("Email", "电子邮箱"),
    "chat.optional": ("(optional)", "（选填）"),
    "chat.message": ("Your message", "您的消息"),
    "chat.start": ("Start the chat", "开始咨询"),
    "chat.send": ("Send", "发送"),
    "chat.leave": ("End the chat", "结束对话"),
    "chat.new": ("Start a new chat", "发起新的对话"),
    "chat.you": ("You", "我"),
    "chat.waiting": ("Waiting for an agent…", "正在为您接通客服…"),
    "chat.connected": ("You are chatting with {agent}.", "客服 {agent} 正在为您服务。"),
    "chat.ended": ("The chat has ended. Thank you!", "对话已结束，感谢您的咨询！"),
    "chat.left.you": ("You left the chat.", "您已离开对话。"),
    "chat.left": ("The visitor left the chat.", "访客已离开对话。"),
    "chat.error.rate": (
        "You are writing too fast: try again in {seconds} s.",
        "发送过于频繁，请 {seconds} 秒后再试。",
    ),
    "chat.error.too-long": (
        "The message is too long (at most {max} characters).",
        "消息过长（最多 {max} 个字符）。",
    ),
    "chat.error.empty": ("Write something first.", "请先输入内容。"),
    "chat.error.control": ("The message holds characters that cannot be sent.", "消息中含有无法发送的字符。"),
    "chat.error.contact-point": (
        "Please check your phone or email: {message}",
        "请检查手机号码或邮箱：{message}",
    ),
    "chat.error.lost": (
        "This chat can no longer be opened; start a new one.",
        "无法继续此对话，请发起新的对话。",
    ),
    "chat.says": ("{visitor} wrote:", "{visitor} 说："),
    "chat.panel": ("Chat with {visitor}", "与 {visitor} 的对话"),
    "chat.reply": ("Reply", "回复"),
    "chat.agent.waiting": ("Not connected yet", "尚未接通"),
    "chat.agent.connected": ("Connected: the visitor sees your replies.", "已接通：访客可以看到您的回复。"),
    "chat.agent.ended": (
        "The chat is closed; its transcript is kept with the contact.",
        "对话已结束，聊天记录已保存到该联系。",
    ),
    # ---- agent desktop: knowledge base, tickets, transfer to an agent, email (desktop-*.js) ----------
    "kb.title": ("Knowledge base", "知识库"),
    "kb.query": ("Search the knowledge base", "搜索知识库"),
    "kb.placeholder": ("Words from the question…", "输入问题关键词…"),
    "kb.search": ("Search", "搜索"),
    "kb.searching": ("Searching…", "正在搜索…"),
    "kb.count": ("Articles found: {count}", "找到文章：{count} 篇"),
    "kb.none": ("Nothing found for “{query}”.", "没有找到与“{query}”相关的文章。"),
    "kb.empty": (
        "Give a word to search for (common words alone are not searched).",
        "请输入要搜索的词语（仅含常用虚词无法搜索）。",
    ),
    "kb.opening": ("Opening the article…", "正在打开文章…"),
    "kb.back": ("Back to the results", "返回搜索结果"),
    "kb.suggested": ("Suggested articles", "推荐文章"),
    "transfer.agent": ("Or to an agent", "或转给坐席"),
    "transfer.agent.none": ("(no: to the queue)", "（不指定：转至队列）"),
    "ticket.title": ("Tickets", "工单"),
    "ticket.title.customer": ("Tickets of {customer}", "{customer} 的工单"),
    "ticket.none": ("No open ticket.", "暂无未结工单。"),
    "ticket.new": ("New ticket", "新建工单"),
    "ticket.type": ("Type", "类型"),
    "ticket.type.consultation": ("Consultation", "咨询"),
    "ticket.type.complaint": ("Complaint", "投诉"),
    "ticket.type.repair": ("Repair", "报修"),
    "ticket.type.lead": ("Sales lead", "销售线索"),
    "ticket.level": ("Complaint level", "投诉等级"),
    "ticket.level.n": ("Level {level}", "{level} 级"),
    "ticket.priority": ("Priority", "优先级"),
    "ticket.priority.low": ("Low", "低"),
    "ticket.priority.normal": ("Normal", "普通"),
    "ticket.priority.high": ("High", "高"),
    "ticket.priority.urgent": ("Urgent", "紧急"),
    "ticket.subject": ("Summary", "摘要"),
    "ticket.description": ("Description", "详细描述"),
    "ticket.create": ("Create ticket", "创建工单"),
    "ticket.transition": ("{name} → {state}", "{name}（转为 {state}）"),
    "ticket.transition.apply": ("Apply “{name}”", "执行“{name}”"),
    "ticket.transitions.none": (
        "Nothing you may do from this state: it is with someone else now.",
        "当前状态下您无可执行的操作：工单已由他人处理。",
    ),
    "ticket.cancel": ("Cancel", "取消"),
    "ticket.comments": ("Notes and replies", "备注与回复"),
    "ticket.comments.none": ("No note or reply yet.", "暂无备注或回复。"),
    "ticket.comment": ("Note or reply", "备注或回复"),
    "ticket.comment.note": ("Internal note", "内部备注"),
    "ticket.comment.reply": ("Reply to the customer", "回复客户"),
    "ticket.comment.customer": ("From the customer", "客户来信"),
    "ticket.comment.add": ("Add", "添加"),
    "email.title": ("Email from {sender}", "来自 {sender} 的邮件"),
    "email.no-subject": ("(no subject)", "（无主题）"),
    "email.ticket": ("Reply on ticket", "回复所属工单"),
    "email.ticket.new": ("A new ticket made of this email", "用此邮件新建工单"),
    "email.reply": ("Your reply", "您的回复"),
    "email.send": ("Send reply", "发送回复"),
    "email.we": ("Our reply", "我方回复"),
    "email.sent": ("Reply to {to} queued on ticket {ticket}.", "回复已加入发送队列：{to}（工单 {ticket}）。"),
    # ---- end of the agent desktop's knowledge base, ticket and email keys ----------------------------
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
