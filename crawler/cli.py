"""The `sourcevault` command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler import __version__
from crawler.archive import DEFAULT_ARCHIVE_PATH, Archive, ArchiveError
from crawler.articles import extract_article
from crawler.export import EXPORT_FORMATS, write_csv, write_jsonl, write_warc
from crawler.fixtures import FIXTURES_ROOT, differences, discover_fixtures, summarise, write_expected
from crawler.imports import ImportProblem, import_file
from crawler.language import expected_script, tag_text
from crawler.pages import DEFAULT_MAX_PAGE_BYTES, Extraction
from crawler.reextract import reextract as run_reextract
from crawler.registry import Registry, RegistryError, load_registry
from crawler.search import (
    Filters,
    Hit,
    QueryError,
    SearchResults,
    count_matches,
    matching_article_ids,
    parse_day,
    parse_query,
)
from crawler.search import search as search_archive
from crawler.snapshot import Snapshot, SnapshotError, read_manifest, write_snapshot

DEMO_SNAPSHOT = Path(__file__).parent / "demo" / "snapshot.warc.gz"
DEMO_MANIFEST = Path(__file__).parent / "demo" / "manifest.toml"
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Bad input ends the command with one line on stderr naming what and where."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (RegistryError, ArchiveError, SnapshotError, QueryError) as error:
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_ARCHIVE_PATH,
    show_default=True,
    help="SQLite archive file.",
)
registry_option = click.option(
    "--registry",
    "registry_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Outlet registry (default: config/outlets.toml).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sourcevault")
def main() -> None:
    """Archive the Chinese-language press that China-watch briefings cite.

    Crawls the outlets of config/outlets.toml, keeps every raw original and the article
    extracted from it in an SQLite archive (default data/archive.db).

    \b
    Example:
        sourcevault demo
        sourcevault stats --json
    """


# --- crawling ------------------------------------------------------------------------------------


def _crawl(
    db_path: Path, outlets: tuple[str, ...], replay: Path | None, registry_path: Path | None, verbose: bool
) -> None:
    # Scrapy and Twisted take a second to import: only commands that crawl pay for them.
    from crawler.runner import project_settings, run_crawl  # noqa: PLC0415

    registry = load_registry(registry_path)
    registry.select(list(outlets))
    if replay is not None:
        Snapshot(replay)
    Archive(db_path).close()
    settings = project_settings(db_path, replay_snapshot=replay, registry_path=registry_path, verbose=verbose)
    result = run_crawl(settings, list(outlets))
    if result.run_id is None:
        raise click.ClickException(f"crawl did not start (finish reason: {result.finish_reason})")
    with Archive(db_path, readonly=True) as archive:
        _print_run_summary(archive, registry, result.run_id, list(outlets))
    if not result.ok:
        click.echo(f"crawl ended early: {result.finish_reason}", err=True)
        sys.exit(EXIT_FAILED)


def _print_run_summary(archive: Archive, registry: Registry, run_id: int, outlets: list[str]) -> None:
    summary = archive.run_summary(run_id)
    columns = ("article", "not_article", "discovery", "failed")
    click.echo(
        f"{'outlet':<12}{'captures':>10}{'articles':>10}{'not article':>13}{'discovery':>11}{'failed':>8}"
    )
    for slug in outlets or registry.slugs:
        counts = summary.get(slug, {})
        cells = "".join(
            f"{counts.get(column, 0):>{width}}"
            for column, width in zip(columns, (10, 13, 11, 8), strict=True)
        )
        click.echo(f"{slug:<12}{sum(counts.values()):>10}{cells}")
    totals = archive.stats(registry)
    click.echo(
        f"run {run_id} archived in {archive.path}: now {totals['articles']} articles "
        f"from {totals['captures']} captures"
    )


@main.command()
@click.argument("outlets", nargs=-1)
@db_option
@click.option(
    "--replay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Serve responses from this WARC snapshot instead of the network.",
)
@registry_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log instead of the progress line.")
@one_line_errors
def crawl(
    outlets: tuple[str, ...], db_path: Path, replay: Path | None, registry_path: Path | None, verbose: bool
) -> None:
    """Crawl OUTLETS (slugs; all when none) into the archive.

    \b
    Example:
        sourcevault crawl cna udn --db data/archive.db
        sourcevault crawl --replay crawler/demo/snapshot.warc.gz
    """
    _crawl(db_path, outlets, replay, registry_path, verbose)


@main.command()
@db_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log instead of the progress line.")
@one_line_errors
def demo(db_path: Path, verbose: bool) -> None:
    """Crawl the bundled offline snapshot of real outlet pages and print per-outlet counts.

    \b
    Example:
        sourcevault demo --db /tmp/demo.db
    """
    click.echo(f"Replaying the bundled snapshot {DEMO_SNAPSHOT.name} (no network) into {db_path}")
    _crawl(db_path, (), DEMO_SNAPSHOT, None, verbose)


# --- extraction ----------------------------------------------------------------------------------


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
            if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
                yield number, f'{manifest}:{number}: expected {{"file": PATH, "url": URL}}'
                continue
            yield number, entry


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", help="The page's URL (default: its own canonical link).")
@click.option("--outlet", "outlet_slug", help="Extract as this outlet (default: the outlet owning the URL).")
@click.option(
    "--batch",
    "manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
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

    Pages of configured outlets use their selectors; any other page goes the generic path.
    Exits 1 when the page is not an article (the JSON then says why).

    \b
    Example:
        sourcevault extract page.html --url https://www.cna.com.tw/news/asoc/201603190029.aspx
        sourcevault extract --batch pages.jsonl > articles.jsonl
    """
    registry = load_registry(registry_path)
    outlet = registry.get(outlet_slug) if outlet_slug else None
    if manifest is not None:
        if file is not None:
            raise click.UsageError("give FILE or --batch, not both")
        for _, entry in _manifest_lines(manifest):
            if isinstance(entry, str):
                click.echo(json.dumps({"error": entry}, ensure_ascii=False))
                continue
            page = (
                (manifest.parent / entry["file"])
                if not Path(entry["file"]).is_absolute()
                else Path(entry["file"])
            )
            record = _extract_file(page, entry.get("url"), outlet, registry)
            click.echo(json.dumps({"file": entry["file"], **record}, ensure_ascii=False))
        return
    if file is None:
        raise click.UsageError("give a FILE to extract, or --batch MANIFEST")
    record = _extract_file(file, url, outlet, registry)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    if "not_article" in record or "error" in record:
        sys.exit(EXIT_FAILED)


def _extract_file(path: Path, url: str | None, outlet: Any, registry: Registry) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            # One byte past the limit is enough for extraction to refuse an oversized page.
            body = stream.read(DEFAULT_MAX_PAGE_BYTES + 1)
    except OSError as error:
        return {"url": url, "error": f"{path}: {error.strerror or error}"}
    extraction = extract_article(body, url=url, outlet=outlet, registry=registry)
    return _extraction_json(extraction, url, outlet.slug if outlet else None)


STDIN_NAME = "-"


def _documents(
    files: tuple[str, ...], by_line: bool
) -> Iterator[tuple[dict[str, Any], str | None, str | None]]:
    """(where, text, None) for each document of FILES, or (where, None, why) if it cannot be read."""
    for name in files or (STDIN_NAME,):
        try:
            stream = sys.stdin.buffer if name == STDIN_NAME else Path(name).open("rb")  # noqa: SIM115
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


@main.command("lang")
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
        sys.exit(EXIT_FAILED)


@main.command()
@db_option
@click.option("--outlet", "outlets", multiple=True, help="Only this outlet (repeatable).")
@registry_option
@one_line_errors
def reextract(db_path: Path, outlets: tuple[str, ...], registry_path: Path | None) -> None:
    """Rebuild the articles from the stored raw originals, without network.

    Run it after fixing a parser or a selector: every stored article page is extracted
    again and the archive's articles are replaced by the new results.

    \b
    Example:
        sourcevault reextract --outlet udn
    """
    registry = load_registry(registry_path)
    registry.select(list(outlets))
    if not db_path.exists():
        raise click.ClickException(f"{db_path}: no archive here")
    with Archive(db_path) as archive:
        counts = run_reextract(archive, registry, list(outlets) or None)
    for name, count in counts.items():
        click.echo(f"{name}: {count}")


# --- looking at the registry and the archive ---------------------------------------------------


@main.group(invoke_without_command=True)
@registry_option
@click.pass_context
@one_line_errors
def outlets(context: click.Context, registry_path: Path | None) -> None:
    """List the configured outlets (validating the registry).

    \b
    Example:
        sourcevault outlets
    """
    if context.invoked_subcommand is not None:
        return
    registry = load_registry(registry_path)
    for outlet in registry:
        editions = ",".join(edition.id for edition in outlet.editions)
        click.echo(
            f"{outlet.slug:<12}{outlet.language}-{outlet.script:<6}{outlet.timezone:<16}"
            f"{(editions or '-'):<8}{outlet.name} ({outlet.native_name})"
        )


@outlets.command("check")
@click.argument("slug", required=False)
@click.option("--update", is_flag=True, help="Write the current extraction as expected output, for review.")
@registry_option
@one_line_errors
def outlets_check(slug: str | None, update: bool, registry_path: Path | None) -> None:
    """Run every stored fixture page through extraction and compare with the reviewed output.

    Exits 1 on any difference. With --update the expected JSON files are rewritten:
    review them with `git diff` before committing.

    \b
    Example:
        sourcevault outlets check cna
        sourcevault outlets check --update && git diff tests/fixtures
    """
    registry = load_registry(registry_path)
    if slug is not None:
        registry.get(slug)
    fixtures = discover_fixtures(FIXTURES_ROOT, slug) if (FIXTURES_ROOT / (slug or "")).is_dir() else []
    failures = 0
    for fixture in fixtures:
        actual = summarise(fixture.extract(registry))
        problems = differences(fixture.record.get("expected"), actual)
        if update and problems:
            write_expected(fixture, actual)
            click.echo(f"updated  {fixture.slug}/{fixture.name}")
        elif problems:
            failures += 1
            click.echo(f"FAIL     {fixture.slug}/{fixture.name}")
            for problem in problems:
                click.echo(f"         {problem}")
        else:
            click.echo(f"ok       {fixture.slug}/{fixture.name}")
    click.echo(f"{len(fixtures)} fixture pages, {failures} failing")
    if failures:
        sys.exit(EXIT_FAILED)


@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@registry_option
@one_line_errors
def stats(db_path: Path, as_json: bool, registry_path: Path | None) -> None:
    """Count articles, captures and script mismatches in the archive, per outlet.

    A script mismatch is an article whose text is in another script than its outlet (or
    edition) normally writes: a Simplified page on a Taiwanese site, say.

    \b
    Example:
        sourcevault stats --json
    """
    registry = load_registry(registry_path)
    with Archive(db_path, readonly=True) as archive:
        counts = archive.stats(registry)
    if as_json:
        click.echo(json.dumps(counts, ensure_ascii=False))
        return
    click.echo(f"{'outlet':<12}{'articles':>10}{'captures':>10}{'script mismatch':>17}")
    for slug, outlet_counts in [*counts["outlets"].items(), ("total", counts)]:
        click.echo(
            f"{slug:<12}{outlet_counts['articles']:>10}{outlet_counts['captures']:>10}"
            f"{outlet_counts['script_mismatches']:>17}"
        )


# --- searching, reading, exporting, importing, serving ------------------------------------------------


def filter_options(command: F) -> F:
    """--outlet, --since, --until and --lang, for the commands that pick articles."""
    options = (
        click.option("--outlet", "outlets", multiple=True, help="Only this outlet (repeatable)."),
        click.option("--since", help="Published on or after this day (YYYY-MM-DD, the outlet's local date)."),
        click.option("--until", help="Published on or before this day (YYYY-MM-DD)."),
        click.option("--lang", "language", help="Language tag: zh-Hant, zh-Hans, zh (both scripts), en, ..."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _filters(
    registry: Registry, outlets: tuple[str, ...], since: str | None, until: str | None, language: str | None
) -> Filters:
    registry.select(list(outlets))
    return Filters(
        outlets=outlets,
        since=parse_day(since, "--since") if since else None,
        until=parse_day(until, "--until") if until else None,
        language=language,
    )


def _print_results(results: SearchResults, query: str) -> None:
    for hit in results.hits:
        click.echo(f"{hit.id:>7}  {hit.outlet:<11}{(hit.published_at or '')[:10]:<12}{hit.title or ''}")
        click.echo(f"{'':<9}{hit.snippet.marked()}")
    if not results.total:
        click.echo(f"no article matches {query}")
        return
    ranking = f"the best {len(results.hits)} by bm25"
    if results.ranked < results.total:
        ranking += (
            f" among the {results.ranked:,} most recently archived"
            " (narrow the search to rank every match: more characters, --outlet, --since, --lang)"
        )
    noun = "article matches" if results.total == 1 else "articles match"
    click.echo(f"{results.total:,} {noun} {query}: {ranking}")


@main.command("search")
@click.argument("query")
@db_option
@filter_options
@click.option(
    "--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Show this many."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per matching article.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@click.option("--count", "count_only", is_flag=True, help="Print only the number of matching articles.")
@registry_option
@one_line_errors
def search_command(
    *,
    query: str,
    db_path: Path,
    outlets: tuple[str, ...],
    since: str | None,
    until: str | None,
    language: str | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
    count_only: bool,
    registry_path: Path | None,
) -> None:
    """Search the archive's titles and bodies for QUERY, in Chinese or any language.

    Traditional and Simplified find each other (臺灣 finds 台湾); any run of characters
    matches, one character or many. Words separated by spaces must all occur; "quoted text"
    occurs as written. Best matches first (bm25), each with a snippet of the article's own
    text, the matches marked «like this».

    \b
    Example:
        sourcevault search 颱風
        sourcevault search '"颱風 海燕"' --outlet epochtimes --since 2024-01-01 --json
        sourcevault search 'Apple 发布会' --lang zh-Hans --count
    """
    if as_json and as_csv:
        raise click.ClickException("give --json or --csv, not both")
    filters = _filters(load_registry(registry_path), outlets, since, until, language)
    parsed = parse_query(query)
    with Archive(db_path, readonly=True) as archive:
        if count_only:
            click.echo(count_matches(archive.db.conn, parsed, filters))
            return
        results = search_archive(archive.db.conn, parsed, filters, limit)
    records = [hit.to_dict() for hit in results.hits]
    if as_json:
        write_jsonl(records, sys.stdout)
    elif as_csv:
        write_csv(records, sys.stdout, Hit.FIELDS)
    else:
        _print_results(results, query)


@main.command()
@click.argument("article_id", type=int)
@db_option
@click.option("--raw", is_flag=True, help="Write the original exactly as fetched (bytes) to standard output.")
@click.option("--json", "as_json", is_flag=True, help="Print the article's every field as JSON.")
@one_line_errors
def show(article_id: int, db_path: Path, raw: bool, as_json: bool) -> None:
    """Print article ARTICLE_ID (an id from `search`), or its raw original as fetched.

    \b
    Example:
        sourcevault show 12
        sourcevault show 12 --raw > original.html
    """
    with Archive(db_path, readonly=True) as archive:
        record = next(archive.article_records([article_id]), None)
        if record is None:
            raise click.ClickException(f"{db_path}: no article {article_id}")
        if raw:
            stream = click.get_binary_stream("stdout")
            stream.write(archive.raw_body(record["original_sha256"]))
            stream.flush()
            return
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    click.echo(record["title"] or "(no title)")
    details = (record["outlet"], record["published_at"], record["language_tag"], f"article {record['id']}")
    click.echo(" · ".join(str(detail) for detail in details if detail))
    click.echo(record["url"])
    for name in ("authors", "editors", "source", "section", "partial_reason"):
        value = record[name]
        if value:
            click.echo(f"{name}: {', '.join(value) if isinstance(value, list) else value}")
    click.echo(
        f"original: {record['original_kind']} capture {record['capture_id']} of {record['original_url']},"
        f" fetched {record['fetched_at']}, {record['original_size_bytes']:,} bytes,"
        f" sha256 {record['original_sha256']} (sourcevault show {record['id']} --raw)"
    )
    click.echo()
    click.echo(record["body"] or "")


@main.command()
@db_option
@filter_options
@click.option("--query", "query_text", help="Only the articles this search query matches.")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(EXPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl, csv: the article fields; warc: the raw originals, a replayable web archive.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: standard output; a file is needed for warc).",
)
@registry_option
@one_line_errors
def export(
    *,
    db_path: Path,
    outlets: tuple[str, ...],
    since: str | None,
    until: str | None,
    language: str | None,
    query_text: str | None,
    export_format: str,
    output: Path | None,
    registry_path: Path | None,
) -> None:
    """Export articles (all, or those the filters pick) as JSON lines, CSV or WARC.

    JSON lines and CSV hold every article field and where its original came from; `import`
    reads the JSON lines back. The WARC file holds the raw originals as fetched (plus the
    feeds and sitemaps that listed them): `crawl --replay` reads it, as does any web-archive
    tool.

    \b
    Example:
        sourcevault export --outlet cna --since 2024-01-01 > cna.jsonl
        sourcevault export --query 颱風 --format csv -o typhoons.csv
        sourcevault export --format warc -o originals.warc.gz
    """
    filters = _filters(load_registry(registry_path), outlets, since, until, language)
    query = parse_query(query_text) if query_text is not None else None
    if export_format == "warc" and output is None:
        raise click.ClickException("--format warc writes a file: give --output FILE.warc.gz")
    with Archive(db_path, readonly=True) as archive:
        article_ids = list(matching_article_ids(archive.db.conn, query, filters))
        if export_format == "warc":
            assert output is not None
            with output.open("wb") as stream:
                count = write_warc(archive, article_ids, stream)
        else:
            write = write_jsonl if export_format == "jsonl" else write_csv
            with (
                output.open("w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as text
            ):
                count = write(archive.article_records(article_ids), text)
    click.echo(f"exported {count} articles{f' to {output}' if output else ''}", err=True)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@registry_option
@one_line_errors
def import_command(file: Path, db_path: Path, registry_path: Path | None) -> None:
    """Merge the articles of a JSON-lines FILE into the archive.

    FILE is another archive's `export --format jsonl`, or any JSON lines with at least url,
    title, body and published_at (outlet optional: else the outlet owning the URL's host).
    Each article is tagged and archived as a crawled one is, its JSON line kept as its
    original. A line that cannot be imported is reported with its number (exit status 1)
    and the rest still imports; importing the same file again adds nothing.

    \b
    Example:
        sourcevault import other-archive.jsonl --db data/archive.db
    """
    registry = load_registry(registry_path)

    def report(problem: ImportProblem) -> None:
        click.echo(f"{file}:{problem.line}: {problem.reason}", err=True)

    with Archive(db_path) as archive:
        counts, problems = import_file(archive, registry, file, on_problem=report)
    outcome = ", ".join(f"{counts[name]} {name}" for name in ("new", "updated", "unchanged"))
    click.echo(f"imported {file}: {outcome}, {len(problems)} rejected")
    if problems:
        sys.exit(EXIT_FAILED)


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65_535), default=8001, show_default=True, help="Port.")
@one_line_errors
def serve(db_path: Path, host: str, port: int) -> None:
    """Browse and search the archive in Datasette, read-only, in a web browser.

    Tables and columns are described, articles faceted by outlet, language, script, date and
    cluster; /-/search searches in Chinese exactly as `sourcevault search` does; originals
    are shown as text, never rendered.

    \b
    Example:
        sourcevault serve --db data/archive.db --port 8001
    """
    # Datasette and uvicorn take a while to import: only this command pays for them.
    from crawler.serve import serve_archive  # noqa: PLC0415

    Archive(db_path, readonly=True).close()
    click.echo(f"Serving {db_path} read-only at http://{host}:{port}/ (search: /-/search; Ctrl-C stops)")
    serve_archive(db_path, host, port)


@main.group()
def snapshot() -> None:
    """Build offline replay snapshots (WARC files) for `crawl --replay`."""


@snapshot.command("build")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="WARC file to write (.warc.gz).",
)
@one_line_errors
def snapshot_build(manifest: Path, output: Path) -> None:
    """Write the responses listed in MANIFEST (TOML [[response]] tables) to a WARC file.

    \b
    Example:
        sourcevault snapshot build crawler/demo/manifest.toml -o crawler/demo/snapshot.warc.gz
    """
    exchanges = list(read_manifest(manifest))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as stream:
        count = write_snapshot(exchanges, stream)
    click.echo(f"wrote {count} responses to {output}")


if __name__ == "__main__":
    main()
