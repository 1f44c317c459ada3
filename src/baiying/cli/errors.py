"""How the CLI reports user errors: a clear message on stderr and exit code 2, never a traceback."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from baiying.errors import ConfigError, DomainError

stderr = Console(stderr=True, highlight=False, soft_wrap=True)

USER_ERROR_EXIT = 2


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn domain and file errors raised inside the block into a message and exit code 2."""
    try:
        yield
    except ConfigError as exc:
        stderr.print(f"[bold red]error:[/] {exc.source} is not valid:", markup=True)
        for problem in exc.problems:
            stderr.print(f"  {problem.describe(exc.source)}", markup=False)
        raise typer.Exit(USER_ERROR_EXIT) from None
    except DomainError as exc:
        stderr.print(f"[bold red]error:[/] {exc.message}", markup=True)
        raise typer.Exit(USER_ERROR_EXIT) from None
    except OSError as exc:
        stderr.print(f"[bold red]error:[/] {exc.strerror or exc}: {exc.filename or ''}", markup=True)
        raise typer.Exit(USER_ERROR_EXIT) from None


def read_text(path: Path) -> str:
    """Read a user's file as UTF-8, with a readable error for a missing or binary file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DomainError(f"{path} is not UTF-8 text") from None
