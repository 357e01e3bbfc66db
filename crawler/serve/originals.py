"""Originals as fetched: `/-/original/<capture id>` as text, `/-/original/<capture id>.raw` as a download.

The text page decodes the body as the archive decoded it and shows it inside <pre>, escaped by the
template engine: a page's HTML is read, never rendered. The download gives the exact bytes as
`application/octet-stream` with `nosniff`, under a name that says what it is:
`<outlet>-<article id>[-<edition>]-<fetched_at>.<extension>` (udn-7999001-20240603T030000Z.html),
or `<outlet>-<page kind>-<capture id>-<fetched_at>.<extension>` for a page that names no article.
"""

from __future__ import annotations

import codecs
import json
import mimetypes
import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

from datasette.app import Datasette
from datasette.utils.asgi import Request, Response

from crawler.archive.captures import read_raw_body
from crawler.archive.connection import ArchiveError
from crawler.serve.cells import ARCHIVE_DATABASE

ORIGINAL_TEMPLATE = "sourcevault_original.html"
# Only the interpreter's own table, never /etc/mime.types: the same name on every machine.
BUILTIN_MIME_TYPES = mimetypes.MimeTypes()
UNSAFE_IN_FILENAME = re.compile(r"[^0-9A-Za-z._-]+")
LONGEST_NAME_PART = 80


def _capture(connection: sqlite3.Connection, capture_id: int) -> tuple[dict[str, Any], bytes] | None:
    cursor = connection.execute(
        "SELECT c.id, c.outlet, c.page_kind, c.request_method, c.url, c.final_url, c.http_status,"
        " c.response_headers, c.fetched_at, c.body_sha256, c.body_size_bytes, c.text_encoding,"
        " c.imported_from, a.id AS article, u.article_id, u.edition"
        " FROM captures c LEFT JOIN article_urls u ON u.url = c.url"
        " LEFT JOIN articles a USING (outlet, article_id, edition) WHERE c.id = ?",
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
    """The body decoded as the archive decoded it (UTF-8 when it did not); bad bytes become U+FFFD.

    `encoding` as captures record it: a codec, maybe followed by the declaration it overruled."""
    try:
        codec = codecs.lookup((encoding or "utf-8").split(" ", 1)[0]).name
    except LookupError:
        codec = "utf-8"
    return body.decode(codec, errors="replace")


def _content_type(response_headers: str | None) -> str:
    """The media type the response declared, lower case, without parameters ('' when none)."""
    for name, value in json.loads(response_headers or "[]"):
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return ""


def file_extension(capture: dict[str, Any]) -> str:
    """The extension the body's declared content type calls for: .html for HTML, .xml for any XML."""
    media_type = _content_type(capture["response_headers"])
    if not media_type:
        # An imported article's original is its JSON line; anything else unlabelled is just bytes.
        return ".json" if capture["request_method"] == "IMPORT" else ".bin"
    if media_type in ("text/html", "application/xhtml+xml"):
        return ".html"
    # Feeds and sitemaps come as application/xml, rss+xml, atom+xml: the stdlib table lacks some
    # and maps application/xml to .xsl.
    if media_type.endswith(("/xml", "+xml")):
        return ".xml"
    if media_type.endswith("+json"):
        return ".json"
    return BUILTIN_MIME_TYPES.guess_extension(media_type, strict=False) or ".bin"


def _filename_time(fetched_at: str) -> str:
    """2024-06-03T03:00:00+00:00 as 20240603T030000Z: no colons, sorts as time does."""
    try:
        moment = datetime.fromisoformat(fetched_at)
    except ValueError:
        return _filename_part(fetched_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _filename_part(text: str) -> str:
    return UNSAFE_IN_FILENAME.sub("_", text).strip("._")[:LONGEST_NAME_PART] or "_"


def download_filename(capture: dict[str, Any]) -> str:
    if capture["article_id"]:
        names = [capture["article_id"], capture["edition"] or ""]
    else:
        names = [capture["page_kind"], str(capture["id"])]
    parts = [capture["outlet"], *(name for name in names if name)]
    stem = "-".join(_filename_part(part) for part in parts)
    return f"{stem}-{_filename_time(capture['fetched_at'])}{file_extension(capture)}"


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
            datasette.urls.row(ARCHIVE_DATABASE, "articles", str(capture["article"]))
            if capture["article"]
            else None
        ),
        "download_url": datasette.urls.path(f"/-/original/{capture['id']}.raw"),
        "download_filename": download_filename(capture),
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
            "Content-Disposition": f'attachment; filename="{download_filename(capture)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
