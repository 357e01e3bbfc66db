"""The archive's tables as of the SQLite archive's m012_stored_fingerprints, less its FTS5 search index.

Written by Alembic's autogenerate from crawler/archive/postgres/tables.py; never edit it once applied.

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
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published", sa.Text(), nullable=True),
        sa.Column("current_version", sa.BigInteger(), nullable=True),
        sa.Column("added_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("title"),
    )
    op.create_table(
        "clusters",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("finish_reason", sa.Text(), nullable=True),
        sa.Column("outlets", sa.Text(), nullable=False),
        sa.Column("replay_snapshot", sa.Text(), nullable=True),
        sa.Column("sourcevault_version", sa.Text(), nullable=False),
        sa.Column("exit_status", sa.BigInteger(), nullable=True),
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
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("compression", sa.Text(), nullable=False),
        sa.Column("compressed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "article_fetch_queue",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("outlet", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("edition", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("queued_at", sa.Text(), nullable=False),
        sa.Column("listed_in_run", sa.BigInteger(), nullable=True),
        sa.Column("failed_attempts", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_failure", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outlet"],
            ["outlets.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outlet", "article_id", "edition"),
    )
    op.create_index(
        "article_fetch_queue_by_outlet", "article_fetch_queue", ["outlet", "state", "id"], unique=False
    )
    op.create_table(
        "briefing_versions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("briefing", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
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
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("crawl_run_id", sa.BigInteger(), nullable=True),
        sa.Column("outlet", sa.Text(), nullable=False),
        sa.Column("page_kind", sa.Text(), nullable=False),
        sa.Column("request_method", sa.Text(), nullable=False),
        sa.Column("request_body", sa.LargeBinary(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("http_status", sa.BigInteger(), nullable=True),
        sa.Column("response_headers", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.Text(), nullable=False),
        sa.Column("replayed_from", sa.Text(), nullable=True),
        sa.Column("body_sha256", sa.Text(), nullable=True),
        sa.Column("body_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("text_encoding", sa.Text(), nullable=True),
        sa.Column("fetch_error", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("revisit", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("article_change", sa.Text(), nullable=True),
        sa.Column("article_links_listed", sa.BigInteger(), nullable=True),
        sa.Column("article_links_new", sa.BigInteger(), nullable=True),
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
        sa.Column("crawl_run_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("outlet", sa.Text(), autoincrement=False, nullable=False),
        sa.Column("discovery_fetched", sa.BigInteger(), nullable=False),
        sa.Column("discovery_not_modified", sa.BigInteger(), nullable=False),
        sa.Column("discovery_failed", sa.BigInteger(), nullable=False),
        sa.Column("discovered", sa.BigInteger(), nullable=False),
        sa.Column("fetched", sa.BigInteger(), nullable=False),
        sa.Column("revisited", sa.BigInteger(), nullable=False),
        sa.Column("new", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("unchanged", sa.BigInteger(), nullable=False),
        sa.Column("removed", sa.BigInteger(), nullable=False),
        sa.Column("not_article", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("blocked", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Text(), nullable=False),
        sa.Column("articles_extracted", sa.BigInteger(), nullable=False),
        sa.Column("field_coverage", sa.Text(), nullable=False),
        sa.Column("off_policy", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
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
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("capture_id", sa.BigInteger(), nullable=False),
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
        sa.Column("language_confidence", sa.Double(), nullable=True),
        sa.Column("script_inferred", sa.BigInteger(), nullable=True),
        sa.Column("declared_language_agrees", sa.BigInteger(), nullable=True),
        sa.Column("expected_script", sa.Text(), nullable=True),
        sa.Column("script_mismatch", sa.BigInteger(), nullable=True),
        sa.Column("title_simplified", sa.Text(), nullable=True),
        sa.Column("body_simplified", sa.Text(), nullable=True),
        sa.Column("revisits_done", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("revisit_due_at", sa.Text(), nullable=True),
        sa.Column("removed_at", sa.Text(), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=True),
        sa.Column("current_version", sa.BigInteger(), nullable=True),
        sa.Column("first_seen_at", sa.Text(), nullable=True),
        sa.Column("last_seen_at", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.Text(), nullable=True),
        sa.Column("cluster_id", sa.BigInteger(), nullable=True),
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
    )
    op.create_index(
        "articles_by_cluster",
        "articles",
        ["cluster_id"],
        unique=False,
        postgresql_where=sa.text("cluster_id IS NOT NULL"),
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
    )
    op.create_index(
        "articles_from_wayback",
        "articles",
        ["wayback_captured_at"],
        unique=False,
        postgresql_where=sa.text("wayback_captured_at IS NOT NULL"),
    )
    op.create_index(
        "articles_with_script_mismatch",
        "articles",
        ["outlet"],
        unique=False,
        postgresql_where=sa.text("script_mismatch = 1"),
    )
    op.create_table(
        "discovery_validators",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("capture_id", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
        ),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("cited_url", sa.Text(), nullable=True),
        sa.Column("watched", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
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
        sa.Column("reposts_count", sa.BigInteger(), nullable=True),
        sa.Column("comments_count", sa.BigInteger(), nullable=True),
        sa.Column("likes_count", sa.BigInteger(), nullable=True),
        sa.Column("counts_at_least", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("image_urls", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("video_urls", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("links", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("source_client", sa.Text(), nullable=True),
        sa.Column("in_reply_to", sa.Text(), nullable=True),
        sa.Column("reposted_post", sa.BigInteger(), nullable=True),
        sa.Column("capture_id", sa.BigInteger(), nullable=True),
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
    )
    op.create_index("posts_by_reposted", "posts", ["reposted_post"], unique=False)
    op.create_table(
        "article_minhashes",
        sa.Column("article", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("shingle_count", sa.BigInteger(), nullable=False),
        sa.Column("comparable_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article"],
            ["articles.id"],
        ),
        sa.PrimaryKeyConstraint("article"),
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("article", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("previous_version_id", sa.BigInteger(), nullable=True),
        sa.Column("capture_id", sa.BigInteger(), nullable=False),
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
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("article", sa.BigInteger(), nullable=False),
        sa.Column("linked_article", sa.BigInteger(), nullable=False),
        sa.Column("similarity", sa.Double(), nullable=False),
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
        sa.Column("band", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["article"],
            ["articles.id"],
        ),
        sa.PrimaryKeyConstraint("band", "bucket", "article"),
    )
    op.create_table(
        "post_article_links",
        sa.Column("post", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("similarity", sa.Double(), nullable=False),
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
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("post", sa.BigInteger(), nullable=False),
        sa.Column("checked_at", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("removal_kind", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_source", sa.Text(), nullable=True),
        sa.Column("capture_id", sa.BigInteger(), nullable=True),
        sa.Column("retry_at", sa.Text(), nullable=True),
        sa.Column("reposts_count", sa.BigInteger(), nullable=True),
        sa.Column("comments_count", sa.BigInteger(), nullable=True),
        sa.Column("likes_count", sa.BigInteger(), nullable=True),
        sa.Column("seen_in", sa.BigInteger(), nullable=True),
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
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("post", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("captured_at", sa.Text(), nullable=False),
        sa.Column("capture_id", sa.BigInteger(), nullable=True),
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
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("briefing_version", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=True),
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
        sa.Column("capture_id", sa.BigInteger(), nullable=True),
        sa.Column("article_version_id", sa.BigInteger(), nullable=True),
        sa.Column("web_archive_snapshot_at", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.Text(), nullable=True),
        sa.Column("latest_capture_id", sa.BigInteger(), nullable=True),
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
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("citation", sa.BigInteger(), nullable=False),
        sa.Column("hop", sa.BigInteger(), nullable=False),
        sa.Column("from_url", sa.Text(), nullable=False),
        sa.Column("to_url", sa.Text(), nullable=True),
        sa.Column("http_status", sa.BigInteger(), nullable=True),
        sa.Column("capture_id", sa.BigInteger(), nullable=False),
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


def downgrade() -> None:
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
