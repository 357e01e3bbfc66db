"""`sourcevault serve`: the archive in Datasette, read-only, described, faceted and searchable.

Datasette opens the file with `mode=ro` connections (never `immutable`, which would ignore the
WAL a running crawl writes to), under the name `archive`. Table and column descriptions and the
facets come from `config/datasette.toml`; the plugin (`crawler.serve.plugin`) adds the search page
and the originals-as-text pages, with the templates beside it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import uvicorn
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from crawler.serve import plugin
from crawler.serve.plugin import ARCHIVE_DATABASE

METADATA_PATH = Path(__file__).resolve().parent.parent.parent / "config" / "datasette.toml"
TEMPLATES = Path(__file__).resolve().parent / "templates"
PLUGIN_NAME = "sourcevault"
DATASETTE_SETTINGS = {
    # Date facets over every article take longer than Datasette's default 200 ms on a big archive.
    "facet_time_limit_ms": 1_000,
    "sql_time_limit_ms": 5_000,
    "default_page_size": 50,
}


def _columns(path: Path) -> dict[str, set[str]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            table: {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')} for table in tables
        }
    finally:
        connection.close()


def archive_metadata(path: Path, metadata_path: Path = METADATA_PATH) -> dict[str, Any]:
    """Datasette metadata for the archive at `path`: facets only on columns it has."""
    document = tomllib.loads(metadata_path.read_text(encoding="utf-8"))
    columns = _columns(path)
    tables = {}
    for name, described in document.get("tables", {}).items():
        table = dict(described)
        if "facets" in table:
            table["facets"] = [
                facet
                for facet in table["facets"]
                if (next(iter(facet.values())) if isinstance(facet, dict) else facet) in columns.get(name, ())
            ]
        tables[name] = table
    return {
        "title": document["title"],
        "description_html": document["description_html"],
        "databases": {ARCHIVE_DATABASE: {"tables": tables}},
    }


def make_datasette(path: Path) -> Datasette:
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)
    datasette = Datasette(
        metadata=archive_metadata(path), template_dir=str(TEMPLATES), settings=DATASETTE_SETTINGS
    )
    datasette.add_database(Database(datasette, path=str(path), is_mutable=True), name=ARCHIVE_DATABASE)
    return datasette


def serve_archive(path: Path, host: str, port: int) -> None:
    """Serve until interrupted."""
    datasette = make_datasette(path)
    asyncio.run(datasette.invoke_startup())
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
