"""The `briefing` commands that fetch cited sources into the archive: add, attach, recheck."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.archive.lock import BESIDE_CRAWLS
from crawler.archive.postgres import is_postgres_url
from crawler.cli.briefing_reading import briefing_reference, listing_line, warn_of_parse_problems
from crawler.cli.options import (
    archive_db_option,
    no_archive_at,
    one_line_errors,
    registry_option,
    replay_option,
    settings_option,
    writing,
)
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from crawler.archive import Archive
    from crawler.briefings.fetching import CitedUrl
    from crawler.registry import Registry

to_workers_option = click.option(
    "--to-workers",
    is_flag=True,
    help="PostgreSQL archive: leave the cited pages to the crawl workers (`crawl --worker`), one unit"
    " holding every outlet they come from; cited posts are fetched here.",
)


def refuse_sqlite_for_workers(db_path: Path | str, command: str) -> None:
    """--to-workers on an SQLite archive: one line, exit 1."""
    if not is_postgres_url(db_path):
        raise click.ClickException(
            f"sourcevault {command} --to-workers: crawl workers need a PostgreSQL archive"
            f" (--db postgresql://…); {db_path} is an SQLite file"
        )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", help="The briefing's title (default: the file's name); an edited file keeps it.")
@click.option(
    "--published",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the briefing was published (YYYY-MM-DD).",
)
@archive_db_option(postgres_ok=True)
@to_workers_option
@replay_option
@registry_option
@settings_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@one_line_errors
def add(
    *,
    file: Path,
    title: str | None,
    published: datetime | None,
    db_path: Path,
    to_workers: bool,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
    verbose: bool,
) -> None:
    """Archive every source a briefing cites, and say what became of each.

    Parses FILE as `briefing parse` does, stores it (its text and its bytes) and its citations,
    then fetches every cited URL as a crawl fetches pages: robots.txt, retries, the network
    policy; each redirect hop of a short link kept as a capture of its own. A page gone (404,
    410, soft 404, unknown host) is fetched from the Wayback Machine when it holds a copy (off
    with -s WAYBACK_ENABLED=False). The same file added again adds nothing (citations a broken
    run left unfetched are fetched); an edited file of the same title is a new version.

    With --to-workers (a PostgreSQL archive), the cited pages are left to the crawl workers: a
    unit of work for the briefing, taken by the next worker free to hold every outlet they come
    from (`sourcevault workers` lists it; `briefing report` shows them pending until then).

    \b
    Example:
        sourcevault briefing add weekly-2024-05-06.pdf --published 2024-05-06
        sourcevault briefing add briefing.txt --replay crawler/demo/snapshot.warc.gz
        sourcevault briefing add weekly.pdf --to-workers --db postgresql://sourcevault@db/archive
    """
    from crawler.archive import Archive
    from crawler.briefings import parse_briefing
    from crawler.briefings.statuses import unfetched
    from crawler.registry import load_registry

    if to_workers:
        refuse_sqlite_for_workers(db_path, "briefing add")
    registry = load_registry(registry_path)
    data = file.read_bytes()
    parsed = parse_briefing(data, str(file), registry=registry)
    warn_of_parse_problems(file, parsed)
    initial = {
        citation.position: resolution
        for citation in parsed.citations
        if (resolution := unfetched(citation.kind, citation.platform)) is not None
    }
    with writing(db_path, "briefing add", BESIDE_CRAWLS):
        with Archive(db_path) as archive:
            added = archive.briefings.add(
                parsed=parsed,
                file_bytes=data,
                file_name=file.name,
                title=title or file.name,
                published=published.date() if published else None,
                initial=initial,
            )
            unfetched_urls = len(archive.briefings.pending(added.version_id)) + len(
                archive.briefings.pending_posts(added.version_id)
            )
        if not added.new:
            click.echo(
                f"{file}: already added as briefing {added.briefing} version {added.version}: nothing added"
                + (f"; fetching the {unfetched_urls} URLs not fetched yet" if unfetched_urls else "")
            )
        _fetch_pending(
            added.version_id,
            db_path=db_path,
            replay=replay,
            registry_path=registry_path,
            overrides=overrides,
            verbose=verbose,
            to_workers=registry if to_workers else None,
        )
    with Archive(db_path, readonly=True) as archive:
        click.echo(
            f"briefing {added.briefing} version {added.version}: {len(parsed.citations)} citations"
            f" (sourcevault briefing report {added.briefing})"
        )
        _print_counts(archive, str(added.briefing))


def _fetch_pending(
    version_id: int,
    *,
    db_path: Path,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
    verbose: bool,
    to_workers: Registry | None = None,
) -> None:
    """Fetch the citations of a briefing version not fetched yet: the pages in this process (or,
    `to_workers`, left to the crawl workers as a unit of work), the posts through the posts spider
    (crawler/briefings/posts.py). The caller holds the write lock."""
    from crawler.archive import Archive
    from crawler.briefings.fetching import cited_urls, fetch_cited
    from crawler.briefings.posts import archive_cited_posts
    from crawler.registry import load_registry

    with Archive(db_path) as archive:
        cited = cited_urls(archive.briefings.pending(version_id))
        posts = archive.briefings.pending_posts(version_id)
        if posts:
            archive_cited_posts(
                archive,
                posts,
                db_path=db_path,
                replay=replay,
                registry_path=registry_path,
                overrides=overrides,
            )
    if cited and to_workers is not None:
        _leave_to_workers(version_id, str(db_path), cited, to_workers)
    elif cited:
        fetch_cited(
            db_path,
            cited,
            load_registry(registry_path),
            replay=replay,
            registry_path=registry_path,
            verbose=verbose,
            overrides=overrides,
            recheck=False,
        )


def _leave_to_workers(version_id: int, location: str, cited: list[CitedUrl], registry: Registry) -> None:
    """The version's cited pages as a unit of work, holding every outlet they come from."""
    from crawler.archive.postgres.connection import PostgresArchive
    from crawler.archive.postgres.leases import Unit, schedule
    from crawler.briefings.fetching import cited_outlet

    unit = Unit.citations(version_id, {cited_outlet(registry, page.url) for page in cited})
    with PostgresArchive(location) as archive:
        schedule(archive.engine, [unit])
    click.echo(
        f"{len(cited)} cited pages left to the crawl workers (unit citations {version_id},"
        f" holding {', '.join(unit.holds)})"
    )


def _print_counts(archive: Archive, reference: str) -> None:
    from crawler.briefings.report import report_rows, status_counts

    found = archive.briefings.find(reference)
    assert found is not None
    counts = status_counts(report_rows(archive, found["version_id"]))
    click.echo(", ".join(f"{status}: {count}" for status, count in counts.items()))


@click.command()
@click.argument("citation", type=click.IntRange(min=1))
@click.argument("url")
@archive_db_option(postgres_ok=True)
@to_workers_option
@replay_option
@registry_option
@settings_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@one_line_errors
def attach(
    *,
    citation: int,
    url: str,
    db_path: Path,
    to_workers: bool,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
    verbose: bool,
) -> None:
    """Give a citation that has no URL (status no_url) the URL found for it, and archive it.

    CITATION is the citation's id (`briefing report --json` gives each one's `citation_id`). A post's URL
    (Weibo, X) is archived as `posts add` archives it; any other as `briefing add` fetches pages.

    With --to-workers (a PostgreSQL archive), a page is left to the crawl workers, as `briefing
    add --to-workers` leaves them.

    \b
    Example:
        sourcevault briefing attach 9 https://weibo.com/7827771738/N4xlMvjhI
        sourcevault briefing attach 9 https://udn.com/news/story/1/2 --to-workers --db postgresql://…
    """
    from crawler.archive import Archive
    from crawler.briefings.citation_text import find_urls
    from crawler.briefings.links import LinkKinds
    from crawler.registry import load_registry

    found = find_urls(url)
    if len(found) != 1 or found[0].url != url.strip():
        raise BadInput(f"{url!r} is not one http(s) URL")
    registry = load_registry(registry_path)
    outlet = registry.for_url(url)
    if no_archive_at(db_path):
        raise BadInput(f"{db_path}: no archive here")
    if to_workers:
        refuse_sqlite_for_workers(db_path, "briefing attach")
    with writing(db_path, "briefing attach", BESIDE_CRAWLS):
        with Archive(db_path) as archive:
            version_id = archive.briefings.attach(
                citation, url, LinkKinds().of_url(url), outlet.slug if outlet else None
            )
        _fetch_pending(
            version_id,
            db_path=db_path,
            replay=replay,
            registry_path=registry_path,
            overrides=overrides,
            verbose=verbose,
            to_workers=registry if to_workers else None,
        )
    with Archive(db_path, readonly=True) as archive:
        status, reason = archive.connection.execute(
            "SELECT status, reason FROM citations WHERE id = ?", [citation]
        ).fetchone()
    click.echo(f"citation {citation}: {status}" + (f" ({reason})" if reason else ""))


AGE = re.compile(r"^(?P<count>\d+)(?P<unit>[mhdw])$")
AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _age(_context: click.Context, _parameter: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    found = AGE.match(value.strip())
    if found is None:
        raise click.BadParameter(f"{value!r} is not an age such as 30m, 12h, 7d or 2w")
    return timedelta(**{AGE_UNITS[found["unit"]]: int(found["count"])})


@click.command()
@click.argument(
    "briefing_ref",
    metavar="[ID]",
    required=False,
    callback=lambda c, p, v: v and briefing_reference(c, p, v),
)
@click.option("--all", "all_briefings", is_flag=True, help="Every briefing's citations.")
@click.option(
    "--older-than", "older_than", callback=_age, help="Only citations last checked longer ago (7d, 12h)."
)
@archive_db_option(postgres_ok=True)
@replay_option
@registry_option
@settings_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@one_line_errors
def recheck(
    *,
    briefing_ref: str | None,
    all_briefings: bool,
    older_than: timedelta | None,
    db_path: Path,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
    verbose: bool,
) -> None:
    """Fetch the cited pages again: is each still there, as it was cited?

    A changed page is archived as a new version of its article, and its citations, which keep
    the version they were archived at, become changed_since_cited (the diff: `sourcevault show
    ARTICLE --diff-from VERSION`); a page now gone becomes removed, with when and how it went.

    \b
    Example:
        sourcevault briefing recheck 3
        sourcevault briefing recheck --all --older-than 7d
    """
    from crawler.archive import Archive
    from crawler.briefings.fetching import cited_urls, fetch_cited
    from crawler.registry import load_registry

    if (briefing_ref is None) == (not all_briefings):
        raise click.UsageError("give a briefing ID or --all")
    if no_archive_at(db_path):
        raise click.ClickException(f"{db_path}: no archive here")
    registry = load_registry(registry_path)
    before = (datetime.now(UTC) - older_than).isoformat(timespec="seconds") if older_than else None
    with writing(db_path, "briefing recheck", BESIDE_CRAWLS):
        with Archive(db_path) as archive:
            ids = None
            if briefing_ref is not None:
                found = archive.briefings.find(briefing_ref)
                if found is None:
                    raise click.ClickException(f"{archive.path}: no briefing {briefing_ref}")
                ids = [found["id"]]
            cited = cited_urls(archive.briefings.to_recheck(ids, before))
        if cited:
            fetch_cited(
                db_path,
                cited,
                registry,
                replay=replay,
                registry_path=registry_path,
                verbose=verbose,
                overrides=overrides,
                recheck=True,
            )
    click.echo(f"rechecked {len(cited)} cited URLs")
    with Archive(db_path, readonly=True) as archive:
        for listed in archive.briefings.listing():
            if ids is None or listed["id"] in ids:
                click.echo(listing_line(listed))
