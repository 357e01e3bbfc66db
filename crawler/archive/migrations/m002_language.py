"""Articles gain their detected language and script, and Simplified copies of title and body."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m002_language(db: Database) -> None:
    # Articles archived before this migration keep NULLs here until `sourcevault reextract`.
    execute_each(
        db,
        """
        -- detected language, ISO 639-1 (und: no letters)
        ALTER TABLE articles ADD COLUMN language TEXT;
        -- detected script, ISO 15924: Hans, Hant, Hani (Han common to both), Latn, ...
        ALTER TABLE articles ADD COLUMN script TEXT;
        -- BCP 47: zh-Hant, zh-Hans, zh, en, ...
        ALTER TABLE articles ADD COLUMN language_tag TEXT;
        -- 0 to 1
        ALTER TABLE articles ADD COLUMN language_confidence REAL;
        -- 1: no character of only one script; the script came from the page or the outlet
        ALTER TABLE articles ADD COLUMN script_inferred INTEGER;
        -- 1 / 0: the page's declared language says the same; NULL: it declares none
        ALTER TABLE articles ADD COLUMN declared_language_agrees INTEGER;
        -- the script the outlet (or its edition) normally writes, from the registry
        ALTER TABLE articles ADD COLUMN expected_script TEXT;
        -- 1: the text was seen in another script than expected_script
        ALTER TABLE articles ADD COLUMN script_mismatch INTEGER;
        -- Chinese articles only: title and body converted to Simplified (OpenCC tw2s)
        ALTER TABLE articles ADD COLUMN title_simplified TEXT;
        ALTER TABLE articles ADD COLUMN body_simplified TEXT;
        CREATE INDEX articles_by_language_tag ON articles(language_tag, published_at);
        CREATE INDEX articles_with_script_mismatch ON articles(outlet) WHERE script_mismatch = 1;
        """,
    )
