"""What the commands that pick articles (search, export) share: filter options, a time limit, and
the warning that edits made by another tool are not searchable yet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.cli.options import F
from crawler.registry_file import OutletSlugs

if TYPE_CHECKING:
    from crawler.archive import Archive
    from crawler.search.query import Filters

time_limit_option = click.option(
    "--time-limit",
    "time_limit_seconds",
    type=click.FloatRange(min=0, min_open=True, max=3_600),
    help="Stop a search that takes longer than this many seconds (default: 10).",
)


def filter_options(command: F) -> F:
    """--outlet, --since, --until and --lang, for the commands that pick articles."""
    options = (
        click.option("--outlet", "outlets", multiple=True, help="Only this outlet (repeatable)."),
        click.option("--since", help="Published on or after this day (YYYY-MM-DD, the outlet's local date)."),
        click.option("--until", help="Published on or before this day (YYYY-MM-DD)."),
        click.option("--lang", "language", help="Language tag: zh-Hant, zh-Hans, zh (both scripts), en, ..."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def chosen_filters(
    registry_path: Path | None,
    outlets: tuple[str, ...],
    since: str | None,
    until: str | None,
    language: str | None,
) -> Filters:
    """The filters the options chose, the outlets checked against the registry."""
    from crawler.search.query import Filters, parse_day

    OutletSlugs(registry_path).check(outlets)
    return Filters(
        outlets=outlets,
        since=parse_day(since, "--since") if since else None,
        until=parse_day(until, "--until") if until else None,
        language=language,
    )


def warn_of_unindexed_edits(archive: Archive) -> None:
    """Say on stderr when a search would miss articles another tool edited since the index was kept."""
    if archive.unindexed_edits:
        click.echo(
            f"warning: {archive.path}: the edits another SQLite tool made to {archive.unindexed_edits}"
            " article(s) are not searchable until the archive is opened read-write once"
            " (any crawl, import or reextract does)",
            err=True,
        )
