"""Briefings, every version of their file, their citations and each redirect hop a cited URL took."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, Table, Text, UniqueConstraint

from crawler.archive.model.base import Integer64, metadata

briefings = Table(
    "briefings",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("title", Text, nullable=False),
    Column("published", Text),
    Column("current_version", Integer64),
    Column("added_at", Text, nullable=False),
    UniqueConstraint("title"),
)

briefing_versions = Table(
    "briefing_versions",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("briefing", Integer64, ForeignKey("briefings.id"), nullable=False),
    Column("version", Integer64, nullable=False),
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
    Column("id", Integer64, primary_key=True),
    Column("briefing_version", Integer64, ForeignKey("briefing_versions.id"), nullable=False),
    Column("position", Integer64, nullable=False),
    Column("line", Integer64),
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
    Column("capture_id", Integer64, ForeignKey("captures.id")),
    Column("article_version_id", Integer64, ForeignKey("article_versions.id")),
    Column("web_archive_snapshot_at", Text),
    Column("checked_at", Text),
    Column("latest_capture_id", Integer64, ForeignKey("captures.id")),
    Column("removed_at", Text),
    Column("removed_kind", Text),
    UniqueConstraint("briefing_version", "position"),
)
Index("citations_by_status", citations.c.status)
Index("citations_by_capture", citations.c.capture_id)

citation_hops = Table(
    "citation_hops",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("citation", Integer64, ForeignKey("citations.id"), nullable=False),
    Column("hop", Integer64, nullable=False),
    Column("from_url", Text, nullable=False),
    Column("to_url", Text),
    Column("http_status", Integer64),
    Column("capture_id", Integer64, ForeignKey("captures.id"), nullable=False),
    Column("fetched_at", Text, nullable=False),
)
Index("citation_hops_by_citation", citation_hops.c.citation, citation_hops.c.fetched_at, citation_hops.c.hop)
