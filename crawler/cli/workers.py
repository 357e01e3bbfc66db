"""`sourcevault workers`: the crawl workers of a PostgreSQL archive, their leases and heartbeats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from crawler.cli.options import archive_db_option, one_line_errors


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
            unit = f"{lease['kind']} {lease['subject']} (unit {lease['unit']})"
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
