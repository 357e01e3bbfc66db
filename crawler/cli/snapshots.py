"""The `snapshot` commands: build offline replay snapshots."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli.options import FilePath, one_line_errors


@click.group()
def snapshot() -> None:
    """Build offline replay snapshots (WARC files) for `crawl --replay`."""


@snapshot.command("build")
@click.argument("manifest", type=FilePath(exists=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="WARC file to write (.warc.gz).",
)
@click.option(
    "--within",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder the files MANIFEST names must be in (default: the manifest's own folder).",
)
@one_line_errors
def snapshot_build(manifest: Path, output: Path, within: Path | None) -> None:
    """Write the responses listed in MANIFEST (TOML [[response]] tables) to a WARC file.

    A `file` is named relative to MANIFEST and read only if it is a regular file inside the
    manifest's folder (or --within), of at most DOWNLOAD_MAXSIZE bytes once gunzipped.

    \b
    Example:
        sourcevault snapshot build ~/saved/chinatimes-snapshot.toml -o ~/saved/chinatimes.warc.gz
        sourcevault snapshot build crawler/demo/manifest.toml --within . -o crawler/demo/snapshot.warc.gz
    """
    from crawler.warc_snapshots import read_manifest, write_snapshot

    exchanges = list(read_manifest(manifest, within))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as stream:
        count = write_snapshot(exchanges, stream)
    click.echo(f"wrote {count} responses to {output}")
