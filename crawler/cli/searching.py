"""Commands that find and read archived articles: search, show."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler.archive import Archive
from crawler.cli.article_selection import (
    chosen_filters,
    filter_options,
    time_limit_option,
    warn_of_unindexed_edits,
)
from crawler.cli.options import archive_db_option, one_line_errors, registry_option

if TYPE_CHECKING:
    from crawler.search.results import SearchResults


def _print_results(results: SearchResults, query: str) -> None:
    for hit in results.hits:
        click.echo(f"{hit.id:>7}  {hit.outlet:<11}{(hit.published_at or '')[:10]:<12}{hit.title or ''}")
        click.echo(f"{'':<9}{hit.snippet.marked()}")
    if not results.total:
        click.echo(f"no article matches {query}")
        return
    ranking = f"the best {len(results.hits)} by bm25"
    if results.ranked < results.total:
        ranking += (
            f" among the {results.ranked:,} most recently archived"
            " (narrow the search to rank every match: more characters, --outlet, --since, --lang)"
        )
    noun = "article matches" if results.total == 1 else "articles match"
    click.echo(f"{results.total:,} {noun} {query}: {ranking}")


@click.command("search")
@click.argument("query")
@archive_db_option(postgres_ok=True)
@filter_options
@click.option(
    "--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Show this many."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per matching article.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@click.option("--count", "count_only", is_flag=True, help="Print only the number of matching articles.")
@time_limit_option
@registry_option
@one_line_errors
def search_command(
    *,
    query: str,
    db_path: Path | str,
    outlets: tuple[str, ...],
    since: str | None,
    until: str | None,
    language: str | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
    count_only: bool,
    time_limit_seconds: float | None,
    registry_path: Path | None,
) -> None:
    """Search the archive's titles and bodies for QUERY, in Chinese or any language.

    Traditional and Simplified find each other (臺灣 finds 台湾); any run of characters
    matches, one character or many. Words separated by spaces must all occur; "quoted text"
    occurs as written. Best matches first (bm25), each with a snippet of the article's own
    text, the matches marked «like this». A word given twice counts once; at most 8 different
    words or phrases, 2 of them single characters; a search stops after --time-limit seconds.

    \b
    Example:
        sourcevault search 颱風
        sourcevault search '"颱風 海燕"' --outlet epochtimes --since 2024-01-01 --json
        sourcevault search 'Apple 发布会' --lang zh-Hans --count
    """
    from crawler.search.query import parse_query
    from crawler.search.results import SEARCH_TIME_LIMIT_SECONDS, Hit, count_matches, time_limit
    from crawler.search.results import search as search_archive

    if as_json and as_csv:
        raise click.ClickException("give --json or --csv, not both")
    filters = chosen_filters(registry_path, outlets, since, until, language)
    parsed = parse_query(query)
    seconds = time_limit_seconds or SEARCH_TIME_LIMIT_SECONDS
    if isinstance(db_path, str):
        from crawler.archive.postgres.reading import reading

        with reading(db_path) as reader:
            if count_only:
                click.echo(reader.count(parsed, filters, seconds))
                return
            results = reader.search(parsed, filters, limit, seconds)
    else:
        with Archive(db_path, readonly=True) as archive:
            warn_of_unindexed_edits(archive)
            with time_limit(archive.connection, seconds):
                if count_only:
                    click.echo(count_matches(archive.connection, parsed, filters))
                    return
                results = search_archive(archive.connection, parsed, filters, limit)
    if not (as_json or as_csv):
        _print_results(results, query)
        return
    from crawler.research.export import write_csv, write_jsonl

    records = [hit.to_dict() for hit in results.hits]
    if as_json:
        write_jsonl(records, sys.stdout)
    else:
        write_csv(records, sys.stdout, Hit.FIELDS)


def _version_diff(rows: dict[int, tuple[str | None, str | None]], article_id: int, version: int) -> list[str]:
    """A unified diff of an article's title and body, from `version` to its current version, from
    its (title, body) at both by version number."""
    import difflib

    current = max(rows)
    if version not in rows:
        raise click.ClickException(f"article {article_id} has no version {version} (its latest: {current})")
    if version == current:
        return [f"article {article_id}: version {version} is its current version"]

    def lines(number: int) -> list[str]:
        title, body = rows[number]
        return [title or "", "", *(body or "").splitlines()]

    return list(
        difflib.unified_diff(
            lines(version), lines(current), f"version {version}", f"version {current}", lineterm=""
        )
    )


class _SqliteReader:
    """The SQLite archive's answers to what `show` asks (crawler.archive.postgres.reading's)."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.where = archive.path

    def article_record(self, article_id: int) -> dict[str, Any] | None:
        return next(self.archive.queries.article_records([article_id]), None)

    def text_versions(self, article_id: int, version: int) -> dict[int, tuple[str | None, str | None]]:
        return self.archive.queries.text_versions(article_id, version)

    def raw_body(self, sha256: str) -> bytes:
        return self.archive.captures.raw_body(sha256)


@contextmanager
def _reading(db_path: Path | str) -> Iterator[Any]:
    if isinstance(db_path, str):
        from crawler.archive.postgres.reading import reading

        with reading(db_path) as reader:
            yield reader
    else:
        with Archive(db_path, readonly=True) as archive:
            yield _SqliteReader(archive)


@click.command()
@click.argument("article_id", type=int)
@archive_db_option(postgres_ok=True)
@click.option("--raw", is_flag=True, help="Write the original exactly as fetched (bytes) to standard output.")
@click.option("--json", "as_json", is_flag=True, help="Print the article's every field as JSON.")
@click.option(
    "--diff-from",
    "diff_from",
    type=int,
    metavar="VERSION",
    help="Print how the article's text changed from this version to its current one (a unified diff).",
)
@one_line_errors
def show(article_id: int, db_path: Path | str, raw: bool, as_json: bool, diff_from: int | None) -> None:
    """Print article ARTICLE_ID (an id from `search`), or its raw original as fetched.

    \b
    Example:
        sourcevault show 12
        sourcevault show 12 --raw > original.html
        sourcevault show 12 --diff-from 1
    """
    with _reading(db_path) as reader:
        record = reader.article_record(article_id)
        if record is None:
            raise click.ClickException(f"{reader.where}: no article {article_id}")
        if diff_from is not None:
            for line in _version_diff(reader.text_versions(article_id, diff_from), article_id, diff_from):
                click.echo(line)
            return
        if raw:
            # click.get_binary_stream is deprecated (click 8.5): the bytes go to stdout's buffer.
            sys.stdout.buffer.write(reader.raw_body(record["original_sha256"]))
            sys.stdout.buffer.flush()
            return
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    click.echo(record["title"] or "(no title)")
    details = (record["outlet"], record["published_at"], record["language_tag"], f"article {record['id']}")
    click.echo(" · ".join(str(detail) for detail in details if detail))
    click.echo(record["url"])
    for name in ("authors", "editors", "source", "section", "partial_reason"):
        value = record[name]
        if value:
            click.echo(f"{name}: {', '.join(value) if isinstance(value, list) else value}")
    click.echo(
        f"original: {record['original_kind']} capture {record['capture_id']} of {record['original_url']},"
        f" fetched {record['fetched_at']}, {record['original_size_bytes']:,} bytes,"
        f" sha256 {record['original_sha256']} (sourcevault show {record['id']} --raw)"
    )
    click.echo()
    click.echo(record["body"] or "")
