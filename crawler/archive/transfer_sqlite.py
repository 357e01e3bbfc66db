"""An SQLite archive as one end of a copy (crawler/archive/transfer.py), through its own connection.

Rows go in through the archive's triggers, as any SQLite tool's writes do: the search index takes
in the articles when the copy finishes (`crawler.search.index.catch_up`), and each post is indexed
as it is written. sqlite_sequence keeps the last id the fetch queue handed out (AUTOINCREMENT).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from crawler.archive.transfer import Row

if TYPE_CHECKING:
    from sqlalchemy import Table

    from crawler.archive.connection import ArchiveConnection


def _names(columns) -> str:
    return ", ".join(f'"{column.name}"' for column in columns)


class SQLiteEnd:
    def __init__(self, archive: ArchiveConnection):
        self.connection: sqlite3.Connection = archive.connection
        self.where = str(archive.path)

    def count(self, table: Table) -> int:
        return self.connection.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]

    def rows(self, table: Table, after: Row | None, limit: int) -> list[Row]:
        keys = _names(table.primary_key.columns)
        where = f"WHERE ({keys}) > ({', '.join('?' * len(after))})" if after else ""
        return self.connection.execute(
            f'SELECT {_names(table.columns)} FROM "{table.name}" {where} ORDER BY {keys} LIMIT ?',
            [*(after or ()), limit],
        ).fetchall()

    def last_key(self, table: Table) -> Row | None:
        keys = table.primary_key.columns
        descending = ", ".join(f'"{column.name}" DESC' for column in keys)
        return self.connection.execute(
            f'SELECT {_names(keys)} FROM "{table.name}" ORDER BY {descending} LIMIT 1'
        ).fetchone()

    def row(self, table: Table, key: Row) -> Row | None:
        where = " AND ".join(f'"{column.name}" = ?' for column in table.primary_key.columns)
        return self.connection.execute(
            f'SELECT {_names(table.columns)} FROM "{table.name}" WHERE {where}', list(key)
        ).fetchone()

    @contextmanager
    def writing(self, table: Table) -> Iterator[None]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self.connection.execute("PRAGMA defer_foreign_keys = ON")
            yield
        except BaseException:
            self.connection.rollback()
            raise
        self.connection.commit()

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        insert = (
            f'INSERT INTO "{table.name}" ({_names(table.columns)})'
            f" VALUES ({', '.join('?' * len(table.columns))}) ON CONFLICT DO NOTHING"
        )
        if table.name != "posts":
            self.connection.executemany(insert, rows)
            return
        from crawler.archive.post_index import PostIndex

        index = PostIndex(self.connection)
        for row in rows:
            if self.connection.execute(insert, row).rowcount:
                index.add(row[0])

    def _autoincrement(self, table: Table) -> bool:
        return bool(table.dialect_options["sqlite"]["autoincrement"])

    def sequence(self, table: Table) -> int | None:
        if not self._autoincrement(table):
            return None
        row = self.connection.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = ?", [table.name]
        ).fetchone()
        return row[0] if row else None

    def set_sequence(self, table: Table, value: int) -> None:
        if not self._autoincrement(table):
            return  # SQLite hands out the greatest rowid + 1: nothing to carry
        if self.sequence(table) is None:
            self.connection.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", [table.name, value]
            )
        else:
            self.connection.execute(
                "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", [value, table.name]
            )

    def raw_bodies(self) -> Iterator[tuple[str, bytes, str]]:
        yield from self.connection.execute("SELECT sha256, compressed, compression FROM raw_bodies")

    def finish(self) -> None:
        from crawler.search.index import catch_up

        self.connection.execute("BEGIN IMMEDIATE")
        catch_up(self.connection)
        self.connection.commit()
