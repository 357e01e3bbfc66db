"""Search kept in step without sourcevault's SQL functions, so that any SQLite tool can write articles.

m005's triggers computed the index's tokens by calling `sourcevault_search_text`, which only
sourcevault's connections define: `sqlite3 archive.db "UPDATE articles SET title = title"` failed.
The tokens need Python (NFKC, OpenCC, character pairs), so the triggers now use built-in SQL only:
they note each article written, with the values the index holds for it, in
`article_search_pending`. sourcevault indexes those articles again (`crawler.search.index.catch_up`)
in the transaction of each write of its own, and when it opens an archive another tool wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

PENDING_COLUMNS = (
    "article, indexed, indexed_title, indexed_body, indexed_outlet, indexed_language_tag,"
    " indexed_published_at"
)
# The columns the index's tokens of an article are made of (and its id, the index's rowid).
INDEXED_COLUMNS = (
    "id",
    "title",
    "body",
    "title_simplified",
    "body_simplified",
    "outlet",
    "language_tag",
    "published_at",
)


def _indexed_values(row: str) -> str:
    """What the index holds for an article row: Simplified title and body (else as written), filters."""
    return (
        f"{row}.id, 1, coalesce({row}.title_simplified, {row}.title), coalesce({row}.body_simplified,"
        f" {row}.body), {row}.outlet, {row}.language_tag, {row}.published_at"
    )


def _simplified_outdated(condition: str) -> str:
    """A Chinese article whose Simplified copy of its title or body did not follow it (SQL, 0 or 1)."""
    copies = " OR ".join(condition.format(text=text) for text in ("title", "body"))
    return f"new.language IS 'zh' AND ({copies})"


def m006_search_without_sql_functions(db: Database) -> None:
    # The first row noted for an article keeps the values the index holds; a later write of the
    # same article before it is indexed again only adds that its Simplified copies need making.
    keep_first = "ON CONFLICT (article) DO NOTHING"
    add_outdated = (
        "ON CONFLICT (article) DO UPDATE"
        " SET simplified_outdated = simplified_outdated OR excluded.simplified_outdated"
    )
    note_old = (
        f"INSERT INTO article_search_pending ({PENDING_COLUMNS}) VALUES ({_indexed_values('old')})"
        f" {keep_first}"
    )
    inserted_outdated = _simplified_outdated(
        "(coalesce(new.{text}, '') != '' AND new.{text}_simplified IS NULL)"
    )
    updated_outdated = _simplified_outdated(
        "(new.{text} IS NOT old.{text} AND new.{text}_simplified IS old.{text}_simplified)"
    )
    changed = " OR ".join(f"old.{name} IS NOT new.{name}" for name in INDEXED_COLUMNS)
    for statement in (
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
        "DROP TRIGGER article_search_insert",
        "DROP TRIGGER article_search_update",
        "DROP TRIGGER article_search_delete",
        # The rows an INSERT OR REPLACE is about to delete: without recursive_triggers (the sqlite3
        # shell's default) their deletion fires no delete trigger.
        "CREATE TRIGGER article_search_replace BEFORE INSERT ON articles BEGIN"
        f" INSERT INTO article_search_pending ({PENDING_COLUMNS}) SELECT {_indexed_values('articles')}"
        " FROM articles WHERE id = new.id OR capture_id = new.capture_id"
        " OR (outlet = new.outlet AND article_id = new.article_id AND edition = new.edition)"
        f" {keep_first}; END",
        "CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN"
        " INSERT INTO article_search_pending (article, indexed, simplified_outdated)"
        f" VALUES (new.id, 0, {inserted_outdated}) {add_outdated}; END",
        f"CREATE TRIGGER article_search_update AFTER UPDATE OF {', '.join(INDEXED_COLUMNS)} ON articles"
        f" WHEN {changed} BEGIN {note_old};"
        " INSERT INTO article_search_pending (article, indexed, simplified_outdated)"
        f" VALUES (new.id, 0, {updated_outdated}) {add_outdated}; END",
        f"CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN {note_old}; END",
    ):
        db.execute(statement)
