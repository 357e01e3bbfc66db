"""Crawl workers' leases on units of work in a PostgreSQL archive (issue 18): PostgreSQL as the work
queue, with nothing home-made beyond the tables (crawler/archive/model/postgres_only.py: crawl_workers,
work_units, work_leases).

A unit of work is an outlet's discovery, an outlet's due revisits, a platform's watched posts due for
a check, or a briefing's citations. A worker takes a due unit with `SELECT … FOR UPDATE SKIP LOCKED`
(workers taking at once never wait for one another) and leases what the unit holds: its outlet (a
platform's posts: the platform); or, for a briefing's citations, the briefing and every outlet they
are fetched from, a lease each, all taken in one transaction or none (a unit one of
whose holdings another worker leases waits). A holding has at most one lease (the primary key of
work_leases), so an outlet is crawled by one worker at a time, whichever of its units it works on,
and politeness needs no coordination between machines. The worker renews its leases
while it works (its heartbeat) and releases them when done; a lease not renewed expires and the unit
is taken by the next worker that asks, from the start. Every time is the server's clock (now()), so
workers on machines whose clocks disagree expire leases alike. A worker that found no unit free waits
for one on a channel (LISTEN/NOTIFY) that releasing leases and scheduling units notify, so it takes a
unit, or ends, as soon as another worker lets one go (a lease that expires notifies nobody: the wait
is bounded), and stops at once when told to (crawler/archive/postgres/wakeup.py).

Every statement is in this module; each method runs one transaction of its own.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from crawler.archive.postgres.wakeup import Wakeup, await_notification

DISCOVERY = "discovery"
REVISITS = "revisits"
CITATIONS = "citations"
POSTS = "posts"
# A worker silent this long (days) is forgotten, with its expired leases, when another registers.
FORGET_SILENT_WORKERS_AFTER_DAYS = 1
# Due units looked at per attempt to take one; the others' rows stay free for other workers.
CANDIDATES_PER_TAKE = 8
# Notified (at commit) when leases are released or units scheduled: waiting workers look again.
WORK_CHANNEL = "sourcevault_work"
NOTIFY_WORK = text(f"NOTIFY {WORK_CHANNEL}")

REGISTER = text(
    """
    INSERT INTO crawl_workers (id, host, pid, started_at, heartbeat_at)
    VALUES (:worker, :host, :pid, now(), now())
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
    """
)
FORGET_SILENT = text("DELETE FROM crawl_workers WHERE heartbeat_at < now() - make_interval(days => :days)")
RETIRE = text("DELETE FROM crawl_workers WHERE id = :worker")
SCHEDULE = text(
    """
    INSERT INTO work_units (kind, subject, holds, due_at) VALUES (:kind, :subject, :holds, now())
    ON CONFLICT (kind, subject) DO NOTHING
    """
)
# Revisits are due for an outlet once one of its articles' revisit is (revisit_due_at: ISO 8601, UTC).
SCHEDULE_DUE_REVISITS = text(
    """
    INSERT INTO work_units (kind, subject, holds, due_at)
    SELECT DISTINCT 'revisits', outlet, ARRAY[outlet], now() FROM articles
    WHERE revisit_due_at <= :now AND outlet = ANY(:outlets)
    ON CONFLICT (kind, subject) DO NOTHING
    """
)
# Posts are due for a platform once one of its watched posts' next check is (as revisit_due_at).
SCHEDULE_DUE_POSTS = text(
    """
    INSERT INTO work_units (kind, subject, holds, due_at)
    SELECT DISTINCT 'posts', platform, ARRAY[platform], now() FROM posts
    WHERE watched = 1 AND next_check_at <= :now AND platform = ANY(:platforms)
    ON CONFLICT (kind, subject) DO NOTHING
    """
)
CANDIDATES = text(
    """
    SELECT u.id, u.kind, u.subject, u.holds FROM work_units u
    WHERE u.due_at <= now()
      AND NOT EXISTS (SELECT 1 FROM work_leases l WHERE l.holds = ANY(u.holds) AND l.leased_until > now())
    ORDER BY u.due_at, u.id
    LIMIT :limit
    FOR UPDATE OF u SKIP LOCKED
    """
)
# Another worker's lease on the holding is replaced only once it has expired (checked on the row as
# committed, after waiting for a worker leasing it at this moment).
LEASE = text(
    """
    INSERT INTO work_leases (holds, unit, worker, taken_at, leased_until)
    VALUES (:holds, :unit, :worker, now(), now() + make_interval(secs => :seconds))
    ON CONFLICT (holds) DO UPDATE
    SET unit = excluded.unit, worker = excluded.worker, taken_at = excluded.taken_at,
        leased_until = excluded.leased_until
    WHERE work_leases.leased_until <= now()
    RETURNING leased_until
    """
)
HEARTBEAT = text("UPDATE crawl_workers SET heartbeat_at = now() WHERE id = :worker")
# The units whose every holding the worker still leases (one it lost to another worker is not).
# Rows locked in the order of their holdings, as LEASE and HOLDS_LOCKED lock them: never a deadlock.
RENEW = text(
    """
    WITH held AS MATERIALIZED (
        SELECT holds FROM work_leases WHERE worker = :worker ORDER BY holds FOR NO KEY UPDATE
    ), renewed AS (
        UPDATE work_leases l SET leased_until = now() + make_interval(secs => :seconds)
        FROM held WHERE l.holds = held.holds AND l.worker = :worker RETURNING l.unit
    )
    SELECT r.unit FROM renewed r JOIN work_units u ON u.id = r.unit
    GROUP BY r.unit, u.holds HAVING count(*) = cardinality(u.holds)
    """
)
RELEASE = text("DELETE FROM work_leases WHERE unit = :unit AND worker = :worker")
DUE_AGAIN = text(
    """
    UPDATE work_units SET due_at = now() + make_interval(secs => :seconds), last_finished_at = now()
    WHERE id = :unit
    """
)
DONE_FOR_GOOD = text("DELETE FROM work_units WHERE id = :unit")
HOLDS = text(
    """
    SELECT count(l.holds) = cardinality(u.holds) FROM work_units u
    LEFT JOIN work_leases l ON l.unit = u.id AND l.worker = :worker
    WHERE u.id = :unit GROUP BY u.holds
    """
)
# HOLDS inside a transaction that writes under the leases: their rows locked until it ends, so a
# worker taking them over (LEASE) waits for its commit, and one that took them first is seen.
HOLDS_LOCKED = text(
    """
    SELECT (SELECT count(*) FROM (
                SELECT 1 FROM work_leases WHERE unit = :unit AND worker = :worker ORDER BY holds FOR SHARE
            ) AS held)
           = (SELECT cardinality(holds) FROM work_units WHERE id = :unit)
    """
)
DUE_COUNT = text("SELECT count(*) FROM work_units WHERE due_at <= now()")
# Whether a waiting worker should look again at once: a due unit nobody leases, or (`until_none_due`)
# no unit due at all.
WAIT_OVER = text(
    """
    SELECT count(*) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM work_leases l WHERE l.holds = ANY(u.holds) AND l.leased_until > now())) > 0
           OR (:until_none_due AND count(*) = 0)
    FROM work_units u WHERE u.due_at <= now()
    """
)
WORKERS = text(
    """
    SELECT id, host, pid, started_at, heartbeat_at,
           extract(epoch FROM now() - heartbeat_at)::float AS silent_seconds
    FROM crawl_workers ORDER BY started_at, id
    """
)
LEASES = text(
    """
    SELECT l.worker, l.unit, u.kind, u.subject, array_agg(l.holds ORDER BY l.holds) AS holds,
           min(l.taken_at) AS taken_at, min(l.leased_until) AS leased_until,
           bool_and(l.leased_until > now()) AS live
    FROM work_leases l JOIN work_units u ON u.id = l.unit
    GROUP BY l.worker, l.unit, u.kind, u.subject ORDER BY l.worker, min(l.taken_at), l.unit
    """
)
UNIT_COUNTS = text(
    """
    SELECT count(*) AS units, count(*) FILTER (WHERE due_at <= now()) AS due,
           (SELECT count(DISTINCT unit) FROM work_leases WHERE leased_until > now()) AS leased
    FROM work_units
    """
)


@dataclass(frozen=True)
class Unit:
    kind: str
    subject: str
    holds: tuple[str, ...]

    @classmethod
    def discovery(cls, outlet: str) -> Unit:
        return cls(DISCOVERY, outlet, (outlet,))

    @classmethod
    def revisits(cls, outlet: str) -> Unit:
        return cls(REVISITS, outlet, (outlet,))

    @classmethod
    def posts(cls, platform: str) -> Unit:
        """A platform's watched posts due for a check; the platform held as an outlet is."""
        return cls(POSTS, platform, (platform,))

    @classmethod
    def citations(cls, version: int, outlets: Iterable[str] = ()) -> Unit:
        """A briefing version's citations, fetched from `outlets` (each held while they are)."""
        return cls(CITATIONS, str(version), (f"briefing:{version}", *sorted(set(outlets))))


@dataclass(frozen=True)
class Lease:
    unit_id: int
    unit: Unit
    leased_until: datetime


def new_worker_id() -> str:
    """This process as a worker: its host, pid and start (UTC), e.g. `crawl-2:4312:20261202T054012Z`."""
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{socket.gethostname()}:{os.getpid()}:{started}"


def schedule(engine: Engine, units: Iterable[Unit]) -> None:
    """Make the units due now, those not scheduled already (a unit already there keeps its time)."""
    rows = [{"kind": unit.kind, "subject": unit.subject, "holds": list(unit.holds)} for unit in units]
    if rows:
        with engine.begin() as connection:
            connection.execute(SCHEDULE, rows)
            connection.execute(NOTIFY_WORK)


def schedule_due_rechecks(engine: Engine, outlets: list[str], platforms: list[str], now: str) -> None:
    """A revisits unit, due now, for each of the outlets with an article whose revisit is due at `now`
    (the archive's clock, crawler.archive.connection.utc_now), and a posts unit for each of the
    platforms with a watched post whose next check is due, unless it has one already."""
    with engine.begin() as connection:
        connection.execute(SCHEDULE_DUE_REVISITS, {"outlets": outlets, "now": now})
        connection.execute(SCHEDULE_DUE_POSTS, {"platforms": platforms, "now": now})


def due_count(engine: Engine) -> int:
    """Units due now, leased or not."""
    with engine.connect() as connection:
        return connection.execute(DUE_COUNT).scalar_one()


def holds_lease(connection: Connection, worker: str, unit: int) -> bool:
    """Whether the worker holds its leases on all the unit holds still (expired, but nobody took them
    over, counts)."""
    return bool(connection.execute(HOLDS, {"unit": unit, "worker": worker}).scalar())


def holds_lease_until_commit(connection: Connection, worker: str, unit: int) -> bool:
    """`holds_lease` in the connection's transaction, the leases kept from a takeover until it ends."""
    return bool(connection.execute(HOLDS_LOCKED, {"unit": unit, "worker": worker}).scalar())


class WorkerLeases:
    """One worker's leases: register it, take units, renew and release them, retire it."""

    def __init__(self, engine: Engine, worker: str, seconds: float):
        self.engine = engine
        self.worker = worker
        self.seconds = seconds

    def register(self) -> None:
        """Record the worker (forgetting workers silent for a day)."""
        host, pid, _started = self.worker.rsplit(":", 2)
        with self.engine.begin() as connection:
            connection.execute(FORGET_SILENT, {"days": FORGET_SILENT_WORKERS_AFTER_DAYS})
            connection.execute(REGISTER, {"worker": self.worker, "host": host, "pid": int(pid)})

    def retire(self) -> None:
        """Forget the worker, releasing any lease it still holds."""
        with self.engine.begin() as connection:
            connection.execute(RETIRE, {"worker": self.worker})
            connection.execute(NOTIFY_WORK)

    def take(self) -> Lease | None:
        """Leases on a due unit's every holding, none of which anyone else leases (all taken in this
        transaction, or none), or None when there is no such unit."""
        with self.engine.begin() as connection:
            for unit_id, kind, subject, holds in connection.execute(
                CANDIDATES, {"limit": CANDIDATES_PER_TAKE}
            ).all():
                leased = connection.begin_nested()
                until = []
                lease = {"unit": unit_id, "worker": self.worker, "seconds": self.seconds}
                # In one order for every worker: two taking units that share outlets never deadlock.
                for holding in sorted(holds):
                    taken = connection.execute(LEASE, {**lease, "holds": holding}).scalar_one_or_none()
                    if taken is None:
                        break
                    until.append(taken)
                if len(until) < len(holds):
                    leased.rollback()
                    continue
                leased.commit()
                return Lease(unit_id, Unit(kind, subject, tuple(holds)), min(until))
        return None

    def renew(self) -> set[int]:
        """The heartbeat: every lease of the worker runs `seconds` from now. The units it still holds
        (one missing was taken by another worker after its lease expired: stop working on it)."""
        with self.engine.begin() as connection:
            connection.execute(HEARTBEAT, {"worker": self.worker})
            held = connection.execute(RENEW, {"worker": self.worker, "seconds": self.seconds})
            return set(held.scalars())

    def finish(self, lease: Lease, *, again_in: float | None) -> bool:
        """Release the leases on a unit done: due again `again_in` seconds from now, or never (None).
        False, and the unit left as it is (the leases the worker still has released), when one of
        them was lost to another worker."""
        with self.engine.begin() as connection:
            whole = connection.execute(HOLDS, {"unit": lease.unit_id, "worker": self.worker}).scalar()
            if not self._release(connection, lease) or not whole:
                return False
            if again_in is None:
                connection.execute(DONE_FOR_GOOD, {"unit": lease.unit_id})
            else:
                connection.execute(DUE_AGAIN, {"unit": lease.unit_id, "seconds": again_in})
            return True

    def give_back(self, lease: Lease) -> bool:
        """Release the leases on a unit not done (the crawl stopped, or one of its leases was lost):
        due still, for the next worker. False when the worker held none of them any more."""
        with self.engine.begin() as connection:
            return self._release(connection, lease)

    def wait_for_work(self, seconds: float, *, until_none_due: bool, wakeup: Wakeup | None = None) -> None:
        """Return once leases are released or units scheduled (by any worker), or at once if a due unit
        is free already or (`until_none_due`) none is due; once `wakeup` is set (the worker stops);
        after `seconds` at most."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Listening before looking: a release committed after the look is still heard.
            connection.execute(text(f"LISTEN {WORK_CHANNEL}"))
            try:
                if not connection.execute(WAIT_OVER, {"until_none_due": until_none_due}).scalar():
                    await_notification(connection.connection.driver_connection, seconds, wakeup)
            finally:
                connection.execute(text(f"UNLISTEN {WORK_CHANNEL}"))

    def _release(self, connection: Connection, lease: Lease) -> bool:
        released = connection.execute(RELEASE, {"unit": lease.unit_id, "worker": self.worker})
        connection.execute(NOTIFY_WORK)
        return released.rowcount > 0


def listing(connection: Connection) -> dict[str, Any]:
    """The workers, their leases and last heartbeats, and the units' counts: `sourcevault workers`."""
    leases: dict[str, list[dict[str, Any]]] = {}
    for row in connection.execute(LEASES).mappings():
        lease = dict(row)
        leases.setdefault(lease.pop("worker"), []).append(lease)
    workers = [{**row, "leases": leases.get(row["id"], [])} for row in connection.execute(WORKERS).mappings()]
    return {"workers": workers, "units": dict(connection.execute(UNIT_COUNTS).mappings().one())}
