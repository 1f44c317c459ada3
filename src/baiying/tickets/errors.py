"""The ticket core's errors, each with a stable code (the HTTP status of each is in `api/errors.py`)."""

from baiying.errors import DomainError


class UnknownTicket(DomainError):
    code = "unknown-ticket"


class UnknownTransition(DomainError):
    """The workflow of the ticket's type has no transition of that name."""

    code = "unknown-transition"


class TransitionNotAvailable(DomainError):
    """The transition exists but not from the ticket's current state."""

    code = "transition-not-available"


class TransitionForbidden(DomainError):
    """None of the caller's roles may take the transition."""

    code = "transition-forbidden"


class MissingFields(DomainError):
    """The transition requires fields the request did not give (and the ticket does not hold)."""

    code = "missing-fields"


class InvalidTicket(DomainError):
    """A ticket's own values break a rule (an unknown field, a complaint without a level, a bad value)."""

    code = "invalid-ticket"


class CalendarError(DomainError):
    code = "invalid-calendar"


class UnknownRule(DomainError):
    code = "unknown-rule"


class TicketChangeConflict(DomainError):
    """The change does not fit the ticket as it is (a new type whose workflow lacks its state)."""

    code = "conflict"
