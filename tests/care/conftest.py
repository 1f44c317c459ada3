"""Care API tests run in the live world of `tests/api/test_live.py` (see `tests/customers/conftest.py`)."""

from tests.customers.conftest import live, live_clock, live_world

__all__ = ["live", "live_clock", "live_world"]
