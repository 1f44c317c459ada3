"""An expert's answer offered to the knowledge base becomes a draft article for an editor to publish."""

from sqlalchemy.orm import Session

from baiying.application.knowledge_candidates import draft_knowledge_candidates
from baiying.clock import ManualClock
from baiying.storage.engine import make_engine
from tests.tickets.conftest import TestClient, Users, ok
from tests.tickets.test_api import create, move


def test_a_promoted_answer_becomes_a_draft_article_once(
    client: TestClient, users: Users, clock: ManualClock, world: str
) -> None:
    tid = create(client, users["lina"], subject="宽带每晚掉线")["id"]
    ok(move(client, users["lina"], tid, "escalate", escalation_reason="needs a line test"))
    ok(move(client, users["zhangwei"], tid, "take"))
    answer = "更换分离器后恢复正常"
    ok(move(client, users["zhangwei"], tid, "solve", resolution=answer, promote_to_kb=True))
    engine = make_engine(world)
    with Session(engine) as session:
        assert draft_knowledge_candidates(session, clock.now()) == 1
        session.commit()
        assert draft_knowledge_candidates(session, clock.now()) == 0
        session.commit()
    engine.dispose()
    article = ok(client.get(f"/api/kb/articles/ticket-{tid}", headers=users["wang"]))
    assert article["state"] == "draft"
    assert answer in str(article)
    # Agents see published articles only: the draft waits for an editor.
    assert client.get(f"/api/kb/articles/ticket-{tid}", headers=users["lina"]).status_code == 404
