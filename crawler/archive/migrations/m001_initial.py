"""The first schema: outlets, crawl runs, raw bodies, captures and articles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m001_initial(db: Database) -> None:
    execute_each(
        db,
        """
        CREATE TABLE outlets (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            native_name TEXT,
            home TEXT NOT NULL,
            domains TEXT NOT NULL,          -- JSON list
            language TEXT NOT NULL,          -- ISO 639-1
            script TEXT NOT NULL,            -- ISO 15924: Hans, Hant, Latn
            timezone TEXT NOT NULL           -- IANA zone of the times it prints
        );

        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,            -- running, finished, failed
            finish_reason TEXT,              -- Scrapy's close reason
            outlets TEXT NOT NULL,           -- JSON list of slugs crawled
            replay_snapshot TEXT,            -- snapshot file for an offline replay, else NULL
            sourcevault_version TEXT NOT NULL
        );

        CREATE TABLE raw_bodies (
            sha256 TEXT PRIMARY KEY,         -- of the uncompressed bytes
            size_bytes INTEGER NOT NULL,
            compression TEXT NOT NULL,       -- gzip
            compressed BLOB NOT NULL
        );

        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            crawl_run_id INTEGER REFERENCES crawl_runs(id),
            outlet TEXT NOT NULL REFERENCES outlets(slug),
            page_kind TEXT NOT NULL,         -- article, feed, sitemap, listing, list_api
            request_method TEXT NOT NULL,
            request_body BLOB,
            url TEXT NOT NULL,
            final_url TEXT,
            http_status INTEGER,
            response_headers TEXT NOT NULL,  -- JSON list of [name, value]
            fetched_at TEXT NOT NULL,
            replayed_from TEXT,
            body_sha256 TEXT REFERENCES raw_bodies(sha256),
            body_size_bytes INTEGER NOT NULL,
            text_encoding TEXT,
            fetch_error TEXT,
            outcome TEXT NOT NULL,           -- article, not_article, discovery, failed
            outcome_reason TEXT
        );
        CREATE INDEX captures_by_outlet ON captures(outlet, outcome);
        CREATE INDEX captures_by_url ON captures(url);
        CREATE INDEX captures_by_run ON captures(crawl_run_id);

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            capture_id INTEGER NOT NULL UNIQUE REFERENCES captures(id),
            outlet TEXT NOT NULL REFERENCES outlets(slug),
            article_id TEXT NOT NULL,        -- the outlet's own id, read from the URL
            edition TEXT NOT NULL DEFAULT '',-- gb / b5 for outlets that publish both scripts
            url TEXT NOT NULL,
            canonical_url TEXT,
            title TEXT,
            body TEXT,
            published_at TEXT,               -- ISO 8601 with offset (or a bare date)
            modified_at TEXT,
            authors TEXT NOT NULL,           -- JSON list
            editors TEXT NOT NULL,           -- JSON list
            source TEXT,                     -- outlet the text is reposted from
            section TEXT,
            tags TEXT NOT NULL,              -- JSON list
            image TEXT,
            bylines TEXT NOT NULL,           -- JSON list: byline text lifted out of the body
            partial_reason TEXT,             -- why the text is incomplete (paywall...)
            declared_language TEXT,          -- the page's own lang / og:locale
            field_methods TEXT NOT NULL,     -- JSON: field -> selector, json-ld, meta, ...
            extractor TEXT NOT NULL,
            extracted_at TEXT NOT NULL,
            UNIQUE (outlet, article_id, edition)
        );
        CREATE INDEX articles_by_published ON articles(published_at);
        CREATE INDEX articles_by_outlet ON articles(outlet, published_at);
        """,
    )
