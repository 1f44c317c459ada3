"""The voice lab: Kamailio, Baiying call control, baresip agents and sipp callers on loopback inside a
private network namespace (`python -m baiying.telephony.lab`, `make voice`, the telephony tests)."""

from importlib.resources import files
from pathlib import Path

from sqlalchemy.orm import Session

from baiying.simulation.scenario import load_scenario
from baiying.storage import migrate
from baiying.storage.engine import make_engine
from baiying.storage.repositories import import_scenario
from baiying.telephony.settings import VoiceSettings, load_voice_settings


def lab_file(name: str) -> Path:
    return Path(str(files("baiying.telephony.lab").joinpath(name)))


def lab_settings() -> VoiceSettings:
    path = lab_file("voice.yaml")
    return load_voice_settings(path.read_text(encoding="utf-8"), str(path))


def prepare_database(url: str, tenant: str, *, at: float, scenario_text: str | None = None) -> None:
    """Migrate the database and load a contact center: the lab's (`scenario.yaml`: queues support, helpdesk
    and tech, agents agent-001/-002 and tech-001) unless `scenario_text` gives another."""
    migrate.upgrade(url)
    path = lab_file("scenario.yaml")
    text = path.read_text(encoding="utf-8") if scenario_text is None else scenario_text
    scenario = load_scenario(text, str(path))
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            import_scenario(session, tenant, scenario, at=at)
            session.commit()
    finally:
        engine.dispose()
