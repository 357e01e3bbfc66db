"""Copying an archive between SQLite and PostgreSQL, table by table, resumable and verified.

Both ends speak the tables of one model, crawler/archive/model/.
Tables are copied parents first, each in primary-key order in batches of one transaction each, rows
the destination already holds skipped: an interrupted copy, run again, starts each table after the
greatest key the destination has. A table that references itself (posts that repost later posts) is
copied in one transaction, its references checked at commit. At the end every table's row count is
compared and every raw original read back from the destination, checked against its sha256.

A destination that holds rows the source lacks is another archive: refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from crawler.archive.captures import checked_body
from crawler.archive.connection import ArchiveError

if TYPE_CHECKING:
    from sqlalchemy import Table

# Rows per transaction: an interrupted copy loses at most this many rows' work.
DEFAULT_BATCH_ROWS = 500
Row = tuple[Any, ...]


class DifferentArchive(ArchiveError):
    """The destination holds another archive than the source (not an earlier part of this copy)."""


class End(Protocol):
    """One side of a copy: an SQLite file or a PostgreSQL database, opened as an archive."""

    where: str

    def count(self, table: Table) -> int: ...

    def rows(self, table: Table, after: Row | None, limit: int) -> list[Row]:
        """Rows (columns in the model's order) in key order, after the key `after`."""
        ...

    def last_key(self, table: Table) -> Row | None: ...

    def row(self, table: Table, key: Row) -> Row | None: ...

    def writing(self, table: Table) -> AbstractContextManager[None]:
        """One write transaction; references checked at its commit."""
        ...

    def write(self, table: Table, rows: Sequence[Row]) -> None: ...

    def sequence(self, table: Table) -> int | None:
        """The last id handed out for the table's `id` (None: none recorded beyond its rows)."""
        ...

    def set_sequence(self, table: Table, value: int) -> None: ...

    def raw_bodies(self) -> Iterator[tuple[str, bytes, str]]:
        """Every raw body as stored: (sha256, compressed, compression)."""
        ...

    def finish(self) -> None:
        """What the archive builds from the rows once they are all in (SQLite: its search index)."""
        ...


@dataclass
class Summary:
    """What a copy did: per table, the source's rows, those copied now, and the destination's."""

    source: str
    destination: str
    tables: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    raw_bodies_checked: int = 0

    @property
    def copied(self) -> int:
        return sum(copied for _, copied, _ in self.tables.values())

    @property
    def verified(self) -> bool:
        return all(source == destination for source, _, destination in self.tables.values())

    def lines(self) -> list[str]:
        width = max(len(name) for name in self.tables)
        lines = [f"{self.source} → {self.destination}"]
        for name, (source, copied, destination) in self.tables.items():
            mark = "ok" if source == destination else "DIFFERS"
            lines.append(f"  {name:<{width}}  {source:>9} rows  {copied:>9} copied now  {mark}")
        lines.append(f"raw originals read back, sha256 checked: {self.raw_bodies_checked}")
        lines.append(
            "verified: every table's row count matches"
            if self.verified
            else "NOT verified: row counts differ (is something writing to the source?)"
        )
        return lines


def tables() -> list[Table]:
    """The tables both ends have: all but PostgreSQL's search index, which each end builds itself, and
    its crawl workers' leases."""
    from crawler.archive.model import POSTGRES_ONLY_TABLES, metadata

    return [table for table in metadata.sorted_tables if table.name not in POSTGRES_ONLY_TABLES]


def id_table(table: Table) -> bool:
    """A table keyed by an `id` the archive hands out (SQLite's rowid, a PostgreSQL sequence)."""
    return [column.name for column in table.primary_key.columns] == ["id"]


def self_referencing(table: Table) -> bool:
    return any(key.column.table is table for key in table.foreign_keys)


def key_of(table: Table, row: Row) -> Row:
    names = [column.name for column in table.columns]
    return tuple(row[names.index(column.name)] for column in table.primary_key.columns)


def check_same_archive(source: End, destination: End) -> dict[str, int]:
    """The destination's row counts, once it is known to hold nothing but an earlier part of this copy."""
    held = {}
    for table in tables():
        held[table.name] = count = destination.count(table)
        if not count:
            continue
        last = destination.last_key(table)
        assert last is not None
        if count > source.count(table) or source.row(table, last) != destination.row(table, last):
            raise DifferentArchive(
                f"{destination.where}: holds another archive ({table.name} differs from {source.where});"
                " give an empty destination"
            )
    return held


def rows_to_copy(source: End, destination: End) -> int:
    """How many rows a copy still has to write (for a progress bar)."""
    held = check_same_archive(source, destination)
    return sum(max(source.count(table) - held[table.name], 0) for table in tables())


def copy_archive(
    source: End,
    destination: End,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int], None] = lambda rows: None,
) -> Summary:
    """Copy every table the destination lacks rows of, then verify; `progress` hears of each batch."""
    check_same_archive(source, destination)
    summary = Summary(source.where, destination.where)
    for table in tables():
        copied = _copy_table(source, destination, table, batch_rows, progress)
        summary.tables[table.name] = (source.count(table), copied, 0)
    destination.finish()
    return verify(source, destination, summary)


def _copy_table(
    source: End, destination: End, table: Table, batch_rows: int, progress: Callable[[int], None]
) -> int:
    after = destination.last_key(table)
    copied = 0
    whole = self_referencing(table)
    with destination.writing(table) if whole else nullcontext():
        while batch := source.rows(table, after, batch_rows):
            with nullcontext() if whole else destination.writing(table):
                destination.write(table, batch)
            after = key_of(table, batch[-1])
            copied += len(batch)
            progress(len(batch))
    if id_table(table):
        _carry_sequence(source, destination, table)
    return copied


def _carry_sequence(source: End, destination: End, table: Table) -> None:
    """The destination hands out no id the source already handed out (SQLite's AUTOINCREMENT)."""
    last = source.last_key(table)
    value = max(source.sequence(table) or 0, last[0] if last else 0)
    if value >= 1:
        with destination.writing(table):
            destination.set_sequence(table, value)


def verify(source: End, destination: End, summary: Summary) -> Summary:
    """Row counts of both ends per table; every raw original of the destination read back."""
    for table in tables():
        source_rows, copied, _ = summary.tables.get(table.name, (source.count(table), 0, 0))
        summary.tables[table.name] = (source_rows, copied, destination.count(table))
    summary.raw_bodies_checked = 0
    for sha256, compressed, compression in destination.raw_bodies():
        checked_body(sha256, compressed, compression, destination.where)
        summary.raw_bodies_checked += 1
    return summary
