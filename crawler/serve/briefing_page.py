"""A briefing's page in Datasette: its current version's citations, in order, with their status
and links to what each was archived as (the original as fetched, the article, the page cited)."""

from __future__ import annotations

from dataclasses import dataclass

from datasette.app import Datasette
from markupsafe import Markup, escape

from crawler.serve.cells import ARCHIVE_DATABASE

BRIEFINGS = "briefings"


@dataclass(frozen=True)
class CitedSource:
    position: int
    label: str
    claimed_date: str
    status: str
    reason: str
    cited: Markup
    archived: Markup


async def briefing_citations(datasette: Datasette, briefing: int) -> list[CitedSource]:
    """The citations of the briefing's current version, in the briefing's order."""
    database = datasette.get_database(ARCHIVE_DATABASE)
    result = await database.execute(
        """SELECT c.position, c.label, c.claimed_date, c.status, c.reason, c.url, c.final_url, c.capture_id,
            v.article, cap.body_sha256
        FROM citations c
        JOIN briefing_versions bv ON bv.id = c.briefing_version
        JOIN briefings b ON b.id = bv.briefing AND bv.version = b.current_version
        LEFT JOIN article_versions v ON v.id = c.article_version_id
        LEFT JOIN captures cap ON cap.id = c.capture_id
        WHERE b.id = :briefing ORDER BY c.position""",
        {"briefing": briefing},
    )
    sources = []
    for position, label, claimed, status, reason, url, final_url, capture, article, sha256 in result.rows:
        links = []
        if article is not None:
            href = datasette.urls.row(ARCHIVE_DATABASE, "articles", str(article))
            links.append(f'<a class="sourcevault-article-link" href="{escape(href)}">article {article}</a>')
        if capture is not None and sha256:
            href = datasette.urls.path(f"/-/original/{capture}")
            links.append(
                f'<a class="sourcevault-original-link" href="{escape(href)}">original as fetched</a>'
            )
        cited = Markup(f'<a href="{escape(url)}">{escape(url)}</a>') if url else Markup("—")
        if final_url and final_url != url:
            cited += Markup(f'<br>→ <a href="{escape(final_url)}">{escape(final_url)}</a>')
        sources.append(
            CitedSource(
                position,
                label or "",
                claimed or "",
                status,
                reason or "",
                cited,
                Markup(" · ".join(links)) if links else Markup("—"),
            )
        )
    return sources
