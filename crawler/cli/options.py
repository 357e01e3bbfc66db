"""Options and error handling shared by the commands.

The command modules import only click and light modules at the top, and the rest inside the
commands: `sourcevault --help` lists every command without importing Scrapy or trafilatura.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler import exit_status
from crawler.archive.connection import DEFAULT_ARCHIVE_PATH
from crawler.archive.lock import CRAWL, ArchiveBusy, Holding, write_lock
from crawler.archive.postgres import is_postgres_url
from crawler.file_limits import not_a_regular_file

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Bad input ends the command with one line on stderr naming what and where (exit status 1).

    So do a file that cannot be read or written, an archive SQLite cannot write to (read-only,
    disk full) half-way through a command, and a PostgreSQL archive's server refusing a statement
    or going away (SQLAlchemy's errors, told by their module: SQLAlchemy is not imported for them).
    """

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except exit_status.BadInput as error:
            raise click.ClickException(str(error)) from None
        except BrokenPipeError:
            raise  # `| head`: click ends the command quietly
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            raise click.ClickException(f"{where}{error.strerror or error}") from None
        except sqlite3.OperationalError as error:
            raise click.ClickException(f"the archive cannot be used: {error}") from None
        except Exception as error:
            if not type(error).__module__.startswith("sqlalchemy."):
                raise
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise click.ClickException(f"the archive cannot be used: {reason}") from None

    return wrapper  # type: ignore[return-value]


class FilePath(click.Path):
    """A file the command reads (or, for --db, writes): refused up front, in one line, when it is
    a directory, FIFO, device or socket (reading one would hang, or never end)."""

    def __init__(self, *, exists: bool = False):
        super().__init__(exists=exists, dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str | os.PathLike) and (problem := not_a_regular_file(value)):
            raise click.ClickException(problem)
        return super().convert(value, param, ctx)


def sqlite_only(command: str) -> str:
    """Why a command refuses a PostgreSQL archive, in one line."""
    return (
        f"{command} reads SQLite archives only: serve a read-only copy,"
        " `sourcevault export --format sqlite -o FILE`"
    )


def no_archive_at(db_path: Path | str) -> bool:
    """Whether --db names an SQLite file that is not there (a PostgreSQL archive is checked on opening)."""
    return not is_postgres_url(db_path) and not Path(db_path).exists()


def command_name(context: click.Context | None) -> str:
    """The command as typed (`sourcevault briefing add`), whatever name the program was run under."""
    names = []
    while context is not None and context.parent is not None:
        names.append(context.info_name or "")
        context = context.parent
    return " ".join(["sourcevault", *reversed(names)])


class ArchiveLocation(FilePath):
    """--db: an SQLite archive file. A postgresql:// URL is given as is to a command that takes one
    (`postgres_ok`), and refused in one line naming the command by every other."""

    def __init__(self, *, postgres_ok: bool = False):
        super().__init__()
        self.postgres_ok = postgres_ok

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and is_postgres_url(value):
            if self.postgres_ok:
                return value
            raise click.ClickException(sqlite_only(command_name(ctx)))
        return super().convert(value, param, ctx)


def archive_db_option(*, postgres_ok: bool = False) -> Callable[[F], F]:
    return click.option(
        "--db",
        "db_path",
        type=ArchiveLocation(postgres_ok=postgres_ok),
        default=DEFAULT_ARCHIVE_PATH,
        show_default=True,
        help="Archive: an SQLite file, or a postgresql:// URL." if postgres_ok else "SQLite archive file.",
    )


db_option = archive_db_option()
registry_option = click.option(
    "--registry",
    "registry_path",
    type=FilePath(),
    default=None,
    help="Outlet registry (default: the file $SOURCEVAULT_REGISTRY names, else config/outlets.toml).",
)


replay_option = click.option(
    "--replay",
    type=FilePath(exists=True),
    help="Serve responses from this WARC snapshot instead of the network.",
)


def _fixtures_root(_context: click.Context, _parameter: click.Parameter, value: Path | None) -> Path:
    if value is not None:
        return value
    from crawler.outlet_tools.fixtures import FIXTURES_ROOT

    return FIXTURES_ROOT


fixtures_option = click.option(
    "--fixtures",
    "fixtures_root",
    type=click.Path(file_okay=False, path_type=Path),
    callback=_fixtures_root,
    help="Folder of the outlets' fixture folders (default: tests/fixtures/outlets of this checkout).",
)


def _setting_overrides(
    _context: click.Context, _parameter: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    overrides = {}
    for value in values:
        name, equals, setting = value.partition("=")
        if not equals or not name.isupper():
            raise click.BadParameter(
                f"{value!r} is not NAME=VALUE (a Scrapy setting, e.g. DOWNLOAD_TIMEOUT=60)"
            )
        overrides[name] = setting
    return overrides


settings_option = click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    callback=_setting_overrides,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting of crawler/settings.py for this run (repeatable).",
)


@contextmanager
def writing(db_path: Path | str, purpose: str, holding: Holding = CRAWL) -> Iterator[None]:
    """Hold the archive's write lock for `purpose` (on PostgreSQL, as `holding` takes it,
    crawler/archive/lock.py); if another writer keeps it, exit 75 at once."""
    lock = write_lock(db_path, holding)
    try:
        lock.acquire(purpose)
    except ArchiveBusy as busy:
        click.echo(f"Error: {busy}; exiting with status {exit_status.ARCHIVE_BUSY}", err=True)
        sys.exit(exit_status.ARCHIVE_BUSY)
    try:
        yield
    finally:
        lock.release()
