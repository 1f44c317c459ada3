"""While the app runs, the objects its startup made are frozen out of the collector's reach and young
collections are rarer (full collections were the server's worst pauses); shutdown undoes both."""

import gc

from fastapi import FastAPI

from baiying.api.app import create_app
from baiying.api.settings import Settings
from baiying.clock import ManualClock
from tests.api.conftest import FAST_PASSWORDS, TestClient


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


def test_a_second_app_in_the_process_leaves_the_collector_to_the_first(
    app: FastAPI, settings: Settings, clock: ManualClock
) -> None:
    before = gc.get_threshold()
    with TestClient(app):
        tuned = gc.get_threshold()
        with TestClient(create_app(settings, clock=clock, passwords=FAST_PASSWORDS)):
            assert gc.get_threshold() == tuned
        assert gc.get_threshold() == tuned
        assert gc.get_freeze_count() > 10_000  # still frozen: the first app's to undo
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
