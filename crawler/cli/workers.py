"""`sourcevault workers`: the crawl workers of a PostgreSQL archive, their leases and heartbeats."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from crawler import exit_status
from crawler.cli.options import archive_db_option, one_line_errors

# A lease not renewed for this long (seconds) is lost; a worker renews its own a third of that apart.
DEFAULT_LEASE_SECONDS = 120.0
# An outlet crawled is due again this long (seconds) after.
DEFAULT_EVERY_SECONDS = 3600.0


def worker_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`crawl`'s options for working as a crawl worker."""
    for option in reversed(_WORKER_OPTIONS):
        command = option(command)
    return command


_WORKER_OPTIONS = (
    click.option(
        "--worker",
        is_flag=True,
        help="Crawl as one of the workers of a PostgreSQL archive: take due units of work (an outlet's"
        " discovery, its due revisits, a briefing's citations), leased, one after another until none is due.",
    ),
    click.option("--forever", is_flag=True, help="With --worker: wait for units to fall due, never end."),
    click.option(
        "--lease",
        "lease_seconds",
        type=click.FloatRange(min=1),
        default=DEFAULT_LEASE_SECONDS,
        show_default=True,
        help="With --worker: seconds a lease lasts unless renewed (renewed a third of that apart).",
    ),
    click.option(
        "--every",
        "every_seconds",
        type=click.FloatRange(min=0),
        default=DEFAULT_EVERY_SECONDS,
        show_default=True,
        help="With --worker: seconds after its crawl an outlet's discovery is due again.",
    ),
)


def refuse_worker_options_alone() -> None:
    """--forever, --lease and --every given without --worker: one line, exit 1 (not ignored)."""
    context = click.get_current_context()
    given = [
        f"--{name.removesuffix('_seconds')}"
        for name in ("forever", "lease_seconds", "every_seconds")
        if context.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    ]
    if given:
        raise click.ClickException(f"{', '.join(given)}: only with --worker")


def crawl_as_worker(
    location: Path | str,
    outlets: tuple[str, ...],
    *,
    settings: Any,
    registry: Any,
    lease_seconds: float,
    every_seconds: float,
    forever: bool,
) -> int:
    """Run one crawl worker (crawler/workers.py); one line per unit crawled; the exit status."""
    if not isinstance(location, str):
        raise click.ClickException(
            f"sourcevault crawl --worker: crawl workers need a PostgreSQL archive (--db postgresql://…);"
            f" {location} is an SQLite file"
        )
    if settings.getfloat("WORKER_WAIT_SECONDS") <= 0:
        raise click.ClickException(
            f"-s WORKER_WAIT_SECONDS={settings['WORKER_WAIT_SECONDS']}: a crawl worker waits for work"
            " more than 0 seconds at a time"
        )
    from crawler.workers import FAILED, LEASE_LOST, NONE_DUE, STOPPED, CrawlWorker

    registry_outlets = registry.select(list(outlets))
    worker = CrawlWorker(
        location,
        settings,
        registry,
        outlets=[outlet.slug for outlet in registry_outlets],
        lease_seconds=lease_seconds,
        every_seconds=every_seconds,
        forever=forever,
    )
    from crawler.archive.lock import WORKER, ArchiveBusy
    from crawler.archive.postgres.lock import PostgresWriteLock

    # Shared with the other workers and any writer beside them; a single `crawl` (or a
    # re-extraction) keeps workers out, and workers it.
    lock = PostgresWriteLock(location, WORKER)
    try:
        lock.acquire("crawl worker")
    except ArchiveBusy as busy:
        click.echo(f"Error: {busy}; exiting with status {exit_status.ARCHIVE_BUSY}", err=True)
        return exit_status.ARCHIVE_BUSY
    try:
        done = worker.work()
    finally:
        lock.release()
    for unit, reason in done.crawls:
        click.echo(f"{done.worker}: {unit.kind} {unit.subject}: {reason}")
    if done.ended == FAILED:
        # Not 0: systemd restarts a worker that failed (Restart=on-failure), not one that ended.
        click.echo(f"Error: {done.worker}: the worker failed (its log above says why)", err=True)
        return exit_status.FAILED
    if done.ended == STOPPED:
        click.echo(f"{done.worker}: stopped")
    elif done.ended == NONE_DUE and not done.crawls:
        click.echo(f"{done.worker}: no unit was due")
    # A unit stopped (SIGTERM) or lost to another worker is done by the next worker: not a failure.
    failed = [reason for _, reason in done.crawls if reason not in ("finished", "shutdown", LEASE_LOST)]
    return exit_status.FAILED if failed else exit_status.OK


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def listing_lines(listed: dict[str, Any]) -> list[str]:
    units = listed["units"]
    counts = f"units: {units['units']}, due {units['due']}, leased {units['leased']}"
    lines = [f"workers: {len(listed['workers'])}; {counts}"]
    for worker in listed["workers"]:
        lines.append(f"{worker['id']}  last heartbeat {_ago(worker['silent_seconds'])}")
        for lease in worker["leases"]:
            until = "until" if lease["live"] else "expired"
            holding = f", holding {', '.join(lease['holds'])}" if len(lease["holds"]) > 1 else ""
            unit = f"{lease['kind']} {lease['subject']} (unit {lease['unit']}{holding})"
            lines.append(f"  {unit}: {until} {_moment(lease['leased_until'])}")
        if not worker["leases"]:
            lines.append("  no lease")
    return lines


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


@click.command()
@archive_db_option(postgres_ok=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def workers(db_path: Path | str, as_json: bool) -> None:
    """List the crawl workers of a PostgreSQL archive: each worker (host:pid:start), its last
    heartbeat, and its leases (the unit of work it holds, until when).

    A worker renews its leases with each heartbeat; one silent past its leases' end has lost them
    to the next worker that asked (they show as expired until then). Units: all scheduled, those
    due now (leased or not), those leased.

    \b
    Example:
        sourcevault workers --db postgresql://sourcevault@db.example.org/archive
        sourcevault workers --json --db postgresql://sourcevault@db.example.org/archive
    """
    if not isinstance(db_path, str):
        raise click.ClickException(
            f"sourcevault workers: crawl workers need a PostgreSQL archive (--db postgresql://…);"
            f" {db_path} is an SQLite file"
        )
    from crawler.archive.postgres.leases import listing
    from crawler.archive.postgres.reading import reading

    with reading(db_path) as reader:
        listed = listing(reader.connection)
    if as_json:
        click.echo(json.dumps(listed, default=_jsonable, ensure_ascii=False))
    else:
        for line in listing_lines(listed):
            click.echo(line)
