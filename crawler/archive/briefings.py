"""Briefings in the archive: each briefing, every version of its file, and its citations
(`briefings`, `briefing_versions`, `citations`), and which of them to fetch.

A briefing is known by its title; a file added before (the same sha256) adds nothing, an edited
file of the same title is its next version with its own citations. A citation is `pending` until
its URL is fetched; what each fetch makes of it is crawler/archive/citation_checks.py's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from crawler.archive.briefing_queries import BriefingQueries
from crawler.archive.connection import ArchiveConnection, utc_now
from crawler.archive.postgres.races import retried
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from crawler.briefings.links import LinkKind
    from crawler.briefings.parsing import ParsedBriefing
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
        """Store a briefing file and its citations (as pending, or as `initial` says by position).
        Another writer adding the same briefing at once: run again, this finds that one's."""

        def attempt() -> AddedBriefing:
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
                        "INSERT INTO briefings (title, published, current_version, added_at)"
                        " VALUES (?, ?, 1, ?)",
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

        return retried(self.connection, attempt)

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

    # --- re-extraction ----------------------------------------------------------------------------

    def detach_versions(self, outlets: list[str]) -> None:
        """Before re-extraction rebuilds these outlets' versions: each citation's version, remembered
        by article, number and content (in a temporary table of
        this connection, named unqualified: both backends look there first), and unlinked.

        A re-extraction that dies before `reattach_versions` leaves those citations without a
        version: their next recheck links them to what the page then gives.
        """
        marks = ", ".join("?" for _ in outlets)
        with self.archive.db.atomic():
            self.connection.execute("DROP TABLE IF EXISTS cited_versions")
            self.connection.execute(
                "CREATE TEMP TABLE cited_versions AS SELECT c.id AS citation, v.article, v.version,"
                " v.content_hash FROM citations c JOIN article_versions v ON v.id = c.article_version_id"
                f" JOIN articles a ON a.id = v.article WHERE a.outlet IN ({marks})",
                outlets,
            )
            self.connection.execute(
                "UPDATE citations SET article_version_id = NULL"
                " WHERE id IN (SELECT citation FROM cited_versions)"
            )

    def reattach_versions(self) -> None:
        """After re-extraction: each detached citation to its article's rebuilt version of the same
        content (else of the same number, else none: the page is no article any more)."""
        with self.archive.db.atomic():
            self.connection.execute(
                """UPDATE citations SET article_version_id = (
                    SELECT v.id FROM cited_versions t JOIN article_versions v ON v.article = t.article
                    WHERE t.citation = citations.id
                        AND (v.content_hash = t.content_hash OR v.version = t.version)
                    ORDER BY v.content_hash = t.content_hash DESC LIMIT 1)
                WHERE id IN (SELECT citation FROM cited_versions)"""
            )
            self.connection.execute("DROP TABLE cited_versions")
