"""`sourcevault serve`: the archive in Datasette, read-only, described, faceted and searchable.

Datasette opens the file with `mode=ro` connections (never `immutable`, which would ignore the
WAL a running crawl writes to), under the name `archive`. Table and column descriptions and the
facets come from `config/datasette.toml`; the plugin (`crawler.serve.plugin`) adds the search page
and the originals-as-text pages, with the templates beside it.
"""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

import uvicorn
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from crawler.config_files import config_file
from crawler.serve import plugin
from crawler.serve.plugin import ARCHIVE_DATABASE

METADATA_PATH = config_file("datasette.toml")
TEMPLATES = Path(__file__).resolve().parent / "templates"
PLUGIN_NAME = "sourcevault"
DATASETTE_SETTINGS = {
    # Date facets over every article take longer than Datasette's default 200 ms on a big archive.
    "facet_time_limit_ms": 1_000,
    "sql_time_limit_ms": 5_000,
    "default_page_size": 50,
}


def archive_metadata(metadata_path: Path = METADATA_PATH) -> dict[str, Any]:
    """Datasette metadata for the archive, from `config/datasette.toml`."""
    document = tomllib.loads(metadata_path.read_text(encoding="utf-8"))
    return {
        "title": document["title"],
        "description_html": document["description_html"],
        "databases": {ARCHIVE_DATABASE: {"tables": document.get("tables", {})}},
    }


def make_datasette(path: Path) -> Datasette:
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)
    datasette = Datasette(
        metadata=archive_metadata(), template_dir=str(TEMPLATES), settings=DATASETTE_SETTINGS
    )
    datasette.add_database(Database(datasette, path=str(path), is_mutable=True), name=ARCHIVE_DATABASE)
    return datasette


def serve_archive(path: Path, host: str, port: int) -> None:
    """Serve until interrupted."""
    datasette = make_datasette(path)
    asyncio.run(datasette.invoke_startup())
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
