"""Commands that show what the archive holds: stats per outlet, and the stories it holds more than
once (clusters, duplicates)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from crawler.archive import Archive
from crawler.cli.options import archive_db_option, db_option, one_line_errors, registry_option
from crawler.registry_file import OutletSlugs


@click.command()
@archive_db_option(postgres_ok=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@registry_option
@one_line_errors
def stats(db_path: Path | str, as_json: bool, registry_path: Path | None) -> None:
    """Count articles, captures and script mismatches in the archive, per outlet.

    A script mismatch is an article whose text is in another script than its outlet (or
    edition) normally writes: a Simplified page on a Taiwanese site, say.

    \b
    Example:
        sourcevault stats --json
    """
    registered = OutletSlugs(registry_path).slugs
    if isinstance(db_path, str):
        from crawler.archive.postgres.reading import reading

        with reading(db_path) as reader:
            counts = reader.stats(registered)
    else:
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
