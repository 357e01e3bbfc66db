"""`sourcevault briefing`: the briefings whose every cited source the archive keeps."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler import exit_status
from crawler.cli.options import (
    db_option,
    one_line_errors,
    registry_option,
    replay_option,
    settings_option,
    writing,
)
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from crawler.archive import Archive
    from crawler.briefings import Citation, ParsedBriefing


@click.group()
def briefing() -> None:
    """Briefings and the sources they cite.

    `parse` reads a briefing's citations; `add` archives every source it cites, `report` says
    what became of each, `recheck` finds edits and takedowns since, `list` counts them.

    \b
    Example:
        sourcevault briefing parse briefing.pdf
        sourcevault briefing add briefing.pdf && sourcevault briefing report latest
    """


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _citation_rows(citations: tuple[Citation, ...]) -> list[str]:
    cells = [
        (
            str(citation.position),
            citation.claimed_date.isoformat() if citation.claimed_date else "-",
            citation.kind + (f"/{citation.platform}" if citation.platform else ""),
            citation.outlet or "-",
            citation.label or "-",
            citation.url or "-",
        )
        for citation in citations
    ]
    widths = [max((_width(row[column]) for row in cells), default=0) for column in range(5)]
    return [
        "  ".join(
            [
                " " * (widths[0] - _width(row[0])) + row[0],
                *(
                    cell + " " * (width - _width(cell))
                    for cell, width in zip(row[1:5], widths[1:], strict=True)
                ),
                row[5],
            ]
        )
        for row in cells
    ]


def _warn(file: Path, parsed: ParsedBriefing) -> None:
    """Each parse warning on stderr naming its line; BadInput for a file with no citation."""
    whole_file = [warning.message for warning in parsed.warnings if warning.line is None]
    if not parsed.citations:
        raise BadInput(f"{file}: {whole_file[0]}")
    for warning in parsed.warnings:
        where = f"{file}:{warning.line}" if warning.line is not None else str(file)
        click.echo(f"warning: {where}: {warning.message}", err=True)


@briefing.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per citation, one per line.")
@registry_option
@one_line_errors
def parse(file: Path, as_json: bool, registry_path: Path | None) -> None:
    """Print the citations of a briefing, one line each, in the briefing's order.

    FILE is plain text, Markdown, HTML (a saved web page of the briefing) or PDF: told from its
    content. No network, no archive. Columns: position, claimed date, kind (page, short_link,
    social_post, missing_url; with the platform of a post), outlet, label as written, URL.
    What cannot be read is a warning on stderr naming its line; a file with no citation exits 1.

    \b
    Example:
        sourcevault briefing parse briefing.pdf
        sourcevault briefing parse briefing.html --json > citations.jsonl
    """
    from crawler.briefings import parse_briefing
    from crawler.registry import load_registry

    parsed = parse_briefing(file.read_bytes(), str(file), registry=load_registry(registry_path))
    _warn(file, parsed)
    if as_json:
        for citation in parsed.citations:
            click.echo(json.dumps(citation.to_json(), ensure_ascii=False))
    else:
        for row in _citation_rows(parsed.citations):
            click.echo(row.rstrip())


def _print_counts(archive: Archive, reference: str) -> None:
    from crawler.briefings.report import report_rows, status_counts

    found = archive.briefings.find(reference)
    assert found is not None
    counts = status_counts(report_rows(archive, found["version_id"]))
    click.echo(", ".join(f"{status}: {count}" for status, count in counts.items()))


@briefing.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", help="The briefing's title (default: the file's name); an edited file keeps it.")
@click.option(
    "--published",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the briefing was published (YYYY-MM-DD).",
)
@db_option
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

    \b
    Example:
        sourcevault briefing add weekly-2024-05-06.pdf --published 2024-05-06
        sourcevault briefing add briefing.txt --replay crawler/demo/snapshot.warc.gz
    """
    from crawler.archive import Archive
    from crawler.briefings import parse_briefing
    from crawler.briefings.statuses import unfetched
    from crawler.registry import load_registry

    registry = load_registry(registry_path)
    data = file.read_bytes()
    parsed = parse_briefing(data, str(file), registry=registry)
    _warn(file, parsed)
    initial = {
        citation.position: resolution
        for citation in parsed.citations
        if (resolution := unfetched(citation.kind, citation.platform)) is not None
    }
    with writing(db_path, "briefing add"):
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
) -> None:
    """Fetch the citations of a briefing version not fetched yet: the pages in this process, the
    posts through the posts spider (crawler/briefings/posts.py). The caller holds the write lock."""
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
    if cited:
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


@briefing.command()
@click.argument("citation", type=click.IntRange(min=1))
@click.argument("url")
@db_option
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
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
    verbose: bool,
) -> None:
    """Give a citation that has no URL (status no_url) the URL found for it, and archive it.

    CITATION is the citation's id (`briefing report --json` gives each one's `citation_id`). A post's URL
    (Weibo, X) is archived as `posts add` archives it; any other as `briefing add` fetches pages.

    \b
    Example:
        sourcevault briefing attach 9 https://weibo.com/7827771738/N4xlMvjhI
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
    if not db_path.exists():
        raise BadInput(f"{db_path}: no archive here")
    with writing(db_path, "briefing attach"):
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
        )
    with Archive(db_path, readonly=True) as archive:
        status, reason = archive.connection.execute(
            "SELECT status, reason FROM citations WHERE id = ?", [citation]
        ).fetchone()
    click.echo(f"citation {citation}: {status}" + (f" ({reason})" if reason else ""))


def _briefing_reference(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    if value != "latest" and not value.isdigit():
        raise click.BadParameter(f"{value!r} is neither a briefing id nor 'latest'")
    return value


@briefing.command()
@click.argument("briefing_ref", metavar="[ID|latest]", default="latest", callback=_briefing_reference)
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per citation, one per line.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV, one row per citation, with a header.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one self-contained HTML page to this file.",
)
@click.option(
    "--serve-url",
    default="http://127.0.0.1:8001",
    show_default=True,
    help="Where `sourcevault serve` runs, for the HTML page's links to the archived originals.",
)
@one_line_errors
def report(
    *, briefing_ref: str, db_path: Path, as_json: bool, as_csv: bool, html_file: Path | None, serve_url: str
) -> None:
    """Report every citation of a briefing, in order: its status and what it was archived as.

    Statuses: archived, archived_from_web_archive, changed_since_cited, removed, paywalled,
    not_an_article, blocked, no_url, failed (pending: not fetched yet). date_agrees compares the
    page's date with the claimed one in the outlet's time zone.

    \b
    Example:
        sourcevault briefing report latest
        sourcevault briefing report 3 --json > citations.jsonl
        sourcevault briefing report 3 --html sources.html
    """
    from crawler.briefings.report import csv_text, html_page, json_lines, report_rows_of, text_lines

    if sum((as_json, as_csv, html_file is not None)) > 1:
        raise click.UsageError("give one of --json, --csv, --html")
    found, rows = report_rows_of(db_path, briefing_ref)
    if as_json:
        for line in json_lines(rows):
            click.echo(line)
    elif as_csv:
        click.echo(csv_text(rows), nl=False)
    elif html_file is not None:
        html_file.write_text(html_page(found, rows, serve_url), encoding="utf-8")
        click.echo(f"wrote {html_file}: {len(rows)} citations")
    else:
        for line in text_lines(found, rows):
            click.echo(line)


AGE = re.compile(r"^(?P<count>\d+)(?P<unit>[mhdw])$")
AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _age(_context: click.Context, _parameter: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    found = AGE.match(value.strip())
    if found is None:
        raise click.BadParameter(f"{value!r} is not an age such as 30m, 12h, 7d or 2w")
    return timedelta(**{AGE_UNITS[found["unit"]]: int(found["count"])})


@briefing.command()
@click.argument(
    "briefing_ref",
    metavar="[ID]",
    required=False,
    callback=lambda c, p, v: v and _briefing_reference(c, p, v),
)
@click.option("--all", "all_briefings", is_flag=True, help="Every briefing's citations.")
@click.option(
    "--older-than", "older_than", callback=_age, help="Only citations last checked longer ago (7d, 12h)."
)
@db_option
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
    if not db_path.exists():
        raise click.ClickException(f"{db_path}: no archive here")
    registry = load_registry(registry_path)
    before = (datetime.now(UTC) - older_than).isoformat(timespec="seconds") if older_than else None
    with writing(db_path, "briefing recheck"):
        with Archive(db_path) as archive:
            ids = None
            if briefing_ref is not None:
                found = archive.briefings.find(briefing_ref)
                if found is None:
                    raise click.ClickException(f"{db_path}: no briefing {briefing_ref}")
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
                click.echo(_listing_line(listed))


def _listing_line(listed: dict[str, Any]) -> str:
    counts = ", ".join(f"{status}: {count}" for status, count in sorted(listed["statuses"].items()))
    return (
        f"{listed['id']}  {listed['title']}  version {listed['version']}  {listed['citations']} citations"
        f"  ({counts})"
    )


@briefing.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per briefing, one per line.")
@one_line_errors
def list_command(db_path: Path, as_json: bool) -> None:
    """List the briefings in the archive with how many citations have each status.

    \b
    Example:
        sourcevault briefing list
    """
    from crawler.archive import Archive

    if not db_path.exists():
        raise click.ClickException(f"{db_path}: no archive here")
    with Archive(db_path, readonly=True) as archive:
        listed = archive.briefings.listing()
    for entry in listed:
        click.echo(json.dumps(entry, ensure_ascii=False) if as_json else _listing_line(entry))
    if not listed and not as_json:
        click.echo("no briefings yet (sourcevault briefing add FILE)")
    sys.exit(exit_status.OK)
