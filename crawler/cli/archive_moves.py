"""Moving an archive between SQLite and PostgreSQL: `migrate-archive`, and the read-only SQLite copy
of `export --format sqlite` (crawler/archive/copies.py, crawler/archive/transfer.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.archive.lock import WHOLE
from crawler.archive.postgres import is_postgres_url, require_extra
from crawler.archive.transfer import DEFAULT_BATCH_ROWS
from crawler.cli.options import one_line_errors, writing

if TYPE_CHECKING:
    from crawler.archive.transfer import Summary


def archive_location(value: str) -> str | Path:
    """A postgresql:// URL as given, anything else an SQLite archive's path."""
    return value if is_postgres_url(value) else Path(value)


@contextmanager
def postgres_errors_in_one_line() -> Iterator[None]:
    """A server that goes away or refuses a row ends the command with one line, no traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(f"PostgreSQL: {reason}") from None


@contextmanager
def locked(source: str | Path, destination: str | Path, purpose: str) -> Iterator[None]:
    """The write lock of each SQLite end and of a PostgreSQL destination, held alone: no crawl
    changes them meanwhile (a PostgreSQL source is read in one snapshot)."""
    with ExitStack() as stack:
        for location in (source, destination):
            if isinstance(location, Path) or location == destination:
                stack.enter_context(writing(location, purpose, WHOLE))
        yield


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int], Callable[[int], None]]]:
    """A progress bar on stderr, started once the number of rows to copy is known."""
    with ExitStack() as stack:

        def start(length: int) -> Callable[[int], None]:
            bar = stack.enter_context(click.progressbar(length=length, label=label, file=sys.stderr))
            return bar.update

        yield start


def echo_summary(summary: Summary) -> None:
    for line in summary.lines():
        click.echo(line)
    if not summary.verified:
        raise click.ClickException("the copy does not match its source: run migrate-archive again")


@click.command("migrate-archive")
@click.argument("source")
@click.argument("destination")
@click.option(
    "--batch-rows",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_ROWS,
    show_default=True,
    help="Rows written per transaction (an interrupted copy redoes at most this many).",
)
@one_line_errors
def migrate_archive(source: str, destination: str, batch_rows: int) -> None:
    """Copy an archive from SQLite to PostgreSQL or back, raw originals and all, and verify it.

    SOURCE and DESTINATION are each an archive file or a postgresql:// URL. The copy can be
    interrupted and run again: it goes on where it stopped, writing no row twice. It ends by
    comparing every table's row count and reading every raw original back, checked against its
    sha256. A DESTINATION holding another archive is refused. No crawl may write to an SQLite end
    or to the DESTINATION meanwhile (their write locks are held).

    \b
    Example:
        sourcevault migrate-archive data/archive.db postgresql://sourcevault@localhost/archive
        sourcevault migrate-archive postgresql://sourcevault@localhost/archive copy.db
    """
    from_location, to_location = archive_location(source), archive_location(destination)
    if not (is_postgres_url(source) or is_postgres_url(destination)):
        raise click.ClickException(
            "migrate-archive copies to or from PostgreSQL: give a postgresql:// URL as SOURCE or"
            " DESTINATION (an SQLite copy of an SQLite archive: `sourcevault export --format sqlite`)"
        )
    if source == destination:
        raise click.ClickException(f"{source}: SOURCE and DESTINATION are the same archive")
    require_extra()
    from crawler.archive.copies import destination_end, source_end
    from crawler.archive.transfer import copy_archive, rows_to_copy

    with (
        postgres_errors_in_one_line(),
        locked(from_location, to_location, "migrate-archive"),
        source_end(from_location) as reading,
        destination_end(to_location) as writing_end,
        progress_bar("copying") as start,
    ):
        update = start(rows_to_copy(reading, writing_end))
        summary = copy_archive(reading, writing_end, batch_rows=batch_rows, progress=update)
    echo_summary(summary)


def export_sqlite_copy(db: str | Path, output: Path | None) -> None:
    """`export --format sqlite`: the whole archive as a read-only SQLite file for `serve`."""
    if output is None:
        raise click.ClickException("--format sqlite writes a file: give --output FILE.db")
    where = str(db)
    if is_postgres_url(db):
        require_extra()
        from crawler.archive.postgres.connection import shown

        where = shown(str(db))
    elif Path(db).resolve() == output.resolve():
        raise click.ClickException(f"{output}: the copy cannot replace the archive it copies")
    from crawler.archive.copies import export_sqlite

    with postgres_errors_in_one_line() if is_postgres_url(db) else nullcontext():
        summary = export_sqlite(db, output)
    if summary is not None and not summary.verified:
        echo_summary(summary)
    click.echo(f"exported a read-only SQLite copy of {where} to {output} (`sourcevault serve --db {output}`)")
