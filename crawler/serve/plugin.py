"""The Datasette plugin `sourcevault serve` registers: search, originals as text, links between them.

- Every connection gets `crawler.search`'s SQL functions, so SQL typed into Datasette can use
  `article_search MATCH sourcevault_match('臺灣')`.
- `/-/search` runs `crawler.search.search`, the function `sourcevault search` runs: the same
  matching, ranking and snippets (the matches marked with <mark>, the text escaped).
- `/-/original/<capture id>` shows a raw original decoded as text inside <pre>, escaped by the
  template engine: a page's HTML is read, never rendered. `/-/original/<capture id>.raw` gives
  the exact bytes as a download (application/octet-stream, attachment, nosniff).
"""

from __future__ import annotations

import codecs
import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.utils.asgi import Request, Response
from markupsafe import Markup, escape

from crawler.archive import ArchiveError, read_raw_body
from crawler.search import (
    Filters,
    QueryError,
    SearchQuery,
    SearchResults,
    parse_day,
    parse_query,
    register_functions,
    search,
)

ARCHIVE_DATABASE = "archive"
SEARCH_PAGE_SIZE = 30
ORIGINAL_TEMPLATE = "sourcevault_original.html"
SEARCH_TEMPLATE = "sourcevault_search.html"


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    register_functions(conn)


@hookimpl
def menu_links(datasette: Datasette) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path("/-/search"), "label": "Search the archive"}]


@hookimpl
def render_cell(value: Any, column: str, table: str | None, datasette: Datasette) -> Markup | None:
    """An article's capture links to its original as text as well as to the capture's row."""
    if table == "articles" and column == "capture_id" and isinstance(value, int):
        row = datasette.urls.row(ARCHIVE_DATABASE, "captures", str(value))
        original = datasette.urls.path(f"/-/original/{value}")
        return Markup(
            f'<a href="{escape(row)}">{value}</a> · <a href="{escape(original)}">original as fetched</a>'
        )
    return None


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
            query: SearchQuery = parse_query(text)
            filters = _filters(request, outlets)
            results = await database.execute_fn(
                lambda connection: search(connection, query, filters, SEARCH_PAGE_SIZE)
            )
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


def _capture(connection: sqlite3.Connection, capture_id: int) -> tuple[dict[str, Any], bytes] | None:
    cursor = connection.execute(
        "SELECT c.id, c.outlet, c.page_kind, c.url, c.final_url, c.http_status, c.fetched_at, c.body_sha256,"
        " c.body_size_bytes, c.text_encoding, c.imported_from, a.id AS article_id"
        " FROM captures c LEFT JOIN articles a ON a.capture_id = c.id WHERE c.id = ?",
        [capture_id],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    capture = dict(zip([column[0] for column in cursor.description], row, strict=True))
    body = (
        read_raw_body(connection, capture["body_sha256"], ARCHIVE_DATABASE) if capture["body_sha256"] else b""
    )
    return capture, body


def _as_text(body: bytes, encoding: str | None) -> str:
    """The body decoded as the archive decoded it (UTF-8 when it did not); bad bytes become U+FFFD."""
    try:
        codec = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        codec = "utf-8"
    return body.decode(codec, errors="replace")


async def _stored_capture(datasette: Datasette, request: Request) -> tuple[dict[str, Any], bytes] | Response:
    capture_id = int(request.url_vars["capture_id"])
    try:
        found = await datasette.get_database(ARCHIVE_DATABASE).execute_fn(
            lambda connection: _capture(connection, capture_id)
        )
    except ArchiveError as problem:
        return Response.text(str(problem), status=500)
    if found is None:
        return Response.text(f"no capture {capture_id}", status=404)
    return found


async def original_page(datasette: Datasette, request: Request) -> Response:
    found = await _stored_capture(datasette, request)
    if isinstance(found, Response):
        return found
    capture, body = found
    context = {
        "capture": capture,
        "text": _as_text(body, capture["text_encoding"]),
        "capture_url": datasette.urls.row(ARCHIVE_DATABASE, "captures", str(capture["id"])),
        "article_url": (
            datasette.urls.row(ARCHIVE_DATABASE, "articles", str(capture["article_id"]))
            if capture["article_id"]
            else None
        ),
        "download_url": datasette.urls.path(f"/-/original/{capture['id']}.raw"),
    }
    return Response.html(await datasette.render_template(ORIGINAL_TEMPLATE, context, request=request))


async def original_download(datasette: Datasette, request: Request) -> Response:
    found = await _stored_capture(datasette, request)
    if isinstance(found, Response):
        return found
    capture, body = found
    return Response(
        body,
        content_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="capture-{capture["id"]}.bin"',
            "X-Content-Type-Options": "nosniff",
        },
    )
