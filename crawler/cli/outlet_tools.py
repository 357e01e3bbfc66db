"""The `outlets` commands: list, scaffold a new outlet, store fixture pages, check them."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler import exit_status
from crawler.cli.options import fixtures_option, one_line_errors, registry_option, settings_option

if TYPE_CHECKING:
    from crawler.outlet_tools.fixtures import Fixture

OUTLETS_DIR = Path(__file__).resolve().parent.parent / "outlets"
FIXTURE_KINDS = ("raw", "rendered DOM", "synthetic")


@click.group(invoke_without_command=True)
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
    from crawler.registry import load_registry

    registry = load_registry(registry_path)
    for outlet in registry:
        editions = ",".join(edition.id for edition in outlet.editions)
        click.echo(
            f"{outlet.slug:<12}{outlet.language}-{outlet.script:<6}{outlet.timezone:<18}"
            f"{(editions or '-'):<8}{outlet.name} ({outlet.native_name})"
        )


@outlets.command("explain")
@click.argument("urls", metavar="URL...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per URL.")
@registry_option
@one_line_errors
def outlets_explain(urls: tuple[str, ...], as_json: bool, registry_path: Path | None) -> None:
    """Say which outlet, URL pattern and article key each URL gets, or why none.

    The outlet owns the URL's host (else the URL belongs to the site outlet of its registered
    domain, site:<domain>); the first of the outlet's URL patterns that matches reads the
    article's id (else the key is its canonical URL). The crawl follows only URLs a pattern
    matches; extract, import and reextract keep any page that is an article.

    \b
    Example:
        sourcevault outlets explain https://money.udn.com/money/story/5603/4909425
        sourcevault outlets explain 'http://www.cna.com.tw/News/FirstNews/201306290064-1.aspx' --json
    """
    from crawler.outlet_tools.explain import explain_url, explanation_lines
    from crawler.registry import load_registry

    registry = load_registry(registry_path)
    for position, url in enumerate(urls):
        explained = explain_url(registry, url)
        if as_json:
            click.echo(json.dumps(explained.to_dict(), ensure_ascii=False))
            continue
        if position:
            click.echo("")
        for line in explanation_lines(explained):
            click.echo(line)


@outlets.command("new")
@click.argument("slug")
@click.option("--home", required=True, help="The outlet's home page (absolute http(s) URL).")
@click.option("--name", help="Its English name (default: the slug; edit it in the registry).")
@click.option("--native-name", help="Its name in its own language.")
@click.option("--language", help="ISO 639-1 code of what it publishes (default: from .tw .hk .cn … domains).")
@click.option("--script", type=click.Choice(["Hans", "Hant", "Latn"]), help="ISO 15924 script it writes.")
@click.option("--timezone", help="IANA zone of the times it prints without an offset.")
@click.option(
    "--parser", is_flag=True, help="Also write crawler/outlets/SLUG.py, for fields selectors cannot express."
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
    """Add outlet SLUG: a commented registry entry and its fixture folder (and outlet module).

    The entry is appended to config/outlets.toml as text, with a TODO beside every field to
    fill in; it validates as written. Then store a page with `outlets fixture` and fill in
    selectors until `outlets check SLUG` passes (docs/adding-an-outlet.md).

    \b
    Example:
        sourcevault outlets new chinatimes --home https://www.chinatimes.com/ --native-name 中時新聞網
    """
    from crawler.outlet_tools.scaffold import add_outlet, describe_new_outlet
    from crawler.registry import load_registry

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
        outlets_dir=OUTLETS_DIR if parser else None,
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
    """A saved page's bytes (gunzipped if need be, both within the page bound) and when the file
    was written."""
    from crawler.file_limits import GZIP_MAGIC, FileRefused, gunzip_at_most, open_regular
    from crawler.pages import DEFAULT_MAX_PAGE_BYTES

    path = Path(source)
    try:
        with open_regular(path) as stream:
            body = stream.read(DEFAULT_MAX_PAGE_BYTES + 1)
            modified = datetime.fromtimestamp(os.fstat(stream.fileno()).st_mtime, UTC)
    except FileRefused as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror or error}") from None
    if len(body) > DEFAULT_MAX_PAGE_BYTES:
        raise click.ClickException(f"{path}: larger than {DEFAULT_MAX_PAGE_BYTES:,} bytes")
    if body.startswith(GZIP_MAGIC):
        body = gunzip_at_most(body, DEFAULT_MAX_PAGE_BYTES, str(path))
    return body, modified


def _page_own_url(body: bytes) -> str | None:
    from crawler.pages.article import ArticlePage
    from crawler.pages.document import HtmlDocument, UnparseableDocument

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
@settings_option
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
    overrides: dict[str, str],
) -> None:
    """Store SOURCE (a saved page, or a URL to fetch) as a fixture page of outlet SLUG.

    Writes the page gzipped with its URL and capture date, and the JSON extracted from it as
    its expected output: review that JSON (fix selectors, then `outlets check SLUG --update`)
    before committing. The capture date picks the outlet's layout, as for any capture. A URL is
    fetched as a crawl fetches (crawler/settings.py, which -s overrides): on the outlet's hosts only.

    \b
    Example:
        sourcevault outlets fixture udn ~/saved/udn-article.html --url https://udn.com/news/story/7266/8000001
        sourcevault outlets fixture udn https://udn.com/news/story/7266/8000001
    """
    from crawler.extraction import extract_article
    from crawler.outlet_tools.fixtures import (
        checked_name,
        discover_fixtures,
        fixture_name,
        summarise,
        unmatched_selectors,
        url_problem,
        write_fixture,
    )
    from crawler.outlet_tools.page_fetch import fetch_page
    from crawler.pages import DEFAULT_MAX_PAGE_BYTES
    from crawler.registry import load_registry, match_article_url

    registry = load_registry(registry_path)
    outlet = registry.get(slug)
    if name is not None:
        checked_name(name)
    content_type = None
    if source.startswith(("http://", "https://")):
        if problem := url_problem(outlet, source):
            raise click.ClickException(problem)
        fetched = fetch_page(source, outlet, registry, max_bytes=DEFAULT_MAX_PAGE_BYTES, overrides=overrides)
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
    from crawler.outlet_tools.fixtures import COVERAGE_FIELDS

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
    from crawler.outlet_tools.fixtures import (
        coverage,
        differences,
        discover_fixtures,
        summarise,
        unmatched_selectors,
        url_problem,
        write_expected,
    )
    from crawler.registry import load_registry

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
