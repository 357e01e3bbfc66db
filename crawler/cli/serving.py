"""The command that serves the archive in Datasette: serve."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.archive import Archive
from crawler.cli.options import db_option, one_line_errors


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65_535),
    default=8001,
    show_default=True,
    help="Port (0: any free one, printed).",
)
@click.option(
    "--time-limit",
    "time_limit_seconds",
    type=click.FloatRange(min=0, min_open=True, max=3_600),
    default=5.0,
    show_default=True,
    help="Stop a search of /-/search that takes longer than this many seconds (503).",
)
@one_line_errors
def serve(db_path: Path, host: str, port: int, time_limit_seconds: float) -> None:
    """Browse and search the archive in Datasette, read-only, in a web browser.

    Tables and columns are described, articles faceted by outlet, language, script, date and
    cluster; /-/search searches in Chinese exactly as `sourcevault search` does (a search
    over its time limit, or waiting that long behind other searches, is answered 503); originals
    are shown as text, never rendered.

    \b
    Example:
        sourcevault serve --db data/archive.db --port 8001
    """
    # Datasette and uvicorn take a while to import: only this command pays for them.
    from crawler.serve import NO_CJK_FONT_WARNING, listening_socket, no_cjk_font, serve_archive

    Archive(db_path, readonly=True).close()
    try:
        listener = listening_socket(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot serve at {host}:{port}: {error.strerror or error}") from None
    if no_cjk_font():
        click.echo(NO_CJK_FONT_WARNING, err=True)
    port = listener.getsockname()[1]
    click.echo(f"Serving {db_path} read-only at http://{host}:{port}/ (search: /-/search; Ctrl-C stops)")
    serve_archive(db_path, listener, time_limit_seconds)
