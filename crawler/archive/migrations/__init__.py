"""The legacy sqlite-utils migrations, one module each, applied in the order `legacy.MIGRATIONS` lists:
they bring an SQLite archive made before the Alembic history (crawler/archive/history/) to m012,
where the history adopts it. Frozen: a change of the schema is a revision of the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def execute_each(db: Database, script: str) -> None:
    """Run the statements of `script` (separated by `;` at a line end) in the migration's transaction."""
    # executescript() would COMMIT the migration's transaction half-way.
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)
