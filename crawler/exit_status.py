"""Exit statuses of `sourcevault` commands, for cron, systemd and scripts.

Every failure ends a command with one line on stderr (`Error: ...`, naming what and where)
and one of these statuses:

0   all went well
1   bad input (registry, archive, snapshot, manifest, query, setting...), or a crawl that
    ended early
2   usage: an unknown command or option, or a missing argument (click's own status)
3   `report` raised alerts
4   nothing could be fetched: a crawl in which every outlet's discovery failed and no
    article page answered (no network? DNS? a proxy?)
75  another sourcevault writes to the archive (EX_TEMPFAIL): try again later
"""

from __future__ import annotations

OK = 0
FAILED = 1
USAGE = 2
ALERTS = 3
NOTHING_FETCHED = 4
ARCHIVE_BUSY = 75


class BadInput(Exception):
    """A failure the command reports as one line (its message) and exit status FAILED.

    The registry, archive, snapshot, query... errors derive from it, so the CLI can catch
    them all without importing the modules that raise them.
    """


def crawl_exit_status(finish_reason: str | None, *, nothing_fetched: bool = False) -> int:
    """The exit status of a crawl that ended for `finish_reason` (Scrapy's close reason)."""
    if finish_reason != "finished":
        return FAILED
    return NOTHING_FETCHED if nothing_fetched else OK
