"""The story index: clusters of copies of a story, the links between them, MinHash signatures and
their band keys."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, Table, Text, UniqueConstraint

from crawler.archive.model.base import Integer64, Real, metadata

clusters = Table(
    "clusters",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

cluster_links = Table(
    "cluster_links",
    metadata,
    Column("id", Integer64, primary_key=True),
    Column("article", Integer64, ForeignKey("articles.id"), nullable=False),
    Column("linked_article", Integer64, ForeignKey("articles.id"), nullable=False),
    Column("similarity", Real, nullable=False),
    Column("reason", Text, nullable=False),
    Column("linked_at", Text, nullable=False),
    UniqueConstraint("article", "linked_article"),
)
Index("cluster_links_by_linked_article", cluster_links.c.linked_article)

article_minhashes = Table(
    "article_minhashes",
    metadata,
    Column("article", Integer64, ForeignKey("articles.id"), primary_key=True, autoincrement=False),
    Column("signature", LargeBinary, nullable=False),
    Column("shingle_count", Integer64, nullable=False),
    Column("comparable_text", Text),
)

minhash_bands = Table(
    "minhash_bands",
    metadata,
    Column("band", Integer64, primary_key=True, autoincrement=False),
    Column("bucket", Integer64, primary_key=True, autoincrement=False),
    Column("article", Integer64, ForeignKey("articles.id"), primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)
