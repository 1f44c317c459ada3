"""Reading inbound email: sender, subject, the new text without quoted history, the ticket tag."""

from email.message import EmailMessage

import pytest

from baiying.channels.email_message import UnreadableEmail, parse_email


def raw(
    subject: str, body: str, *, html: str | None = None, sender: str = "王芳 <Wang.Fang@Example.CN>"
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "service@acme.cn"
    message["Subject"] = subject
    message["Message-ID"] = "<abc-123@example.cn>"
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return bytes(message)


def test_a_chinese_email_is_read_with_its_sender_and_subject() -> None:
    email = parse_email(raw("宽带无法上网", "从昨天开始宽带一直断线，麻烦尽快处理。\n谢谢"))
    assert (email.sender, email.sender_name) == ("Wang.Fang@example.cn", "王芳")
    assert email.subject == "宽带无法上网"
    assert email.text == "从昨天开始宽带一直断线，麻烦尽快处理。\n谢谢"
    assert email.ticket_id is None
    assert email.contact_id == parse_email(raw("other subject", "x")).contact_id  # fixed by the Message-ID


@pytest.mark.parametrize(
    "quoted",
    [
        "在 2026年11月22日 10:42，百应客服 <service@acme.cn> 写道：\n> 您好，请问还有问题吗？",
        "On Sun, 22 Nov 2026 at 10:42, Acme Service <service@acme.cn> wrote:\n> Anything else?",
        "-----Original Message-----\nFrom: service@acme.cn\nSubject: ...",
        "-------- 原始邮件 --------\n发件人：service@acme.cn",
    ],
)
def test_a_reply_keeps_only_the_new_text_and_names_its_ticket(quoted: str) -> None:
    email = parse_email(raw("Re: 您的工单已受理 [#T-42]", f"还是不行，今天又断了两次。\n\n{quoted}"))
    assert email.ticket_id == "T-42"
    assert email.text == "还是不行，今天又断了两次。"


def test_html_only_mail_is_read_as_text() -> None:
    message = EmailMessage()
    message["From"] = "a@b.cn"
    message["Subject"] = "hi"
    message.set_content("<p>第一行</p><p>第二行<script>alert(1)</script></p>", subtype="html")
    assert parse_email(bytes(message)).text == "第一行\n第二行"


def test_mail_without_a_sender_is_unreadable() -> None:
    with pytest.raises(UnreadableEmail, match="no sender address"):
        parse_email(raw("x", "y", sender="nobody"))
