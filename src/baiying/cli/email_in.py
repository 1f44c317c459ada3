"""`baiying email-in`: the SMTP listener that turns inbound email into contacts and ticket replies."""

import os
import signal
import threading
from typing import Annotated

import typer

from baiying.cli.output import stdout

PASSWORD_ENV = "BAIYING_EMAIL_IN_PASSWORD"


def register(app: typer.Typer) -> None:
    app.command("email-in")(email_in)


def email_in(
    queue: Annotated[str, typer.Option(help="The queue new email contacts wait in.")],
    login: Annotated[
        str, typer.Option(help="The channel account it logs in as (a user allowed to create contacts).")
    ],
    server: Annotated[str, typer.Option(help="The Baiying server's base URL.")] = "http://127.0.0.1:8000",
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The SMTP port to listen on.")] = 2525,
    site: Annotated[
        str | None, typer.Option(help="The site the contacts come in at.", show_default=False)
    ] = None,
) -> None:
    """Listen for email over SMTP until Ctrl-C. A message whose subject carries a ticket tag such as
    [#T-123] becomes the customer's reply on that ticket; any other becomes an email contact in --queue.
    The account's password is read from $BAIYING_EMAIL_IN_PASSWORD (never from the command line). A
    message is acknowledged only once the server stored it; otherwise the sending server is told to retry."""
    from baiying.channels.email_in import EmailIntake, start_listener

    password = os.environ.get(PASSWORD_ENV)
    if not password:
        stdout.print(f"[red]error:[/] set {PASSWORD_ENV} to the password of {login!r}")
        raise typer.Exit(2)
    intake = EmailIntake(server.rstrip("/"), login, password, queue, site)
    try:
        controller, _ = start_listener(intake, host, port)
    except OSError as error:
        stdout.print(f"[red]error:[/] cannot listen on {host}:{port}: {error}")
        raise typer.Exit(2) from None
    stopping = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    stdout.print(
        f"Email in: listening on {host}:{port}, contacts to queue {queue!r} on {server} (Ctrl-C stops)"
    )
    try:
        stopping.wait()
    finally:
        controller.stop()
        signal.signal(signal.SIGINT, previous)
    stdout.print("Email in: stopped.")
