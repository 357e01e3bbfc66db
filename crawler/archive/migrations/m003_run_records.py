"""Per run and outlet, what a crawl did (`crawl_run_outlets`), and each run's exit status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m003_run_records(db: Database) -> None:
    execute_each(
        db,
        """
        -- Exit status of the crawl process: NULL while it runs, or when it was killed.
        ALTER TABLE crawl_runs ADD COLUMN exit_status INTEGER;

        CREATE TABLE crawl_run_outlets (
            crawl_run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
            outlet TEXT NOT NULL REFERENCES outlets(slug),
            discovery_fetched INTEGER NOT NULL,    -- feeds, sitemaps, listings, list APIs fetched
            discovery_not_modified INTEGER NOT NULL, -- of them, answered 304 to a conditional GET
            discovery_failed INTEGER NOT NULL,     -- of them, failed or holding no usable link
            discovered INTEGER NOT NULL,           -- article URLs they listed that the archive lacked
            fetched INTEGER NOT NULL,              -- article pages fetched (first fetches and revisits)
            revisited INTEGER NOT NULL,            -- of them, archived articles fetched again
            new INTEGER NOT NULL,                  -- articles archived for the first time
            updated INTEGER NOT NULL,              -- revisited articles whose text had changed
            unchanged INTEGER NOT NULL,            -- revisited articles whose text had not
            removed INTEGER NOT NULL,              -- revisited articles found taken down
            not_article INTEGER NOT NULL,
            failed INTEGER NOT NULL,               -- article pages that could not be fetched
            blocked INTEGER NOT NULL,              -- pages answered 403 or 429, or with a challenge page
            failures TEXT NOT NULL,                -- JSON: "page kind: reason" -> count
            articles_extracted INTEGER NOT NULL,   -- articles extracted in the run (new, updated, unchanged)
            field_coverage TEXT NOT NULL,          -- JSON: field -> share of those articles that have it
            PRIMARY KEY (crawl_run_id, outlet)
        );
        """,
    )
