"""Weibo and X posts: the post, each check of it, each text it had, the articles it is linked to."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Table, Text, UniqueConstraint, text

from crawler.archive.model.base import Integer64, Real, metadata, where

posts = Table(
    "posts",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("platform", Text, ForeignKey("outlets.slug"), nullable=False),
    Column("post_id", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("cited_url", Text),
    Column("watched", Integer64, nullable=False, server_default=text("0")),
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
    Column("reposts_count", Integer64),
    Column("comments_count", Integer64),
    Column("likes_count", Integer64),
    Column("counts_at_least", Text, nullable=False, server_default=text("'[]'")),
    Column("image_urls", Text, nullable=False, server_default=text("'[]'")),
    Column("video_urls", Text, nullable=False, server_default=text("'[]'")),
    Column("links", Text, nullable=False, server_default=text("'[]'")),
    Column("source_client", Text),
    Column("in_reply_to", Text),
    # A cited post is stored before the post it reposts: a copy checks this reference at commit.
    Column("reposted_post", Integer64, ForeignKey("posts.id", deferrable=True)),
    Column("capture_id", Integer64, ForeignKey("captures.id")),
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
Index("posts_by_next_check", posts.c.next_check_at, **where("watched = 1"))

post_checks = Table(
    "post_checks",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("post", Integer64, ForeignKey("posts.id"), nullable=False),
    Column("checked_at", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("removal_kind", Text),
    Column("evidence", Text),
    Column("evidence_source", Text),
    Column("capture_id", Integer64, ForeignKey("captures.id")),
    Column("retry_at", Text),
    Column("reposts_count", Integer64),
    Column("comments_count", Integer64),
    Column("likes_count", Integer64),
    Column("seen_in", Integer64, ForeignKey("posts.id")),
)
Index("post_checks_by_post", post_checks.c.post, post_checks.c.checked_at)

post_versions = Table(
    "post_versions",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("post", Integer64, ForeignKey("posts.id"), nullable=False),
    Column("version", Integer64, nullable=False),
    Column("text", Text),
    Column("captured_at", Text, nullable=False),
    Column("capture_id", Integer64, ForeignKey("captures.id")),
    UniqueConstraint("post", "version"),
)

post_article_links = Table(
    "post_article_links",
    metadata,
    Column("post", Integer64, ForeignKey("posts.id"), primary_key=True, autoincrement=False),
    Column("article", Integer64, ForeignKey("articles.id"), primary_key=True, autoincrement=False),
    Column("similarity", Real, nullable=False),
    Column("linked_at", Text, nullable=False),
)
Index("post_article_links_by_article", post_article_links.c.article)
