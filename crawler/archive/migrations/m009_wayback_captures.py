"""Articles read from pages saved from the Wayback Machine record which address it captured, and when."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m009_wayback_captures(db: Database) -> None:
    # Articles archived before keep NULLs here until `sourcevault reextract` reads their originals again.
    execute_each(
        db,
        """
        -- the address the Wayback Machine captured (NULL: not a Wayback capture)
        ALTER TABLE articles ADD COLUMN wayback_original_url TEXT;
        -- when it captured it, ISO 8601 UTC
        ALTER TABLE articles ADD COLUMN wayback_captured_at TEXT;
        CREATE INDEX articles_from_wayback ON articles(wayback_captured_at)
            WHERE wayback_captured_at IS NOT NULL;
        """,
    )
