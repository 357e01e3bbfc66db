"""What every table of the model shares: its MetaData, and the types that render right on both backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import REAL, BigInteger, Double, Integer, MetaData, text

metadata = MetaData()

# Integers are 64-bit on PostgreSQL (MinHash buckets use all of them). On SQLite they are declared
# INTEGER, as the archive's first migrations declared them: only a column declared exactly INTEGER
# PRIMARY KEY is SQLite's rowid, numbered on insert (BIGINT would hold the same values).
Integer64 = BigInteger().with_variant(Integer(), "sqlite")
# Doubles; SQLite's REAL, as declared there before.
Real = Double().with_variant(REAL(), "sqlite")

# A table's info marking it as PostgreSQL's alone: its revisions create it there only, and the
# comparison of an SQLite archive with the model leaves it out.
POSTGRES_ONLY = {"only_on": "postgresql"}


def where(condition: str) -> dict[str, Any]:
    """An Index's keyword arguments making it partial, on both backends: the rows where `condition` holds."""
    return {"postgresql_where": text(condition), "sqlite_where": text(condition)}


def on_dialect(table_info: dict[str, Any], dialect: str) -> bool:
    """Whether a table (by its info) belongs in an archive of `dialect` (sqlite, postgresql)."""
    return table_info.get("only_on", dialect) == dialect
