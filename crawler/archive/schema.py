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
def m005_search(db: Database) -> None:
    # Chinese full-text search (crawler/search.py, which registers the sourcevault_search_*
    # functions on every connection the archive opens). Contentless: the index keeps no copy of
    # the text, so a row is removed by giving FTS5 the tokens it was indexed with again.
    # Triggers keep it in step with every write to articles, whatever code makes it.
    def indexed(row: str) -> str:
        # Title and body in Simplified (as written when not Chinese) as character pairs; filter tokens.
        return (
            f"{row}.id, sourcevault_search_text(coalesce({row}.title_simplified, {row}.title)),"
            f" sourcevault_search_text(coalesce({row}.body_simplified, {row}.body)),"
            f" sourcevault_search_filters({row}.outlet, {row}.language_tag, {row}.published_at)"
        )

    indexed_columns = (
        "title",
        "body",
        "title_simplified",
        "body_simplified",
        "outlet",
        "language_tag",
        "published_at",
    )
    insert_new = f"INSERT INTO article_search (rowid, title, body, filters) VALUES ({indexed('new')})"
    delete_old = (
        "INSERT INTO article_search (article_search, rowid, title, body, filters)"
        f" VALUES ('delete', {indexed('old')})"
    )
    changed = " OR ".join(f"old.{name} IS NOT new.{name}" for name in indexed_columns)
    for statement in (
        # prefix='1': single-character queries read a one-character prefix index of the pairs.
        # Cn: characters newer than SQLite's Unicode tables (CJK extension G, ...) stay letters.
        """CREATE VIRTUAL TABLE article_search USING fts5(
            title, body, filters, content='', prefix='1', tokenize="unicode61 categories 'L* N* Co Cn'"
        )""",
        "INSERT INTO article_search (article_search, rank) VALUES ('rank', 'bm25(3.0, 1.0, 0.0)')",
        f"INSERT INTO article_search (rowid, title, body, filters)"
        f" SELECT {indexed('articles')} FROM articles",
        f"CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN {insert_new}; END",
        f"CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN {delete_old}; END",
        f"CREATE TRIGGER article_search_update AFTER UPDATE OF {', '.join(indexed_columns)} ON articles"
        f" WHEN {changed} BEGIN {delete_old}; {insert_new}; END",
        # Imported articles: the JSON-lines file and line the record was read from.
        "ALTER TABLE captures ADD COLUMN imported_from TEXT",
    ):
        db.execute(statement)
