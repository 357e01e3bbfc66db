"""Commands that crawl and look after the crawl: crawl, demo, reextract, report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from crawler import exit_status
from crawler.archive import Archive
from crawler.archive.connection import ArchiveError
from crawler.archive.lock import WHOLE
from crawler.cli.options import (
    archive_db_option,
    no_archive_at,
    one_line_errors,
    registry_option,
    replay_option,
    settings_option,
    writing,
)
from crawler.cli.workers import crawl_as_worker, refuse_worker_options_alone, worker_options

# The bundled offline snapshot of real outlet pages (and the manifest it is built from).
DEMO_FOLDER = Path(__file__).resolve().parent.parent / "demo"
DEMO_SNAPSHOT = DEMO_FOLDER / "snapshot.warc.gz"
DEMO_MANIFEST = DEMO_FOLDER / "manifest.toml"
# A synthetic briefing whose citations the snapshot answers (a short link, a gone page and its
# Wayback Machine copy, a listing, a post with no URL): the demo adds it after the crawl.
DEMO_BRIEFING = DEMO_FOLDER / "briefing.txt"


def _crawl(
    db_path: Path,
    outlets: tuple[str, ...],
    *,
    replay: Path | None,
    registry_path: Path | None,
    verbose: bool,
    overrides: dict[str, str] | None = None,
) -> int:
    """Crawl under the archive's write lock; the exit status, its reason said on stderr."""
    with writing(db_path, "crawl"):
        status, finish_reason = _run_crawl(
            db_path, outlets, replay=replay, registry_path=registry_path, verbose=verbose, overrides=overrides
        )
    if status == exit_status.NOTHING_FETCHED:
        click.echo(
            "Error: nothing could be fetched: every outlet's discovery failed"
            " (no network? their failures: `sourcevault report`)",
            err=True,
        )
    elif status != exit_status.OK:
        click.echo(f"Error: crawl ended early: {finish_reason}", err=True)
    return status


def _run_crawl(
    db_path: Path,
    outlets: tuple[str, ...],
    *,
    replay: Path | None,
    registry_path: Path | None,
    verbose: bool,
    overrides: dict[str, str] | None,
) -> tuple[int, str | None]:
    """Crawl, print the run's table; the run's exit status and Scrapy's finish reason."""
    # Scrapy and Twisted take a second to import: only commands that crawl pay for them.
    from crawler.registry import load_registry
    from crawler.research.report import build_report, run_table
    from crawler.runner import project_settings, run_crawl
    from crawler.warc_snapshots import Snapshot

    registry = load_registry(registry_path)
    registry.select(list(outlets))
    settings = project_settings(
        db_path, replay_snapshot=replay, registry_path=registry_path, verbose=verbose, overrides=overrides
    )
    if replay is not None:
        Snapshot(replay)
    Archive(db_path).close()
    result = run_crawl(settings, list(outlets), registry)
    if result.run_id is None:
        # Closed before its run began (no room left beside the archive, say): nothing to tabulate.
        return exit_status.crawl_exit_status(result.finish_reason), result.finish_reason
    try:
        with Archive(db_path, readonly=True) as archive:
            report = build_report(archive, result.run_id)
            for line in run_table(report.outlets, report.run["outlets"]):
                click.echo(line)
            totals = archive.queries.stats(registry.slugs)
    except ArchiveError:
        if result.ok:
            raise
        # The archive that ended the crawl cannot be read either (its server is gone, say): the
        # crawl's own reason is the one to give.
        return exit_status.crawl_exit_status(result.finish_reason), result.finish_reason
    click.echo(
        f"run {result.run_id} archived in {db_path}: now {totals['articles']} articles "
        f"from {totals['captures']} captures"
    )
    # The archive pipeline records the run's exit status as it closes the run.
    status = report.run["exit_status"]
    if status is None:
        status = exit_status.crawl_exit_status(result.finish_reason)
    return status, result.finish_reason


@click.command()
@click.argument("outlets", nargs=-1)
@archive_db_option(postgres_ok=True)
@replay_option
@registry_option
@settings_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log instead of the progress line.")
@worker_options
@one_line_errors
def crawl(
    outlets: tuple[str, ...],
    db_path: Path,
    *,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
    verbose: bool,
    worker: bool,
    forever: bool,
    lease_seconds: float,
    every_seconds: float,
) -> None:
    """Crawl OUTLETS (slugs; all when none) into the archive.

    Fetches only what is new: archived articles are skipped, feeds and sitemaps are asked with
    conditional GET, and recently archived articles are fetched again (1 hour, 1 day, 1 week
    after) to catch edits and takedowns. A crawl killed at any moment resumes where it stopped
    on the next run. Exit status: 0 finished, 1 ended early or bad input, 4 nothing could be
    fetched (every outlet's discovery failed), 75 another crawl is running on this archive.

    \b
    Example:
        sourcevault crawl cna udn --db data/archive.db
        sourcevault crawl --replay crawler/demo/snapshot.warc.gz
        sourcevault crawl -s DOWNLOAD_TIMEOUT=60
        sourcevault crawl --worker --forever --db postgresql://sourcevault@db.example.org/archive
    """
    if worker:
        from crawler.registry import load_registry
        from crawler.runner import project_settings

        settings = project_settings(
            db_path, replay_snapshot=replay, registry_path=registry_path, verbose=verbose, overrides=overrides
        )
        settings.set("ARCHIVE_WRITE_LOCK", False, priority="cmdline")
        # Below the command line's priority: -s EXTRACT_WORKERS still has the last word.
        settings.set("EXTRACT_WORKERS", settings["WORKER_EXTRACT_WORKERS"], priority="project")
        registry = load_registry(registry_path)
        sys.exit(
            crawl_as_worker(
                db_path,
                outlets,
                settings=settings,
                registry=registry,
                lease_seconds=lease_seconds,
                every_seconds=every_seconds,
                forever=forever,
            )
        )
    refuse_worker_options_alone()
    sys.exit(
        _crawl(
            db_path, outlets, replay=replay, registry_path=registry_path, verbose=verbose, overrides=overrides
        )
    )


@click.command()
@archive_db_option(postgres_ok=True)
@registry_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log instead of the progress line.")
@one_line_errors
def demo(db_path: Path, registry_path: Path | None, verbose: bool) -> None:
    """Crawl the bundled offline snapshot of real outlet pages and print per-outlet counts;
    then add the bundled synthetic briefing (`briefing add --replay`) and print its report.

    Outlets of the registry that the snapshot holds no page of (one added since it was built)
    are not crawled: a line names each.

    \b
    Example:
        sourcevault demo --db /tmp/demo.db
    """
    from crawler.registry import load_registry
    from crawler.warc_snapshots import Snapshot

    click.echo(f"Replaying the bundled snapshot {DEMO_SNAPSHOT.name} (no network) into {db_path}")
    registry = load_registry(registry_path)
    hosts = Snapshot(DEMO_SNAPSHOT).hosts()
    recorded = [outlet.slug for outlet in registry if any(outlet.owns_host(host) for host in hosts)]
    if not recorded:
        raise click.ClickException(f"{registry.path}: none of its outlets has a page in {DEMO_SNAPSHOT}")
    status = _crawl(
        db_path, tuple(recorded), replay=DEMO_SNAPSHOT, registry_path=registry_path, verbose=verbose
    )
    for slug in registry.slugs:
        if slug not in recorded:
            click.echo(f"{slug}: no documents in the bundled snapshot")
    if status == exit_status.OK:
        status = _demo_briefing(db_path, registry_path)
    sys.exit(status)


def _demo_briefing(db_path: Path, registry_path: Path | None) -> int:
    """Add the bundled briefing and print its report; the exit status of the add.

    `briefing add` runs as its own process, as a user runs it: Scrapy's reactor, which the
    crawl ran in this one, cannot start twice in a process.
    """
    from crawler.briefings.report import report_rows_of, text_lines

    click.echo(f"\nAdding the bundled synthetic briefing {DEMO_BRIEFING.name}, its sources from the snapshot")
    registry_option = ["--registry", str(registry_path)] if registry_path else []
    added = subprocess.run(
        [
            *(
                sys.executable,
                "-m",
                "crawler.cli",
                "briefing",
                "add",
                str(DEMO_BRIEFING),
                "--db",
                str(db_path),
            ),
            *("--replay", str(DEMO_SNAPSHOT), "--title", "Synthetic demo briefing", *registry_option),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    click.echo(added.stderr, err=True, nl=False)
    if added.returncode != exit_status.OK:
        click.echo(added.stdout, nl=False)
        return added.returncode
    briefing, rows = report_rows_of(db_path, "latest")
    for line in text_lines(briefing, rows):
        click.echo(line)
    return exit_status.OK


@click.command()
@archive_db_option(postgres_ok=True)
@click.option("--outlet", "outlets", multiple=True, help="Only this outlet (repeatable).")
@registry_option
@one_line_errors
def reextract(db_path: Path, outlets: tuple[str, ...], registry_path: Path | None) -> None:
    """Rebuild the articles from the stored raw originals, without network.

    Run it after fixing a parser or a selector, or adding a URL pattern or an outlet: every
    stored article page is extracted again, the page deciding whether it is an article, and
    the archive's articles are replaced by the new results; their versions, URL aliases and
    story clusters are rebuilt from the same captures. Pages of sites no outlet owns
    (--outlet site:rfa.org) are read the generic way, or by the outlet that owns them now.

    \b
    Example:
        sourcevault reextract --outlet udn
        sourcevault reextract --outlet site:rfa.org
    """
    from crawler.registry import load_registry
    from crawler.research.reextraction import reextract as run_reextract
    from crawler.research.reextraction import unregistered_outlets
    from crawler.sites import is_site_outlet

    registry = load_registry(registry_path)
    registry.select([slug for slug in outlets if not is_site_outlet(slug)])
    if no_archive_at(db_path):
        raise click.ClickException(f"{db_path}: no archive here")
    with writing(db_path, "reextract", WHOLE), Archive(db_path) as archive:
        unregistered = {} if outlets else unregistered_outlets(archive, registry)
        counts = run_reextract(archive, registry, list(outlets) or None)
    for slug, captures in unregistered.items():
        click.echo(
            f"warning: {registry.path} has no outlet {slug!r}: its archived pages ({captures})"
            " were left as they are",
            err=True,
        )
    for name, count in counts.items():
        click.echo(f"{name}: {count}")


@click.command()
@archive_db_option(postgres_ok=True)
@click.option("--run", "run_id", type=int, help="Report this run (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def report(db_path: Path, run_id: int | None, as_json: bool) -> None:
    """Summarise a crawl run per outlet, with one ALERT line per problem.

    Alerts: an outlet whose feeds or APIs listed articles not yet archived but that yielded
    no new one; a field (title, body, authors…) found in far fewer articles than in the
    outlet's recent runs (a layout change); pages answered 403 or 429, or a challenge page
    served with 200 (blocked); requests the network policy refused (off policy: another host,
    a private address, not http(s)); discovery documents that all failed; pages kept without
    their article because extraction, tagging or storing it raised (fix, then `reextract`); a
    run that did not finish. Exit status: 0 no alert, 3 alerts, 1 no such archive or run.

    \b
    Example:
        sourcevault report
        sourcevault report --run 12 --json
    """
    from crawler.research.report import build_report, report_lines

    with Archive(db_path, readonly=True) as archive:
        run_report = build_report(archive, run_id)
    if as_json:
        click.echo(json.dumps(run_report.to_dict(), ensure_ascii=False))
    else:
        for line in report_lines(run_report):
            click.echo(line)
    if run_report.alerts:
        sys.exit(exit_status.ALERTS)
