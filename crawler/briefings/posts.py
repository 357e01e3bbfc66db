"""A briefing's cited posts (Weibo, X), archived by the posts spider (crawler/spiders/posts.py).

`briefing add` fetches the cited pages in its own process, through Scrapy's reactor, which cannot
start twice in one process: the posts are fetched in a child process (`spawn`: a fresh
interpreter, no reactor of the parent's), which archives each post as `posts add` does and hands
back what each check came to. The citation then points at the answer the check rests on (its
evidence capture), with a status: archived, removed (the removal kind, `deleted_by_author`, ...),
blocked (the network policy refused a request), or failed (with the reason).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.archive.connection import utc_now
from crawler.network_policy import BLOCKED_PREFIX
from crawler.posts.post import Outcome, Platform, canonical_post_url
from crawler.posts.urls import PostRef, ShortLink, read_post_url

if TYPE_CHECKING:
    from crawler.archive import Archive
    from crawler.archive.briefings import CitationToFetch
    from crawler.archive.posts import RecordedCheck


@dataclass(frozen=True)
class CitedPostCheck:
    """What the check of a cited post came to, as its citations record it."""

    status: str
    reason: str | None
    capture_id: int | None = None
    post_url: str | None = None
    removal: str | None = None


@dataclass(frozen=True)
class PostCheckDone:
    """One target's result, handed back by the child process (picklable)."""

    cited_url: str
    recorded: RecordedCheck | None
    reason: str | None
    blocked: str | None
    checked_at: str


def post_check(done: PostCheckDone, post_url: str | None) -> CitedPostCheck:
    """The status a cited post's check gives its citations."""
    recorded = done.recorded
    if recorded is None or recorded.post is None:
        reason = (recorded.reason if recorded else None) or done.reason or "no answer for the post"
        if done.blocked:
            return CitedPostCheck("blocked", done.blocked)
        return CitedPostCheck("failed", reason)
    capture = recorded.evidence_capture
    outcome = recorded.outcome
    if outcome == Outcome.OK.value:
        return CitedPostCheck("archived", None, capture, post_url)
    if outcome is not None and outcome in {kind.value for kind in Outcome if kind.is_removal}:
        reason = f"{outcome}: {recorded.evidence}" if recorded.evidence else outcome
        return CitedPostCheck("removed", reason, capture, post_url, removal=outcome)
    if done.blocked:
        return CitedPostCheck("blocked", done.blocked, capture, post_url)
    reason = f"{outcome}: {recorded.evidence}" if recorded.evidence else f"{outcome}"
    return CitedPostCheck("failed", reason, capture, post_url)


def archive_cited_posts(
    archive: Archive,
    citations: list[CitationToFetch],
    *,
    db_path: Path,
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
) -> None:
    """Archive the posts the citations cite (in a child process), and record what became of each."""
    from crawler.registry import load_registry  # noqa: PLC0415

    platforms = load_registry(registry_path).platforms
    by_url: dict[str, list[int]] = {}
    for citation in citations:
        found = read_post_url(citation.url)
        why = getattr(found, "reason", None) or "not a Weibo or X post URL"
        if isinstance(found, PostRef | ShortLink):
            if found.platform.value in platforms:
                by_url.setdefault(citation.url, []).append(citation.id)
                continue
            why = f"platform {found.platform.value} has no [[platform]] entry in the registry"
        archive.citation_checks.resolve_post((citation.id,), CitedPostCheck("failed", why), utc_now())
    if not by_url:
        return
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as child:
            asked = child.submit(_check_posts, db_path, list(by_url), replay, registry_path, overrides)
            done = asked.result()
    except Exception as error:
        # The posts' answers stored before it are kept; the citations say why they have none.
        failed = CitedPostCheck("failed", f"posts run failed: {type(error).__name__}: {error}")
        for citation_ids in by_url.values():
            archive.citation_checks.resolve_post(tuple(citation_ids), failed, utc_now())
        return
    checked = {result.cited_url: result for result in done}
    for url, citation_ids in by_url.items():
        result = checked.get(url)
        if result is None:
            failed = CitedPostCheck("failed", "not checked: the posts run ended before it (its log says why)")
            archive.citation_checks.resolve_post(tuple(citation_ids), failed, utc_now())
            continue
        post_url = _post_url(archive, result.recorded)
        archive.citation_checks.resolve_post(
            tuple(citation_ids), post_check(result, post_url), result.checked_at
        )


def _post_url(archive: Archive, recorded: RecordedCheck | None) -> str | None:
    if recorded is None or recorded.post is None:
        return None
    row = archive.posts.get(recorded.post)
    return canonical_post_url(Platform(row["platform"]), row["post_id"]) if row else None


def _check_posts(
    db_path: Path,
    urls: list[str],
    replay: Path | None,
    registry_path: Path | None,
    overrides: dict[str, str],
) -> list[PostCheckDone]:
    """In the child process: the posts spider over the URLs, each post archived as `posts add` does."""
    from crawler.archive import Archive  # noqa: PLC0415
    from crawler.archive.captures import seen_at  # noqa: PLC0415
    from crawler.registry import load_registry  # noqa: PLC0415
    from crawler.runner import post_settings, run_posts  # noqa: PLC0415
    from crawler.spiders.post_requests import PostTarget  # noqa: PLC0415

    registry = load_registry(registry_path)
    targets = []
    with Archive(db_path) as archive:
        archive.posts.register_platforms(list(registry.platforms.values()))
        with archive.db.atomic():
            for url in urls:
                found = read_post_url(url)
                ref = found if isinstance(found, PostRef) else None
                if ref is not None:
                    archive.posts.ensure(ref, url, watched=True)
                targets.append(PostTarget(url, watched=True, ref=ref))
    settings = post_settings(
        db_path, registry, replay_snapshot=replay, registry_path=registry_path, overrides=overrides
    )
    return [
        PostCheckDone(
            fetch.cited_url,
            fetch.recorded,
            fetch.reason,
            next(
                (
                    answer.fetch_error
                    for answer in fetch.answers
                    if answer.fetch_error and answer.fetch_error.startswith(BLOCKED_PREFIX)
                ),
                None,
            ),
            seen_at(fetch.checked_at),
        )
        for fetch in run_posts(settings, targets, registry)
    ]
