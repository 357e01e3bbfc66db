"""The Datasette plugin `sourcevault serve` registers: search, originals as text, links between them.

- Every connection gets `sourcevault_match`, so SQL typed into Datasette can use
  `article_search MATCH sourcevault_match('臺灣')`.
- `/-/search` runs `crawler.search.results.search`, the function `sourcevault search` runs: the same
  matching, ranking and snippets (the matches marked with <mark>, the text escaped). A search runs
  under its time limit (`serve --time-limit`), and at most all but one of Datasette's SQL threads
  search at once: however many hostile searches arrive, the other pages keep a thread. A search
  over its time, or one that waited that long for a thread, is answered 503 with the reason; a
  query that cannot be searched, 400.
- `/-/original/<capture id>` and its `.raw` download: `crawler.serve.originals`.
- Tables show the columns their `first_columns` setting names first; a row page lists its fields
  one per line; an article's page adds the rows that point at it (`crawler.serve.article_page`); a
  briefing's page lists its citations (`crawler.serve.briefing_page`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from datasette import hookimpl
from datasette.app import Datasette
from datasette.utils.asgi import Request, Response
from markupsafe import Markup

from crawler.search.query import Filters, QueryError, SearchQuery, parse_day, parse_query
from crawler.search.results import SearchResults, SearchTimeout, register_functions, search, time_limit
from crawler.serve.article_page import ARTICLES, first_columns, referring_sections
from crawler.serve.briefing_page import BRIEFINGS, briefing_citations
from crawler.serve.cells import ARCHIVE_DATABASE, formatted_cell, json_names
from crawler.serve.originals import original_download, original_page

SEARCH_PAGE_SIZE = 30
SEARCH_TEMPLATE = "sourcevault_search.html"
DEFAULT_SEARCH_SECONDS = 5.0
# Per served Datasette: its searches' time limit, and the SQL threads they may hold at once.
_search_seconds: WeakKeyDictionary[Datasette, float] = WeakKeyDictionary()
_search_slots: WeakKeyDictionary[Datasette, asyncio.Semaphore] = WeakKeyDictionary()


def set_search_time_limit(datasette: Datasette, seconds: float) -> None:
    _search_seconds[datasette] = seconds


class SearchBusy(SearchTimeout):
    """Every thread searches may use was busy for longer than a search may take."""


def _slots(datasette: Datasette) -> asyncio.Semaphore:
    if datasette not in _search_slots:
        _search_slots[datasette] = asyncio.Semaphore(max(1, datasette.setting("num_sql_threads") - 1))
    return _search_slots[datasette]


async def _search(datasette: Datasette, query: SearchQuery, filters: Filters) -> SearchResults:
    """The search, in one of Datasette's SQL threads, within its time limit."""
    seconds = _search_seconds.get(datasette, DEFAULT_SEARCH_SECONDS)
    slots = _slots(datasette)
    try:
        await asyncio.wait_for(slots.acquire(), timeout=seconds)
    except TimeoutError:
        raise SearchBusy(
            f"the archive is busy with other searches (more than {seconds:g} s): try again in a moment"
        ) from None
    try:

        def limited(connection: sqlite3.Connection) -> SearchResults:
            with time_limit(connection, seconds):
                return search(connection, query, filters, SEARCH_PAGE_SIZE)

        return await datasette.get_database(ARCHIVE_DATABASE).execute_fn(limited)
    finally:
        slots.release()


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    register_functions(conn)


@hookimpl
def menu_links(datasette: Datasette) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path("/-/search"), "label": "Search the archive"}]


@hookimpl
def render_cell(value: Any, column: str, datasette: Datasette) -> Markup | None:
    return formatted_cell(value, column, datasette)


def column_order(first: list[str], names: list[str]) -> list[int]:
    """Positions of `names` in display order: the `first` ones in their order, then the rest as they are."""
    position = {name: index for index, name in enumerate(names)}
    leading = [position[name] for name in first if name in position]
    return leading + [index for index in range(len(names)) if index not in leading]


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, request: Request | None, datasette: Datasette
) -> dict[str, Any] | Callable[[], Any]:
    first = first_columns(datasette, table) if table else []
    variables: dict[str, Any] = {
        "column_order": lambda names: column_order(first, names),
        "row_page": view_name == "row",
    }
    if view_name == "row" and table == BRIEFINGS and request is not None:
        briefing = int(request.url_vars["pks"])

        async def with_citations() -> dict[str, Any]:
            return {**variables, "citations": await briefing_citations(datasette, briefing)}

        return with_citations
    if view_name != "row" or table != ARTICLES or request is None:
        return variables

    async def with_references() -> dict[str, Any]:
        article = int(request.url_vars["pks"])
        return {
            **variables,
            "json_names": lambda value: json_names(value) or [],
            "references": await referring_sections(datasette, article),
        }

    return with_references


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/search$", search_page),
        (r"^/-/original/(?P<capture_id>\d+)$", original_page),
        (r"^/-/original/(?P<capture_id>\d+)\.raw$", original_download),
    ]


def _filters(request: Request, outlets: list[str]) -> Filters:
    chosen = tuple(slug for slug in request.args.getlist("outlet") if slug)
    unknown = [slug for slug in chosen if slug not in outlets]
    if unknown:
        raise QueryError(f"no outlet {unknown[0]!r} in this archive")
    since, until = request.args.get("since"), request.args.get("until")
    return Filters(
        outlets=chosen,
        since=parse_day(since, "since") if since else None,
        until=parse_day(until, "until") if until else None,
        language=request.args.get("lang") or None,
    )


async def search_page(datasette: Datasette, request: Request) -> Response:
    database = datasette.get_database(ARCHIVE_DATABASE)
    outlets = [row[0] for row in (await database.execute("SELECT slug FROM outlets ORDER BY slug")).rows]
    text = request.args.get("q", "")
    results: SearchResults | None = None
    error = None
    status = 200
    if "q" in request.args:
        try:
            results = await _search(datasette, parse_query(text), _filters(request, outlets))
        except SearchTimeout as problem:
            error, status = str(problem), 503
        except QueryError as problem:
            error, status = str(problem), 400
    context = {
        "q": text,
        "outlets": outlets,
        "chosen_outlets": request.args.getlist("outlet"),
        "since": request.args.get("since", ""),
        "until": request.args.get("until", ""),
        "lang": request.args.get("lang", ""),
        "results": results,
        "error": error,
        "article_url": lambda article_id: datasette.urls.row(ARCHIVE_DATABASE, "articles", str(article_id)),
    }
    return Response.html(await datasette.render_template(SEARCH_TEMPLATE, context, request=request), status)
