"""The rows that point at an article, for its page: its versions, the links to its copies, citations.

A row points at an article through a foreign key to `articles(id)` or to one of the article's
`article_versions(id)`. Every table holding such a key gets its own section on the article page,
found from the schema when the page is asked for: a table a later migration adds (citations of
a briefing) appears as soon as it exists, with no template or code to change. A section lists the
columns its table's `first_columns` names in config/datasette.toml (or all of them), but for a
column that can only name this article.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datasette.app import Datasette
from datasette.database import Database
from datasette.utils import escape_sqlite
from markupsafe import Markup, escape

from crawler.serve.cells import ARCHIVE_DATABASE, formatted_cell, truncated

PLUGIN_NAME = "sourcevault"
ARTICLES = "articles"
VERSIONS = "article_versions"
ROWS_PER_SECTION = 100
# Datasette's map of each table to its foreign keys: {"incoming": [...], "outgoing": [...]}.
ForeignKeys = dict[str, dict[str, list[dict[str, str]]]]


@dataclass(frozen=True)
class Referrer:
    """A table whose rows point at an article: directly, or at one of its versions."""

    table: str
    article_columns: tuple[str, ...]
    version_columns: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    table: str
    description: str
    table_url: str
    columns: list[str]
    rows: list[list[Markup]]
    total: int


def first_columns(datasette: Datasette, table: str | None) -> list[str]:
    """The columns that say most about a row of `table`, from its plugin settings."""
    settings = datasette.plugin_config(PLUGIN_NAME, database=ARCHIVE_DATABASE, table=table) or {}
    return list(settings.get("first_columns", []))


async def _referrers(database: Database, foreign_keys: ForeignKeys) -> list[Referrer]:
    hidden = set(await database.hidden_table_names())
    columns: dict[str, tuple[list[str], list[str]]] = {}
    for target, slot in ((ARTICLES, 0), (VERSIONS, 1)):
        for key in foreign_keys.get(target, {}).get("incoming", []):
            table = key["other_table"]
            # A version's link to the one before it is no reference to the article.
            if table in hidden or table in (ARTICLES, target):
                continue
            columns.setdefault(table, ([], []))[slot].append(key["other_column"])
    return [
        Referrer(table, tuple(direct), tuple(through_version))
        # The versions first: they are the article's own history; then by name.
        for table, (direct, through_version) in sorted(
            columns.items(), key=lambda item: (item[0] != VERSIONS, item[0])
        )
    ]


def _cell(
    datasette: Datasette,
    table: str,
    column: str,
    value: Any,
    *,
    links: dict[str, str],
    primary_key: str | None,
) -> Markup:
    if value is None:
        return Markup("")
    formatted = formatted_cell(value, column, datasette)
    if formatted is not None:
        return formatted
    linked_table = table if column == primary_key else links.get(column)
    if linked_table:
        url = datasette.urls.row(ARCHIVE_DATABASE, linked_table, str(value))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    return escape(truncated(str(value), datasette))


async def _section(
    datasette: Datasette, database: Database, foreign_keys: ForeignKeys, referrer: Referrer, article: int
) -> Section:
    table = referrer.table
    all_columns = await database.table_columns(table)
    chosen = [column for column in first_columns(datasette, table) if column in all_columns] or all_columns
    if len(referrer.article_columns) == 1 and not referrer.version_columns:
        # The one column naming the article says the same on every row: this article.
        chosen = [column for column in chosen if column != referrer.article_columns[0]]
    primary_keys = await database.primary_keys(table)
    conditions = [f"{escape_sqlite(column)} = :article" for column in referrer.article_columns] + [
        f"{escape_sqlite(column)} IN (SELECT id FROM {VERSIONS} WHERE article = :article)"
        for column in referrer.version_columns
    ]
    where = " OR ".join(conditions)
    order = ", ".join(escape_sqlite(key) for key in primary_keys) or "rowid"
    selected = ", ".join(escape_sqlite(column) for column in chosen)
    source = escape_sqlite(table)
    rows = await database.execute(
        f"SELECT {selected} FROM {source} WHERE {where} ORDER BY {order} LIMIT {ROWS_PER_SECTION}",
        {"article": article},
    )
    total = (
        await database.execute(f"SELECT count(*) FROM {source} WHERE {where}", {"article": article})
    ).single_value()
    links = {key["column"]: key["other_table"] for key in foreign_keys[table]["outgoing"]}
    primary_key = primary_keys[0] if len(primary_keys) == 1 else None
    metadata = datasette.table_metadata(ARCHIVE_DATABASE, table)
    return Section(
        table=table,
        description=metadata.get("description", ""),
        table_url=datasette.urls.table(ARCHIVE_DATABASE, table),
        columns=chosen,
        rows=[
            [
                _cell(datasette, table, column, value, links=links, primary_key=primary_key)
                for column, value in zip(chosen, row, strict=True)
            ]
            for row in rows.rows
        ],
        total=total,
    )


async def referring_sections(datasette: Datasette, article: int) -> list[Section]:
    """One section per table that can point at an article, versions first (an empty one says so)."""
    database = datasette.get_database(ARCHIVE_DATABASE)
    foreign_keys = await database.get_all_foreign_keys()
    return [
        await _section(datasette, database, foreign_keys, referrer, article)
        for referrer in await _referrers(database, foreign_keys)
    ]
