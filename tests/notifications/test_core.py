"""Templates, the retry schedule and webhook signatures: the pure parts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baiying.errors import ConfigError
from baiying.notifications.model import Channel, InvalidRecipient
from baiying.notifications.recipients import normalise_recipient
from baiying.notifications.retry import RetryPolicy
from baiying.notifications.signing import sign, verify
from baiying.notifications.templates import (
    TemplateNotForChannel,
    TemplateVariableMissing,
    UnknownTemplate,
    bundled_templates,
    load_templates,
)

T0 = 1_800_000_000.0


def test_bundled_templates_render_in_chinese_and_english() -> None:
    book = bundled_templates()
    notice = book.get("dispatch-notice")
    values = {"customer_name": "王先生", "ticket_id": "T-1", "engineer": "李工", "window": "明天 9:00-11:00"}
    zh = notice.render("zh", Channel.SMS, values)
    assert zh.subject is None  # SMS has no subject
    assert zh.body == "王先生您好，您的报修（工单 T-1）已派工，工程师李工将于明天 9:00-11:00上门服务。"
    en = notice.render("en", Channel.EMAIL, {**values, "customer_name": "Mr Wang", "window": "tomorrow 9-11"})
    assert en.subject == "Your repair visit (ticket T-1)"
    assert "engineer 李工 will visit you tomorrow 9-11" in en.body
    assert set(book.templates) >= {"dispatch-notice", "appointment-reminder", "after-call", "survey-link"}


def test_rendering_refuses_missing_variables_and_wrong_channels() -> None:
    book = bundled_templates()
    with pytest.raises(TemplateVariableMissing, match="needs engineer, window"):
        book.get("dispatch-notice").render("zh", Channel.SMS, {"customer_name": "王", "ticket_id": "T"})
    with pytest.raises(TemplateNotForChannel, match="is for sms, not email"):
        book.get("after-call").render("en", Channel.EMAIL, {"agent_name": "A", "hotline": "95555"})
    with pytest.raises(UnknownTemplate, match="no notification template 'nope'"):
        book.get("nope")


def test_a_template_file_names_the_field_and_line_of_each_problem() -> None:
    text = """templates:
  greet:
    purpose: care
    channels: [sms]
    variables: [name]
    zh:
      body: "你好 {{ nmae }}"
    en:
      body: "Hello {{ name"
"""
    with pytest.raises(ConfigError) as raised:
        load_templates(text, "t.yaml")
    message = str(raised.value)
    assert "t.yaml:7: templates.greet.zh.body: uses nmae, not among the declared variables" in message
    assert "t.yaml:9: templates.greet.en.body: template syntax error" in message


def test_an_email_template_without_a_subject_is_refused_at_its_line() -> None:
    text = "templates:\n  mail:\n    purpose: marketing\n    channels: [email]\n"
    text += "    zh: {body: x}\n    en: {body: y}\n"
    with pytest.raises(ConfigError, match=r"t\.yaml:2: templates\.mail: .*an email template needs a subject"):
        load_templates(text, "t.yaml")


def test_recipients_are_normalised_so_one_person_is_one_address() -> None:
    assert normalise_recipient(Channel.SMS, "138 0013 8000") == "+8613800138000"
    assert normalise_recipient(Channel.SMS, "+852 6123 4567") == "+85261234567"
    assert normalise_recipient(Channel.EMAIL, " Li.Wei@Example.COM ") == "Li.Wei@example.com"
    with pytest.raises(InvalidRecipient, match="not a valid phone number"):
        normalise_recipient(Channel.SMS, "12345")
    with pytest.raises(InvalidRecipient, match="not an email address"):
        normalise_recipient(Channel.EMAIL, "li wei@example")


def test_retries_back_off_exponentially_up_to_a_cap_then_give_up() -> None:
    policy = RetryPolicy(
        max_attempts=6, first_delay_seconds=10, factor=3, max_delay_seconds=200, jitter_fraction=0
    )
    assert [policy.delay_after(n, "k") for n in range(1, 7)] == [10, 30, 90, 200, 200, None]
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


@given(st.integers(min_value=1, max_value=7), st.text(max_size=20))
def test_jitter_is_bounded_and_reproducible(attempts: int, key: str) -> None:
    policy = RetryPolicy()
    delay = policy.delay_after(attempts, key)
    assert delay is not None
    assert delay == policy.delay_after(attempts, key)
    base = min(policy.first_delay_seconds * policy.factor ** (attempts - 1), policy.max_delay_seconds)
    assert base * 0.8 <= delay <= base * 1.2


def test_a_signature_proves_origin_integrity_and_freshness() -> None:
    body = b'{"type":"contact-queued"}'
    header = sign("s3cret", body, T0)
    assert verify("s3cret", header, body, T0 + 10)
    assert not verify("s3cret", header, body + b" ", T0 + 10)  # altered
    assert not verify("other", header, body, T0 + 10)  # not ours
    assert not verify("s3cret", header, body, T0 + 3600)  # replayed an hour later
    assert not verify("s3cret", "garbage", body, T0)
