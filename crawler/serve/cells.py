"""How a value of the archive reads in a cell, wherever Datasette or the article page shows one.

- A capture id links to the capture's row and to its original as fetched.
- A JSON list of names (authors, tags, an outlet's domains) reads as the names, not as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from datasette.app import Datasette
from markupsafe import Markup, escape

ARCHIVE_DATABASE = "archive"
LIST_SEPARATOR = " · "


def json_names(value: Any) -> list[str] | None:
    """The strings of a JSON list of strings, else None (a title that merely starts with '[')."""
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        names = json.loads(value)
    except ValueError:
        return None
    if isinstance(names, list) and all(isinstance(name, str) for name in names):
        return names
    return None


def truncated(text: str, datasette: Datasette) -> str:
    """`text` cut as Datasette cuts long cells in tables (its `truncate_cells_html` setting)."""
    limit = datasette.setting("truncate_cells_html")
    return text[:limit] + "…" if limit and len(text) > limit else text


def capture_links(capture_id: int, datasette: Datasette) -> Markup:
    row = datasette.urls.row(ARCHIVE_DATABASE, "captures", str(capture_id))
    original = datasette.urls.path(f"/-/original/{capture_id}")
    return Markup(
        f'<a href="{escape(row)}">{capture_id}</a> · <a href="{escape(original)}">original as fetched</a>'
    )


def formatted_cell(value: Any, column: str, datasette: Datasette) -> Markup | None:
    """The archive's own way of showing `value`, or None to leave it to Datasette.

    Lists of names are short (a few authors or keywords): shown whole, in tables too.
    """
    if column == "capture_id" and isinstance(value, dict):
        # A table expands foreign keys to {"value": …, "label": …}; a capture has no label.
        value = value["value"]
    if column == "capture_id" and isinstance(value, int):
        return capture_links(value, datasette)
    names = json_names(value)
    if names is not None:
        # Datasette takes an empty result for "no opinion": an empty list shows as an empty cell.
        return escape(LIST_SEPARATOR.join(names)) or Markup("&nbsp;")
    return None
