"""The story index: body hashes, MinHash band keys, links between copies of a story, clusters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m004b_story_clusters(db: Database) -> None:
    # Articles archived before this migration join clusters when `sourcevault reextract` runs.
    execute_each(
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
