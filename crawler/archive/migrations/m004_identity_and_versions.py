"""Article identity across URLs (`article_urls`) and every version of an article's content."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m004_identity_and_versions(db: Database) -> None:
    # Every article archived before this migration gets its current content as version 1, first
    # and last seen when its capture was fetched; `sourcevault reextract` rebuilds the versions
    # (and the URL aliases) from all of its stored captures.
    from crawler.identity import content_hash

    db.conn.create_function("content_hash", 2, content_hash, deterministic=True)
    execute_each(
        db,
        """
        -- the article_versions.version holding the content this row shows
        ALTER TABLE articles ADD COLUMN current_version INTEGER;
        -- when a fetch first and last gave this article (UTC), whether its content changed or not
        ALTER TABLE articles ADD COLUMN first_seen_at TEXT;
        ALTER TABLE articles ADD COLUMN last_seen_at TEXT;

        CREATE TABLE article_versions (
            id INTEGER PRIMARY KEY,
            article INTEGER NOT NULL REFERENCES articles(id),
            version INTEGER NOT NULL,         -- 1, 2, ... in the order the contents were seen
            previous_version_id INTEGER REFERENCES article_versions(id),
            capture_id INTEGER NOT NULL REFERENCES captures(id),  -- the fetch that first gave it
            content_hash TEXT NOT NULL,       -- sha256 of title and body, NFKC, whitespace folded
            title TEXT,
            body TEXT,
            published_at TEXT,
            modified_at TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,       -- the latest fetch that gave this same content
            UNIQUE (article, version)
        );

        CREATE TABLE article_urls (
            url TEXT PRIMARY KEY,             -- as seen: in a feed, requested, redirected to, or
                                              -- named by the page itself
            canonical_url TEXT NOT NULL,      -- its canonical form (crawler.identity.canonical_url)
            outlet TEXT NOT NULL,             -- the article it names: articles' identity key
            article_id TEXT NOT NULL,
            edition TEXT NOT NULL DEFAULT '',
            seen_as TEXT NOT NULL,            -- link, requested, redirect, page_canonical
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        );
        CREATE INDEX article_urls_by_canonical_url ON article_urls(canonical_url);
        CREATE INDEX article_urls_by_article ON article_urls(outlet, article_id, edition);

        UPDATE articles SET current_version = 1,
            first_seen_at = (SELECT fetched_at FROM captures WHERE captures.id = articles.capture_id),
            last_seen_at = (SELECT fetched_at FROM captures WHERE captures.id = articles.capture_id);
        INSERT INTO article_versions (article, version, capture_id, content_hash, title, body,
            published_at, modified_at, first_seen_at, last_seen_at)
        SELECT id, 1, capture_id, content_hash(title, body), title, body, published_at, modified_at,
            first_seen_at, last_seen_at
        FROM articles;
        """,
    )
