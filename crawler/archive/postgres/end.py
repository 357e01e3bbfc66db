"""A PostgreSQL archive as one end of a copy (crawler/archive/transfer.py).

As a source it reads in one REPEATABLE READ, read-only transaction: a consistent snapshot of the
archive however long the copy takes, whatever writes meanwhile. Keys are ordered by their bytes
(COLLATE "C"), as SQLite orders them, so either end resumes a copy after the same key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Text, func, literal, select, text, tuple_

from crawler.archive.transfer import Row, self_referencing

if TYPE_CHECKING:
    from sqlalchemy import Table

    from crawler.archive.postgres.connection import PostgresArchive

# Raw bodies read per round trip when they are checked.
BODIES_PER_FETCH = 100


def _ordered(column: Column):
    return column.collate("C") if isinstance(column.type, Text) else column


class PostgresEnd:
    def __init__(self, archive: PostgresArchive, *, snapshot: bool = False):
        self.engine = archive.engine
        self.where = archive.where
        self._snapshot: Connection | None = None
        if snapshot:
            self._snapshot = self.engine.connect().execution_options(isolation_level="REPEATABLE READ")
            self._snapshot.execute(text("SET TRANSACTION READ ONLY"))
        self._writer: Connection | None = None

    @contextmanager
    def _reader(self) -> Iterator[Connection]:
        if self._snapshot is not None:
            yield self._snapshot
        elif self._writer is not None:
            yield self._writer
        else:
            with self.engine.connect() as connection:
                yield connection

    def count(self, table: Table) -> int:
        with self._reader() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()

    def rows(self, table: Table, after: Row | None, limit: int) -> list[Row]:
        keys = [_ordered(column) for column in table.primary_key.columns]
        query = select(table).order_by(*keys).limit(limit)
        if after:
            query = query.where(tuple_(*keys) > tuple_(*(literal(value) for value in after)))
        with self._reader() as connection:
            return [tuple(row) for row in connection.execute(query)]

    def last_key(self, table: Table) -> Row | None:
        keys = list(table.primary_key.columns)
        query = select(*keys).order_by(*(_ordered(column).desc() for column in keys)).limit(1)
        with self._reader() as connection:
            row = connection.execute(query).first()
        return tuple(row) if row else None

    def row(self, table: Table, key: Row) -> Row | None:
        query = select(table).where(
            *(column == value for column, value in zip(table.primary_key.columns, key, strict=True))
        )
        with self._reader() as connection:
            row = connection.execute(query).first()
        return tuple(row) if row else None

    @contextmanager
    def writing(self, table: Table) -> Iterator[None]:
        with self.engine.begin() as connection:
            if self_referencing(table):
                connection.execute(text("SET CONSTRAINTS ALL DEFERRED"))
            self._writer = connection
            try:
                yield
            finally:
                self._writer = None

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        """The rows in through COPY (a statement per row costs ten times as much) into a temporary
        table, then on into the archive's, skipping any it holds already."""
        assert self._writer is not None
        names = ", ".join(f'"{column.name}"' for column in table.columns)
        incoming = f'"incoming_{table.name}"'
        cursor = self._writer.connection.driver_connection.cursor()
        cursor.execute(f'CREATE TEMPORARY TABLE IF NOT EXISTS {incoming} (LIKE "{table.name}")')
        with cursor.copy(f"COPY {incoming} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {incoming} ON CONFLICT DO NOTHING'
        )
        cursor.execute(f"TRUNCATE {incoming}")

    def sequence(self, table: Table) -> int | None:
        with self._reader() as connection:
            name = connection.execute(select(func.pg_get_serial_sequence(table.name, "id"))).scalar_one()
            last, called = connection.execute(text(f"SELECT last_value, is_called FROM {name}")).one()
        return last if called else None

    def set_sequence(self, table: Table, value: int) -> None:
        assert self._writer is not None
        self._writer.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), value)))

    def raw_bodies(self) -> Iterator[tuple[str, bytes, str]]:
        from crawler.archive.model import raw_bodies

        query = select(raw_bodies.c.sha256, raw_bodies.c.compressed, raw_bodies.c.compression)
        with self._reader() as connection:
            for sha256, compressed, compression in connection.execution_options(
                yield_per=BODIES_PER_FETCH
            ).execute(query):
                yield sha256, bytes(compressed), compression

    def finish(self) -> None:
        """Index the copied articles and posts for search (crawler/search/postgres.py,
        postgres_posts.py): those not indexed yet."""
        from crawler.search.postgres import index_unindexed_articles
        from crawler.search.postgres_posts import index_unindexed_posts

        with self.engine.begin() as connection:
            index_unindexed_articles(connection)
            index_unindexed_posts(connection)

    def close(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()
