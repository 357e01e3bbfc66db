"""Incremental crawls: revisits, takedowns, the fetch queue and discovery validators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m003b_incremental_crawls(db: Database) -> None:
    execute_each(
        db,
        """
        -- Captures: revisit = 1 for an archived article fetched again; article_change (new, updated,
        -- unchanged) for article outcomes; on pages listing articles, how many they listed and how
        -- many of those were unarchived and not yet listed earlier in the run.
        ALTER TABLE captures ADD COLUMN revisit INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE captures ADD COLUMN article_change TEXT;
        ALTER TABLE captures ADD COLUMN article_links_listed INTEGER;
        ALTER TABLE captures ADD COLUMN article_links_new INTEGER;

        -- Articles: the revisits done and the next one due (NULL: none planned), and the first
        -- time a revisit found the article taken down, with why.
        ALTER TABLE articles ADD COLUMN revisits_done INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE articles ADD COLUMN revisit_due_at TEXT;
        ALTER TABLE articles ADD COLUMN removed_at TEXT;
        ALTER TABLE articles ADD COLUMN removed_reason TEXT;
        CREATE INDEX articles_by_revisit_due ON articles(revisit_due_at) WHERE revisit_due_at IS NOT NULL;

        -- Article pages waiting to be fetched. A crawl killed half-way leaves its unfinished
        -- fetches here for the next run; a conditional GET answered 304 lists nothing again.
        CREATE TABLE article_fetch_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the spider reads it in id order
            outlet TEXT NOT NULL REFERENCES outlets(slug),
            article_id TEXT NOT NULL,
            edition TEXT NOT NULL,
            url TEXT NOT NULL,
            purpose TEXT NOT NULL,           -- new, revisit
            state TEXT NOT NULL,             -- waiting, failed (retried next run), done (this run)
            queued_at TEXT NOT NULL,
            listed_in_run INTEGER,           -- last run whose discovery listed it
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            last_failure TEXT,
            UNIQUE (outlet, article_id, edition)
        );
        CREATE INDEX article_fetch_queue_by_outlet ON article_fetch_queue(outlet, state, id);

        -- ETag / Last-Modified of each discovery document, sent back as a conditional GET.
        CREATE TABLE discovery_validators (
            url TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            capture_id INTEGER NOT NULL REFERENCES captures(id),
            stored_at TEXT NOT NULL
        );
        """,
    )
