"""A stand-in crawl worker for tests/test_work_leases.py, run as a process of its own so that tests
can run several at once and kill one with SIGKILL; it does with crawler/archive/postgres/leases.py
what `crawl --worker` does, its crawl of a unit replaced by a short pause.

    python -m tests.lease_worker work URL LEASE_SECONDS
        take due units until none is due (waiting while others hold the due ones), each held a moment
        and finished for good; one JSON line per unit: its id, holding, and the server's clock just
        after taking it and just before finishing it.
    python -m tests.lease_worker share URL LEASE_SECONDS
        as `work`, but its first unit is held (its lease renewed) until another worker holds a unit too,
        or none is left free for one: the units are shared between workers whichever process started
        first, however late the others.
    python -m tests.lease_worker hold URL LEASE_SECONDS
        take one unit (one JSON line) and keep renewing its lease, a quarter of its length apart,
        until killed.
"""

from __future__ import annotations

import json
import sys
import time
from functools import partial

from sqlalchemy import Engine, text

from crawler.archive.postgres.connection import PostgresArchive
from crawler.archive.postgres.leases import Lease, WorkerLeases, due_count, new_worker_id

# How long a worker waits before asking again for a unit that others hold.
POLL_SECONDS = 0.05
# The stand-in for crawling a unit: long enough for two workers on one outlet to overlap, were they let.
WORK_SECONDS = 0.02
# Whether a worker on its first unit goes on (`share`): another worker holds a unit too, or no due unit
# is free for one to take (every unit left shares a holding with this worker's: others did the rest).
SHARED = text(
    """
    SELECT count(DISTINCT worker) > 1 OR NOT EXISTS (
        SELECT 1 FROM work_units u WHERE u.due_at <= now() AND NOT EXISTS (
            SELECT 1 FROM work_leases l WHERE l.holds = ANY(u.holds) AND l.leased_until > now()))
    FROM work_leases
    """
)


def server_clock(engine: Engine) -> str:
    with engine.connect() as connection:
        return connection.execute(text("SELECT clock_timestamp()")).scalar_one().isoformat()


def said(lease: Lease, **fields: object) -> None:
    print(json.dumps({"unit": lease.unit_id, "holds": lease.unit.holds, **fields}), flush=True)


def units_shared(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(SHARED).scalar_one()


def work(leases: WorkerLeases, *, share: bool = False) -> None:
    waiting_for_another = share
    while True:
        lease = leases.take()
        if lease is None:
            if due_count(leases.engine) == 0:
                return
            time.sleep(POLL_SECONDS)
            continue
        taken = server_clock(leases.engine)
        while waiting_for_another and not units_shared(leases.engine):
            assert lease.unit_id in leases.renew()
            time.sleep(POLL_SECONDS)
        waiting_for_another = False
        time.sleep(WORK_SECONDS)
        assert lease.unit_id in leases.renew()
        finishing = server_clock(leases.engine)
        assert leases.finish(lease, again_in=None)
        said(lease, worker=leases.worker, taken=taken, finishing=finishing)


def hold(leases: WorkerLeases) -> None:
    while (lease := leases.take()) is None:
        time.sleep(POLL_SECONDS)
    said(lease, worker=leases.worker)
    while True:
        time.sleep(leases.seconds / 4)
        leases.renew()


def main(mode: str, url: str, seconds: str) -> None:
    archive = PostgresArchive(url)
    leases = WorkerLeases(archive.engine, new_worker_id(), float(seconds))
    leases.register()
    {"work": work, "share": partial(work, share=True), "hold": hold}[mode](leases)
    leases.retire()
    archive.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
