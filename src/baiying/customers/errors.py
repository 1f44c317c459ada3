"""The customers context's errors, each with a stable code (the HTTP status of each is in `api/errors.py`)."""

from baiying.errors import DomainError


class InvalidContactPoint(DomainError):
    """A phone number, email address or chat id that cannot be normalised."""

    code = "invalid-contact-point"


class UnknownCustomer(DomainError):
    code = "unknown-customer"


class UnknownProduct(DomainError):
    code = "unknown-product"


class ContactPointTaken(DomainError):
    """A contact point already belongs to another customer of the tenant (they are unique per tenant)."""

    code = "contact-point-taken"


class InvalidMerge(DomainError):
    """A merge that cannot be done: a customer with itself, or a record already merged away."""

    code = "invalid-merge"


class InvalidCustomerImport(DomainError):
    """The CSV file as a whole cannot be read with this mapping (no header, a mapped column missing)."""

    code = "invalid-customer-import"


class InvalidLookup(DomainError):
    """A query that cannot be answered as asked: a screen pop naming no contact point, or more than one;
    a report period that ends before it starts."""

    code = "invalid-lookup"
