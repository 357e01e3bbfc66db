"""Articles, every version of their content, and every URL an article was seen at."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Table, Text, UniqueConstraint, text

from crawler.archive.model.base import Integer64, Real, metadata, where

articles = Table(
    "articles",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("capture_id", Integer64, ForeignKey("captures.id"), nullable=False),
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
    Column("language_confidence", Real),
    Column("script_inferred", Integer64),
    Column("declared_language_agrees", Integer64),
    Column("expected_script", Text),
    Column("script_mismatch", Integer64),
    Column("title_simplified", Text),
    Column("body_simplified", Text),
    Column("revisits_done", Integer64, nullable=False, server_default=text("0")),
    Column("revisit_due_at", Text),
    Column("removed_at", Text),
    Column("removed_reason", Text),
    Column("current_version", Integer64),
    Column("first_seen_at", Text),
    Column("last_seen_at", Text),
    Column("body_hash", Text),
    Column("cluster_id", Integer64, ForeignKey("clusters.id")),
    Column("key_source", Text),
    Column("wayback_original_url", Text),
    Column("wayback_captured_at", Text),
    UniqueConstraint("outlet", "article_id", "edition"),
    UniqueConstraint("capture_id"),
)
Index(
    "articles_from_wayback",
    articles.c.wayback_captured_at,
    **where("wayback_captured_at IS NOT NULL"),
)
Index("articles_by_cluster", articles.c.cluster_id, **where("cluster_id IS NOT NULL"))
Index("articles_by_body_hash", articles.c.body_hash, **where("body_hash IS NOT NULL"))
Index("articles_by_revisit_due", articles.c.revisit_due_at, **where("revisit_due_at IS NOT NULL"))
Index("articles_with_script_mismatch", articles.c.outlet, **where("script_mismatch = 1"))
Index("articles_by_language_tag", articles.c.language_tag, articles.c.published_at)
Index("articles_by_outlet", articles.c.outlet, articles.c.published_at)
Index("articles_by_published", articles.c.published_at)

article_versions = Table(
    "article_versions",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("article", Integer64, ForeignKey("articles.id"), nullable=False),
    Column("version", Integer64, nullable=False),
    Column("previous_version_id", Integer64, ForeignKey("article_versions.id", deferrable=True)),
    Column("capture_id", Integer64, ForeignKey("captures.id"), nullable=False),
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
