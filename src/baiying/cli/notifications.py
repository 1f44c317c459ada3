"""`baiying notifications dispatch`: send what is due in the outbox (the server does this by itself; run
this where the server does not, or to drain the outbox once)."""

import time
from typing import Annotated

import typer
from rich.console import Console

from baiying.cli.database import UrlOption, chosen_url
from baiying.cli.errors import user_errors


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="notifications",
        help="The outbox of SMS, email and webhook calls.",
        no_args_is_help=True,
        add_completion=False,
    )
    group.command("dispatch")(dispatch)
    app.add_typer(group)


def dispatch(
    url: UrlOption = None,
    every: Annotated[
        float | None,
        typer.Option(min=0.1, help="Keep running, one round every this many seconds (default: one round)."),
    ] = None,
    rounds: Annotated[
        int | None, typer.Option(min=1, help="With --every: stop after this many rounds.")
    ] = None,
) -> None:
    """Relay new events to webhook subscribers and send every message that is due, with retries.

    SMTP comes from BAIYING_SMTP_HOST/PORT/FROM/USER/PASSWORD/STARTTLS and the SMS gateway from
    BAIYING_SMS_GATEWAY_URL/TOKEN; without them messages are written to files under BAIYING_OUTBOX_SINK
    (default var/outbox), which show what would have been sent."""
    from sqlalchemy.orm import sessionmaker

    from baiying.clock import SystemClock
    from baiying.notifications.dispatch import Dispatcher, senders_from_environment
    from baiying.storage.engine import make_engine
    from baiying.storage.migrate import ensure_up_to_date

    console = Console(highlight=False, soft_wrap=True)
    with user_errors():
        chosen = chosen_url(url)
        ensure_up_to_date(chosen)
        engine = make_engine(chosen)
        senders = senders_from_environment()
        dispatcher = Dispatcher(sessionmaker(engine, expire_on_commit=False), senders, SystemClock())
        console.print(f"Dispatching: {senders.describe()}", markup=False)
        done = 0
        try:
            while True:
                console.print(str(dispatcher.run_once()), markup=False)
                done += 1
                if every is None or (rounds is not None and done >= rounds):
                    break
                time.sleep(every)
        finally:
            engine.dispose()
