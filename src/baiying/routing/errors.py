"""Routing errors, each with a stable code."""

from baiying.errors import UnknownEntity


class NoSuchQueue(UnknownEntity):
    code = "unknown-queue"


class NoSuchAgent(UnknownEntity):
    code = "unknown-agent"


class NoSuchContact(UnknownEntity):
    code = "unknown-contact"


class NoSuchSite(UnknownEntity):
    code = "unknown-site"
