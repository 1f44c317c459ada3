"""Answers that experts promote from tickets become draft knowledge-base articles.

A ticket workflow's "offer the answer to the knowledge base" action writes a `knowledge-candidate` row in
the ticket outbox; this turns each into a draft (agent-only) article `ticket-<id>`, for an editor to
review and publish. A candidate whose draft already exists is not made twice."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.clock import Timestamp
from baiying.knowledge.errors import InvalidArticle
from baiying.knowledge.model import Content
from baiying.storage.repositories.knowledge import KnowledgeBase
from baiying.storage.ticket_tables import TicketOutboxRow

MAX_TITLE = 120


def draft_knowledge_candidates(session: Session, now: Timestamp) -> int:
    """Draft an article for every pending candidate of every tenant; returns how many were handled."""
    rows = session.scalars(
        select(TicketOutboxRow)
        .where(TicketOutboxRow.status == "pending", TicketOutboxRow.kind == "knowledge-candidate")
        .order_by(TicketOutboxRow.id)
    ).all()
    for row in rows:
        knowledge = KnowledgeBase(session, row.tenant_id)
        article_id = f"ticket-{row.ticket_id}"
        if knowledge.find(article_id) is None:
            question = " ".join(str(row.payload.get("question") or f"Ticket {row.ticket_id}").split())
            answer = str(row.payload.get("answer") or "").strip() or question
            try:
                content = Content(title=question[:MAX_TITLE], body=answer)
            except InvalidArticle:
                content = Content(title=f"Ticket {row.ticket_id}", body=answer[:10_000])
            knowledge.create(article_id, content, author=f"ticket:{row.ticket_id}", at=now)
        row.status = "done"
        session.flush()
    return len(rows)
