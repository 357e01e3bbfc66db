"""The archive's schema, built by ordered sqlite-utils migrations.

Never edit an applied migration: add the next one. Table and column names are meant to
read well in any SQLite tool; the README's "Archive schema" section documents them.

sqlite-utils is imported only to apply migrations: reading which ones an archive has is a
query on its `_sqlite_migrations` table, so the commands that only read stay quick to start.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

MIGRATION_SET = "sourcevault"
# Where sqlite-utils records each applied migration (migration_set, name, applied_at).
MIGRATIONS_TABLE = "_sqlite_migrations"

Step = Callable[["Database"], None]
_steps: list[Step] = []


def migration(step: Step) -> Step:
    """Register `step` as the next migration, in the order this module defines them."""
    _steps.append(step)
    return step


def migration_names() -> list[str]:
    return [step.__name__ for step in _steps]


def migrations() -> Migrations:
    """The sqlite-utils migration set of the archive."""
    from sqlite_utils.migrations import Migrations  # noqa: PLC0415

    steps = Migrations(MIGRATION_SET)
    for step in _steps:
        steps()(step)
    return steps


def apply(db: Database) -> None:
    migrations().apply(db)


def applied(connection: sqlite3.Connection) -> list[str]:
    """The migrations applied to an archive, in order (none for a file that is no archive)."""
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MIGRATIONS_TABLE]
    ).fetchone()
    if not has_table:
        return []
    rows = connection.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET]
    )
    return [name for (name,) in rows]


def pending(connection: sqlite3.Connection) -> list[str]:
    done = set(applied(connection))
    return [name for name in migration_names() if name not in done]


def unknown(connection: sqlite3.Connection) -> list[str]:
    """Applied migrations this sourcevault does not know: a newer sourcevault wrote the archive."""
    known = set(migration_names())
    return [name for name in applied(connection) if name not in known]


def _execute_each(db: Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way.
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migration
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


@migration
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


@migration
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


@migration
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


@migration
def m004_identity_and_versions(db: Database) -> None:
    # Every article archived before this migration gets its current content as version 1, first
    # and last seen when its capture was fetched; `sourcevault reextract` rebuilds the versions
    # (and the URL aliases) from all of its stored captures.
    from crawler.identity import content_hash  # noqa: PLC0415

    db.conn.create_function("content_hash", 2, content_hash, deterministic=True)
    _execute_each(
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


@migration
def m004b_story_clusters(db: Database) -> None:
    # Articles archived before this migration join clusters when `sourcevault reextract` runs.
    _execute_each(
        db,
        """
        CREATE TABLE clusters (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL          -- when an article last joined or left it
        );
        -- sha256 of the body as deduplication compares it (Simplified, no bylines, datelines,
        -- whitespace or punctuation); NULL when the body is too short to compare
        ALTER TABLE articles ADD COLUMN body_hash TEXT;
        -- the cluster of articles carrying the same story (NULL: no other copy archived)
        ALTER TABLE articles ADD COLUMN cluster_id INTEGER REFERENCES clusters(id);
        CREATE INDEX articles_by_body_hash ON articles(body_hash) WHERE body_hash IS NOT NULL;
        CREATE INDEX articles_by_cluster ON articles(cluster_id) WHERE cluster_id IS NOT NULL;

        CREATE TABLE cluster_links (
            id INTEGER PRIMARY KEY,
            article INTEGER NOT NULL REFERENCES articles(id),         -- linked when archived
            linked_article INTEGER NOT NULL REFERENCES articles(id),  -- archived before it
            similarity REAL NOT NULL,         -- 0-1: shingle overlap of the compared bodies
            reason TEXT NOT NULL,             -- exact_body_hash, near_duplicate,
                                              -- same_story_key_other_edition
            linked_at TEXT NOT NULL,
            UNIQUE (article, linked_article)
        );
        CREATE INDEX cluster_links_by_linked_article ON cluster_links(linked_article);

        -- MinHash of each comparable body, and its LSH band keys: candidate lookup is a query.
        -- An article's band rows are found again from its signature, so they need no index of
        -- their own.
        CREATE TABLE article_minhashes (
            article INTEGER PRIMARY KEY REFERENCES articles(id),
            signature BLOB NOT NULL,          -- the MinHash values, uint32 little-endian
            shingle_count INTEGER NOT NULL
        );
        CREATE TABLE minhash_bands (
            band INTEGER NOT NULL,
            bucket INTEGER NOT NULL,          -- 64-bit hash of the band's MinHash values
            article INTEGER NOT NULL REFERENCES articles(id),
            PRIMARY KEY (band, bucket, article)
        ) WITHOUT ROWID;
        """,
    )


@migration
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
