"""The `briefing` commands that read: parse (a file), report and list (the archive)."""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler import exit_status
from crawler.cli.options import db_option, one_line_errors, registry_option
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from crawler.briefings import Citation, ParsedBriefing


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


def warn_of_parse_problems(file: Path, parsed: ParsedBriefing) -> None:
    """Each parse warning on stderr naming its line; BadInput for a file with no citation."""
    whole_file = [warning.message for warning in parsed.warnings if warning.line is None]
    if not parsed.citations:
        raise BadInput(f"{file}: {whole_file[0]}")
    for warning in parsed.warnings:
        where = f"{file}:{warning.line}" if warning.line is not None else str(file)
        click.echo(f"warning: {where}: {warning.message}", err=True)


@click.command()
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
    warn_of_parse_problems(file, parsed)
    if as_json:
        for citation in parsed.citations:
            click.echo(json.dumps(citation.to_json(), ensure_ascii=False))
    else:
        for row in _citation_rows(parsed.citations):
            click.echo(row.rstrip())


def briefing_reference(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    """A briefing's id or 'latest', checked."""
    if value != "latest" and not value.isdigit():
        raise click.BadParameter(f"{value!r} is neither a briefing id nor 'latest'")
    return value


@click.command()
@click.argument("briefing_ref", metavar="[ID|latest]", default="latest", callback=briefing_reference)
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


def listing_line(listed: dict[str, Any]) -> str:
    """One briefing of `briefing list`: its version, citations and how many have each status."""
    counts = ", ".join(f"{status}: {count}" for status, count in sorted(listed["statuses"].items()))
    return (
        f"{listed['id']}  {listed['title']}  version {listed['version']}  {listed['citations']} citations"
        f"  ({counts})"
    )


@click.command("list")
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
        click.echo(json.dumps(entry, ensure_ascii=False) if as_json else listing_line(entry))
    if not listed and not as_json:
        click.echo("no briefings yet (sourcevault briefing add FILE)")
    sys.exit(exit_status.OK)
