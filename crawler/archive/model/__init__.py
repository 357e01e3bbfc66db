"""The archive's tables as SQLAlchemy Core, one model for both backends: an SQLite file and a
PostgreSQL database (docs/schema.md says what each column holds).

Alembic's history (crawler/archive/history/) builds and migrates both from it; tests check that the
history builds exactly this model on each. Types keep every value as SQLite holds it, so an archive
copied from one backend to the other and back is the same row for row: times stay ISO 8601 text and
JSON stays text; raw originals (`raw_bodies.compressed`) are the same gzip bytes, BLOB or `bytea`,
with their sha256. A table's references to itself are DEFERRABLE: crawler/archive/transfer.py copies
such a table in one transaction and checks them at its commit.

Each backend has a few objects of its own. PostgreSQL: its search index and the crawl workers'
leases (`postgres_only`). SQLite: its FTS5 search index with the triggers that keep it in step,
which SQLAlchemy does not model; the revisions create them with SQLite's own DDL.

Imported only where SQLAlchemy is used: building or migrating an archive, PostgreSQL, migrate-archive.
"""

from __future__ import annotations

from crawler.archive.model.articles import article_urls, article_versions, articles
from crawler.archive.model.base import metadata, on_dialect
from crawler.archive.model.briefings import briefing_versions, briefings, citation_hops, citations
from crawler.archive.model.crawls import (
    article_fetch_queue,
    captures,
    crawl_run_outlets,
    crawl_runs,
    discovery_validators,
    outlets,
    raw_bodies,
)
from crawler.archive.model.postgres_only import (
    POSTGRES_ONLY_TABLES,
    SEARCH_TABLES,
    WORK_TABLES,
    article_search,
    article_search_totals,
    crawl_workers,
    post_search,
    work_leases,
    work_units,
)
from crawler.archive.model.posts import post_article_links, post_checks, post_versions, posts
from crawler.archive.model.stories import article_minhashes, cluster_links, clusters, minhash_bands

__all__ = [
    "POSTGRES_ONLY_TABLES",
    "SEARCH_TABLES",
    "WORK_TABLES",
    "article_fetch_queue",
    "article_minhashes",
    "article_search",
    "article_search_totals",
    "article_urls",
    "article_versions",
    "articles",
    "briefing_versions",
    "briefings",
    "captures",
    "citation_hops",
    "citations",
    "cluster_links",
    "clusters",
    "crawl_run_outlets",
    "crawl_runs",
    "crawl_workers",
    "discovery_validators",
    "metadata",
    "minhash_bands",
    "on_dialect",
    "outlets",
    "post_article_links",
    "post_checks",
    "post_search",
    "post_versions",
    "posts",
    "raw_bodies",
    "work_leases",
    "work_units",
]
