"""A briefing's report: one row per citation, in the briefing's order, and its renderings.

`report_rows` reads the archive (crawler/archive/briefings.py) into the report's fields; the
renderings are a table for the terminal, JSON lines, CSV, and one self-contained HTML page a
reader can open and print, whose links open the archived originals and articles through
`sourcevault serve`.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections import Counter
from datetime import date
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.archive import Archive
from crawler.archive.postgres import is_postgres_url
from crawler.briefings.statuses import STATUSES, date_agrees
from crawler.exit_status import BadInput

# The fields of a report row, in the order JSON and CSV give them.
FIELDS = (
    "position",
    "item",
    "label",
    "claimed_date",
    "url",
    "final_url",
    "status",
    "reason",
    "outlet",
    "title",
    "published_at",
    "date_agrees",
    "language",
    "script",
    "captured_at",
    "sha256",
    "kind",
    "platform",
    "removed_at",
    "removed_kind",
    "web_archive_snapshot_at",
    "capture_id",
    "article_id",
    "article_version",
    # What `briefing attach` takes.
    "citation_id",
)
DEFAULT_SERVE_URL = "http://127.0.0.1:8001"


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def report_rows(archive: Archive, version_id: int) -> list[dict[str, Any]]:
    """The report's rows of one briefing version."""
    rows = []
    for row in archive.briefings.citation_rows(version_id):
        claimed = date.fromisoformat(row["claimed_date"]) if row["claimed_date"] else None
        row["outlet"] = row["capture_outlet"] or row["outlet"]
        row["date_agrees"] = date_agrees(claimed, row["published_at"], _zone(row["timezone"]))
        row["citation_id"] = row["id"]
        rows.append({name: row[name] for name in FIELDS})
    return rows


def status_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(row["status"] for row in rows)
    return {status: counts[status] for status in (*STATUSES, "pending") if counts[status]}


def json_lines(rows: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(row, ensure_ascii=False) for row in rows]


def csv_text(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: "" if value is None else value for name, value in row.items()})
    return out.getvalue()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _agreement(value: bool | None) -> str:
    return {True: "date ok", False: "DATE DIFFERS", None: "-"}[value]


def text_lines(briefing: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """The terminal's report: a heading, a line per citation, what each status counts."""
    lines = [
        f"briefing {briefing['id']}: {briefing['title']} (version {briefing['current_version']},"
        f" {len(rows)} citations)"
    ]
    cells = [
        (
            str(row["position"]),
            row["status"],
            _agreement(row["date_agrees"]),
            row["outlet"] or "-",
            row["label"] or "-",
            row["final_url"] or row["url"] or "-",
        )
        for row in rows
    ]
    widths = [max((_width(cell[column]) for cell in cells), default=0) for column in range(5)]
    for cell, row in zip(cells, rows, strict=True):
        padded = [
            " " * (widths[0] - _width(cell[0])) + cell[0],
            *(text + " " * (width - _width(text)) for text, width in zip(cell[1:5], widths[1:], strict=True)),
            cell[5],
        ]
        lines.append("  ".join(padded).rstrip())
        if row["reason"]:
            lines.append(" " * (widths[0] + 2) + f"└ {row['reason']}")
    counts = status_counts(rows)
    lines.append(", ".join(f"{status}: {count}" for status, count in counts.items()))
    return lines


_STYLE = """
body { font-family: "Noto Sans CJK TC", "Noto Sans CJK SC", sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
td.status { font-weight: bold; white-space: nowrap; }
.archived, .archived_from_web_archive { color: #176117; }
.removed, .failed, .blocked, .changed_since_cited { color: #a01010; }
a { word-break: break-all; }
@media print { a { color: #111; } body { margin: 0; } }
"""


def _link(href: str | None, text: str | None) -> str:
    if not href:
        return escape(text or "")
    return f'<a href="{escape(href, quote=True)}">{escape(text or href)}</a>'


def html_page(
    briefing: dict[str, Any], rows: list[dict[str, Any]], serve_url: str = DEFAULT_SERVE_URL
) -> str:
    """One self-contained page (no script, no external file): the report a reader prints."""
    base = serve_url.rstrip("/")
    body_rows = []
    for row in rows:
        original = f"{base}/-/original/{row['capture_id']}" if row["capture_id"] and row["sha256"] else None
        article = f"{base}/archive/articles/{row['article_id']}" if row["article_id"] else None
        archived = " · ".join(
            part
            for part in (
                _link(article, "archived article") if article else "",
                _link(original, "original as fetched") if original else "",
            )
            if part
        )
        body_rows.append(
            "<tr>"
            f"<td>{row['position']}</td>"
            f"<td>{escape(row['item'] or '')}</td>"
            f"<td>{escape(row['label'] or '')}<br>{escape(row['claimed_date'] or '')}</td>"
            f'<td class="status {escape(row["status"])}">{escape(row["status"])}</td>'
            f"<td>{_link(row['url'], row['url'])}"
            + (f"<br>→ {_link(row['final_url'], row['final_url'])}" if row["final_url"] != row["url"] else "")
            + "</td>"
            f"<td>{escape(row['title'] or '')}<br>{escape(row['published_at'] or '')}"
            f" ({escape(_agreement(row['date_agrees']))})</td>"
            f"<td>{archived}<br><small>{escape(row['captured_at'] or '')}</small></td>"
            f"<td>{escape(row['reason'] or '')}</td>"
            "</tr>"
        )
    counts = ", ".join(f"{status}: {count}" for status, count in status_counts(rows).items())
    title = escape(briefing["title"])
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Sources of {title}</title>'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>Sources of {title}</h1>"
        f"<p>Briefing {briefing['id']}, version {briefing['current_version']}: {len(rows)} citations"
        f" ({escape(counts)}). Archived originals open through <code>sourcevault serve</code> at"
        f" {escape(base)}.</p>"
        "<table><thead><tr><th>#</th><th>Item</th><th>Source as cited</th><th>Status</th><th>URL</th>"
        "<th>Archived page</th><th>Archived</th><th>Why</th></tr></thead><tbody>"
        + "".join(body_rows)
        + "</tbody></table></body></html>\n"
    )


def report_rows_of(db_path: Path | str, briefing_ref: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A briefing (an id or `latest`) and its report's rows; BadInput when there is none."""
    if not is_postgres_url(db_path) and not Path(db_path).exists():
        raise BadInput(f"{db_path}: no archive here")
    with Archive(db_path, readonly=True) as archive:
        found = archive.briefings.find(briefing_ref)
        if found is None:
            raise BadInput(f"{archive.path}: no briefing {briefing_ref}")
        return found, report_rows(archive, found["version_id"])
