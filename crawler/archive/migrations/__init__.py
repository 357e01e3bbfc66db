"""The archive's migrations, one module per migration, applied in the order `schema.MIGRATIONS` lists.

Never edit an applied migration: add the next one (a new module, appended to that list).
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
