"""`sourcevault serve`: the archive in Datasette, read-only, described, faceted and searchable.

Datasette opens the file with `mode=ro` connections (never `immutable`, which would ignore the
WAL a running crawl writes to), under the name `archive`. Table and column descriptions, facets
and the columns shown first come from `config/datasette.toml` (the article's own fields are described
where they are declared, crawler/article_fields.py); the plugin (`crawler.serve.plugin`)
adds the search page, the originals-as-text pages and the article page, with the templates beside it.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import uvicorn
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from crawler.article_fields import ARTICLE_FIELDS
from crawler.config_files import config_file
from crawler.serve import plugin
from crawler.serve.article_page import PLUGIN_NAME
from crawler.serve.cells import ARCHIVE_DATABASE
from crawler.serve.plugin import DEFAULT_SEARCH_SECONDS

METADATA_PATH = config_file("datasette.toml")
TEMPLATES = Path(__file__).resolve().parent / "templates"
DATASETTE_SETTINGS = {
    # Date facets over every article take longer than Datasette's default 200 ms on a big archive.
    "facet_time_limit_ms": 1_000,
    "sql_time_limit_ms": 5_000,
    "default_page_size": 50,
    # Ten values a facet (Datasette's default: 30), each facet's "…" shows more: the rows start
    # within a screen or two of the top.
    "default_facet_size": 10,
    # Tables cut long text (a body, a JSON record) here, so that a row stays a line or two tall;
    # a row's own page shows it whole.
    "truncate_cells_html": 100,
}
# fontconfig's fonts covering Chinese; about 10 ms, against the second Datasette takes to import.
CJK_FONT_QUERY = ("fc-list", ":lang=zh", "family")
CJK_FONT_QUERY_SECONDS = 10
NO_CJK_FONT_WARNING = (
    "warning: no font for Chinese on this machine (fc-list :lang=zh lists none): a browser or screenshot"
    " here shows boxes; install one with: apt-get install fonts-noto-cjk"
)


def archive_metadata(metadata_path: Path = METADATA_PATH) -> dict[str, Any]:
    """Datasette metadata for the archive, from `config/datasette.toml` and the article's fields."""
    document = tomllib.loads(metadata_path.read_text(encoding="utf-8"))
    articles = document.setdefault("tables", {}).setdefault("articles", {})
    articles["columns"] = {f.name: f.description for f in ARTICLE_FIELDS} | articles.get("columns", {})
    return {
        "title": document["title"],
        "description_html": document["description_html"],
        "databases": {
            ARCHIVE_DATABASE: {"tables": document.get("tables", {}), "queries": document.get("queries", {})}
        },
    }


def make_datasette(path: Path, search_seconds: float = DEFAULT_SEARCH_SECONDS) -> Datasette:
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)
    datasette = Datasette(
        metadata=archive_metadata(), template_dir=str(TEMPLATES), settings=DATASETTE_SETTINGS
    )
    plugin.set_search_time_limit(datasette, search_seconds)
    datasette.add_database(Database(datasette, path=str(path), is_mutable=True), name=ARCHIVE_DATABASE)
    return datasette


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: any free one); OSError when that cannot be had.

    Bound before `serve` says where it serves, and handed to uvicorn: no other process can take
    the port in between, and a browser connecting at once waits in the backlog.
    """
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listener = socket.socket(family, kind, protocol)
    # As uvicorn does: a restart may reuse a port whose old connections are still closing.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
        listener.listen(socket.SOMAXCONN)
    except OSError:
        listener.close()
        raise
    return listener


def no_cjk_font() -> bool:
    """True when fontconfig knows no font for Chinese; False too when there is no fc-list to ask."""
    try:
        listed = subprocess.run(
            CJK_FONT_QUERY, capture_output=True, text=True, timeout=CJK_FONT_QUERY_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return listed.returncode == 0 and not listed.stdout.strip()


def serve_archive(
    path: Path, listener: socket.socket, search_seconds: float = DEFAULT_SEARCH_SECONDS
) -> None:
    """Serve on `listener` until interrupted."""
    datasette = make_datasette(path, search_seconds)
    asyncio.run(datasette.invoke_startup())
    uvicorn.Server(uvicorn.Config(datasette.app(), log_level="warning")).run(sockets=[listener])
