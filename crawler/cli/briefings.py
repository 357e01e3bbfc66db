"""`sourcevault briefing`: the briefings whose every cited source the archive keeps."""

from __future__ import annotations

import click

from crawler.cli.briefing_fetching import add, attach, recheck
from crawler.cli.briefing_reading import list_command, parse, report


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


for command in (parse, add, attach, report, recheck, list_command):
    briefing.add_command(command)
