"""Exit statuses of `sourcevault` commands, for cron, systemd and scripts.

0 all went well; 1 a crawl ended early, or bad input (one line on stderr says which);
3 `report` raised alerts; 75 (EX_TEMPFAIL) another crawl holds the archive: try again later.
"""

from __future__ import annotations

OK = 0
FAILED = 1
ALERTS = 3
ARCHIVE_BUSY = 75


def crawl_exit_status(finish_reason: str | None) -> int:
    """The exit status of a crawl that ended for `finish_reason` (Scrapy's close reason)."""
    return OK if finish_reason == "finished" else FAILED
