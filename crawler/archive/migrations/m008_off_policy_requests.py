"""Per run and outlet, the requests the network policy refused (captures with outcome `blocked`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m008_off_policy_requests(db: Database) -> None:
    # Apart from `blocked` (the outlet refused us): these we refused, never sending them (another
    # host, a private address, not http(s)). Runs recorded before count none.
    db.execute("ALTER TABLE crawl_run_outlets ADD COLUMN off_policy INTEGER NOT NULL DEFAULT 0")
