"""Commands for researchers: stats, search, show, export, import, serve, clusters, duplicates."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler import exit_status
from crawler.archive import Archive
from crawler.cli.options import F, FilePath, db_option, one_line_errors, registry_option, writing
from crawler.registry_file import OutletSlugs

if TYPE_CHECKING:
    from crawler.research.importing import ImportProblem
    from crawler.search.query import Filters
    from crawler.search.results import SearchResults

EXPORT_FORMATS = ("jsonl", "csv", "warc")


@click.command()
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
    registered = OutletSlugs(registry_path).slugs
    with Archive(db_path, readonly=True) as archive:
        counts = archive.queries.stats(registered)
    if as_json:
        click.echo(json.dumps(counts, ensure_ascii=False))
        return
    # Site outlets (site:rfa.org) follow the registry's, with names as long as their domains.
    width = max(12, *(len(slug) + 2 for slug in counts["outlets"]))
    click.echo(f"{'outlet':<{width}}{'articles':>10}{'captures':>10}{'script mismatch':>17}")
    for slug, outlet_counts in [*counts["outlets"].items(), ("total", counts)]:
        click.echo(
            f"{slug:<{width}}{outlet_counts['articles']:>10}{outlet_counts['captures']:>10}"
            f"{outlet_counts['script_mismatches']:>17}"
        )


@click.command()
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
        found = archive.queries.clusters(since_utc)
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


@click.command()
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
        explained = archive.queries.story_links(article_row)
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
    from crawler.registry import load_registry

    registry = load_registry(registry_path)
    found = archive.articles.archived_article_for(registry.for_url(article), article)
    if found is None:
        raise click.ClickException(f"{archive.path}: no archived article is known by the URL {article}")
    return found.id


def _warn_of_unindexed_edits(archive: Archive) -> None:
    if archive.unindexed_edits:
        click.echo(
            f"warning: {archive.path}: the edits another SQLite tool made to {archive.unindexed_edits}"
            " article(s) are not searchable until the archive is opened read-write once"
            " (any crawl, import or reextract does)",
            err=True,
        )


time_limit_option = click.option(
    "--time-limit",
    "time_limit_seconds",
    type=click.FloatRange(min=0, min_open=True, max=3_600),
    help="Stop a search that takes longer than this many seconds (default: 10).",
)


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
    registry_path: Path | None,
    outlets: tuple[str, ...],
    since: str | None,
    until: str | None,
    language: str | None,
) -> Filters:
    from crawler.search.query import Filters, parse_day

    OutletSlugs(registry_path).check(outlets)
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


@click.command("search")
@click.argument("query")
@db_option
@filter_options
@click.option(
    "--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Show this many."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per matching article.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@click.option("--count", "count_only", is_flag=True, help="Print only the number of matching articles.")
@time_limit_option
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
    time_limit_seconds: float | None,
    registry_path: Path | None,
) -> None:
    """Search the archive's titles and bodies for QUERY, in Chinese or any language.

    Traditional and Simplified find each other (臺灣 finds 台湾); any run of characters
    matches, one character or many. Words separated by spaces must all occur; "quoted text"
    occurs as written. Best matches first (bm25), each with a snippet of the article's own
    text, the matches marked «like this». A word given twice counts once; at most 8 different
    words or phrases, 2 of them single characters; a search stops after --time-limit seconds.

    \b
    Example:
        sourcevault search 颱風
        sourcevault search '"颱風 海燕"' --outlet epochtimes --since 2024-01-01 --json
        sourcevault search 'Apple 发布会' --lang zh-Hans --count
    """
    from crawler.search.query import parse_query
    from crawler.search.results import SEARCH_TIME_LIMIT_SECONDS, Hit, count_matches, time_limit
    from crawler.search.results import search as search_archive

    if as_json and as_csv:
        raise click.ClickException("give --json or --csv, not both")
    filters = _filters(registry_path, outlets, since, until, language)
    parsed = parse_query(query)
    with Archive(db_path, readonly=True) as archive:
        _warn_of_unindexed_edits(archive)
        with time_limit(archive.connection, time_limit_seconds or SEARCH_TIME_LIMIT_SECONDS):
            if count_only:
                click.echo(count_matches(archive.connection, parsed, filters))
                return
            results = search_archive(archive.connection, parsed, filters, limit)
    if not (as_json or as_csv):
        _print_results(results, query)
        return
    from crawler.research.export import write_csv, write_jsonl

    records = [hit.to_dict() for hit in results.hits]
    if as_json:
        write_jsonl(records, sys.stdout)
    else:
        write_csv(records, sys.stdout, Hit.FIELDS)


def _version_diff(archive: Archive, article_id: int, version: int) -> list[str]:
    """A unified diff of an article's title and body, from `version` to its current version."""
    import difflib

    rows = dict(
        (number, (title, body))
        for number, title, body in archive.db.execute(
            "SELECT v.version, v.title, v.body FROM article_versions v WHERE v.article = ?"
            " AND v.version IN (?, (SELECT current_version FROM articles WHERE id = ?))",
            [article_id, version, article_id],
        ).fetchall()
    )
    current = max(rows)
    if version not in rows:
        raise click.ClickException(f"article {article_id} has no version {version} (its latest: {current})")
    if version == current:
        return [f"article {article_id}: version {version} is its current version"]

    def lines(number: int) -> list[str]:
        title, body = rows[number]
        return [title or "", "", *(body or "").splitlines()]

    return list(
        difflib.unified_diff(
            lines(version), lines(current), f"version {version}", f"version {current}", lineterm=""
        )
    )


@click.command()
@click.argument("article_id", type=int)
@db_option
@click.option("--raw", is_flag=True, help="Write the original exactly as fetched (bytes) to standard output.")
@click.option("--json", "as_json", is_flag=True, help="Print the article's every field as JSON.")
@click.option(
    "--diff-from",
    "diff_from",
    type=int,
    metavar="VERSION",
    help="Print how the article's text changed from this version to its current one (a unified diff).",
)
@one_line_errors
def show(article_id: int, db_path: Path, raw: bool, as_json: bool, diff_from: int | None) -> None:
    """Print article ARTICLE_ID (an id from `search`), or its raw original as fetched.

    \b
    Example:
        sourcevault show 12
        sourcevault show 12 --raw > original.html
        sourcevault show 12 --diff-from 1
    """
    with Archive(db_path, readonly=True) as archive:
        record = next(archive.queries.article_records([article_id]), None)
        if record is None:
            raise click.ClickException(f"{db_path}: no article {article_id}")
        if diff_from is not None:
            for line in _version_diff(archive, article_id, diff_from):
                click.echo(line)
            return
        if raw:
            stream = click.get_binary_stream("stdout")
            stream.write(archive.captures.raw_body(record["original_sha256"]))
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


@click.command()
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
@time_limit_option
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
    time_limit_seconds: float | None,
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
    from crawler.research.export import write_csv, write_jsonl, write_warc
    from crawler.search.query import parse_query
    from crawler.search.results import SEARCH_TIME_LIMIT_SECONDS, matching_article_ids, time_limit

    filters = _filters(registry_path, outlets, since, until, language)
    query = parse_query(query_text) if query_text is not None else None
    if export_format == "warc" and output is None:
        raise click.ClickException("--format warc writes a file: give --output FILE.warc.gz")
    with Archive(db_path, readonly=True) as archive:
        if query is not None or not filters.empty:
            _warn_of_unindexed_edits(archive)
        # The search is limited in time; writing what it found is not.
        with time_limit(archive.connection, time_limit_seconds or SEARCH_TIME_LIMIT_SECONDS):
            article_ids = list(matching_article_ids(archive.connection, query, filters))
        if export_format == "warc":
            assert output is not None
            with output.open("wb") as stream:
                count = write_warc(archive, article_ids, stream)
        else:
            write = write_jsonl if export_format == "jsonl" else write_csv
            with (
                output.open("w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as text
            ):
                count = write(archive.queries.article_records(article_ids), text)
    click.echo(f"exported {count} articles{f' to {output}' if output else ''}", err=True)


@click.command("import")
@click.argument("file", type=FilePath(exists=True))
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
    from crawler.registry import load_registry
    from crawler.research.importing import import_file

    registry = load_registry(registry_path)

    def report(problem: ImportProblem) -> None:
        click.echo(f"{file}:{problem.line}: {problem.reason}", err=True)

    with writing(db_path, "import"), Archive(db_path) as archive:
        counts, problems = import_file(archive, registry, file, on_problem=report)
    outcome = ", ".join(f"{counts[name]} {name}" for name in ("new", "updated", "unchanged"))
    click.echo(f"imported {file}: {outcome}, {len(problems)} rejected")
    if problems:
        sys.exit(exit_status.FAILED)


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
