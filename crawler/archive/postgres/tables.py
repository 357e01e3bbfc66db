"""The archive's tables on PostgreSQL, as SQLAlchemy Core: the same tables and columns as an SQLite
archive at its latest migration (docs/schema.md says what each holds).

The SQLite archive is built by its own sqlite-utils migrations (crawler/archive/migrations/); this
model is the PostgreSQL one, built and migrated by Alembic (crawler/archive/postgres/migrations/).
tests/test_postgres_archive.py checks that both name the same tables and columns and that the Alembic
history builds exactly this model. Left out: SQLite's search index (`article_search*`, `post_search*`,
FTS5 and its bookkeeping), which PostgreSQL keeps in a table of its own. Added: the crawl workers'
units of work and their leases (crawler/archive/postgres/leases.py), which an SQLite archive, crawled by
one machine, has no need of.

Types keep every value as SQLite holds it, so an archive copied there and back is the same row for
row: times stay ISO 8601 text and JSON stays text; integers are 64-bit (MinHash buckets use all of
them); raw originals (`raw_bodies.compressed`) are the same gzip bytes as `bytea`, with their sha256.
A table's references to itself are DEFERRABLE: crawler/archive/transfer.py copies such a table in
one transaction and checks them at its commit.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, TSVECTOR

metadata = MetaData()

outlets = Table(
    "outlets",
    metadata,
    Column("slug", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("native_name", Text),
    Column("home", Text, nullable=False),
    Column("domains", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("script", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("kind", Text, nullable=False, server_default=text("'registry'")),
)

crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("status", Text, nullable=False),
    Column("finish_reason", Text),
    Column("outlets", Text, nullable=False),
    Column("replay_snapshot", Text),
    Column("sourcevault_version", Text, nullable=False),
    Column("exit_status", BigInteger),
)

raw_bodies = Table(
    "raw_bodies",
    metadata,
    Column("sha256", Text, primary_key=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("compression", Text, nullable=False),
    Column("compressed", LargeBinary, nullable=False),
)

captures = Table(
    "captures",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("crawl_run_id", BigInteger, ForeignKey("crawl_runs.id")),
    Column("outlet", Text, ForeignKey("outlets.slug"), nullable=False),
    Column("page_kind", Text, nullable=False),
    Column("request_method", Text, nullable=False),
    Column("request_body", LargeBinary),
    Column("url", Text, nullable=False),
    Column("final_url", Text),
    Column("http_status", BigInteger),
    Column("response_headers", Text, nullable=False),
    Column("fetched_at", Text, nullable=False),
    Column("replayed_from", Text),
    Column("body_sha256", Text, ForeignKey("raw_bodies.sha256")),
    Column("body_size_bytes", BigInteger, nullable=False),
    Column("text_encoding", Text),
    Column("fetch_error", Text),
    Column("outcome", Text, nullable=False),
    Column("outcome_reason", Text),
    Column("revisit", BigInteger, nullable=False, server_default=text("0")),
    Column("article_change", Text),
    Column("article_links_listed", BigInteger),
    Column("article_links_new", BigInteger),
    Column("imported_from", Text),
    Column("post_endpoint", Text),
    Column("web_archive_of", Text),
    Column("web_archive_snapshot_at", Text),
)
Index("captures_by_run", captures.c.crawl_run_id)
Index("captures_by_url", captures.c.url)
Index("captures_by_outlet", captures.c.outlet, captures.c.outcome)

articles = Table(
    "articles",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("capture_id", BigInteger, ForeignKey("captures.id"), nullable=False),
    Column("outlet", Text, ForeignKey("outlets.slug"), nullable=False),
    Column("article_id", Text, nullable=False),
    Column("edition", Text, nullable=False, server_default=text("''")),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text),
    Column("title", Text),
    Column("body", Text),
    Column("published_at", Text),
    Column("modified_at", Text),
    Column("authors", Text, nullable=False),
    Column("editors", Text, nullable=False),
    Column("source", Text),
    Column("section", Text),
    Column("tags", Text, nullable=False),
    Column("image", Text),
    Column("bylines", Text, nullable=False),
    Column("partial_reason", Text),
    Column("declared_language", Text),
    Column("field_methods", Text, nullable=False),
    Column("extractor", Text, nullable=False),
    Column("extracted_at", Text, nullable=False),
    Column("language", Text),
    Column("script", Text),
    Column("language_tag", Text),
    Column("language_confidence", Double),
    Column("script_inferred", BigInteger),
    Column("declared_language_agrees", BigInteger),
    Column("expected_script", Text),
    Column("script_mismatch", BigInteger),
    Column("title_simplified", Text),
    Column("body_simplified", Text),
    Column("revisits_done", BigInteger, nullable=False, server_default=text("0")),
    Column("revisit_due_at", Text),
    Column("removed_at", Text),
    Column("removed_reason", Text),
    Column("current_version", BigInteger),
    Column("first_seen_at", Text),
    Column("last_seen_at", Text),
    Column("body_hash", Text),
    Column("cluster_id", BigInteger, ForeignKey("clusters.id")),
    Column("key_source", Text),
    Column("wayback_original_url", Text),
    Column("wayback_captured_at", Text),
    UniqueConstraint("outlet", "article_id", "edition"),
    UniqueConstraint("capture_id"),
)
Index(
    "articles_from_wayback",
    articles.c.wayback_captured_at,
    postgresql_where=text("wayback_captured_at IS NOT NULL"),
)
Index("articles_by_cluster", articles.c.cluster_id, postgresql_where=text("cluster_id IS NOT NULL"))
Index("articles_by_body_hash", articles.c.body_hash, postgresql_where=text("body_hash IS NOT NULL"))
Index(
    "articles_by_revisit_due", articles.c.revisit_due_at, postgresql_where=text("revisit_due_at IS NOT NULL")
)
Index("articles_with_script_mismatch", articles.c.outlet, postgresql_where=text("script_mismatch = 1"))
Index("articles_by_language_tag", articles.c.language_tag, articles.c.published_at)
Index("articles_by_outlet", articles.c.outlet, articles.c.published_at)
Index("articles_by_published", articles.c.published_at)

crawl_run_outlets = Table(
    "crawl_run_outlets",
    metadata,
    Column("crawl_run_id", BigInteger, ForeignKey("crawl_runs.id"), primary_key=True, autoincrement=False),
    Column("outlet", Text, ForeignKey("outlets.slug"), primary_key=True, autoincrement=False),
    Column("discovery_fetched", BigInteger, nullable=False),
    Column("discovery_not_modified", BigInteger, nullable=False),
    Column("discovery_failed", BigInteger, nullable=False),
    Column("discovered", BigInteger, nullable=False),
    Column("fetched", BigInteger, nullable=False),
    Column("revisited", BigInteger, nullable=False),
    Column("new", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
    Column("unchanged", BigInteger, nullable=False),
    Column("removed", BigInteger, nullable=False),
    Column("not_article", BigInteger, nullable=False),
    Column("failed", BigInteger, nullable=False),
    Column("blocked", BigInteger, nullable=False),
    Column("failures", Text, nullable=False),
    Column("articles_extracted", BigInteger, nullable=False),
    Column("field_coverage", Text, nullable=False),
    Column("off_policy", BigInteger, nullable=False, server_default=text("0")),
)

article_fetch_queue = Table(
    "article_fetch_queue",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("outlet", Text, ForeignKey("outlets.slug"), nullable=False),
    Column("article_id", Text, nullable=False),
    Column("edition", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("queued_at", Text, nullable=False),
    Column("listed_in_run", BigInteger),
    Column("failed_attempts", BigInteger, nullable=False, server_default=text("0")),
    Column("last_failure", Text),
    UniqueConstraint("outlet", "article_id", "edition"),
)
Index(
    "article_fetch_queue_by_outlet",
    article_fetch_queue.c.outlet,
    article_fetch_queue.c.state,
    article_fetch_queue.c.id,
)

discovery_validators = Table(
    "discovery_validators",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("capture_id", BigInteger, ForeignKey("captures.id"), nullable=False),
    Column("stored_at", Text, nullable=False),
)

article_versions = Table(
    "article_versions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("article", BigInteger, ForeignKey("articles.id"), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("previous_version_id", BigInteger, ForeignKey("article_versions.id", deferrable=True)),
    Column("capture_id", BigInteger, ForeignKey("captures.id"), nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("title", Text),
    Column("body", Text),
    Column("published_at", Text),
    Column("modified_at", Text),
    Column("first_seen_at", Text, nullable=False),
    Column("last_seen_at", Text, nullable=False),
    UniqueConstraint("article", "version"),
)

article_urls = Table(
    "article_urls",
    metadata,
    Column("url", Text, primary_key=True),
    Column("canonical_url", Text, nullable=False),
    Column("outlet", Text, nullable=False),
    Column("article_id", Text, nullable=False),
    Column("edition", Text, nullable=False, server_default=text("''")),
    Column("seen_as", Text, nullable=False),
    Column("first_seen_at", Text, nullable=False),
    Column("last_seen_at", Text, nullable=False),
)
Index("article_urls_by_article", article_urls.c.outlet, article_urls.c.article_id, article_urls.c.edition)
Index("article_urls_by_canonical_url", article_urls.c.canonical_url)

clusters = Table(
    "clusters",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

cluster_links = Table(
    "cluster_links",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("article", BigInteger, ForeignKey("articles.id"), nullable=False),
    Column("linked_article", BigInteger, ForeignKey("articles.id"), nullable=False),
    Column("similarity", Double, nullable=False),
    Column("reason", Text, nullable=False),
    Column("linked_at", Text, nullable=False),
    UniqueConstraint("article", "linked_article"),
)
Index("cluster_links_by_linked_article", cluster_links.c.linked_article)

article_minhashes = Table(
    "article_minhashes",
    metadata,
    Column("article", BigInteger, ForeignKey("articles.id"), primary_key=True, autoincrement=False),
    Column("signature", LargeBinary, nullable=False),
    Column("shingle_count", BigInteger, nullable=False),
    Column("comparable_text", Text),
)

minhash_bands = Table(
    "minhash_bands",
    metadata,
    Column("band", BigInteger, primary_key=True, autoincrement=False),
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),
    Column("article", BigInteger, ForeignKey("articles.id"), primary_key=True, autoincrement=False),
)

posts = Table(
    "posts",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("platform", Text, ForeignKey("outlets.slug"), nullable=False),
    Column("post_id", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("cited_url", Text),
    Column("watched", BigInteger, nullable=False, server_default=text("0")),
    Column("author_uid", Text),
    Column("author_screen_name", Text),
    Column("author_name", Text),
    Column("created_at", Text),
    Column("created_at_from", Text),
    Column("text", Text),
    Column("text_simplified", Text),
    Column("language", Text),
    Column("script", Text),
    Column("language_tag", Text),
    Column("declared_language", Text),
    Column("reposts_count", BigInteger),
    Column("comments_count", BigInteger),
    Column("likes_count", BigInteger),
    Column("counts_at_least", Text, nullable=False, server_default=text("'[]'")),
    Column("image_urls", Text, nullable=False, server_default=text("'[]'")),
    Column("video_urls", Text, nullable=False, server_default=text("'[]'")),
    Column("links", Text, nullable=False, server_default=text("'[]'")),
    Column("source_client", Text),
    Column("in_reply_to", Text),
    # A cited post is stored before the post it reposts: a copy checks this reference at commit.
    Column("reposted_post", BigInteger, ForeignKey("posts.id", deferrable=True)),
    Column("capture_id", BigInteger, ForeignKey("captures.id")),
    Column("problems", Text, nullable=False, server_default=text("'[]'")),
    Column("status", Text, nullable=False, server_default=text("'unchecked'")),
    Column("removal_kind", Text),
    Column("removed_at", Text),
    Column("first_captured_at", Text),
    Column("last_checked_at", Text),
    Column("next_check_at", Text),
    UniqueConstraint("platform", "post_id"),
)
Index("posts_by_reposted", posts.c.reposted_post)
Index("posts_by_next_check", posts.c.next_check_at, postgresql_where=text("watched = 1"))

post_checks = Table(
    "post_checks",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("post", BigInteger, ForeignKey("posts.id"), nullable=False),
    Column("checked_at", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("removal_kind", Text),
    Column("evidence", Text),
    Column("evidence_source", Text),
    Column("capture_id", BigInteger, ForeignKey("captures.id")),
    Column("retry_at", Text),
    Column("reposts_count", BigInteger),
    Column("comments_count", BigInteger),
    Column("likes_count", BigInteger),
    Column("seen_in", BigInteger, ForeignKey("posts.id")),
)
Index("post_checks_by_post", post_checks.c.post, post_checks.c.checked_at)

post_versions = Table(
    "post_versions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("post", BigInteger, ForeignKey("posts.id"), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("text", Text),
    Column("captured_at", Text, nullable=False),
    Column("capture_id", BigInteger, ForeignKey("captures.id")),
    UniqueConstraint("post", "version"),
)

post_article_links = Table(
    "post_article_links",
    metadata,
    Column("post", BigInteger, ForeignKey("posts.id"), primary_key=True, autoincrement=False),
    Column("article", BigInteger, ForeignKey("articles.id"), primary_key=True, autoincrement=False),
    Column("similarity", Double, nullable=False),
    Column("linked_at", Text, nullable=False),
)
Index("post_article_links_by_article", post_article_links.c.article)

briefings = Table(
    "briefings",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("title", Text, nullable=False),
    Column("published", Text),
    Column("current_version", BigInteger),
    Column("added_at", Text, nullable=False),
    UniqueConstraint("title"),
)

briefing_versions = Table(
    "briefing_versions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("briefing", BigInteger, ForeignKey("briefings.id"), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_format", Text, nullable=False),
    Column("file_sha256", Text, nullable=False),
    Column("file_bytes", LargeBinary, nullable=False),
    Column("text", Text, nullable=False),
    Column("added_at", Text, nullable=False),
    UniqueConstraint("briefing", "version"),
    UniqueConstraint("file_sha256"),
)

citations = Table(
    "citations",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("briefing_version", BigInteger, ForeignKey("briefing_versions.id"), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("line", BigInteger),
    Column("item", Text),
    Column("label", Text),
    Column("claimed_date", Text),
    Column("url", Text),
    Column("kind", Text, nullable=False),
    Column("outlet", Text),
    Column("platform", Text),
    Column("post_id", Text),
    Column("status", Text, nullable=False),
    Column("reason", Text),
    Column("final_url", Text),
    Column("capture_id", BigInteger, ForeignKey("captures.id")),
    Column("article_version_id", BigInteger, ForeignKey("article_versions.id")),
    Column("web_archive_snapshot_at", Text),
    Column("checked_at", Text),
    Column("latest_capture_id", BigInteger, ForeignKey("captures.id")),
    Column("removed_at", Text),
    Column("removed_kind", Text),
    UniqueConstraint("briefing_version", "position"),
)
Index("citations_by_status", citations.c.status)
Index("citations_by_capture", citations.c.capture_id)

citation_hops = Table(
    "citation_hops",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("citation", BigInteger, ForeignKey("citations.id"), nullable=False),
    Column("hop", BigInteger, nullable=False),
    Column("from_url", Text, nullable=False),
    Column("to_url", Text),
    Column("http_status", BigInteger),
    Column("capture_id", BigInteger, ForeignKey("captures.id"), nullable=False),
    Column("fetched_at", Text, nullable=False),
)
Index("citation_hops_by_citation", citation_hops.c.citation, citation_hops.c.fetched_at, citation_hops.c.hop)


def _search_table(name: str, key: str, indexed: str) -> Table:
    """A search index: per row of the table `indexed` (its `key`), its tokens (GIN-indexed), its
    search texts and its length in tokens."""
    table = Table(
        name,
        metadata,
        Column(key, BigInteger, ForeignKey(f"{indexed}.id"), primary_key=True, autoincrement=False),
        Column("lexemes", TSVECTOR, nullable=False),
        Column("title_text", Text),
        Column("body_text", Text),
        Column("token_count", BigInteger, nullable=False),
    )
    Index(f"{name}_by_lexeme", table.c.lexemes, postgresql_using="gin")
    return table


# Chinese search (crawler/search/postgres.py), in place of SQLite's FTS5 index: per article, the
# tokens of its title and body and its filter tokens (GIN-indexed), its search texts and its length
# in tokens; and the index's totals, for bm25 (summed over a few rows, one per writer's slot).
article_search = _search_table("article_search", "article", "articles")

article_search_totals = Table(
    "article_search_totals",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("articles", BigInteger, nullable=False),
    Column("tokens", BigInteger, nullable=False),
)
# Post search (crawler/search/postgres_posts.py), in place of SQLite's FTS5 `post_search`: per post
# with a text, what article_search holds per article, its author's names as the title.
post_search = _search_table("post_search", "post", "posts")
# The tables an SQLite archive has no counterpart of (its FTS5 indexes are built by its migrations).
SEARCH_TABLES = ("article_search", "article_search_totals", "post_search")

# Crawl workers (crawler/archive/postgres/leases.py). Their times are the server's clock (now()), never
# a worker's: leases taken and renewed from several machines expire by one clock.
crawl_workers = Table(
    "crawl_workers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("host", Text, nullable=False),
    Column("pid", BigInteger, nullable=False),
    Column("started_at", TIMESTAMP(timezone=True), nullable=False),
    Column("heartbeat_at", TIMESTAMP(timezone=True), nullable=False),
)

# A unit of work: an outlet's discovery, an outlet's due revisits, a briefing's citations. `holds` is
# what a worker holds while doing it (the outlet's slug; a briefing's citations: briefing:ID and every
# outlet they are fetched from): one lease per holding, all taken together or none.
work_units = Table(
    "work_units",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("holds", ARRAY(Text), nullable=False),
    Column("due_at", TIMESTAMP(timezone=True), nullable=False),
    Column("last_finished_at", TIMESTAMP(timezone=True)),
    UniqueConstraint("kind", "subject"),
)
Index("work_units_by_due_at", work_units.c.due_at)

work_leases = Table(
    "work_leases",
    metadata,
    Column("holds", Text, primary_key=True),
    Column("unit", BigInteger, ForeignKey("work_units.id", ondelete="CASCADE"), nullable=False),
    Column("worker", Text, ForeignKey("crawl_workers.id", ondelete="CASCADE"), nullable=False),
    Column("taken_at", TIMESTAMP(timezone=True), nullable=False),
    Column("leased_until", TIMESTAMP(timezone=True), nullable=False),
)
Index("work_leases_by_worker", work_leases.c.worker)
Index("work_leases_by_unit", work_leases.c.unit)
WORK_TABLES = ("crawl_workers", "work_units", "work_leases")
# The tables of a PostgreSQL archive alone: neither copied to nor from an SQLite archive.
POSTGRES_ONLY_TABLES = (*SEARCH_TABLES, *WORK_TABLES)
