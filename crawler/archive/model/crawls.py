"""Outlets, crawl runs and what each fetched: raw originals, captures, the per-outlet counts of a
run, the article fetch queue and the validators of discovery pages."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, Table, Text, UniqueConstraint, text

from crawler.archive.model.base import Integer64, metadata

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
    Column("id", Integer64, primary_key=True),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("status", Text, nullable=False),
    Column("finish_reason", Text),
    Column("outlets", Text, nullable=False),
    Column("replay_snapshot", Text),
    Column("sourcevault_version", Text, nullable=False),
    Column("exit_status", Integer64),
    Column("crawl_worker", Text),
)

raw_bodies = Table(
    "raw_bodies",
    metadata,
    Column("sha256", Text, primary_key=True),
    Column("size_bytes", Integer64, nullable=False),
    Column("compression", Text, nullable=False),
    Column("compressed", LargeBinary, nullable=False),
)

captures = Table(
    "captures",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("crawl_run_id", Integer64, ForeignKey("crawl_runs.id")),
    Column("outlet", Text, ForeignKey("outlets.slug"), nullable=False),
    Column("page_kind", Text, nullable=False),
    Column("request_method", Text, nullable=False),
    Column("request_body", LargeBinary),
    Column("url", Text, nullable=False),
    Column("final_url", Text),
    Column("http_status", Integer64),
    Column("response_headers", Text, nullable=False),
    Column("fetched_at", Text, nullable=False),
    Column("replayed_from", Text),
    Column("body_sha256", Text, ForeignKey("raw_bodies.sha256")),
    Column("body_size_bytes", Integer64, nullable=False),
    Column("text_encoding", Text),
    Column("fetch_error", Text),
    Column("outcome", Text, nullable=False),
    Column("outcome_reason", Text),
    Column("revisit", Integer64, nullable=False, server_default=text("0")),
    Column("article_change", Text),
    Column("article_links_listed", Integer64),
    Column("article_links_new", Integer64),
    Column("imported_from", Text),
    Column("post_endpoint", Text),
    Column("web_archive_of", Text),
    Column("web_archive_snapshot_at", Text),
)
Index("captures_by_run", captures.c.crawl_run_id)
Index("captures_by_url", captures.c.url)
Index("captures_by_outlet", captures.c.outlet, captures.c.outcome)

crawl_run_outlets = Table(
    "crawl_run_outlets",
    metadata,
    Column("crawl_run_id", Integer64, ForeignKey("crawl_runs.id"), primary_key=True, autoincrement=False),
    Column("outlet", Text, ForeignKey("outlets.slug"), primary_key=True, autoincrement=False),
    Column("discovery_fetched", Integer64, nullable=False),
    Column("discovery_not_modified", Integer64, nullable=False),
    Column("discovery_failed", Integer64, nullable=False),
    Column("discovered", Integer64, nullable=False),
    Column("fetched", Integer64, nullable=False),
    Column("revisited", Integer64, nullable=False),
    Column("new", Integer64, nullable=False),
    Column("updated", Integer64, nullable=False),
    Column("unchanged", Integer64, nullable=False),
    Column("removed", Integer64, nullable=False),
    Column("not_article", Integer64, nullable=False),
    Column("failed", Integer64, nullable=False),
    Column("blocked", Integer64, nullable=False),
    Column("failures", Text, nullable=False),
    Column("articles_extracted", Integer64, nullable=False),
    Column("field_coverage", Text, nullable=False),
    Column("off_policy", Integer64, nullable=False, server_default=text("0")),
)

article_fetch_queue = Table(
    "article_fetch_queue",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("outlet", Text, ForeignKey("outlets.slug"), nullable=False),
    Column("article_id", Text, nullable=False),
    Column("edition", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("queued_at", Text, nullable=False),
    Column("listed_in_run", Integer64),
    Column("failed_attempts", Integer64, nullable=False, server_default=text("0")),
    Column("last_failure", Text),
    UniqueConstraint("outlet", "article_id", "edition"),
    # Its ids are never reused: the spider reads the queue in id order.
    sqlite_autoincrement=True,
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
    Column("capture_id", Integer64, ForeignKey("captures.id"), nullable=False),
    Column("stored_at", Text, nullable=False),
)
