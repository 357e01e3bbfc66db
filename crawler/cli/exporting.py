"""Commands that take articles out of the archive and into one: export, import."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler import exit_status
from crawler.archive import Archive
from crawler.archive.connection import on_postgres
from crawler.archive.lock import BESIDE_CRAWLS
from crawler.cli.archive_moves import export_sqlite_copy
from crawler.cli.article_selection import (
    chosen_filters,
    filter_options,
    time_limit_option,
    warn_of_unindexed_edits,
)
from crawler.cli.options import (
    FilePath,
    archive_db_option,
    one_line_errors,
    registry_option,
    writing,
)

if TYPE_CHECKING:
    from crawler.research.importing import ImportProblem
    from crawler.search.query import Filters, SearchQuery

EXPORT_FORMATS = ("jsonl", "csv", "warc", "sqlite")


@click.command()
@archive_db_option(postgres_ok=True)
@filter_options
@click.option("--query", "query_text", help="Only the articles this search query matches.")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(EXPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl, csv: the article fields; warc: the raw originals, a replayable web archive;"
    " sqlite: a read-only SQLite copy of the whole archive, for `serve`.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: standard output; a file is needed for warc and sqlite).",
)
@time_limit_option
@registry_option
@one_line_errors
def export(
    *,
    db_path: Path | str,
    outlets: tuple[str, ...],
    since: str | None,
    until: str | None,
    language: str | None,
    query_text: str | None,
    export_format: str,
    output: Path | None,
    time_limit_seconds: float | None,
    registry_path: Path | None,
) -> None:
    """Export articles (all, or those the filters pick) as JSON lines, CSV or WARC, or the
    whole archive as a read-only SQLite copy.

    JSON lines and CSV hold every article field and where its original came from; `import`
    reads the JSON lines back. The WARC file holds the raw originals as fetched (plus the
    feeds and sitemaps that listed them): `crawl --replay` reads it, as does any web-archive
    tool. The SQLite copy (of an SQLite archive, or of a PostgreSQL one at one moment) is what
    `serve` opens.

    \b
    Example:
        sourcevault export --outlet cna --since 2024-01-01 > cna.jsonl
        sourcevault export --query 颱風 --format csv -o typhoons.csv
        sourcevault export --format warc -o originals.warc.gz
        sourcevault export --format sqlite -o served.db
    """
    if export_format == "sqlite":
        if query_text is not None or outlets or since or until or language:
            raise click.ClickException(
                "--format sqlite copies the whole archive: drop --query and the filters"
            )
        export_sqlite_copy(db_path, output)
        return
    from crawler.research.export import write_csv, write_jsonl, write_warc
    from crawler.search.query import parse_query
    from crawler.search.results import SEARCH_TIME_LIMIT_SECONDS

    filters = chosen_filters(registry_path, outlets, since, until, language)
    query = parse_query(query_text) if query_text is not None else None
    if export_format == "warc" and output is None:
        raise click.ClickException("--format warc writes a file: give --output FILE.warc.gz")
    with Archive(db_path, readonly=True) as archive:
        if query is not None or not filters.empty:
            warn_of_unindexed_edits(archive)
        # The search is limited in time; writing what it found is not.
        article_ids = _matching_ids(archive, query, filters, time_limit_seconds or SEARCH_TIME_LIMIT_SECONDS)
        if export_format == "warc":
            assert output is not None
            with output.open("wb") as stream:
                count = write_warc(archive, article_ids, stream)
        else:
            write = write_jsonl if export_format == "jsonl" else write_csv
            with (
                output.open("w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as text
            ):
                count = write(archive.queries.article_records(article_ids), text)
    click.echo(f"exported {count} articles{f' to {output}' if output else ''}", err=True)


def _matching_ids(archive: Archive, query: SearchQuery | None, filters: Filters, seconds: float) -> list[int]:
    """The ids of the articles a query (all when None) and filters pick, on either backend."""
    if on_postgres(archive.connection):
        from crawler.search import postgres

        session = archive.connection.sa  # type: ignore[attr-defined]
        with archive.db.atomic(), postgres.time_limit(session, seconds):
            return list(postgres.matching_article_ids(session, query, filters))
    from crawler.search.results import matching_article_ids, time_limit

    with time_limit(archive.connection, seconds):
        return list(matching_article_ids(archive.connection, query, filters))


@click.command("import")
@click.argument("file", type=FilePath(exists=True))
@archive_db_option(postgres_ok=True)
@registry_option
@one_line_errors
def import_command(file: Path, db_path: Path, registry_path: Path | None) -> None:
    """Merge the articles of a JSON-lines FILE into the archive.

    FILE is another archive's `export --format jsonl`, or any JSON lines with at least url,
    title, body and published_at (outlet optional: else the outlet owning the URL's host).
    Each article is tagged and archived as a crawled one is, its JSON line kept as its
    original. A line that cannot be imported is reported with its number (exit status 1)
    and the rest still imports; importing the same file again adds nothing.

    \b
    Example:
        sourcevault import other-archive.jsonl --db data/archive.db
    """
    from crawler.registry import load_registry
    from crawler.research.importing import import_file

    registry = load_registry(registry_path)

    def report(problem: ImportProblem) -> None:
        click.echo(f"{file}:{problem.line}: {problem.reason}", err=True)

    with writing(db_path, "import", BESIDE_CRAWLS), Archive(db_path) as archive:
        counts, problems = import_file(archive, registry, file, on_problem=report)
    outcome = ", ".join(f"{counts[name]} {name}" for name in ("new", "updated", "unchanged"))
    click.echo(f"imported {file}: {outcome}, {len(problems)} rejected")
    if problems:
        sys.exit(exit_status.FAILED)
