"""The archive's schema, built by ordered sqlite-utils migrations.

Never edit an applied migration: add the next one. Table and column names are meant to
read well in any SQLite tool; the README's "Archive schema" section documents them.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("sourcevault")


def _execute_each(db: Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way.
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m001_initial(db: Database) -> None:
    _execute_each(
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


@migrations()
def m002_language(db: Database) -> None:
    # Articles archived before this migration keep NULLs here until `sourcevault reextract`.
    _execute_each(
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


@migrations()
def m003_run_records(db: Database) -> None:
    _execute_each(
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


@migrations()
def m003b_incremental_crawls(db: Database) -> None:
    _execute_each(
        db,
        """
        -- Captures: revisit = 1 for an archived article fetched again; article_change (new, updated,
        -- unchanged) for article outcomes; on pages listing articles, how many they listed and how
        -- many of those were unarchived and not yet listed earlier in the run.
        ALTER TABLE captures ADD COLUMN revisit INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE captures ADD COLUMN article_change TEXT;
        ALTER TABLE captures ADD COLUMN article_links_listed INTEGER;
        ALTER TABLE captures ADD COLUMN article_links_new INTEGER;

        -- Articles: when first archived, the revisits done and the next one due (NULL: none planned),
        -- and the first time a revisit found the article taken down, with why.
        ALTER TABLE articles ADD COLUMN first_archived_at TEXT;
        ALTER TABLE articles ADD COLUMN revisits_done INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE articles ADD COLUMN revisit_due_at TEXT;
        ALTER TABLE articles ADD COLUMN removed_at TEXT;
        ALTER TABLE articles ADD COLUMN removed_reason TEXT;
        UPDATE articles SET first_archived_at = extracted_at;
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
