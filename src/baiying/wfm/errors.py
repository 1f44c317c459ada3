"""Errors raised by the workforce-management core."""

from baiying.errors import DomainError


class InvalidQueueParameters(DomainError, ValueError):
    """A rate, time, agent count or target is out of range; the message names the parameter.

    It is also a `ValueError`, so callers that only know the standard library can catch it.
    """

    code = "invalid-queue-parameters"


class UnstableQueue(DomainError, ValueError):
    """Erlang C was asked for a steady state that does not exist (agents <= offered load)."""

    code = "unstable-queue"
