"""Posts: cited Weibo and X posts, each check of them, each text they had (migration m009).

`record` stores one check's fetch at once, in one transaction: every answer as a capture (its raw
JSON the original), the post's row read from the answer that had it, the check with the capture
that is its evidence, a new version when the text changed, the reposted or quoted post as a post of
its own, the search index and the links to archived articles the post quotes. The answers are
stored first, so whatever a later step makes of them, they are kept.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crawler.archive.captures import Captures, seen_at
from crawler.archive.connection import extreme, marks, to_json
from crawler.archive.post_index import PostIndex
from crawler.archive.post_queries import PostQueries
from crawler.archive.postgres.races import hold_rows, retried
from crawler.network_policy import BLOCKED_PREFIX
from crawler.posts.checks import FAILED
from crawler.posts.post import Outcome, Post
from crawler.posts.revisits import next_post_revisit
from crawler.posts.urls import PostRef, read_post_url

if TYPE_CHECKING:
    from crawler.posts.checks import Check, PostAnswer, PostFetch
    from crawler.registry import PostPlatform

POST_PAGE_KIND = "post"
AVAILABLE = "available"
REMOVAL_KINDS = frozenset(kind.value for kind in Outcome if kind.is_removal)


@dataclass(frozen=True)
class RecordedCheck:
    """What `record` stored: the post's row (None: the URL led to no post), its check's outcome and
    evidence, the captures kept, and why there is no check. `evidence_capture` is the capture a
    citation of the post points at: the answer the check rests on."""

    post: int | None
    outcome: str | None
    evidence: str | None
    captures: tuple[int, ...]
    reason: str | None = None
    text_changed: bool = False
    evidence_capture: int | None = None


class Posts(PostQueries):
    """The `posts`, `post_checks` and `post_versions` tables, read through `PostQueries`
    (crawler/archive/post_queries.py); `index` keeps `post_search` and `post_article_links`
    (crawler/archive/post_index.py).

    Writes join the caller's transaction unless said otherwise; `record` opens its own.
    """

    def __init__(self, archive: Any, captures: Captures):
        super().__init__(archive.connection)
        self.archive = archive
        self.captures = captures
        self.index = PostIndex(self.connection)

    def register_platforms(self, platforms: list[PostPlatform]) -> None:
        """A row in `outlets` per platform (kind 'platform'), which the posts' captures name."""
        with self.archive.db.atomic():
            for platform in platforms:
                self.connection.execute(
                    """INSERT INTO outlets (slug, name, native_name, home, domains, language, script,
                        timezone, kind) VALUES (?, ?, ?, ?, ?, 'und', 'Zyyy', ?, 'platform')
                    ON CONFLICT(slug) DO UPDATE SET name = excluded.name, native_name = excluded.native_name,
                        home = excluded.home, domains = excluded.domains, timezone = excluded.timezone""",
                    [
                        platform.slug,
                        platform.name,
                        platform.native_name,
                        platform.home,
                        to_json(platform.domains),
                        platform.timezone,
                    ],
                )

    def ensure(self, ref: PostRef, cited_url: str | None, watched: bool) -> int:
        """The post's row, made if new (unchecked); a cited post is watched from now on."""
        watched_now = extreme(self.connection, "max", "posts.watched", "?")
        # A row there is updated, not upserted: an upsert takes a number from PostgreSQL's
        # sequence even when it updates, and the next new post's id would differ from SQLite's.
        updated = self.connection.execute(
            f"""UPDATE posts SET cited_url = coalesce(posts.cited_url, ?), watched = {watched_now}
            WHERE platform = ? AND post_id = ?""",
            [cited_url, int(watched), ref.platform.value, ref.post_id],
        )
        if not updated.rowcount:
            self.connection.execute(
                f"""INSERT INTO posts (platform, post_id, url, cited_url, watched) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (platform, post_id) DO UPDATE SET
                    cited_url = coalesce(posts.cited_url, excluded.cited_url),
                    watched = {extreme(self.connection, "max", "posts.watched", "excluded.watched")}""",
                [ref.platform.value, ref.post_id, ref.url, cited_url, int(watched)],
            )
        return self.row_id(ref)

    def record(self, fetch: PostFetch) -> RecordedCheck:
        """Store one check's fetch (module doc): the answers first, in a transaction of their own,
        so that an error in what is read from them never loses them; the check then says so. Each
        transaction runs again when it lost a race for a row (crawler/archive/postgres/races.py)."""
        capture_ids, post = retried(self.connection, lambda: self._keep_answers(fetch))
        if post is None or fetch.check is None:
            return RecordedCheck(None, None, None, capture_ids, fetch.reason or "no check made")
        check = fetch.check
        evidence_capture = capture_ids[check.evidence_answer] if check.evidence_answer is not None else None
        checked_at = seen_at(fetch.checked_at)
        try:
            changed = retried(
                self.connection,
                lambda: self._store_check(post, check, evidence_capture, checked_at, bool(capture_ids)),
            )
        except (sqlite3.IntegrityError, ValueError, TypeError, KeyError) as error:
            # The answers are kept: the check records why nothing was read from them.
            reason = f"answers kept, not read: {type(error).__name__}: {error}"
            with self.archive.db.atomic():
                self._add_check(
                    post, checked_at, FAILED, evidence=reason, source=None, capture=evidence_capture
                )
                self._settle(post, FAILED, checked_at, None, captured=bool(capture_ids))
            return RecordedCheck(post, FAILED, reason, capture_ids, evidence_capture=evidence_capture)
        return RecordedCheck(
            post,
            check.outcome,
            check.evidence,
            capture_ids,
            text_changed=changed,
            evidence_capture=evidence_capture,
        )

    def _keep_answers(self, fetch: PostFetch) -> tuple[tuple[int, ...], int | None]:
        """The answers' captures and the post's row, in one transaction."""
        with self.archive.db.atomic():
            platform = fetch.ref.platform.value if fetch.ref else _platform_of_answers(fetch)
            capture_ids = tuple(self._keep_answer(platform, answer) for answer in fetch.answers)
            return capture_ids, self.ensure(fetch.ref, fetch.cited_url, fetch.watched) if fetch.ref else None

    def _store_check(
        self, post: int, check: Check, evidence_capture: int | None, checked_at: str, captured: bool
    ) -> bool:
        """The check and what it read, in one transaction, the post's row held against other writers."""
        with self.archive.db.atomic():
            hold_rows(self.connection, "posts", "id = ?", [post])
            return self._store_read_check(post, check, evidence_capture, checked_at, captured)

    def _store_read_check(
        self, post: int, check: Check, evidence_capture: int | None, checked_at: str, captured: bool
    ) -> bool:
        changed = False
        if check.outcome == Outcome.OK and check.post is not None:
            changed = self._store_read(post, check.post, evidence_capture, checked_at)
        self._add_check(
            post,
            checked_at,
            check.outcome,
            evidence=check.evidence,
            source=check.source,
            capture=evidence_capture,
            retry_at=check.retry_at,
            counts_of=check.post if check.outcome == Outcome.OK else None,
        )
        self._settle(post, check.outcome, checked_at, check.retry_at, captured=captured)
        return changed

    def _keep_answer(self, platform: str, answer: PostAnswer) -> int:
        # A request the network policy refused was never sent: `blocked`, as a crawl records it.
        refused = bool(answer.fetch_error) and answer.fetch_error.startswith(BLOCKED_PREFIX)
        values = {
            "outlet": platform,
            "page_kind": POST_PAGE_KIND,
            "request_method": answer.request_method,
            "request_body": answer.request_body or None,
            "url": answer.url,
            "final_url": answer.final_url,
            "http_status": answer.status,
            "response_headers": to_json(list(answer.headers)),
            "fetched_at": seen_at(answer.fetched_at),
            "replayed_from": answer.replayed_from,
            "body_sha256": self.captures.store_body(answer.body) if answer.body else None,
            "body_size_bytes": len(answer.body),
            "fetch_error": None if refused else answer.fetch_error,
            "outcome": "blocked" if refused else "failed" if answer.fetch_error else POST_PAGE_KIND,
            "outcome_reason": answer.fetch_error,
            "post_endpoint": answer.endpoint,
        }
        cursor = self.connection.execute(
            f"INSERT INTO captures ({', '.join(values)}) VALUES ({marks(values)})", list(values.values())
        )
        return int(cursor.lastrowid or 0)

    def _store_read(self, post: int, read: Post, capture: int | None, checked_at: str) -> bool:
        """The post's fields from an answer that had it; whether its text changed (a new version)."""
        reposted = None
        if read.reposted is not None:
            reposted = self._store_reposted(post, read.reposted, capture, checked_at)
        self.index.remove(post)
        self.connection.execute(
            """UPDATE posts SET author_uid = ?, author_screen_name = ?, author_name = ?, created_at = ?,
                created_at_from = ?, text = ?, text_simplified = ?, language = ?, script = ?,
                language_tag = ?, declared_language = ?, reposts_count = ?, comments_count = ?,
                likes_count = ?, counts_at_least = ?, image_urls = ?, video_urls = ?, links = ?,
                source_client = ?, in_reply_to = ?, reposted_post = coalesce(?, reposted_post),
                capture_id = ?, problems = ? WHERE id = ?""",
            [*_post_columns(read), reposted, capture, to_json(list(read.problems)), post],
        )
        self.index.add(post)
        self.index.link_quoted_articles(post, read.text, checked_at)
        return self._add_version(post, read.text, checked_at, capture)

    def _store_reposted(self, reposting: int, reposted: Post, capture: int | None, checked_at: str) -> int:
        """The reposted (or quoted) post as a post of its own, checked through the repost."""
        ref = PostRef(reposted.platform, reposted.post_id)
        row = self.ensure(ref, None, watched=False)
        kind = reposted.removal.kind.value if reposted.removal else Outcome.OK.value
        if reposted.removal is None:
            self._store_read(row, reposted, capture, checked_at)
        evidence = reposted.removal.evidence if reposted.removal else "read from the post that reposts it"
        source = reposted.removal.source if reposted.removal else None
        counts_of = reposted if reposted.removal is None else None
        self._add_check(
            row,
            checked_at,
            kind,
            evidence=evidence,
            source=source,
            capture=capture,
            seen_in=reposting,
            counts_of=counts_of,
        )
        self._settle(row, kind, checked_at, None, captured=True)
        return row

    def _add_check(
        self,
        post: int,
        checked_at: str,
        outcome: str,
        *,
        evidence: str | None,
        source: str | None,
        capture: int | None,
        retry_at: datetime | None = None,
        seen_in: int | None = None,
        counts_of: Post | None = None,
    ) -> None:
        counts = counts_of.counts if counts_of is not None else None
        self.connection.execute(
            """INSERT INTO post_checks (post, checked_at, outcome, removal_kind, evidence, evidence_source,
                capture_id, retry_at, reposts_count, comments_count, likes_count, seen_in)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                post,
                checked_at,
                outcome,
                outcome if outcome in REMOVAL_KINDS else None,
                evidence,
                source,
                capture,
                seen_at(retry_at) if retry_at else None,
                counts.reposts if counts else None,
                counts.comments if counts else None,
                counts.likes if counts else None,
                seen_in,
            ],
        )

    def _add_version(self, post: int, text: str | None, captured_at: str, capture: int | None) -> bool:
        last = self.connection.execute(
            "SELECT version, text FROM post_versions WHERE post = ? ORDER BY version DESC LIMIT 1", [post]
        ).fetchone()
        if last is not None and last[1] == text:
            return False
        self.connection.execute(
            "INSERT INTO post_versions (post, version, text, captured_at, capture_id) VALUES (?, ?, ?, ?, ?)",
            [post, (last[0] + 1) if last else 1, text, captured_at, capture],
        )
        return last is not None

    def _settle(
        self, post: int, outcome: str, checked_at: str, retry_at: datetime | None, *, captured: bool
    ) -> None:
        """The post's status after a check, and when a watched post is asked for next."""
        row = self.connection.execute(
            "SELECT watched, first_captured_at, status, removal_kind, removed_at FROM posts WHERE id = ?",
            [post],
        ).fetchone()
        watched, first_captured_at, status, removal_kind, removed_at = row
        if first_captured_at is None and captured:
            first_captured_at = checked_at
        if outcome == Outcome.OK:
            status = AVAILABLE
        elif outcome in REMOVAL_KINDS:
            if outcome != removal_kind or status != outcome:
                removed_at = checked_at
            status = removal_kind = outcome
        next_check = None
        if watched:
            now = datetime.fromisoformat(checked_at)
            start = datetime.fromisoformat(first_captured_at) if first_captured_at else now
            scheduled = next_post_revisit(start, now)
            candidates = [moment for moment in (scheduled, retry_at) if moment is not None]
            next_check = seen_at(max(candidates)) if candidates else None
        self.connection.execute(
            """UPDATE posts SET status = ?, removal_kind = ?, removed_at = ?, first_captured_at = ?,
                last_checked_at = ?, next_check_at = ? WHERE id = ?""",
            [status, removal_kind, removed_at, first_captured_at, checked_at, next_check, post],
        )


def _post_columns(read: Post) -> list[Any]:
    """The posts columns read from a post, in the order `_store_read` writes them."""
    from crawler.chinese import to_simplified
    from crawler.language import tag_text

    tag = tag_text(read.text) if read.text else None
    author = read.author
    counts = read.counts
    return [
        author.uid if author else None,
        author.screen_name if author else None,
        author.name if author else None,
        read.created_at.isoformat() if read.created_at else None,
        read.created_at_from,
        read.text,
        to_simplified(read.text) if tag is not None and tag.lang == "zh" and read.text else None,
        tag.lang if tag else None,
        tag.script if tag else None,
        tag.tag if tag else None,
        read.language,
        counts.reposts,
        counts.comments,
        counts.likes,
        to_json(list(counts.at_least)),
        to_json(list(read.image_urls)),
        to_json(list(read.video_urls)),
        to_json([asdict(link) for link in read.links]),
        read.source_client,
        read.in_reply_to,
    ]


def _platform_of_answers(fetch: PostFetch) -> str:
    found = read_post_url(fetch.cited_url)
    if found is None:
        raise ValueError(f"{fetch.cited_url}: on no platform's host")
    return found.platform.value
