"""The demo tickets: each in the state the service flow leaves it, with its history and requests, and the
level-3 complaint escalated by the next sweep."""

from sqlalchemy.orm import Session

from baiying.application.ticket_demo import seed_demo_tickets
from baiying.application.tickets import TicketDesk
from baiying.storage.engine import make_engine
from baiying.tickets.bundled import default_config
from tests.api.conftest import T0
from tests.tickets.conftest import seed_tickets_world


def test_demo_tickets(db_url: str) -> None:
    seed_tickets_world(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            ids = seed_demo_tickets(
                session, "acme", T0, site_id="guangzhou", agent_id="li-na", expert_id="zhang-wei"
            )
            session.commit()
            desk = TicketDesk(session, "acme", default_config())
            states = {i: desk.tickets.get(i).state for i in ids}
            assert states == {
                "demo-1": "surveyed",
                "demo-2": "resolved",
                "demo-3": "visit-booked",
                "demo-4": "recorded",
                "demo-5": "waiting",
                "demo-6": "qualified",
                "demo-7": "recorded",
            }
            kinds = [row.kind for row in desk.tickets.outbox("demo-2")]
            assert "knowledge-candidate" in kinds
            assert desk.tickets.get("demo-3").agent_id == "zhang-wei"

            report = desk.sweep(T0 + 3600)  # the level-3 complaint, 4 h old and unanswered
            session.commit()
            assert "complaint-l3-unanswered" in [f["rule"] for f in report.firings]
            assert desk.tickets.get("demo-4").queue_id == "complaint-desk"
    finally:
        engine.dispose()
