"""Deduplication reads each candidate's compared text from the archive instead of normalising it again.

`article_minhashes.comparable_text` is the body as deduplication compares it
(`crawler.story_matching.comparable_body`: Simplified, bylines and datelines lifted, letters and
digits only), stored when the article is indexed. Articles indexed before this migration keep it
NULL, and are normalised again from their body when they are a candidate, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m012_stored_fingerprints(db: Database) -> None:
    execute_each(
        db,
        """
        ALTER TABLE article_minhashes ADD COLUMN comparable_text TEXT;
        """,
    )
