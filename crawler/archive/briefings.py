"""Briefings in the archive: each briefing, every version of its file, its citations, and the
redirect hops of each cited URL (`briefings`, `briefing_versions`, `citations`, `citation_hops`).

A briefing is known by its title; a file added before (the same sha256) adds nothing, an edited
file of the same title is its next version with its own citations. A citation is `pending` until
its URL is fetched; it then keeps the capture and article version it was archived at, and each
later fetch (a recheck) says whether that page changed or went since.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from crawler.archive.briefing_queries import BriefingQueries
from crawler.archive.connection import ArchiveConnection, utc_now
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from crawler.briefings.links import LinkKind
    from crawler.briefings.parsing import ParsedBriefing
    from crawler.briefings.posts import CitedPostCheck
    from crawler.briefings.statuses import Resolution


@dataclass(frozen=True)
class AddedBriefing:
    briefing: int
    version: int
    version_id: int
    # False: this very file was added before, nothing was added.
    new: bool


@dataclass(frozen=True)
class CitationToFetch:
    id: int
    url: str
    claimed_date: date | None


class Briefings(BriefingQueries):
    """The briefing tables of one archive. Writes open their own transaction."""

    def __init__(self, archive: ArchiveConnection):
        super().__init__(archive.connection)
        self.archive = archive

    def add(
        self,
        *,
        parsed: ParsedBriefing,
        file_bytes: bytes,
        file_name: str,
        title: str,
        published: date | None,
        initial: dict[int, Resolution],
    ) -> AddedBriefing:
        """Store a briefing file and its citations (as pending, or as `initial` says by position)."""
        sha256 = hashlib.sha256(file_bytes).hexdigest()
        known = self.connection.execute(
            "SELECT briefing, version, id FROM briefing_versions WHERE file_sha256 = ?", [sha256]
        ).fetchone()
        if known is not None:
            return AddedBriefing(known[0], known[1], known[2], new=False)
        now = utc_now()
        with self.archive.db.atomic():
            row = self.connection.execute(
                "SELECT id, current_version FROM briefings WHERE title = ?", [title]
            ).fetchone()
            if row is None:
                cursor = self.connection.execute(
                    "INSERT INTO briefings (title, published, current_version, added_at) VALUES (?, ?, 1, ?)",
                    [title, published.isoformat() if published else None, now],
                )
                briefing, version = int(cursor.lastrowid or 0), 1
            else:
                briefing, version = row[0], (row[1] or 0) + 1
                self.connection.execute(
                    "UPDATE briefings SET current_version = ?, published = coalesce(?, published)"
                    " WHERE id = ?",
                    [version, published.isoformat() if published else None, briefing],
                )
            cursor = self.connection.execute(
                """INSERT INTO briefing_versions
                    (briefing, version, file_name, file_format, file_sha256, file_bytes, text, added_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [briefing, version, file_name, str(parsed.format), sha256, file_bytes, parsed.text, now],
            )
            version_id = int(cursor.lastrowid or 0)
            for citation in parsed.citations:
                resolution = initial.get(citation.position)
                self.connection.execute(
                    """INSERT INTO citations (briefing_version, position, line, item, label, claimed_date,
                        url, kind, outlet, platform, post_id, status, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [
                        version_id,
                        citation.position,
                        citation.line,
                        citation.item,
                        citation.label,
                        citation.claimed_date.isoformat() if citation.claimed_date else None,
                        citation.url,
                        citation.kind,
                        citation.outlet,
                        citation.platform,
                        citation.post_id,
                        resolution.status if resolution else "pending",
                        resolution.reason if resolution else None,
                    ],
                )
        return AddedBriefing(briefing, version, version_id, new=True)

    # --- which citations to fetch -----------------------------------------------------------------

    def pending(self, version_id: int) -> list[CitationToFetch]:
        """Pages a briefing version cites not fetched yet (all, after an interrupted add: none)."""
        where = "c.briefing_version = ? AND c.status = 'pending' AND c.kind != 'social_post'"
        return self._to_fetch(where, [version_id])

    def pending_posts(self, version_id: int) -> list[CitationToFetch]:
        """Posts a briefing version cites not fetched yet: the posts spider's (crawler/briefings/posts.py)."""
        where = "c.briefing_version = ? AND c.status = 'pending' AND c.kind = 'social_post'"
        return self._to_fetch(where, [version_id])

    def attach(self, citation: int, url: str, link: LinkKind, outlet: str | None) -> int:
        """Give a citation with no URL (`missing_url`) the URL found for it, to be fetched; its version.

        BadInput when there is no such citation, or it has a URL already.
        """
        row = self.connection.execute(
            "SELECT briefing_version, kind, url FROM citations WHERE id = ?", [citation]
        ).fetchone()
        if row is None:
            raise BadInput(f"citation {citation}: no such citation (sourcevault briefing report --json)")
        version_id, kind, cited_url = row
        if kind != "missing_url":
            raise BadInput(f"citation {citation}: it has a URL already ({cited_url})")
        with self.archive.db.atomic():
            self.connection.execute(
                """UPDATE citations SET url = ?, kind = ?, platform = coalesce(?, platform), post_id = ?,
                    outlet = coalesce(?, outlet), status = 'pending', reason = NULL WHERE id = ?""",
                [url, link.kind, link.platform, link.post_id, outlet, citation],
            )
        return int(version_id)

    def resolve_post(self, citation_ids: tuple[int, ...], found: CitedPostCheck, checked_at: str) -> None:
        """What the posts spider found of the cited post: the citations point at the answer it rests on."""
        with self.archive.db.atomic():
            for citation in citation_ids:
                self.connection.execute(
                    """UPDATE citations SET status = ?, reason = ?, capture_id = ?, final_url = ?,
                        checked_at = ?, latest_capture_id = ?,
                        removed_at = CASE WHEN ? IS NULL THEN removed_at ELSE coalesce(removed_at, ?) END,
                        removed_kind = coalesce(removed_kind, ?)
                    WHERE id = ?""",
                    [
                        found.status,
                        found.reason,
                        found.capture_id,
                        found.post_url,
                        checked_at,
                        found.capture_id,
                        found.removal,
                        checked_at,
                        found.removal,
                        citation,
                    ],
                )

    def to_recheck(self, briefing_ids: list[int] | None, checked_before: str | None) -> list[CitationToFetch]:
        """Fetched citations of the briefings' current versions (all briefings when None)."""
        where = (
            "c.url IS NOT NULL AND c.status NOT IN ('pending', 'no_url') AND c.kind IN ('page', 'short_link')"
            " AND c.briefing_version IN (SELECT v.id FROM briefing_versions v JOIN briefings b"
            " ON v.briefing = b.id AND v.version = b.current_version)"
        )
        params: list[Any] = []
        if briefing_ids is not None:
            where += " AND c.briefing_version IN (SELECT id FROM briefing_versions WHERE briefing IN"
            where += f" ({', '.join('?' for _ in briefing_ids)}))"
            params += briefing_ids
        if checked_before is not None:
            where += " AND (c.checked_at IS NULL OR c.checked_at < ?)"
            params.append(checked_before)
        return self._to_fetch(where, params)

    def _to_fetch(self, where: str, params: list[Any]) -> list[CitationToFetch]:
        rows = self.connection.execute(
            f"SELECT c.id, c.url, c.claimed_date FROM citations c WHERE {where} ORDER BY c.id", params
        ).fetchall()
        return [
            CitationToFetch(row[0], row[1], date.fromisoformat(row[2]) if row[2] else None) for row in rows
        ]

    # --- what fetching found ----------------------------------------------------------------------

    def record_hop(
        self,
        *,
        citation_ids: tuple[int, ...],
        hop: int,
        from_url: str,
        to_url: str | None,
        http_status: int | None,
        capture_id: int,
        fetched_at: str,
    ) -> None:
        with self.archive.db.atomic():
            for citation in citation_ids:
                self.connection.execute(
                    """INSERT INTO citation_hops (citation, hop, from_url, to_url, http_status, capture_id,
                        fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    [citation, hop, from_url, to_url, http_status, capture_id, fetched_at],
                )

    def resolve(
        self,
        citation_ids: tuple[int, ...],
        resolution: Resolution,
        *,
        capture_id: int,
        article_row: int | None,
        final_url: str | None,
        fetched_at: str,
        snapshot_at: str | None = None,
    ) -> None:
        """What the last fetch of the citations' URL gave: the first one archives, a later one checks.

        A citation not archived yet takes the capture and the article version the fetch gave.
        One archived already keeps them: a changed article makes it `changed_since_cited`, a gone
        page `removed` (with the first time it was seen gone and how), a fetch that failed leaves
        its status. Either way the fetch is its latest check.
        """
        version_id = self._current_version_id(article_row)
        with self.archive.db.atomic():
            for citation in citation_ids:
                row = self.connection.execute(
                    "SELECT article_version_id, status, capture_id FROM citations WHERE id = ?", [citation]
                ).fetchone()
                cited_version, status, archived_capture = row
                self.connection.execute(
                    "UPDATE citations SET checked_at = ?, latest_capture_id = ? WHERE id = ?",
                    [fetched_at, capture_id, citation],
                )
                # Not archived as an article yet (never fetched, or no article then): this fetch decides.
                if archived_capture is None or cited_version is None:
                    self._first_resolution(
                        citation=citation,
                        resolution=resolution,
                        capture_id=capture_id,
                        version_id=version_id,
                        final_url=final_url,
                        snapshot_at=snapshot_at,
                    )
                    if resolution.removal and resolution.status == "removed":
                        self._mark_removed(citation, resolution, fetched_at)
                    continue
                self._recheck(
                    citation=citation,
                    resolution=resolution,
                    cited_version=cited_version,
                    version_id=version_id,
                    fetched_at=fetched_at,
                    status=status,
                )

    def _first_resolution(
        self,
        *,
        citation: int,
        resolution: Resolution,
        capture_id: int,
        version_id: int | None,
        final_url: str | None,
        snapshot_at: str | None,
    ) -> None:
        self.connection.execute(
            """UPDATE citations SET status = ?, reason = ?, capture_id = ?, article_version_id = ?,
                final_url = ?, web_archive_snapshot_at = ? WHERE id = ?""",
            [resolution.status, resolution.reason, capture_id, version_id, final_url, snapshot_at, citation],
        )

    def _mark_removed(self, citation: int, resolution: Resolution, seen_at: str) -> None:
        self.connection.execute(
            """UPDATE citations SET removed_at = coalesce(removed_at, ?),
                removed_kind = coalesce(removed_kind, ?)
            WHERE id = ?""",
            [seen_at, resolution.removal, citation],
        )

    def _recheck(
        self,
        *,
        citation: int,
        resolution: Resolution,
        cited_version: int | None,
        version_id: int | None,
        fetched_at: str,
        status: str,
    ) -> None:
        if resolution.removal is not None and resolution.status == "removed":
            self._mark_removed(citation, resolution, fetched_at)
            if status == "archived_from_web_archive":
                return  # gone before it was archived: its copy came from the web archive
            self.connection.execute(
                "UPDATE citations SET status = 'removed', reason = ? WHERE id = ?",
                [f"gone since it was cited: {resolution.reason}", citation],
            )
            return
        if version_id is None or cited_version is None:
            return
        if version_id != cited_version:
            cited, current, article = self.connection.execute(
                "SELECT c.version, n.version, n.article FROM article_versions c, article_versions n"
                " WHERE c.id = ? AND n.id = ?",
                [cited_version, version_id],
            ).fetchone()
            reason = (
                f"the page changed since it was cited: version {current}, cited version {cited}"
                f" (sourcevault show {article} --diff-from {cited})"
            )
            self.connection.execute(
                "UPDATE citations SET status = 'changed_since_cited', reason = ? WHERE id = ?",
                [reason, citation],
            )
        elif status in ("removed", "changed_since_cited"):
            # Back as it was cited (a takedown undone, an edit reverted).
            self.connection.execute(
                "UPDATE citations SET status = 'archived', reason = NULL WHERE id = ?", [citation]
            )

    def archive_web_copy(
        self,
        citation_ids: tuple[int, ...],
        resolution: Resolution,
        *,
        capture_id: int,
        article_row: int | None,
        snapshot_at: str,
    ) -> None:
        """The live page is gone: the citations are archived as the web archive's copy of it."""
        version_id = self._current_version_id(article_row)
        with self.archive.db.atomic():
            for citation in citation_ids:
                # The reason keeps what the live page answered: "HTTP 404; the Wayback Machine's copy …".
                self.connection.execute(
                    """UPDATE citations SET status = ?, reason = coalesce(reason || '; ', '') || ?,
                        capture_id = ?, article_version_id = ?, web_archive_snapshot_at = ? WHERE id = ?""",
                    [resolution.status, resolution.reason, capture_id, version_id, snapshot_at, citation],
                )

    def note(self, citation_ids: tuple[int, ...], note: str) -> None:
        """Add to the citations' reason (what the web archive fallback did, or why it did not run)."""
        with self.archive.db.atomic():
            for citation in citation_ids:
                self.connection.execute(
                    "UPDATE citations SET reason ="
                    " CASE WHEN reason IS NULL THEN ? ELSE reason || '; ' || ? END"
                    " WHERE id = ?",
                    [note, note, citation],
                )

    def _current_version_id(self, article_row: int | None) -> int | None:
        if article_row is None:
            return None
        row = self.connection.execute(
            "SELECT v.id FROM article_versions v JOIN articles a ON v.article = a.id"
            " AND v.version = a.current_version WHERE a.id = ?",
            [article_row],
        ).fetchone()
        return row[0] if row else None

    # --- re-extraction ----------------------------------------------------------------------------

    def detach_versions(self, outlets: list[str]) -> None:
        """Before re-extraction rebuilds these outlets' versions: each citation's version, remembered
        by article, number and content (in a table of this connection), and unlinked.

        A re-extraction that dies before `reattach_versions` leaves those citations without a
        version: their next recheck links them to what the page then gives.
        """
        marks = ", ".join("?" for _ in outlets)
        with self.archive.db.atomic():
            self.connection.execute("DROP TABLE IF EXISTS temp.cited_versions")
            self.connection.execute(
                "CREATE TEMP TABLE cited_versions AS SELECT c.id AS citation, v.article, v.version,"
                " v.content_hash FROM citations c JOIN article_versions v ON v.id = c.article_version_id"
                f" JOIN articles a ON a.id = v.article WHERE a.outlet IN ({marks})",
                outlets,
            )
            self.connection.execute(
                "UPDATE citations SET article_version_id = NULL"
                " WHERE id IN (SELECT citation FROM temp.cited_versions)"
            )

    def reattach_versions(self) -> None:
        """After re-extraction: each detached citation to its article's rebuilt version of the same
        content (else of the same number, else none: the page is no article any more)."""
        with self.archive.db.atomic():
            self.connection.execute(
                """UPDATE citations SET article_version_id = (
                    SELECT v.id FROM temp.cited_versions t JOIN article_versions v ON v.article = t.article
                    WHERE t.citation = citations.id
                        AND (v.content_hash = t.content_hash OR v.version = t.version)
                    ORDER BY v.content_hash = t.content_hash DESC LIMIT 1)
                WHERE id IN (SELECT citation FROM temp.cited_versions)"""
            )
            self.connection.execute("DROP TABLE temp.cited_versions")
