"""`sourcevault posts`: cited Weibo and X posts, archived, shown, and checked again."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler import exit_status
from crawler.archive import Archive
from crawler.archive.lock import BESIDE_CRAWLS
from crawler.cli.options import (
    archive_db_option,
    no_archive_at,
    one_line_errors,
    registry_option,
    replay_option,
    settings_option,
    writing,
)
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from crawler.posts.checks import PostFetch
    from crawler.spiders.post_requests import PostTarget

# How much of a post's text a one-line summary shows.
SHOWN_CHARACTERS = 40


@click.group()
def posts() -> None:
    """Weibo and X posts that briefings cite: archived with their answers as originals.

    \b
    Example:
        sourcevault posts add https://weibo.com/7827771738/N4xlMvjhI
        sourcevault posts search 外交部
        sourcevault posts recheck --due
    """


@posts.command()
@click.argument("urls", nargs=-1, required=True)
@archive_db_option(postgres_ok=True)
@replay_option
@registry_option
@settings_option
@one_line_errors
def add(
    urls: tuple[str, ...],
    db_path: Path | str,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
) -> None:
    """Archive the posts URLS name (Weibo, X; short links t.cn, t.co resolved first).

    Each post's answers are kept as fetched (the originals); the post read from them, the post
    it reposts or quotes, and how it vanished if it did, go into the archive. From then on the
    post is checked again: hourly for a day, daily for a week, weekly for a year (`posts recheck
    --due`). One line per URL: the post's row id, and what its answers said. A URL that names no
    post is said so on stderr. Exit status: 1 if any did, 4 if no answer came at all (no network?),
    else 0.

    \b
    Example:
        sourcevault posts add https://weibo.com/7827771738/N4xlMvjhI https://x.com/example/status/1349794411333394432
        sourcevault posts add http://t.cn/A6abcDEF --db data/archive.db
    """
    from crawler.posts.urls import PostRef, ShortLink, read_post_url
    from crawler.spiders.post_requests import PostTarget

    targets: list[PostTarget] = []
    asked: set[PostRef | ShortLink] = set()
    bad = 0
    for url in urls:
        found = read_post_url(url)
        if isinstance(found, PostRef | ShortLink):
            # Two URLs of one post (or one short link twice) are one post to read.
            if found not in asked:
                asked.add(found)
                targets.append(
                    PostTarget(url, watched=True, ref=found if isinstance(found, PostRef) else None)
                )
            continue
        bad += 1
        reason = getattr(found, "reason", None) or "not a Weibo or X post URL (articles: `sourcevault crawl`)"
        click.echo(f"Error: {url}: {reason}", err=True)
    if targets:
        from crawler.registry import load_registry

        registry = load_registry(registry_path)
        # A platform the registry lacks is said in one line before anything is written.
        for found in asked:
            registry.platform(found.platform.value)
        platforms = list(registry.platforms.values())
        with writing(db_path, "posts add", BESIDE_CRAWLS):
            # Each post asked for is in the archive before anything is fetched.
            with Archive(db_path) as archive:
                archive.posts.register_platforms(platforms)
                with archive.db.atomic():
                    for target in targets:
                        if target.ref is not None:
                            archive.posts.ensure(target.ref, target.url, watched=True)
            status = _run(db_path, targets, replay, registry_path, overrides)
            sys.exit(exit_status.FAILED if bad else status)
    sys.exit(exit_status.FAILED)


@posts.command()
@click.argument("posts_named", nargs=-1, metavar="[ID]...")
@click.option("--due", is_flag=True, help="Only the watched posts whose next check is due now.")
@archive_db_option(postgres_ok=True)
@replay_option
@registry_option
@settings_option
@one_line_errors
def recheck(
    posts_named: tuple[str, ...],
    *,
    due: bool,
    db_path: Path | str,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
) -> None:
    """Check posts again: those named (row id, platform:id or URL), the due ones, or all watched.

    A post that changed gets a new version; one that vanished, the removal kind and the answer
    that says so; one whose platform said "later" (rate limit, login wall) is not asked again
    before the time the platform gave. Run `posts recheck --due` hourly (deploy/: the systemd
    timer and the crontab line) so that the first day's hourly checks happen.

    \b
    Example:
        sourcevault posts recheck --due
        sourcevault posts recheck weibo:4910815147462302
    """
    from crawler.spiders.post_requests import PostTarget

    if due and posts_named:
        raise click.UsageError("give IDs or --due, not both")
    if no_archive_at(db_path):
        raise BadInput(f"{db_path}: no archive here")
    with Archive(db_path, readonly=True) as archive:
        if posts_named:
            rows = [archive.posts.get(_found(archive, name)) for name in posts_named]
            refs = [(_ref(row), row["cited_url"]) for row in rows]
        elif due:
            refs = [(ref, None) for ref in archive.posts.due(datetime.now(UTC))]
        else:
            refs = archive.posts.watched()
    if not refs:
        click.echo("no post is due" if due else "no post to check")
        return
    targets = [PostTarget(cited or ref.url, watched=True, ref=ref) for ref, cited in refs]
    with writing(db_path, "posts recheck", BESIDE_CRAWLS):
        status = _run(db_path, targets, replay, registry_path, overrides)
    sys.exit(status)


@posts.command()
@click.argument("post")
@archive_db_option(postgres_ok=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def show(post: str, db_path: Path | str, as_json: bool) -> None:
    """Show a post: author, time, text, counts, media, the repost chain, and every check.

    POST is its row id, platform:id (weibo:4910815147462302) or any URL of it.

    \b
    Example:
        sourcevault posts show 1
        sourcevault posts show https://m.weibo.cn/status/N4xlMvjhI --json
    """
    with Archive(db_path, readonly=True) as archive:
        row = archive.posts.get(_found(archive, post))
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    for line in _post_lines(row):
        click.echo(line)


@posts.command(name="list")
@archive_db_option(postgres_ok=True)
@click.option("--platform", type=click.Choice(["weibo", "x"]), help="Only this platform's posts.")
@click.option("--status", help="Only posts of this status: available, unchecked, or a removal kind.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per post, one per line.")
@one_line_errors
def list_posts(db_path: Path | str, platform: str | None, status: str | None, as_json: bool) -> None:
    """List the archived posts: row id, platform:id, status, author, time, the start of the text.

    \b
    Example:
        sourcevault posts list
        sourcevault posts list --status deleted_by_author --json
    """
    with Archive(db_path, readonly=True) as archive:
        rows = archive.posts.listing(platform=platform, status=status)
    _echo_rows(rows, as_json, lambda row: f"{row['status']}  {_author_and_time(row)}  {_start(row['text'])}")


@posts.command()
@click.argument("query")
@archive_db_option(postgres_ok=True)
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Most posts shown."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per post, one per line.")
@one_line_errors
def search(query: str, db_path: Path | str, limit: int, as_json: bool) -> None:
    """Search the archived posts' text and authors, as `sourcevault search` searches articles.

    Simplified and Traditional match each other (臺灣 finds 台湾); words must all occur, "quoted
    text" as one piece. One line per post, best first: row id, platform:id, author, time, and the
    text around the match marked «…»; the count of matches last.

    \b
    Example:
        sourcevault posts search 外交部
        sourcevault posts search "例行记者会" --json
    """
    with Archive(db_path, readonly=True) as archive:
        total, hits = archive.posts.index.search(query, limit=limit)
    _echo_rows(hits, as_json, lambda hit: f"{_author_and_time(hit)}  {hit['snippet']}")
    if not as_json:
        click.echo(f"{total} post{'s' if total != 1 else ''} match")


def _echo_rows(rows: list[dict[str, Any]], as_json: bool, rest: Any) -> None:
    """One line per post: JSON, or its row id, platform:id and what `rest` writes of it."""
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['id']}  {row['platform']}:{row['post_id']}  {rest(row)}")


def _author_and_time(row: dict[str, Any]) -> str:
    return f"{row['author_screen_name'] or '-'}  {row['created_at'] or '-'}"


def _run(
    db_path: Path | str,
    targets: list[PostTarget],
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
) -> int:
    """Check the targets, one line each on stdout (stderr for a URL that led to no post); the exit
    status: FAILED if any led to no post, NOTHING_FETCHED if no answer came for any (no network?),
    else OK."""
    from crawler.registry import load_registry
    from crawler.runner import post_settings, run_posts
    from crawler.warc_snapshots import Snapshot

    registry = load_registry(registry_path)
    if replay is not None:
        Snapshot(replay)
    settings = post_settings(
        db_path, registry, replay_snapshot=replay, registry_path=registry_path, overrides=overrides
    )
    fetched = run_posts(settings, targets, registry)
    # Platforms are read side by side: the lines follow the order the posts were asked in.
    order = {target.url: position for position, target in reversed(list(enumerate(targets)))}
    fetched.sort(key=lambda fetch: order.get(fetch.cited_url, len(order)))
    failed = 0
    answered = sum(
        1
        for fetch in fetched
        if fetch.recorded is not None and fetch.recorded.outcome not in (None, "failed")
    )
    for fetch in fetched:
        line = _fetch_line(fetch)
        if fetch.recorded is None or fetch.recorded.post is None:
            failed += 1
            click.echo(f"Error: {line}", err=True)
        else:
            click.echo(line)
    checked = {fetch.cited_url for fetch in fetched}
    unchecked = [target.url for target in targets if target.url not in checked]
    for url in unchecked:
        click.echo(f"Error: {url}: not checked: the run ended before it (its log says why)", err=True)
    if failed or unchecked:
        return exit_status.FAILED
    return exit_status.OK if answered else exit_status.NOTHING_FETCHED


def _fetch_line(fetch: PostFetch) -> str:
    recorded = fetch.recorded
    if recorded is None or recorded.post is None:
        reason = recorded.reason if recorded is not None else fetch.reason
        return f"{fetch.cited_url}: {reason}"
    assert fetch.ref is not None
    line = f"post {recorded.post} {fetch.ref.platform}:{fetch.ref.post_id}: {recorded.outcome}"
    check = fetch.check
    if check is not None and check.outcome == "ok" and check.post is not None:
        author = check.post.author.screen_name if check.post.author else None
        line += f" ({author or 'no author'}: {_start(check.post.text)})"
        if recorded.text_changed:
            line += ", text changed: a new version"
    elif recorded.evidence:
        line += f" ({recorded.evidence})"
    if check is not None and check.retry_at is not None:
        line += f", not asked again before {check.retry_at.isoformat(timespec='seconds')}"
    return line


def _found(archive: Archive, name: str) -> int:
    from crawler.archive.post_index import NoSuchPost

    try:
        return archive.posts.find(name)
    except NoSuchPost as error:
        raise BadInput(str(error)) from None


def _ref(row: dict[str, Any]) -> Any:
    from crawler.posts.post import Platform
    from crawler.posts.urls import PostRef

    return PostRef(Platform(row["platform"]), row["post_id"])


def _start(text: str | None) -> str:
    if not text:
        return "-"
    flat = " ".join(text.split())
    return flat if len(flat) <= SHOWN_CHARACTERS else flat[:SHOWN_CHARACTERS] + "…"


def _post_lines(row: dict[str, Any]) -> list[str]:
    author = row["author_screen_name"] or "-"
    if row["author_name"]:
        author = f"{row['author_name']} (@{author})"
    counts = ", ".join(
        f"{name} {row[column] if row[column] is not None else '-'}"
        + ("+" if name in row["counts_at_least"] else "")
        for name, column in (
            ("reposts", "reposts_count"),
            ("comments", "comments_count"),
            ("likes", "likes_count"),
        )
    )
    lines = [
        f"post {row['id']}: {row['platform']}:{row['post_id']}  {row['url']}",
        f"status: {row['status']}" + (f" since {row['removed_at']}" if row["removal_kind"] else ""),
        f"author: {author}" + (f" (uid {row['author_uid']})" if row["author_uid"] else ""),
        f"posted: {row['created_at'] or '-'}"
        + (f" (from the {row['created_at_from']})" if row["created_at_from"] else ""),
        f"counts at capture: {counts}",
    ]
    if row["source_client"]:
        lines.append(f"client: {row['source_client']}")
    if row["language_tag"]:
        lines.append(f"language: {row['language_tag']}")
    lines.extend(f"image: {url}" for url in row["image_urls"])
    lines.extend(f"video: {url}" for url in row["video_urls"])
    for depth, reposted in enumerate(row["reposts"], start=1):
        lines.append(
            f"{'  ' * (depth - 1)}{'quotes' if reposted['platform'] == 'x' else 'reposts'}"
            f" post {reposted['id']} {reposted['platform']}:{reposted['post_id']}"
            f" ({reposted['status']}, {reposted['author_screen_name'] or 'no author'}:"
            f" {_start(reposted['text'])})"
        )
    if row["reposted_by"]:
        lines.append("reposted by posts " + ", ".join(map(str, row["reposted_by"])))
    for article in row["quoted_in_articles"]:
        lines.append(f"quotes article {article['article']} ({article['outlet']}): {article['url']}")
    lines.append("text:")
    lines.extend(f"  {line}" for line in (row["text"] or "-").splitlines())
    lines.append(f"versions: {len(row['versions'])}; checks: {len(row['checks'])}")
    for check in row["checks"]:
        detail = f" ({check['evidence']})" if check["evidence"] and check["outcome"] != "ok" else ""
        where = f", seen in post {check['seen_in']}" if check["seen_in"] else ""
        lines.append(
            f"  {check['checked_at']}  {check['outcome']}{detail}{where} [capture {check['capture_id']}]"
        )
    if row["next_check_at"]:
        lines.append(f"next check: {row['next_check_at']}")
    return lines
