"""Commands over single pages and texts, no archive needed: extract, lang."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler import exit_status
from crawler.cli.options import FilePath, one_line_errors, registry_option
from crawler.file_limits import FileRefused, open_regular

if TYPE_CHECKING:
    from crawler.pages import Extraction
    from crawler.registry import Registry


def _extraction_json(extraction: Extraction, url: str | None, outlet: str | None) -> dict[str, Any]:
    if extraction.article is not None:
        return extraction.article.to_dict()
    return {"url": url, "outlet": outlet, "not_article": extraction.reason}


def _manifest_lines(manifest: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with manifest.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, f"{manifest}:{number}: not JSON ({error.msg})"
                continue
            except RecursionError:
                yield number, f"{manifest}:{number}: not JSON (nested too deep)"
                continue
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("file"), str)
                or not isinstance(entry.get("url", ""), str | None)
            ):
                yield number, f'{manifest}:{number}: expected {{"file": PATH, "url": URL}} (strings)'
                continue
            yield number, entry


@click.command()
@click.argument("file", required=False, type=FilePath())
@click.option("--url", help="The page's URL (default: its own canonical link).")
@click.option("--outlet", "outlet_slug", help="Extract as this outlet (default: the outlet owning the URL).")
@click.option(
    "--batch",
    "manifest",
    type=FilePath(exists=True),
    help='JSON-lines manifest of {"file": PATH, "url": URL}; one article JSON per line out.',
)
@registry_option
@one_line_errors
def extract(
    file: Path | None,
    url: str | None,
    outlet_slug: str | None,
    manifest: Path | None,
    registry_path: Path | None,
) -> None:
    """Extract the article of a saved page (any site) and print it as JSON.

    Pages of configured outlets use their selectors, whatever their path; any other page goes
    the generic path and belongs to its site outlet (site:<registered domain>). The page
    decides whether it is an article, not its URL: one no URL pattern reads is keyed by its
    canonical URL (key_source "canonical"). Exits 1 when the page is not an article (the JSON
    then says why), or when a --batch entry cannot be read (its line says why).

    \b
    Example:
        sourcevault extract page.html --url https://www.cna.com.tw/news/asoc/201603190029.aspx
        sourcevault extract --batch pages.jsonl > articles.jsonl
    """
    from crawler.registry import load_registry

    registry = load_registry(registry_path)
    outlet = registry.get(outlet_slug) if outlet_slug else None
    if manifest is not None:
        if file is not None:
            raise click.UsageError("give FILE or --batch, not both")
        entries = unreadable = 0
        for _, entry in _manifest_lines(manifest):
            entries += 1
            if isinstance(entry, str):
                unreadable += 1
                click.echo(json.dumps({"error": entry}, ensure_ascii=False))
                continue
            page = (
                (manifest.parent / entry["file"])
                if not Path(entry["file"]).is_absolute()
                else Path(entry["file"])
            )
            record = _extract_file(page, entry.get("url"), outlet, registry)
            unreadable += "error" in record
            click.echo(json.dumps({"file": entry["file"], **record}, ensure_ascii=False))
        if unreadable:
            raise click.ClickException(f"{manifest}: {unreadable} of {entries} entries could not be read")
        return
    if file is None:
        raise click.UsageError("give a FILE to extract, or --batch MANIFEST")
    record = _extract_file(file, url, outlet, registry)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    if "not_article" in record or "error" in record:
        sys.exit(exit_status.FAILED)


def _extract_file(path: Path, url: str | None, outlet: Any, registry: Registry) -> dict[str, Any]:
    from crawler.extraction import extract_article
    from crawler.items import stage_error
    from crawler.pages import DEFAULT_MAX_PAGE_BYTES

    try:
        # One byte past the limit is enough for extraction to refuse an oversized page.
        with open_regular(path) as stream:
            body = stream.read(DEFAULT_MAX_PAGE_BYTES + 1)
    except FileRefused as error:
        return {"url": url, "error": str(error)}
    except OSError as error:
        return {"url": url, "error": f"{path}: {error.strerror or error}"}
    try:
        extraction = extract_article(body, url=url, outlet=outlet, registry=registry)
    except Exception as error:
        # A page no stage foresaw (a parser bug): its line says so, the batch goes on.
        return {"url": url, "error": f"{path}: {stage_error('extract', error)}"}
    return _extraction_json(extraction, url, outlet.slug if outlet else None)


STDIN_NAME = "-"


def _documents(
    files: tuple[str, ...], by_line: bool
) -> Iterator[tuple[dict[str, Any], str | None, str | None]]:
    """(where, text, None) for each document of FILES, or (where, None, why) if it cannot be read."""
    for name in files or (STDIN_NAME,):
        try:
            stream = sys.stdin.buffer if name == STDIN_NAME else open_regular(name)
        except FileRefused as error:
            yield {"file": name}, None, str(error)
            continue
        except OSError as error:
            yield {"file": name}, None, f"{name}: {error.strerror or error}"
            continue
        # Standard input stays open for whoever reads it next.
        with stream if name != STDIN_NAME else nullcontext(stream):
            raw_documents = enumerate(stream, start=1) if by_line else [(None, stream.read())]
            for number, raw in raw_documents:
                where = {"file": name} if number is None else {"file": name, "line": number}
                try:
                    yield where, raw.rstrip(b"\r\n").decode("utf-8-sig"), None
                except UnicodeDecodeError as error:
                    place = ":".join(str(part) for part in where.values())
                    yield where, None, f"{place}: not UTF-8 text ({error.reason} at byte {error.start})"


@click.command("lang")
@click.argument("files", nargs=-1)
@click.option("--lines", "by_line", is_flag=True, help="Tag every line as its own document.")
@click.option("--declared", help="The text's declared language (e.g. zh-TW): the script when none is seen.")
@click.option("--outlet", "outlet_slug", help="The outlet's usual script decides when nothing else does.")
@registry_option
@one_line_errors
def lang(
    files: tuple[str, ...],
    by_line: bool,
    declared: str | None,
    outlet_slug: str | None,
    registry_path: Path | None,
) -> None:
    """Tag the language and script of text FILES (UTF-8; '-' or none: standard input).

    Prints one JSON object per document: lang (ISO 639-1), script (ISO 15924: Hans, Hant,
    Hani when both scripts write the text alike), tag (BCP 47: zh-Hant, zh-Hans, en, ...),
    confidence, script_inferred, and the count of characters of only one Chinese script.
    A document that cannot be read gets {"error": ...} and the exit status is 1.

    \b
    Example:
        sourcevault lang article.txt
        sourcevault lang --lines headlines.txt
        cat titles.txt | sourcevault lang --lines - --declared zh-TW
    """
    from crawler.language import expected_script, tag_text
    from crawler.registry import load_registry

    expected = expected_script(load_registry(registry_path).get(outlet_slug)) if outlet_slug else None
    failed = False
    for where, text, error in _documents(files, by_line):
        if text is None:
            failed = True
            click.echo(json.dumps({**where, "error": error}, ensure_ascii=False))
            continue
        tag = tag_text(text, declared=declared, expected_script=expected)
        click.echo(json.dumps({**where, **tag.to_dict()}, ensure_ascii=False))
    if failed:
        sys.exit(exit_status.FAILED)
