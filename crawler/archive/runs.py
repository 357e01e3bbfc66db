"""Crawl runs: each run's row in `crawl_runs`, from its start to its finish (or its interruption).

What a run did per outlet is counted from the archive itself (`crawler.archive.run_records`).
"""

from __future__ import annotations

import json
from typing import Any

from crawler import __version__
from crawler.archive.connection import ArchiveConnection, on_postgres, to_json, utc_now
from crawler.archive.fetch_queue import FetchQueue
from crawler.archive.run_records import write_run_records


class Runs:
    """The `crawl_runs` table of one archive (and the per-outlet records a finished run gets)."""

    def __init__(self, archive: ArchiveConnection, queue: FetchQueue):
        self.archive = archive
        self.connection = archive.connection
        self.queue = queue

    def start(
        self,
        outlets: list[str],
        replay_snapshot: str | None,
        *,
        leased: bool = False,
        beside: bool = False,
        revisits: int | None = None,
    ) -> int:
        """Record a new run and queue its revisits (`revisits` of them at most, all when None); only
        while holding the archive's write lock with no other crawl (crawler/archive/lock.py), or,
        `leased`, a crawl worker's lease on the run's outlets (crawler/archive/postgres/leases.py),
        or, `beside`, a briefing's citations fetched beside crawls, which closes no run."""
        now = utc_now()
        with self.archive.db.atomic():
            # A worker's run of a briefing's citations lists no outlet: it cannot tell another
            # worker's run of other citations, under way, from one that lost its process.
            if (outlets or not leased) and not beside:
                self._close_interrupted(now, outlets if leased else None)
            self.queue.prepare_run(outlets, now, revisits)
            cursor = self.connection.execute(
                """INSERT INTO crawl_runs (started_at, status, outlets, replay_snapshot, sourcevault_version)
                VALUES (?, 'running', ?, ?, ?)""",
                [now, to_json(outlets), replay_snapshot, __version__],
            )
        return int(cursor.lastrowid or 0)

    def _close_interrupted(self, now: str, leased: list[str] | None) -> None:
        # The lock says no other crawl runs (the lease, no other crawl of these outlets): a run still
        # "running" lost its process (SIGKILL, power). Other workers' runs of other outlets go on.
        query, parameters = "SELECT id FROM crawl_runs WHERE status = 'running'", []
        if leased is not None:
            query, parameters = f"{query} AND outlets = ?", [to_json(leased)]
        elif on_postgres(self.connection):
            # A briefing's citations (no outlet listed) may be fetched beside this crawl.
            query, parameters = f"{query} AND outlets <> ?", [to_json([])]
        interrupted = [row[0] for row in self.connection.execute(query, parameters)]
        for run_id in interrupted:
            self.connection.execute(
                "UPDATE crawl_runs SET status = 'interrupted', finish_reason = ? WHERE id = ?",
                [f"its process ended without closing the run (found at {now})", run_id],
            )
            write_run_records(self.connection, run_id)

    def finish(self, run_id: int, status: str, finish_reason: str | None, exit_status: int) -> None:
        """Close a run with how it ended, and write its per-outlet records."""
        with self.archive.db.atomic():
            self.connection.execute(
                """UPDATE crawl_runs SET finished_at = ?, status = ?, finish_reason = ?, exit_status = ?
                WHERE id = ?""",
                [utc_now(), status, finish_reason, exit_status, run_id],
            )
            write_run_records(self.connection, run_id)

    def get(self, run_id: int | None = None) -> dict[str, Any] | None:
        """One crawl run (the latest when `run_id` is None), as a dict of its `crawl_runs` columns."""
        where, params = ("WHERE id = ?", [run_id]) if run_id is not None else ("", [])
        cursor = self.connection.execute(f"SELECT * FROM crawl_runs {where} ORDER BY id DESC LIMIT 1", params)
        row = cursor.fetchone()
        if row is None:
            return None
        run = dict(zip((column[0] for column in cursor.description), row, strict=True))
        run["outlets"] = json.loads(run["outlets"])
        return run
