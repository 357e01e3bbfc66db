"""The read side of the briefing tables: a briefing by id or the latest, its citations as a report
reads them, and every briefing with its counts per status."""

from __future__ import annotations

import sqlite3
from typing import Any


class BriefingQueries:
    """Reads over `briefings`, `briefing_versions` and `citations` (with captures and articles)."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def find(self, reference: str) -> dict[str, Any] | None:
        """A briefing by id, or the latest added (`latest`), with its current version."""
        query = (
            "SELECT b.id, b.title, b.published, b.current_version, v.id AS version_id, v.file_name,"
            " v.file_sha256, v.added_at FROM briefings b JOIN briefing_versions v"
            " ON v.briefing = b.id AND v.version = b.current_version"
        )
        if reference == "latest":
            cursor = self.connection.execute(f"{query} ORDER BY v.added_at DESC, v.id DESC LIMIT 1")
        else:
            cursor = self.connection.execute(f"{query} WHERE b.id = ?", [int(reference)])
        row = cursor.fetchone()
        return dict(zip([column[0] for column in cursor.description], row, strict=True)) if row else None

    def citation_rows(self, version_id: int) -> list[dict[str, Any]]:
        """The citations of a briefing version, in order, with what each was archived as."""
        cursor = self.connection.execute(
            """SELECT c.id, c.position, c.item, c.label, c.claimed_date, c.url, c.kind, c.outlet,
                c.platform, c.status, c.reason, c.final_url, c.removed_at, c.removed_kind, c.checked_at,
                c.web_archive_snapshot_at, c.capture_id, cap.fetched_at AS captured_at,
                cap.body_sha256 AS sha256, cap.outlet AS capture_outlet, v.title, v.published_at,
                v.article AS article_id, v.version AS article_version, a.language_tag AS language,
                a.script, o.timezone
            FROM citations c
            LEFT JOIN captures cap ON cap.id = c.capture_id
            LEFT JOIN article_versions v ON v.id = c.article_version_id
            LEFT JOIN articles a ON a.id = v.article
            LEFT JOIN outlets o ON o.slug = coalesce(a.outlet, c.outlet)
            WHERE c.briefing_version = ? ORDER BY c.position""",
            [version_id],
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def listing(self) -> list[dict[str, Any]]:
        """Every briefing's current version and how many of its citations have each status."""
        briefings = self.connection.execute(
            """SELECT b.id, b.title, b.published, b.current_version, v.id, v.added_at
            FROM briefings b JOIN briefing_versions v ON v.briefing = b.id AND v.version = b.current_version
            ORDER BY b.id"""
        ).fetchall()
        listed = []
        for briefing, title, published, version, version_id, added_at in briefings:
            counts = dict(
                sorted(
                    self.connection.execute(
                        "SELECT status, count(*) FROM citations WHERE briefing_version = ? GROUP BY status",
                        [version_id],
                    ).fetchall()
                )
            )
            listed.append(
                {
                    "id": briefing,
                    "title": title,
                    "published": published,
                    "version": version,
                    "added_at": added_at,
                    "citations": sum(counts.values()),
                    "statuses": counts,
                }
            )
        return listed
