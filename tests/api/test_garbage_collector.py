"""While the app runs, the objects its startup made are frozen out of the collector's reach and young
collections are rarer (full collections were the server's worst pauses); shutdown undoes both."""

import gc

from fastapi import FastAPI

from tests.api.conftest import TestClient


def test_the_app_freezes_its_startup_objects_while_it_runs(app: FastAPI) -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] >= 10_000
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
