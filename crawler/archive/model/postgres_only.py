"""The tables of a PostgreSQL archive alone (`POSTGRES_ONLY` in their info): its search index, in place
of SQLite's FTS5 one, and the crawl workers' units of work and leases, which an SQLite archive,
crawled by one machine, has no need of. Neither is copied to or from an SQLite archive."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Table, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP, TSVECTOR

from crawler.archive.model.base import POSTGRES_ONLY, metadata

# PostgreSQL's largest toast_tuple_target: a row is left as it is up to this size.
IN_ROW_BYTES = 8160


def _per_row_table(name: str, key: str, indexed: str, *columns: Column) -> Table:
    """A table of `columns` per row of the table `indexed` (its `key`), each row's values kept in it,
    uncompressed, up to a page (TOAST moves them out past 2 KB by default); past a page compressed
    with lz4 where the server has it, which revision 0009 sets (SQLAlchemy does not model it)."""
    return Table(
        name,
        metadata,
        Column(key, BigInteger, ForeignKey(f"{indexed}.id"), primary_key=True, autoincrement=False),
        *columns,
        info=POSTGRES_ONLY,
        postgresql_with={"toast_tuple_target": IN_ROW_BYTES},
    )


def _search_table(name: str, key: str, indexed: str) -> Table:
    """A search index: per row of the table `indexed` (its `key`), its tokens (GIN-indexed) and its
    length in tokens; in the table `name`_texts, its search texts; in `name`_counts, how many times
    each character occurs in them."""
    table = Table(
        name,
        metadata,
        Column(key, BigInteger, ForeignKey(f"{indexed}.id"), primary_key=True, autoincrement=False),
        Column("lexemes", TSVECTOR, nullable=False),
        Column("token_count", BigInteger, nullable=False),
        info=POSTGRES_ONLY,
    )
    Index(f"{name}_by_lexeme", table.c.lexemes, postgresql_using="gin")
    # Apart from the index's rows, which a search reads by the thousand off the GIN index: narrow,
    # many to a page. A search counts a phrase in thousands of texts, and reading them back from
    # TOAST took as long as counting.
    _per_row_table(f"{name}_texts", key, indexed, Column("title_text", Text), Column("body_text", Text))
    # A lone character's occurrences, read off a JSON object (its keys binary-searched) rather than
    # counted in each text: 5,000 bodies' in 60 ms against 145 (at 60,000 articles, the machine
    # loaded). Apart from the texts: with them, a row would pass a page and go to TOAST.
    _per_row_table(
        f"{name}_counts", key, indexed, Column("title_counts", JSONB), Column("body_counts", JSONB)
    )
    return table


# Chinese search (crawler/search/postgres.py), in place of SQLite's FTS5 index: per article, the
# tokens of its title and body and its filter tokens (GIN-indexed) and its length in tokens, its
# search texts (article_search_texts) and their characters' counts (article_search_counts); and
# the index's totals, for bm25 (summed over a few rows, one per writer's slot).
article_search = _search_table("article_search", "article", "articles")

article_search_totals = Table(
    "article_search_totals",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("articles", BigInteger, nullable=False),
    Column("tokens", BigInteger, nullable=False),
    info=POSTGRES_ONLY,
)
# Post search (crawler/search/postgres_posts.py), in place of SQLite's FTS5 `post_search`: per post
# with a text, what article_search holds per article, its author's names as the title.
post_search = _search_table("post_search", "post", "posts")
SEARCH_TABLES = (
    "article_search",
    "article_search_texts",
    "article_search_counts",
    "article_search_totals",
    "post_search",
    "post_search_texts",
    "post_search_counts",
)

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
    info=POSTGRES_ONLY,
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
    info=POSTGRES_ONLY,
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
    info=POSTGRES_ONLY,
)
Index("work_leases_by_worker", work_leases.c.worker)
Index("work_leases_by_unit", work_leases.c.unit)
WORK_TABLES = ("crawl_workers", "work_units", "work_leases")
# Neither copied to nor from an SQLite archive (crawler/archive/transfer.py).
POSTGRES_ONLY_TABLES = (*SEARCH_TABLES, *WORK_TABLES)
