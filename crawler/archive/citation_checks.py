"""What each fetch of a cited URL or post made of its citations (`citations`, `citation_hops`).

A citation's first fetch archives it: the capture and article version it was archived at, or why
none; each later one checks it, and a changed article makes it `changed_since_cited`, a gone page
`removed`, with when and how it went. A short link's redirect hops are kept one by one; a page
gone before it was archived is archived as the Wayback Machine's copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.connection import ArchiveConnection

if TYPE_CHECKING:
    from crawler.briefings.posts import CitedPostCheck
    from crawler.briefings.statuses import Resolution


class CitationChecks:
    """The fetches of one archive's cited sources, recorded on their citations. Writes open their
    own transaction."""

    def __init__(self, archive: ArchiveConnection):
        self.archive = archive
        self.connection = archive.connection

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

    def resolve_post(self, citation_ids: tuple[int, ...], found: CitedPostCheck, checked_at: str) -> None:
        """What the posts spider found of the cited post: the citations point at the answer it rests on."""
        with self.archive.db.atomic():
            for citation in citation_ids:
                self.connection.execute(
                    """UPDATE citations SET status = ?, reason = ?, capture_id = ?, final_url = ?,
                        checked_at = ?, latest_capture_id = ?,
                        removed_at = CASE WHEN CAST(? AS TEXT) IS NULL THEN removed_at
                            ELSE coalesce(removed_at, ?) END,
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
