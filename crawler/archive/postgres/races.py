"""Writers racing for the same rows of a PostgreSQL archive, beside a crawl (crawler/archive/lock.py).

Two transactions that insert one key at once (a new article found by a crawl and an import, its
URL alias, a raw original, a post's next version): the second waits for the first and, once it
commits, fails with a unique violation. Two that merge story clusters in opposite orders: one
fails as deadlocked, or finds a cluster the other deleted (a foreign key violation). The loser
wrote nothing; run again from its start, it reads what the winner committed (READ COMMITTED): the
article is then there to be updated, the version number taken. `retried` runs it again, up to
RACE_TRIES times in all.

A row read and then rewritten (an article's current version, a post's) is locked first
(`hold_rows`): the second writer waits for the first's commit and reads its version, instead of
writing over it from what it read before.

Two imports of one record at once (the same file imported twice at once) find no capture of it
and would both write one, with nothing unique between them: `hold_import` keeps the second waiting,
until the first's transaction ends, before it looks (a transaction-scoped advisory lock keyed on the
record's sha256); it then finds the first's capture.

Two writers storing copies of one story at once (crawl workers fetching two outlets' copies of a wire
story, an import beside them) would each look for the other's among committed articles, find none
and link to nothing: `hold_story_keys` keeps the second waiting, until the first's transaction ends,
before it looks for copies (transaction-scoped advisory locks keyed on what two copies share: their
LSH band buckets, or their outlet and article id for other editions); it then finds the first's copy.
Each writer takes its keys at once and in ascending order, so two sharing several wait for each other
one way only. A writer that updates an article while another links a new copy to its old text can
still wait for the other both ways (the article's row, the copy's keys): PostgreSQL ends one as
deadlocked, and it runs again.

On SQLite one writer holds the file: nothing races, and a transaction runs once. Its copies are
looked for after its first write, which takes SQLite's write lock: every other writer's copy is
committed by then, or waits for this one's commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from crawler.archive.connection import on_postgres

Result = TypeVar("Result")

RACE_TRIES = 5
# unique_violation, foreign_key_violation, serialization_failure, deadlock_detected
LOST_RACE_STATES = frozenset({"23505", "23503", "40001", "40P01"})
# Transaction-scoped advisory locks in the two-key form: a class, then keys of 32 bits, each locked
# in the array's order.
HOLD_KEYS = (
    "SELECT count(pg_advisory_xact_lock(CAST(? AS integer), key)) FROM unnest(CAST(? AS integer[])) AS key"
)
# Imports' class ("simp"), the key the first 32 bits of a record's sha256: two records sharing them
# wait for each other, harmlessly.
IMPORT_LOCK_CLASS = 0x73_69_6D_70
# The story index's ("copy"), the keys what two copies of a story share.
STORY_LOCK_CLASS = 0x63_6F_70_79


def lost_a_race(error: BaseException) -> bool:
    """Whether a transaction failed for another's write to its rows (PostgreSQL's SQLSTATE, read
    through the sqlite3 and SQLAlchemy errors that carry it)."""
    seen: BaseException | None = error
    while seen is not None:
        original = getattr(seen, "orig", None) or seen
        if getattr(original, "sqlstate", None) in LOST_RACE_STATES:
            return True
        seen = seen.__cause__
    return False


def _tries(connection: Any) -> int:
    # A race inside the caller's transaction spoilt all of it: the caller's transaction runs again.
    return RACE_TRIES if on_postgres(connection) and not connection.in_transaction else 1


def retried(connection: Any, transaction: Callable[[], Result]) -> Result:
    """`transaction()` (one transaction of its own on `connection`), run again when it lost a race."""
    for _ in range(_tries(connection) - 1):
        try:
            return transaction()
        except Exception as error:
            if not lost_a_race(error):
                raise
    return transaction()


async def retried_async(connection: Any, transaction: Callable[[], Awaitable[Result]]) -> Result:
    """`retried` for a transaction written in steps, between which a crawl's reactor runs."""
    for _ in range(_tries(connection) - 1):
        try:
            return await transaction()
        except Exception as error:
            if not lost_a_race(error):
                raise
    return await transaction()


def hold_import(connection: Any, sha256: str) -> None:
    """Keep other imports of the record whose sha256 is given waiting until the caller's transaction
    ends (PostgreSQL)."""
    _hold_keys(connection, IMPORT_LOCK_CLASS, [int.from_bytes(bytes.fromhex(sha256[:8]), signed=True)])


def hold_story_keys(connection: Any, keys: Iterable[int]) -> None:
    """Keep other writers of an article sharing one of the story `keys` (signed 32-bit integers)
    waiting until the caller's transaction ends (PostgreSQL)."""
    _hold_keys(connection, STORY_LOCK_CLASS, keys)


def _hold_keys(connection: Any, lock_class: int, keys: Iterable[int]) -> None:
    # Ascending, so that two writers sharing several keys wait for each other one way only.
    if on_postgres(connection):
        connection.execute(HOLD_KEYS, [lock_class, sorted(set(keys))])


def hold_rows(connection: Any, table: str, where: str, parameters: Sequence[Any]) -> None:
    """Lock the rows of `table` matching `where` until the caller's transaction ends (PostgreSQL)."""
    if on_postgres(connection):
        connection.execute(f"SELECT 1 FROM {table} WHERE {where} FOR UPDATE", parameters)
