"""The `sourcevault` command."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from datetime import UTC, date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from crawler import __version__, exit_status
from crawler.archive import DEFAULT_ARCHIVE_PATH, Archive, ArchiveError
from crawler.archive.lock import ArchiveBusy, CrawlLock
from crawler.articles import extract_article
from crawler.export import EXPORT_FORMATS, write_csv, write_jsonl, write_warc
from crawler.fetch import FetchError, fetch_page
from crawler.fixtures import (
    COVERAGE_FIELDS,
    FIXTURE_KINDS,
    FIXTURES_ROOT,
    Fixture,
    coverage,
    differences,
    discover_fixtures,
    fixture_name,
    summarise,
    unmatched_selectors,
    url_problem,
    write_expected,
    write_fixture,
)
from crawler.imports import ImportProblem, import_file
from crawler.language import expected_script, tag_text
from crawler.pages import DEFAULT_MAX_PAGE_BYTES, Extraction
from crawler.pages.article import ArticlePage
from crawler.pages.document import HtmlDocument, UnparseableDocument
from crawler.reextract import reextract as run_reextract
from crawler.registry import Registry, RegistryError, load_registry, match_article_url
from crawler.report import build_report, report_lines, run_table
from crawler.scaffold import ScaffoldError, add_outlet, describe_new_outlet
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

if TYPE_CHECKING:
    from crawler.runner import CrawlResult

DEMO_SNAPSHOT = Path(__file__).parent / "demo" / "snapshot.warc.gz"
DEMO_MANIFEST = Path(__file__).parent / "demo" / "manifest.toml"
PAGES_DIR = Path(__file__).parent / "pages"
GZIP_MAGIC = b"\x1f\x8b"

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Bad input ends the command with one line on stderr naming what and where."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (RegistryError, ArchiveError, SnapshotError, ScaffoldError, FetchError, QueryError) as error:
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
fixtures_option = click.option(
    "--fixtures",
    "fixtures_root",
    type=click.Path(file_okay=False, path_type=Path),
    default=FIXTURES_ROOT,
    show_default=True,
    help="Folder of the outlets' fixture folders.",
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
    db_path: Path,
    outlets: tuple[str, ...],
    *,
    replay: Path | None,
    registry_path: Path | None,
    verbose: bool,
    overrides: dict[str, str] | None = None,
) -> None:
    lock = CrawlLock(db_path)
    try:
        lock.acquire()
    except ArchiveBusy as busy:
        click.echo(f"Error: {busy}; exiting with status {exit_status.ARCHIVE_BUSY}", err=True)
        sys.exit(exit_status.ARCHIVE_BUSY)
    try:
        result = _run_crawl(
            db_path, outlets, replay=replay, registry_path=registry_path, verbose=verbose, overrides=overrides
        )
    finally:
        lock.release()
    if not result.ok:
        click.echo(f"crawl ended early: {result.finish_reason}", err=True)
        sys.exit(exit_status.crawl_exit_status(result.finish_reason))


def _run_crawl(
    db_path: Path,
    outlets: tuple[str, ...],
    *,
    replay: Path | None,
    registry_path: Path | None,
    verbose: bool,
    overrides: dict[str, str] | None,
) -> CrawlResult:
    # Scrapy and Twisted take a second to import: only commands that crawl pay for them.
    from crawler.runner import project_settings, run_crawl  # noqa: PLC0415

    registry = load_registry(registry_path)
    registry.select(list(outlets))
    if replay is not None:
        Snapshot(replay)
    Archive(db_path).close()
    settings = project_settings(
        db_path, replay_snapshot=replay, registry_path=registry_path, verbose=verbose, overrides=overrides
    )
    result = run_crawl(settings, list(outlets))
    if result.run_id is None:
        raise click.ClickException(f"crawl did not start (finish reason: {result.finish_reason})")
    with Archive(db_path, readonly=True) as archive:
        report = build_report(archive, result.run_id)
        for line in run_table(report.outlets, report.run["outlets"]):
            click.echo(line)
        totals = archive.stats(registry)
    click.echo(
        f"run {result.run_id} archived in {db_path}: now {totals['articles']} articles "
        f"from {totals['captures']} captures"
    )
    return result


def _setting_overrides(
    _context: click.Context, _parameter: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    overrides = {}
    for value in values:
        name, equals, setting = value.partition("=")
        if not equals or not name.isupper():
            raise click.BadParameter(
                f"{value!r} is not NAME=VALUE (a Scrapy setting, e.g. DOWNLOAD_TIMEOUT=60)"
            )
        overrides[name] = setting
    return overrides


@main.command()
@click.argument("outlets", nargs=-1)
@db_option
@click.option(
    "--replay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Serve responses from this WARC snapshot instead of the network.",
)
@registry_option
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    callback=_setting_overrides,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting of crawler/settings.py for this run (repeatable).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log instead of the progress line.")
@one_line_errors
def crawl(
    outlets: tuple[str, ...],
    db_path: Path,
    *,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
    verbose: bool,
) -> None:
    """Crawl OUTLETS (slugs; all when none) into the archive.

    Fetches only what is new: archived articles are skipped, feeds and sitemaps are asked with
    conditional GET, and recently archived articles are fetched again (1 hour, 1 day, 1 week
    after) to catch edits and takedowns. A crawl killed at any moment resumes where it stopped
    on the next run. Exit status: 0 finished, 1 ended early or bad input, 75 another crawl
    is running on this archive.

    \b
    Example:
        sourcevault crawl cna udn --db data/archive.db
        sourcevault crawl --replay crawler/demo/snapshot.warc.gz
        sourcevault crawl -s DOWNLOAD_TIMEOUT=60
    """
    _crawl(db_path, outlets, replay=replay, registry_path=registry_path, verbose=verbose, overrides=overrides)


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
    _crawl(db_path, (), replay=DEMO_SNAPSHOT, registry_path=None, verbose=verbose)


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
        sys.exit(exit_status.FAILED)


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
        sys.exit(exit_status.FAILED)


@main.command()
@db_option
@click.option("--outlet", "outlets", multiple=True, help="Only this outlet (repeatable).")
@registry_option
@one_line_errors
def reextract(db_path: Path, outlets: tuple[str, ...], registry_path: Path | None) -> None:
    """Rebuild the articles from the stored raw originals, without network.

    Run it after fixing a parser or a selector: every stored article page is extracted
    again and the archive's articles are replaced by the new results; their versions, URL
    aliases and story clusters are rebuilt from the same captures.

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
            f"{outlet.slug:<12}{outlet.language}-{outlet.script:<6}{outlet.timezone:<18}"
            f"{(editions or '-'):<8}{outlet.name} ({outlet.native_name})"
        )


@outlets.command("new")
@click.argument("slug")
@click.option("--home", required=True, help="The outlet's home page (absolute http(s) URL).")
@click.option("--name", help="Its English name (default: the slug; edit it in the registry).")
@click.option("--native-name", help="Its name in its own language.")
@click.option("--language", help="ISO 639-1 code of what it publishes (default: from .tw .hk .cn … domains).")
@click.option("--script", type=click.Choice(["Hans", "Hant", "Latn"]), help="ISO 15924 script it writes.")
@click.option("--timezone", help="IANA zone of the times it prints without an offset.")
@click.option(
    "--parser", is_flag=True, help="Also write crawler/pages/SLUG.py, for fields selectors cannot express."
)
@registry_option
@fixtures_option
@one_line_errors
def outlets_new(
    *,
    slug: str,
    home: str,
    name: str | None,
    native_name: str | None,
    language: str | None,
    script: str | None,
    timezone: str | None,
    parser: bool,
    registry_path: Path | None,
    fixtures_root: Path,
) -> None:
    """Add outlet SLUG: a commented registry entry and its fixture folder (and page module).

    The entry is appended to config/outlets.toml as text, with a TODO beside every field to
    fill in; it validates as written. Then store a page with `outlets fixture` and fill in
    selectors until `outlets check SLUG` passes (README, "Add an outlet").

    \b
    Example:
        sourcevault outlets new chinatimes --home https://www.chinatimes.com/ --native-name 中時新聞網
    """
    registry = load_registry(registry_path)
    outlet = describe_new_outlet(
        registry,
        slug,
        home,
        name=name,
        native_name=native_name,
        language=language,
        script=script,
        timezone=timezone,
    )
    written = add_outlet(
        outlet,
        registry_path=registry.path,
        fixtures_root=fixtures_root,
        pages_dir=PAGES_DIR if parser else None,
        today=date.today(),
    )
    for path in written:
        click.echo(f"wrote {_shown(path)}")
    click.echo(f"next: fill in the TODOs of outlet {slug!r} in {_shown(registry.path)}, then")
    click.echo(f"      sourcevault outlets fixture {slug} PAGE.html --url URL")


def _shown(path: Path) -> Path:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _read_page(source: str) -> tuple[bytes, datetime]:
    """A saved page's bytes (gunzipped if need be) and when the file was written."""
    path = Path(source)
    try:
        with path.open("rb") as stream:
            body = stream.read(DEFAULT_MAX_PAGE_BYTES + 1)
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror or error}") from None
    if body.startswith(GZIP_MAGIC):
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as error:
            raise click.ClickException(f"{path}: not a readable gzip file ({error})") from None
    if len(body) > DEFAULT_MAX_PAGE_BYTES:
        raise click.ClickException(f"{path}: larger than {DEFAULT_MAX_PAGE_BYTES:,} bytes")
    return body, modified


def _page_own_url(body: bytes) -> str | None:
    try:
        return ArticlePage(HtmlDocument(body)).url
    except UnparseableDocument:
        return None


def _print_unmatched(problems: list[str]) -> None:
    if problems:
        click.echo("selectors that matched nothing on any article page of their layout:")
        for problem in problems:
            click.echo(f"  {problem}")


@outlets.command("fixture")
@click.argument("slug")
@click.argument("source")
@click.option(
    "--url", help="The page's URL (default: its canonical link; for a fetched page, where it ended up)."
)
@click.option("--name", help="File name without extension (default: from the outlet, URL and capture date).")
@click.option("--kind", type=click.Choice(FIXTURE_KINDS), help="raw (default), rendered DOM, or synthetic.")
@click.option("--origin", help="Where the page comes from, for the record (default: the file or URL).")
@click.option(
    "--captured-at",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]),
    help="When the page was fetched (UTC unless an offset is given; default: the file's time, or now).",
)
@click.option("--force", is_flag=True, help="Replace a fixture of the same name.")
@registry_option
@fixtures_option
@one_line_errors
def outlets_fixture(
    *,
    slug: str,
    source: str,
    url: str | None,
    name: str | None,
    kind: str | None,
    origin: str | None,
    captured_at: datetime | None,
    force: bool,
    registry_path: Path | None,
    fixtures_root: Path,
) -> None:
    """Store SOURCE (a saved page, or a URL to fetch) as a fixture page of outlet SLUG.

    Writes the page gzipped with its URL and capture date, and the JSON extracted from it as
    its expected output: review that JSON (fix selectors, then `outlets check SLUG --update`)
    before committing. The capture date picks the outlet's layout, as for any capture.

    \b
    Example:
        sourcevault outlets fixture udn ~/saved/udn-article.html --url https://udn.com/news/story/7266/8000001
        sourcevault outlets fixture udn https://udn.com/news/story/7266/8000001
    """
    registry = load_registry(registry_path)
    outlet = registry.get(slug)
    content_type = None
    if source.startswith(("http://", "https://")):
        if problem := url_problem(outlet, source):
            raise click.ClickException(problem)
        fetched = fetch_page(source, max_bytes=DEFAULT_MAX_PAGE_BYTES)
        body, url, content_type = fetched.body, url or fetched.url, fetched.content_type
        captured_at = captured_at or fetched.fetched_at
        origin = origin or f"fetched by `sourcevault outlets fixture` from {source}"
    else:
        body, modified = _read_page(source)
        captured_at = captured_at or modified
        url = url or _page_own_url(body)
        origin = origin or f"saved page {Path(source).name}"
        if not url:
            raise click.ClickException(f"{source}: the page names no URL of its own: give --url")
    captured_at = captured_at if captured_at.tzinfo else captured_at.replace(tzinfo=UTC)
    if problem := url_problem(outlet, url):
        raise click.ClickException(problem)
    name = name or fixture_name(slug, url, captured_at)
    if (fixtures_root / slug / f"{name}.json").exists() and not force:
        raise click.ClickException(
            f"{fixtures_root / slug / name}.json exists: give another --name, or --force"
        )
    page = {"url": url, "captured_at": captured_at.isoformat(), "kind": kind or "raw", "origin": origin}
    if content_type:
        page["content_type"] = content_type
    extraction = extract_article(
        body, url=url, content_type=content_type, outlet=outlet, fetched_at=captured_at
    )
    expected = summarise(extraction)
    fixture = write_fixture(fixtures_root, slug, name, body, page=page, expected=expected)
    click.echo(f"stored {_shown(fixture.page_path)} ({len(body):,} bytes, fetched {captured_at.isoformat()})")
    click.echo(f"wrote  {_shown(fixture.record_path)}; review what extraction made of the page:")
    click.echo(json.dumps(expected, ensure_ascii=False, indent=2))
    if "not_article" in expected and match_article_url(outlet, url) is not None:
        click.echo(f"note: {url} matches article.url_pattern but extracts as no article", err=True)
    _print_unmatched(unmatched_selectors(outlet, discover_fixtures(fixtures_root, slug)))


def _coverage_table(rows: dict[str, tuple[int, dict[str, int]]]) -> None:
    click.echo("coverage: on how many of each outlet's article pages a field was found")
    headings = "".join(f"{heading:>{max(len(heading), 4) + 1}}" for heading in COVERAGE_FIELDS.values())
    click.echo(f"{'outlet':<12}{'pages':>6}{headings}")
    for slug, (pages, found) in rows.items():
        cells = "".join(
            f"{(f'{found[field] * 100 // pages}%' if pages else '-'):>{max(len(heading), 4) + 1}}"
            for field, heading in COVERAGE_FIELDS.items()
        )
        click.echo(f"{slug:<12}{pages:>6}{cells}")


@outlets.command("check")
@click.argument("slug", required=False)
@click.option("--update", is_flag=True, help="Write the current extraction as expected output, for review.")
@registry_option
@fixtures_option
@one_line_errors
def outlets_check(slug: str | None, update: bool, registry_path: Path | None, fixtures_root: Path) -> None:
    """Run every stored fixture page through extraction and compare with the reviewed output.

    Prints each page's differences, then per outlet on how many article pages each field
    was found, and the selectors that matched nothing on any page of their layout. Exits 1
    on any difference or on a fixture whose URL is not the outlet's. With --update the
    expected JSON files are rewritten: review them with `git diff` before committing.

    \b
    Example:
        sourcevault outlets check cna
        sourcevault outlets check --update && git diff tests/fixtures
    """
    registry = load_registry(registry_path)
    slugs = [registry.get(slug).slug] if slug else registry.slugs
    failures = 0
    summaries: dict[str, list[dict[str, Any]]] = {name: [] for name in slugs}
    discovered = discover_fixtures(fixtures_root, slug)
    fixtures: list[Fixture] = [fixture for fixture in discovered if fixture.slug in summaries]
    strays = sorted({fixture.slug for fixture in discovered} - set(summaries))
    for fixture in fixtures:
        problem = url_problem(registry.get(fixture.slug), fixture.url)
        actual = summarise(fixture.extract(registry))
        summaries[fixture.slug].append(actual)
        problems = [problem] if problem else differences(fixture.record.get("expected"), actual)
        if update and problems and not problem:
            write_expected(fixture, actual)
            click.echo(f"updated  {fixture.slug}/{fixture.name}")
        elif problems:
            failures += 1
            click.echo(f"FAIL     {fixture.slug}/{fixture.name}")
            for line in problems:
                click.echo(f"         {line}")
        else:
            click.echo(f"ok       {fixture.slug}/{fixture.name}")
    for stray in strays:
        click.echo(f"note: {fixtures_root / stray} belongs to no outlet of {registry.path}")
    _coverage_table({name: coverage(pages) for name, pages in summaries.items()})
    _print_unmatched(
        [
            line
            for name in slugs
            for line in unmatched_selectors(registry.get(name), [f for f in fixtures if f.slug == name])
        ]
    )
    click.echo(f"{len(fixtures)} fixture pages, {failures} failing")
    if failures:
        sys.exit(exit_status.FAILED)


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


@main.command()
@db_option
@click.option("--run", "run_id", type=int, help="Report this run (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def report(db_path: Path, run_id: int | None, as_json: bool) -> None:
    """Summarise a crawl run per outlet, with one ALERT line per problem.

    Alerts: an outlet whose feeds or APIs listed articles not yet archived but that yielded
    no new one; a field (title, body, authors…) found in far fewer articles than in the
    outlet's recent runs (a layout change); pages answered 403 or 429, or a challenge page
    served with 200 (blocked); discovery documents that all failed; a run that did not
    finish. Exit status: 0 no alert, 3 alerts, 1 no such archive or run.

    \b
    Example:
        sourcevault report
        sourcevault report --run 12 --json
    """
    with Archive(db_path, readonly=True) as archive:
        run_report = build_report(archive, run_id)
    if as_json:
        click.echo(json.dumps(run_report.to_dict(), ensure_ascii=False))
    else:
        for line in report_lines(run_report):
            click.echo(line)
    if run_report.alerts:
        sys.exit(exit_status.ALERTS)


@main.command()
@db_option
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only clusters an article joined at or after this time (UTC).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per cluster and line.")
@one_line_errors
def clusters(db_path: Path, since: datetime | None, as_json: bool) -> None:
    """List the stories archived more than once: clusters of two or more articles.

    An article joins a cluster when its body is an exact or near copy of an archived one
    (edited, cut, reposted by another outlet, in the other script) or when it is another
    script edition of the same article. Each article shows its strongest link: similarity
    (share of the shorter body's 5-grams found in the other) and reason.

    \b
    Example:
        sourcevault clusters --since 2026-11-01
        sourcevault clusters --json | jq '.articles | length'
    """
    since_utc = since.replace(tzinfo=UTC).isoformat(timespec="seconds") if since else None
    with Archive(db_path, readonly=True) as archive:
        found = archive.clusters(since_utc)
    for cluster in found:
        if as_json:
            click.echo(
                json.dumps({key: cluster[key] for key in ("cluster_id", "articles")}, ensure_ascii=False)
            )
            continue
        click.echo(
            f"cluster {cluster['cluster_id']}: {len(cluster['articles'])} articles, "
            f"updated {cluster['updated_at']}"
        )
        for article in cluster["articles"]:
            click.echo(
                f"  #{article['id']:<7} {_outlet_label(article):<14} {article['similarity']:>5.2f} "
                f"{article['reason']:<30} {article['title'] or ''}"
            )
            click.echo(f"  {'':<8} {article['url']}")
    if not as_json:
        click.echo(f"{len(found)} clusters")


def _outlet_label(article: dict[str, Any]) -> str:
    return f"{article['outlet']}/{article['edition']}" if article["edition"] else article["outlet"]


@main.command()
@click.argument("article")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@registry_option
@one_line_errors
def duplicates(article: str, db_path: Path, as_json: bool, registry_path: Path | None) -> None:
    """Explain one article's links to the other copies of its story.

    ARTICLE is an article's id (articles.id, as `clusters` prints it) or any URL it was
    seen under (tracking parameters, mobile host or category segment do not matter).

    \b
    Example:
        sourcevault duplicates 42
        sourcevault duplicates 'https://udn.com/news/story/11315/3705102?from=udn-rss'
    """
    with Archive(db_path, readonly=True) as archive:
        article_row = _find_article(archive, article, registry_path)
        explained = archive.story_links(article_row)
    if explained is None:
        raise click.ClickException(f"{db_path}: no article {article}")
    if as_json:
        click.echo(json.dumps(explained, ensure_ascii=False))
        return
    click.echo(
        f"article {explained['id']} ({_outlet_label(explained)} {explained['article_id']}): "
        f"{explained['title']}"
    )
    click.echo(f"  {explained['url']}")
    if explained["body_hash"] is None:
        click.echo("  body too short to compare: linked by its text to nothing")
    else:
        same = ", ".join(f"#{other}" for other in explained["same_body_hash"]) or "no other article"
        click.echo(f"  body hash {explained['body_hash'][:16]}…: shared with {same}")
    if explained["cluster_id"] is None:
        click.echo("  in no cluster: no other copy of its story is archived")
    else:
        click.echo(f"  cluster {explained['cluster_id']} of {explained['cluster_size']} articles")
    for link in explained["links"]:
        arrow = "→" if link["direction"] == "to" else "←"
        click.echo(
            f"  {arrow} #{link['id']:<7} {_outlet_label(link):<14} {link['similarity']:>5.2f} "
            f"{link['reason']:<30} {link['title'] or ''}"
        )


def _find_article(archive: Archive, article: str, registry_path: Path | None) -> int:
    if article.isdigit():
        return int(article)
    registry = load_registry(registry_path)
    outlet = registry.for_url(article)
    found = archive.archived_article_for(outlet, article) if outlet else None
    if found is None:
        raise click.ClickException(f"{archive.path}: no archived article is known by the URL {article}")
    return found.id


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
        sys.exit(exit_status.FAILED)


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
