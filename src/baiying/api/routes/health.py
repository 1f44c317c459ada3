"""`GET /healthz`: the server is up and reaches its database."""

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from baiying.api.deps import SessionDep
from baiying.storage.engine import DatabaseUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, str]:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"the database does not answer: {type(exc).__name__}") from None
    return {"status": "ok"}
