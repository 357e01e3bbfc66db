"""The archive's rooms over PostgreSQL: a connection that presents what they use of SQLite's.

The rooms (crawler/archive/*.py) keep their SQL, written for both backends; the few statements
that really differ are chosen in the room that owns them (`on_postgres`). `PostgresConnection`
runs that SQL on a PostgreSQL archive as sqlite3 and sqlite-utils run it on a file:

- `execute` / `executemany` take SQLite's parameter marks (`?`, `:name`) and return a cursor whose
  rows read by index (and unpack), with `description`, `rowcount`, and `lastrowid` (an INSERT into
  a table with an `id` gets `RETURNING id`);
- `atomic()` is a transaction, and a savepoint inside one; a statement outside it commits alone;
- a constraint that refuses a row raises sqlite3's IntegrityError;
- Python booleans are written as the integers SQLite keeps; a sum PostgreSQL gives as `numeric`
  is read back as the integer (or float) SQLite gives.

The SQLAlchemy connection (`sa`) is the same session, for crawler/search/postgres.py.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from typing import Any

from psycopg.adapt import Loader
from sqlalchemy import Connection, Transaction
from sqlalchemy.exc import IntegrityError

from crawler.archive.model import metadata
from crawler.archive.postgres.connection import PostgresArchive

# A run of SQL that is copied as it is (a quoted literal or identifier), or a parameter mark.
_PIECES = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|(?<!:):([A-Za-z_]\w*)|%")
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


@cache
def _tables_with_ids() -> frozenset[str]:
    return frozenset(
        table.name
        for table in metadata.tables.values()
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False
    )


@cache
def driver_sql(statement: str, *, returning_id: bool) -> str:
    """SQLite's SQL with psycopg's parameter marks (`%s`, `%(name)s`; a literal `%` doubled)."""

    def piece(found: re.Match[str]) -> str:
        text = found[0]
        if text == "?":
            return "%s"
        if found[1]:
            return f"%({found[1]})s"
        return text.replace("%", "%%")

    translated = _PIECES.sub(piece, statement)
    if returning_id:
        translated += " RETURNING id"
    return translated


def _parameter(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _parameters(values: Sequence[Any] | dict[str, Any] | None) -> tuple[Any, ...] | dict[str, Any]:
    if values is None:
        return ()
    if isinstance(values, dict):
        return {name: _parameter(value) for name, value in values.items()}
    return tuple(_parameter(value) for value in values)


class _SQLiteNumbers(Loader):
    """`numeric` (what PostgreSQL's sum of integers is) as SQLite gives it: an int, else a float."""

    def load(self, data: Any) -> int | float:
        number = Decimal(bytes(data).decode())
        return int(number) if number == number.to_integral_value() else float(number)


@contextmanager
def _integrity_errors_as_sqlite3s() -> Iterator[None]:
    """A constraint refusing a row raises sqlite3's IntegrityError, which the rooms catch."""
    try:
        yield
    except IntegrityError as error:
        raise sqlite3.IntegrityError(str(error.orig).strip().splitlines()[0]) from error


class PostgresCursor:
    """What a statement returned, read at once (the session may commit before it is read)."""

    def __init__(self, rows: list[Sequence[Any]], names: Sequence[str], rowcount: int, lastrowid: int | None):
        self.rows = rows
        self.description = [(name, None, None, None, None, None, None) for name in names]
        self.rowcount = rowcount
        self.lastrowid = lastrowid

        # The next row to read: rows are read from the front, and a list's front is costly to pop.
        self.read = 0

    def fetchone(self) -> Sequence[Any] | None:
        if self.read == len(self.rows):
            return None
        self.read += 1
        return self.rows[self.read - 1]

    def fetchall(self) -> list[Sequence[Any]]:
        rows, self.rows, self.read = self.rows[self.read :], [], 0
        return rows

    def __iter__(self) -> Iterator[Sequence[Any]]:
        while (row := self.fetchone()) is not None:
            yield row


class PostgresConnection:
    """One session with a PostgreSQL archive, as the rooms use an SQLite connection (see the module)."""

    on_postgres = True

    def __init__(self, location: str, *, readonly: bool = False):
        self.archive = PostgresArchive(location, readonly=readonly)
        self.where = self.archive.where
        self.sa: Connection = self.archive.engine.connect()
        self.sa.connection.driver_connection.adapters.register_loader("numeric", _SQLiteNumbers)  # type: ignore[union-attr]
        self._transactions: list[Transaction] = []
        if readonly:
            self.sa.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            self.sa.commit()

    def execute(
        self, statement: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> PostgresCursor:
        inserted = _INSERT_INTO.match(statement)
        returning_id = bool(
            inserted and inserted[1] in _tables_with_ids() and "RETURNING" not in statement.upper()
        )
        values = _parameters(parameters)
        sql = driver_sql(statement, returning_id=returning_id)
        with self._statement(), _integrity_errors_as_sqlite3s():
            result = self.sa.exec_driver_sql(sql, values)
            rowcount = result.rowcount
            # All at once: a row at a time costs the driver a call each.
            rows = list(result.all()) if result.returns_rows else []
            names = list(result.keys()) if result.returns_rows else []
            lastrowid = int(rows[0][0]) if returning_id and rows else None
            return PostgresCursor(rows, names, rowcount, lastrowid)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        batch = [_parameters(row) for row in rows]
        if not batch:
            return
        with self._statement(), _integrity_errors_as_sqlite3s():
            self.sa.exec_driver_sql(
                driver_sql(statement, returning_id=False),
                batch,  # type: ignore[arg-type]
            )

    @contextmanager
    def _statement(self) -> Iterator[None]:
        """A statement outside `atomic()` commits alone (as SQLite's autocommit does)."""
        if self._transactions:
            yield
            return
        self._end_autobegun()
        with self.sa.begin():
            yield

    def _end_autobegun(self) -> None:
        # What ran on `sa` directly, outside `atomic()`, began a transaction of its own: it ends here.
        if self.sa.in_transaction() and not self._transactions:
            self.sa.commit()

    @property
    def in_transaction(self) -> bool:
        """Whether `atomic()` has a transaction open (as sqlite3's `in_transaction`)."""
        return bool(self._transactions)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction; inside one, a savepoint (undone alone if its block raises)."""
        self._end_autobegun()
        transaction = self.sa.begin_nested() if self._transactions else self.sa.begin()
        self._transactions.append(transaction)
        try:
            with transaction:
                yield
        finally:
            self._transactions.pop()

    def close(self) -> None:
        self.sa.close()
        self.archive.close()
