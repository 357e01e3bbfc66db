"""`sourcevault briefing`: the briefings whose every cited source the archive keeps."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.cli.options import one_line_errors, registry_option
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from crawler.briefings import Citation


@click.group()
def briefing() -> None:
    """Briefings and the sources they cite.

    \b
    Example:
        sourcevault briefing parse briefing.pdf
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
    whole_file = [warning.message for warning in parsed.warnings if warning.line is None]
    if not parsed.citations:
        raise BadInput(f"{file}: {whole_file[0]}")
    for warning in parsed.warnings:
        where = f"{file}:{warning.line}" if warning.line is not None else str(file)
        click.echo(f"warning: {where}: {warning.message}", err=True)
    if as_json:
        for citation in parsed.citations:
            click.echo(json.dumps(citation.to_json(), ensure_ascii=False))
    else:
        for row in _citation_rows(parsed.citations):
            click.echo(row.rstrip())
