"""Recipients in one canonical form, so caps and deduplication see one person as one address: phone
numbers in E.164 (the tenant's default country, +86 unless told), email addresses with a lower-case domain."""

import phonenumbers

from baiying.notifications.model import Channel, InvalidRecipient

DEFAULT_REGION = "CN"


def normalise_recipient(channel: Channel, recipient: str, region: str = DEFAULT_REGION) -> str:
    text = recipient.strip()
    if channel is Channel.SMS:
        return e164(text, region)
    if channel is Channel.EMAIL:
        local, at, domain = text.rpartition("@")
        if not at or not local or "." not in domain or any(c.isspace() for c in text):
            raise InvalidRecipient(f"{recipient!r} is not an email address", {"recipient": recipient})
        return f"{local}@{domain.lower()}"
    return text


def e164(number: str, region: str = DEFAULT_REGION) -> str:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidRecipient(f"{number!r} is not a phone number: {error}", {"recipient": number}) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidRecipient(f"{number!r} is not a valid phone number", {"recipient": number})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
