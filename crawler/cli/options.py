"""Options and error handling shared by the commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler import exit_status
from crawler.archive import DEFAULT_ARCHIVE_PATH, ArchiveError
from crawler.archive.lock import ArchiveBusy, CrawlLock
from crawler.fetch import FetchError
from crawler.fixtures import FIXTURES_ROOT
from crawler.registry import RegistryError
from crawler.scaffold import ScaffoldError
from crawler.search import QueryError
from crawler.snapshot import SnapshotError

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Bad input ends the command with one line on stderr naming what and where."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (RegistryError, ArchiveError, SnapshotError, ScaffoldError, FetchError, QueryError) as error:
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_ARCHIVE_PATH,
    show_default=True,
    help="SQLite archive file.",
)
registry_option = click.option(
    "--registry",
    "registry_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Outlet registry (default: the file $SOURCEVAULT_REGISTRY names, else config/outlets.toml).",
)
fixtures_option = click.option(
    "--fixtures",
    "fixtures_root",
    type=click.Path(file_okay=False, path_type=Path),
    default=FIXTURES_ROOT,
    show_default=True,
    help="Folder of the outlets' fixture folders.",
)


@contextmanager
def writing(db_path: Path, purpose: str) -> Iterator[None]:
    """Hold the archive's write lock for `purpose`; if another writer has it, exit 75 at once."""
    lock = CrawlLock(db_path)
    try:
        lock.acquire(purpose)
    except ArchiveBusy as busy:
        click.echo(f"Error: {busy}; exiting with status {exit_status.ARCHIVE_BUSY}", err=True)
        sys.exit(exit_status.ARCHIVE_BUSY)
    try:
        yield
    finally:
        lock.release()
