"""A year of first-contact resolution: the reports API's one pass (`customer_timeline.fcr_between`: the
timeline read 5,000 interactions at a time, each contact let go once its window has closed) side by side
with the way `/api/customers/fcr` worked before (every interaction of the period and the window after it
read into a list, then `first_contact_resolution`), on one SQLite file.

Both give the same figures (checked). Printed: the peak of Python memory each allocates (tracemalloc, in a
second run), its time (an untraced run), and the ratios whole / one pass. The one pass keeps the contacts
of one FCR window (72 h); the whole list keeps the year. Scale with BAIYING_BENCH_FCR_CONTACTS (contacts a
day, default 200) and BAIYING_BENCH_FCR_DAYS (default 366).
"""

import os
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from baiying.api.routes.customer_timeline import fcr_between
from baiying.api.schemas.customers import FcrPublic
from baiying.customers.interactions import first_contact_resolution
from baiying.storage.customer_tables import InteractionRow
from baiying.storage.engine import make_engine
from baiying.storage.repositories import Tenants
from baiying.storage.repositories.customer_timeline import interactions_between_chunks
from baiying.storage.tables import Base

TENANT = "bench"
START = 1_735_660_800.0  # 2025-01-01 00:00 in Shanghai
WINDOW = 72 * 3600.0
TOPICS = ("billing", "roaming", "broadband", "complaint", None)
SITES = ("beijing", "guangzhou")
T = TypeVar("T")


def day_of_interactions(rng: random.Random, day: int, contacts: int, customers: int) -> list[InteractionRow]:
    """`contacts` contacts between 08:00 and 20:00 of customers drawn from a pool of `customers`; nine in
    ten answered and completed, one in ten abandoned."""
    rows = []
    for n in range(contacts):
        at = START + day * 86_400 + 8 * 3600 + rng.uniform(0, 12 * 3600)
        rows.append(
            InteractionRow(
                tenant_id=TENANT,
                source="contact",
                source_id=f"d{day}c{n}",
                customer_id=f"c{rng.randrange(customers)}",
                channel="voice",
                at=at,
                topic=rng.choice(TOPICS),
                category="other",
                outcome="abandoned" if n % 10 == 9 else "completed",
                site_id=SITES[n % 2],
                updated_at=at,
            )
        )
    return rows


def measured(run: Callable[[], T]) -> tuple[T, float, float]:
    """What `run` returns, its time in seconds (untraced) and, from a second, traced run, its peak of
    Python memory in MB."""
    began = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - began
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak / 1e6


def main() -> None:
    contacts = int(os.environ.get("BAIYING_BENCH_FCR_CONTACTS", "200"))
    days = int(os.environ.get("BAIYING_BENCH_FCR_DAYS", "366"))
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'fcr.db'}")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            Tenants(session).add(TENANT, "Bench", at=0.0)
            session.commit()
            for day in range(days):
                session.add_all(day_of_interactions(rng, day, contacts, customers=contacts * 20))
            session.commit()
        since, until = START, START + days * 86_400
        now = until + 86_400
        print(f"{days} days, {contacts} contacts a day: {days * contacts:,} interactions")

        def one_pass() -> FcrPublic:
            with Session(engine) as session:
                return fcr_between(session, TENANT, since, until, now, None)

        def whole_list() -> FcrPublic:
            with Session(engine) as session:
                chunks = interactions_between_chunks(session, TENANT, since, until + WINDOW, 10**9)
                items = [item for chunk in chunks for item in chunk]
            result = first_contact_resolution(items, now, WINDOW, since=since, until=until)
            return FcrPublic.of(result, since, until, WINDOW / 3600)

        whole_list()  # warm the file's pages in the OS cache, so neither pays for the first read
        streamed, streamed_s, streamed_mb = measured(one_pass)
        whole, whole_s, whole_mb = measured(whole_list)
        engine.dispose()
    assert streamed == whole, "the one pass and the whole list disagree"
    print(f"one pass:    peak {streamed_mb:8.1f} MB  {streamed_s:6.1f} s")
    print(f"whole list:  peak {whole_mb:8.1f} MB  {whole_s:6.1f} s")
    print(f"memory whole / one pass: {whole_mb / streamed_mb:.1f}x; time {whole_s / streamed_s:.2f}x")
    print(f"handled {streamed.handled:,}, repeated {streamed.repeated:,}, rate {streamed.rate:.3f}")


if __name__ == "__main__":
    main()
