"""The archive's tables as of the legacy SQLite migrations' last, m012_stored_fingerprints: on SQLite,
with its FTS5 search index, the very schema those migrations left (the baseline an SQLite archive they
made is adopted at, crawler/archive/schema.py).

Written by Alembic's autogenerate from the model (then crawler/archive/postgres/tables.py), for
PostgreSQL; SQLite's types, table options, partial indexes and search index were added when the
history came to build SQLite archives too, changing nothing it builds on PostgreSQL. Never edit it
once applied.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Integers and doubles as the model declares them (crawler/archive/model/base.py).
INTEGER64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REAL = sa.Double().with_variant(sa.REAL(), "sqlite")

# SQLite's search index (crawler/search/), which SQLAlchemy does not model: the FTS5 tables of articles
# and posts, and the triggers noting each article written for the index to take in again, in the
# very words of the legacy migrations that made them (m005, m006, m010).
SQLITE_SEARCH = (
    """CREATE VIRTUAL TABLE article_search USING fts5(
            title, body, filters, content='', prefix='1', tokenize="unicode61 categories 'L* N* Co Cn'"
        )""",
    "INSERT INTO article_search (article_search, rank) VALUES ('rank', 'bm25(3.0, 1.0, 0.0)')",
    """CREATE TABLE article_search_pending (
            article INTEGER PRIMARY KEY,      -- articles.id written since the index last took it in
            indexed INTEGER NOT NULL,         -- 1: article_search holds tokens of the indexed_* values
            indexed_title TEXT,               -- coalesce(title_simplified, title) as indexed
            indexed_body TEXT,                -- coalesce(body_simplified, body) as indexed
            indexed_outlet TEXT,
            indexed_language_tag TEXT,
            indexed_published_at TEXT,
            simplified_outdated INTEGER NOT NULL DEFAULT 0  -- 1: title or body changed without its
                                                            -- Simplified copy (made again when indexed)
        )""",
    (
        "CREATE TRIGGER article_search_replace BEFORE INSERT ON articles BEGIN INSERT INTO "
        "article_search_pending (article, indexed, indexed_title, indexed_body, indexed_outlet, "
        "indexed_language_tag, indexed_published_at) SELECT articles.id, 1, "
        "coalesce(articles.title_simplified, articles.title), "
        "coalesce(articles.body_simplified, articles.body), articles.outlet, "
        "articles.language_tag, articles.published_at FROM articles WHERE id = new.id OR "
        "capture_id = new.capture_id OR (outlet = new.outlet AND article_id = new.article_id "
        "AND edition = new.edition) ON CONFLICT (article) DO NOTHING; END"
    ),
    (
        "CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN INSERT INTO "
        "article_search_pending (article, indexed, simplified_outdated) VALUES (new.id, 0, "
        "new.language IS 'zh' AND ((coalesce(new.title, '') != '' AND new.title_simplified IS "
        "NULL) OR (coalesce(new.body, '') != '' AND new.body_simplified IS NULL))) ON CONFLICT "
        "(article) DO UPDATE SET simplified_outdated = simplified_outdated OR "
        "excluded.simplified_outdated; END"
    ),
    (
        "CREATE TRIGGER article_search_update AFTER UPDATE OF id, title, body, "
        "title_simplified, body_simplified, outlet, language_tag, published_at ON articles WHEN "
        "old.id IS NOT new.id OR old.title IS NOT new.title OR old.body IS NOT new.body OR "
        "old.title_simplified IS NOT new.title_simplified OR old.body_simplified IS NOT "
        "new.body_simplified OR old.outlet IS NOT new.outlet OR old.language_tag IS NOT "
        "new.language_tag OR old.published_at IS NOT new.published_at BEGIN INSERT INTO "
        "article_search_pending (article, indexed, indexed_title, indexed_body, indexed_outlet, "
        "indexed_language_tag, indexed_published_at) VALUES (old.id, 1, "
        "coalesce(old.title_simplified, old.title), coalesce(old.body_simplified, old.body), "
        "old.outlet, old.language_tag, old.published_at) ON CONFLICT (article) DO NOTHING; "
        "INSERT INTO article_search_pending (article, indexed, simplified_outdated) VALUES "
        "(new.id, 0, new.language IS 'zh' AND ((new.title IS NOT old.title AND "
        "new.title_simplified IS old.title_simplified) OR (new.body IS NOT old.body AND "
        "new.body_simplified IS old.body_simplified))) ON CONFLICT (article) DO UPDATE SET "
        "simplified_outdated = simplified_outdated OR excluded.simplified_outdated; END"
    ),
    (
        "CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN INSERT INTO "
        "article_search_pending (article, indexed, indexed_title, indexed_body, indexed_outlet, "
        "indexed_language_tag, indexed_published_at) VALUES (old.id, 1, "
        "coalesce(old.title_simplified, old.title), coalesce(old.body_simplified, old.body), "
        "old.outlet, old.language_tag, old.published_at) ON CONFLICT (article) DO NOTHING; END"
    ),
    """CREATE VIRTUAL TABLE post_search USING fts5(
            title, body, filters, content='', prefix='1', tokenize="unicode61 categories 'L* N* Co Cn'"
        )""",
)


def upgrade() -> None:
    op.create_table(
        "article_urls",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("outlet", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("edition", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("seen_as", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.Text(), nullable=False),
        sa.Column("last_seen_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_index(
        "article_urls_by_article", "article_urls", ["outlet", "article_id", "edition"], unique=False
    )
    op.create_index("article_urls_by_canonical_url", "article_urls", ["canonical_url"], unique=False)
    op.create_table(
        "briefings",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published", sa.Text(), nullable=True),
        sa.Column("current_version", INTEGER64, nullable=True),
        sa.Column("added_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("title"),
    )
    op.create_table(
        "clusters",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("started_at", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("finish_reason", sa.Text(), nullable=True),
        sa.Column("outlets", sa.Text(), nullable=False),
        sa.Column("replay_snapshot", sa.Text(), nullable=True),
        sa.Column("sourcevault_version", sa.Text(), nullable=False),
        sa.Column("exit_status", INTEGER64, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "outlets",
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("native_name", sa.Text(), nullable=True),
        sa.Column("home", sa.Text(), nullable=False),
        sa.Column("domains", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default=sa.text("'registry'"), nullable=False),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_table(
        "raw_bodies",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size_bytes", INTEGER64, nullable=False),
        sa.Column("compression", sa.Text(), nullable=False),
        sa.Column("compressed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "article_fetch_queue",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("outlet", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("edition", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("queued_at", sa.Text(), nullable=False),
        sa.Column("listed_in_run", INTEGER64, nullable=True),
        sa.Column("failed_attempts", INTEGER64, server_default=sa.text("0"), nullable=False),
        sa.Column("last_failure", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outlet"],
            ["outlets.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outlet", "article_id", "edition"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "article_fetch_queue_by_outlet", "article_fetch_queue", ["outlet", "state", "id"], unique=False
    )
    op.create_table(
        "briefing_versions",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("briefing", INTEGER64, nullable=False),
        sa.Column("version", INTEGER64, nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_format", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.Text(), nullable=False),
        sa.Column("file_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("added_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["briefing"],
            ["briefings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("briefing", "version"),
        sa.UniqueConstraint("file_sha256"),
    )
    op.create_table(
        "captures",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("crawl_run_id", INTEGER64, nullable=True),
        sa.Column("outlet", sa.Text(), nullable=False),
        sa.Column("page_kind", sa.Text(), nullable=False),
        sa.Column("request_method", sa.Text(), nullable=False),
        sa.Column("request_body", sa.LargeBinary(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("http_status", INTEGER64, nullable=True),
        sa.Column("response_headers", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.Text(), nullable=False),
        sa.Column("replayed_from", sa.Text(), nullable=True),
        sa.Column("body_sha256", sa.Text(), nullable=True),
        sa.Column("body_size_bytes", INTEGER64, nullable=False),
        sa.Column("text_encoding", sa.Text(), nullable=True),
        sa.Column("fetch_error", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("revisit", INTEGER64, server_default=sa.text("0"), nullable=False),
        sa.Column("article_change", sa.Text(), nullable=True),
        sa.Column("article_links_listed", INTEGER64, nullable=True),
        sa.Column("article_links_new", INTEGER64, nullable=True),
        sa.Column("imported_from", sa.Text(), nullable=True),
        sa.Column("post_endpoint", sa.Text(), nullable=True),
        sa.Column("web_archive_of", sa.Text(), nullable=True),
        sa.Column("web_archive_snapshot_at", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_sha256"],
            ["raw_bodies.sha256"],
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["outlet"],
            ["outlets.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("captures_by_outlet", "captures", ["outlet", "outcome"], unique=False)
    op.create_index("captures_by_run", "captures", ["crawl_run_id"], unique=False)
    op.create_index("captures_by_url", "captures", ["url"], unique=False)
    op.create_table(
        "crawl_run_outlets",
        sa.Column("crawl_run_id", INTEGER64, autoincrement=False, nullable=False),
        sa.Column("outlet", sa.Text(), autoincrement=False, nullable=False),
        sa.Column("discovery_fetched", INTEGER64, nullable=False),
        sa.Column("discovery_not_modified", INTEGER64, nullable=False),
        sa.Column("discovery_failed", INTEGER64, nullable=False),
        sa.Column("discovered", INTEGER64, nullable=False),
        sa.Column("fetched", INTEGER64, nullable=False),
        sa.Column("revisited", INTEGER64, nullable=False),
        sa.Column("new", INTEGER64, nullable=False),
        sa.Column("updated", INTEGER64, nullable=False),
        sa.Column("unchanged", INTEGER64, nullable=False),
        sa.Column("removed", INTEGER64, nullable=False),
        sa.Column("not_article", INTEGER64, nullable=False),
        sa.Column("failed", INTEGER64, nullable=False),
        sa.Column("blocked", INTEGER64, nullable=False),
        sa.Column("failures", sa.Text(), nullable=False),
        sa.Column("articles_extracted", INTEGER64, nullable=False),
        sa.Column("field_coverage", sa.Text(), nullable=False),
        sa.Column("off_policy", INTEGER64, server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["outlet"],
            ["outlets.slug"],
        ),
        sa.PrimaryKeyConstraint("crawl_run_id", "outlet"),
    )
    op.create_table(
        "articles",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("capture_id", INTEGER64, nullable=False),
        sa.Column("outlet", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("edition", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("published_at", sa.Text(), nullable=True),
        sa.Column("modified_at", sa.Text(), nullable=True),
        sa.Column("authors", sa.Text(), nullable=False),
        sa.Column("editors", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("bylines", sa.Text(), nullable=False),
        sa.Column("partial_reason", sa.Text(), nullable=True),
        sa.Column("declared_language", sa.Text(), nullable=True),
        sa.Column("field_methods", sa.Text(), nullable=False),
        sa.Column("extractor", sa.Text(), nullable=False),
        sa.Column("extracted_at", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("script", sa.Text(), nullable=True),
        sa.Column("language_tag", sa.Text(), nullable=True),
        sa.Column("language_confidence", REAL, nullable=True),
        sa.Column("script_inferred", INTEGER64, nullable=True),
        sa.Column("declared_language_agrees", INTEGER64, nullable=True),
        sa.Column("expected_script", sa.Text(), nullable=True),
        sa.Column("script_mismatch", INTEGER64, nullable=True),
        sa.Column("title_simplified", sa.Text(), nullable=True),
        sa.Column("body_simplified", sa.Text(), nullable=True),
        sa.Column("revisits_done", INTEGER64, server_default=sa.text("0"), nullable=False),
        sa.Column("revisit_due_at", sa.Text(), nullable=True),
        sa.Column("removed_at", sa.Text(), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=True),
        sa.Column("current_version", INTEGER64, nullable=True),
        sa.Column("first_seen_at", sa.Text(), nullable=True),
        sa.Column("last_seen_at", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.Text(), nullable=True),
        sa.Column("cluster_id", INTEGER64, nullable=True),
        sa.Column("key_source", sa.Text(), nullable=True),
        sa.Column("wayback_original_url", sa.Text(), nullable=True),
        sa.Column("wayback_captured_at", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
        ),
        sa.ForeignKeyConstraint(
            ["outlet"],
            ["outlets.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("capture_id"),
        sa.UniqueConstraint("outlet", "article_id", "edition"),
    )
    op.create_index(
        "articles_by_body_hash",
        "articles",
        ["body_hash"],
        unique=False,
        postgresql_where=sa.text("body_hash IS NOT NULL"),
        sqlite_where=sa.text("body_hash IS NOT NULL"),
    )
    op.create_index(
        "articles_by_cluster",
        "articles",
        ["cluster_id"],
        unique=False,
        postgresql_where=sa.text("cluster_id IS NOT NULL"),
        sqlite_where=sa.text("cluster_id IS NOT NULL"),
    )
    op.create_index("articles_by_language_tag", "articles", ["language_tag", "published_at"], unique=False)
    op.create_index("articles_by_outlet", "articles", ["outlet", "published_at"], unique=False)
    op.create_index("articles_by_published", "articles", ["published_at"], unique=False)
    op.create_index(
        "articles_by_revisit_due",
        "articles",
        ["revisit_due_at"],
        unique=False,
        postgresql_where=sa.text("revisit_due_at IS NOT NULL"),
        sqlite_where=sa.text("revisit_due_at IS NOT NULL"),
    )
    op.create_index(
        "articles_from_wayback",
        "articles",
        ["wayback_captured_at"],
        unique=False,
        postgresql_where=sa.text("wayback_captured_at IS NOT NULL"),
        sqlite_where=sa.text("wayback_captured_at IS NOT NULL"),
    )
    op.create_index(
        "articles_with_script_mismatch",
        "articles",
        ["outlet"],
        unique=False,
        postgresql_where=sa.text("script_mismatch = 1"),
        sqlite_where=sa.text("script_mismatch = 1"),
    )
    op.create_table(
        "discovery_validators",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("capture_id", INTEGER64, nullable=False),
        sa.Column("stored_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_table(
        "posts",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("cited_url", sa.Text(), nullable=True),
        sa.Column("watched", INTEGER64, server_default=sa.text("0"), nullable=False),
        sa.Column("author_uid", sa.Text(), nullable=True),
        sa.Column("author_screen_name", sa.Text(), nullable=True),
        sa.Column("author_name", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Text(), nullable=True),
        sa.Column("created_at_from", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_simplified", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("script", sa.Text(), nullable=True),
        sa.Column("language_tag", sa.Text(), nullable=True),
        sa.Column("declared_language", sa.Text(), nullable=True),
        sa.Column("reposts_count", INTEGER64, nullable=True),
        sa.Column("comments_count", INTEGER64, nullable=True),
        sa.Column("likes_count", INTEGER64, nullable=True),
        sa.Column("counts_at_least", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("image_urls", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("video_urls", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("links", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("source_client", sa.Text(), nullable=True),
        sa.Column("in_reply_to", sa.Text(), nullable=True),
        sa.Column("reposted_post", INTEGER64, nullable=True),
        sa.Column("capture_id", INTEGER64, nullable=True),
        sa.Column("problems", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'unchecked'"), nullable=False),
        sa.Column("removal_kind", sa.Text(), nullable=True),
        sa.Column("removed_at", sa.Text(), nullable=True),
        sa.Column("first_captured_at", sa.Text(), nullable=True),
        sa.Column("last_checked_at", sa.Text(), nullable=True),
        sa.Column("next_check_at", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.ForeignKeyConstraint(
            ["platform"],
            ["outlets.slug"],
        ),
        sa.ForeignKeyConstraint(["reposted_post"], ["posts.id"], deferrable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "post_id"),
    )
    op.create_index(
        "posts_by_next_check",
        "posts",
        ["next_check_at"],
        unique=False,
        postgresql_where=sa.text("watched = 1"),
        sqlite_where=sa.text("watched = 1"),
    )
    op.create_index("posts_by_reposted", "posts", ["reposted_post"], unique=False)
    op.create_table(
        "article_minhashes",
        sa.Column("article", INTEGER64, autoincrement=False, nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("shingle_count", INTEGER64, nullable=False),
        sa.Column("comparable_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article"],
            ["articles.id"],
        ),
        sa.PrimaryKeyConstraint("article"),
    )
    op.create_table(
        "article_versions",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("article", INTEGER64, nullable=False),
        sa.Column("version", INTEGER64, nullable=False),
        sa.Column("previous_version_id", INTEGER64, nullable=True),
        sa.Column("capture_id", INTEGER64, nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("published_at", sa.Text(), nullable=True),
        sa.Column("modified_at", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.Text(), nullable=False),
        sa.Column("last_seen_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article"],
            ["articles.id"],
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.ForeignKeyConstraint(["previous_version_id"], ["article_versions.id"], deferrable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article", "version"),
    )
    op.create_table(
        "cluster_links",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("article", INTEGER64, nullable=False),
        sa.Column("linked_article", INTEGER64, nullable=False),
        sa.Column("similarity", REAL, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article"],
            ["articles.id"],
        ),
        sa.ForeignKeyConstraint(
            ["linked_article"],
            ["articles.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article", "linked_article"),
    )
    op.create_index("cluster_links_by_linked_article", "cluster_links", ["linked_article"], unique=False)
    op.create_table(
        "minhash_bands",
        sa.Column("band", INTEGER64, autoincrement=False, nullable=False),
        sa.Column("bucket", INTEGER64, autoincrement=False, nullable=False),
        sa.Column("article", INTEGER64, autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["article"],
            ["articles.id"],
        ),
        sa.PrimaryKeyConstraint("band", "bucket", "article"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "post_article_links",
        sa.Column("post", INTEGER64, autoincrement=False, nullable=False),
        sa.Column("article", INTEGER64, autoincrement=False, nullable=False),
        sa.Column("similarity", REAL, nullable=False),
        sa.Column("linked_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article"],
            ["articles.id"],
        ),
        sa.ForeignKeyConstraint(
            ["post"],
            ["posts.id"],
        ),
        sa.PrimaryKeyConstraint("post", "article"),
    )
    op.create_index("post_article_links_by_article", "post_article_links", ["article"], unique=False)
    op.create_table(
        "post_checks",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("post", INTEGER64, nullable=False),
        sa.Column("checked_at", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("removal_kind", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_source", sa.Text(), nullable=True),
        sa.Column("capture_id", INTEGER64, nullable=True),
        sa.Column("retry_at", sa.Text(), nullable=True),
        sa.Column("reposts_count", INTEGER64, nullable=True),
        sa.Column("comments_count", INTEGER64, nullable=True),
        sa.Column("likes_count", INTEGER64, nullable=True),
        sa.Column("seen_in", INTEGER64, nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.ForeignKeyConstraint(
            ["post"],
            ["posts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["seen_in"],
            ["posts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("post_checks_by_post", "post_checks", ["post", "checked_at"], unique=False)
    op.create_table(
        "post_versions",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("post", INTEGER64, nullable=False),
        sa.Column("version", INTEGER64, nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("captured_at", sa.Text(), nullable=False),
        sa.Column("capture_id", INTEGER64, nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.ForeignKeyConstraint(
            ["post"],
            ["posts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post", "version"),
    )
    op.create_table(
        "citations",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("briefing_version", INTEGER64, nullable=False),
        sa.Column("position", INTEGER64, nullable=False),
        sa.Column("line", INTEGER64, nullable=True),
        sa.Column("item", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("claimed_date", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("outlet", sa.Text(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=True),
        sa.Column("post_id", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("capture_id", INTEGER64, nullable=True),
        sa.Column("article_version_id", INTEGER64, nullable=True),
        sa.Column("web_archive_snapshot_at", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.Text(), nullable=True),
        sa.Column("latest_capture_id", INTEGER64, nullable=True),
        sa.Column("removed_at", sa.Text(), nullable=True),
        sa.Column("removed_kind", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_version_id"],
            ["article_versions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["briefing_version"],
            ["briefing_versions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.ForeignKeyConstraint(
            ["latest_capture_id"],
            ["captures.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("briefing_version", "position"),
    )
    op.create_index("citations_by_capture", "citations", ["capture_id"], unique=False)
    op.create_index("citations_by_status", "citations", ["status"], unique=False)
    op.create_table(
        "citation_hops",
        sa.Column("id", INTEGER64, nullable=False),
        sa.Column("citation", INTEGER64, nullable=False),
        sa.Column("hop", INTEGER64, nullable=False),
        sa.Column("from_url", sa.Text(), nullable=False),
        sa.Column("to_url", sa.Text(), nullable=True),
        sa.Column("http_status", INTEGER64, nullable=True),
        sa.Column("capture_id", INTEGER64, nullable=False),
        sa.Column("fetched_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.ForeignKeyConstraint(
            ["citation"],
            ["citations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "citation_hops_by_citation", "citation_hops", ["citation", "fetched_at", "hop"], unique=False
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in ("post_search", "article_search_pending", "article_search"):
            op.drop_table(table)
    op.drop_index("citation_hops_by_citation", table_name="citation_hops")
    op.drop_table("citation_hops")
    op.drop_index("citations_by_status", table_name="citations")
    op.drop_index("citations_by_capture", table_name="citations")
    op.drop_table("citations")
    op.drop_table("post_versions")
    op.drop_index("post_checks_by_post", table_name="post_checks")
    op.drop_table("post_checks")
    op.drop_index("post_article_links_by_article", table_name="post_article_links")
    op.drop_table("post_article_links")
    op.drop_table("minhash_bands")
    op.drop_index("cluster_links_by_linked_article", table_name="cluster_links")
    op.drop_table("cluster_links")
    op.drop_table("article_versions")
    op.drop_table("article_minhashes")
    op.drop_index("posts_by_reposted", table_name="posts")
    op.drop_index("posts_by_next_check", table_name="posts", postgresql_where=sa.text("watched = 1"))
    op.drop_table("posts")
    op.drop_table("discovery_validators")
    op.drop_index(
        "articles_with_script_mismatch",
        table_name="articles",
        postgresql_where=sa.text("script_mismatch = 1"),
    )
    op.drop_index(
        "articles_from_wayback",
        table_name="articles",
        postgresql_where=sa.text("wayback_captured_at IS NOT NULL"),
    )
    op.drop_index(
        "articles_by_revisit_due",
        table_name="articles",
        postgresql_where=sa.text("revisit_due_at IS NOT NULL"),
    )
    op.drop_index("articles_by_published", table_name="articles")
    op.drop_index("articles_by_outlet", table_name="articles")
    op.drop_index("articles_by_language_tag", table_name="articles")
    op.drop_index(
        "articles_by_cluster", table_name="articles", postgresql_where=sa.text("cluster_id IS NOT NULL")
    )
    op.drop_index(
        "articles_by_body_hash", table_name="articles", postgresql_where=sa.text("body_hash IS NOT NULL")
    )
    op.drop_table("articles")
    op.drop_table("crawl_run_outlets")
    op.drop_index("captures_by_url", table_name="captures")
    op.drop_index("captures_by_run", table_name="captures")
    op.drop_index("captures_by_outlet", table_name="captures")
    op.drop_table("captures")
    op.drop_table("briefing_versions")
    op.drop_index("article_fetch_queue_by_outlet", table_name="article_fetch_queue")
    op.drop_table("article_fetch_queue")
    op.drop_table("raw_bodies")
    op.drop_table("outlets")
    op.drop_table("crawl_runs")
    op.drop_table("clusters")
    op.drop_table("briefings")
    op.drop_index("article_urls_by_canonical_url", table_name="article_urls")
    op.drop_index("article_urls_by_article", table_name="article_urls")
    op.drop_table("article_urls")
