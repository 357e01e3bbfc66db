"""The `sourcevault` command: one click group; its commands live in the modules beside this one."""

from __future__ import annotations

import click

from crawler import __version__
from crawler.cli.archive_moves import migrate_archive
from crawler.cli.archive_overview import clusters, duplicates, stats
from crawler.cli.briefings import briefing
from crawler.cli.crawling import DEMO_MANIFEST, DEMO_SNAPSHOT, crawl, demo, reextract, report
from crawler.cli.exporting import export, import_command
from crawler.cli.outlet_tools import outlets
from crawler.cli.page_tools import extract, lang
from crawler.cli.posts import posts
from crawler.cli.searching import search_command, show
from crawler.cli.serving import serve
from crawler.cli.snapshots import snapshot


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sourcevault")
def main() -> None:
    """Archive the Chinese-language press that China-watch briefings cite.

    Crawls the outlets of config/outlets.toml, keeps every raw original and the article
    extracted from it in an SQLite archive (default data/archive.db).

    \b
    Example:
        sourcevault demo
        sourcevault stats --json
    """


for command in (
    crawl,
    demo,
    reextract,
    report,
    extract,
    lang,
    outlets,
    stats,
    search_command,
    show,
    export,
    import_command,
    serve,
    clusters,
    duplicates,
    snapshot,
    briefing,
    posts,
    migrate_archive,
):
    main.add_command(command)

__all__ = ["DEMO_MANIFEST", "DEMO_SNAPSHOT", "main"]
