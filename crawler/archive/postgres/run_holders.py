"""Which crawl runs of a PostgreSQL archive a live process still holds open (issue 18).

A run is "running" from its start to its finish; a process killed in between (SIGKILL, a lost
machine) never closes it. So the process that starts a run holds a session advisory lock of
PostgreSQL's keyed on the run's id, on the archive's own connection, from before the run's row is
committed until after its finish is: the server lets go of it when that session ends, so a run
still "running" whose lock no session holds lost its process, whatever wrote it (a crawl, a
worker's unit, a briefing's citations beside crawls), and is closed by the next run that starts
(crawler/archive/runs.py), or shown interrupted by `report` meanwhile.

The locks take PostgreSQL's two-key form (RUN_LOCK_CLASS, run id): `pg_locks` shows them with
`objsubid` 2, the write locks' one-key form (crawler/archive/postgres/lock.py) with 1, so neither
is ever taken for the other. The ids' key is an `integer`: two thousand million runs.

Nothing here takes a lock to test one (`pg_try_advisory_lock` succeeds in the session that holds
it, which would find a process's own runs lost): `pg_locks` is read instead, which lists every
session's locks.
"""

from __future__ import annotations

import sqlite3

# The runs' key class: "srun". The other locks of sourcevault's in the two-key form are an import's
# and the story index's (crawler/archive/postgres/races.py, IMPORT_LOCK_CLASS, STORY_LOCK_CLASS).
RUN_LOCK_CLASS = 0x73_72_75_6E

HOLD = "SELECT pg_advisory_lock(CAST(? AS integer), CAST(? AS integer))"
LET_GO = "SELECT pg_advisory_unlock(CAST(? AS integer), CAST(? AS integer))"
# The ids of the runs a session of this database holds (a condition on `crawl_runs`: `id IN …`).
HELD_RUNS = f"""SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted
    AND classid::bigint = {RUN_LOCK_CLASS} AND objsubid = 2
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
# A running run of `crawl_runs` that no session holds: its process ended without closing it.
UNHELD = f"id NOT IN ({HELD_RUNS})"


def hold(connection: sqlite3.Connection, run_id: int) -> None:
    """Hold run `run_id` open on `connection`'s session (the room's: crawler/archive/postgres/rooms.py)."""
    connection.execute(HOLD, [RUN_LOCK_CLASS, run_id])


def let_go(connection: sqlite3.Connection, run_id: int) -> None:
    """Let go of a run this session holds, once its finish is committed."""
    connection.execute(LET_GO, [RUN_LOCK_CLASS, run_id])


def is_held(connection: sqlite3.Connection, run_id: int) -> bool:
    """Whether some session (this one included) holds run `run_id` open."""
    row = connection.execute(f"SELECT count(*) FROM ({HELD_RUNS}) held WHERE objid = ?", [run_id]).fetchone()
    return bool(row and row[0])
