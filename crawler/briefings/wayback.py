"""The Wayback Machine as the briefing fetcher asks it: plain functions, no downloading.

A gone page is looked up with the availability API (`…/wayback/available?url=…&timestamp=…`,
the snapshot closest to the date the briefing claims), then fetched raw: the `id_` form of a
snapshot URL answers the page as archived, without the toolbar. Extraction reads the copy as the
page it captured, any additions of the archive taken out (crawler/pages/wayback.py); the raw
original keeps them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class WaybackCopy:
    """A snapshot the availability API named: when it was taken, and the status it recorded."""

    timestamp: str
    taken_at: datetime
    status: str | None


def availability_url(api: str, url: str, near: date | None) -> str:
    """The availability API's question: the snapshot of `url` closest to `near` (else the latest)."""
    query = {"url": url, **({"timestamp": near.strftime("%Y%m%d")} if near else {})}
    return f"{api}?{urlencode(query)}"


def read_availability(body: bytes) -> WaybackCopy | str:
    """The closest usable snapshot in an availability answer, or why there is none."""
    try:
        answer = json.loads(body)
        closest = answer.get("archived_snapshots", {}).get("closest") or {}
    except (ValueError, AttributeError):
        return "the Wayback Machine's answer is not its availability JSON"
    if not closest.get("available") or not isinstance(closest.get("timestamp"), str):
        return "the Wayback Machine holds no copy"
    status = str(closest["status"]) if closest.get("status") is not None else None
    if status is not None and not status.startswith("2"):
        return f"the Wayback Machine's closest copy recorded HTTP {status}"
    try:
        taken_at = datetime.strptime(closest["timestamp"][:14], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return f"the Wayback Machine named a snapshot time {closest['timestamp']!r} that is no time"
    return WaybackCopy(closest["timestamp"][:14], taken_at, status)


def snapshot_url(template: str, copy: WaybackCopy, url: str) -> str:
    """The raw snapshot's URL, from WAYBACK_SNAPSHOT_URL (`…/web/{timestamp}id_/{url}`)."""
    return template.format(timestamp=copy.timestamp, url=url)
