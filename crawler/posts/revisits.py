"""When a cited post is read again, counted from its first capture: every hour for the first day,
then daily for a week, then weekly. Posts vanish faster than articles, most within hours of
posting, so the first day is watched closely.

The schedule ends a year after the first capture: 24 hourly, 7 daily and 51 weekly revisits, 82
in all. An end keeps the work bounded as citations pile up; a briefing that still needs an older
post watched asks for it (`briefing recheck`). A revisit that finds the post gone does not end the
schedule: a post held for review or an account locked until verified can come back.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

HOURLY_FOR_HOURS = 24
DAILY_FOR_DAYS = 7
WATCHED_FOR_DAYS = 365


def post_revisit_after_hours() -> tuple[float, ...]:
    """Hours after the first capture at which a post is read again: 1…24, then 48…192 (days 2 to
    8), then every 168 until a year has passed."""
    hourly = [float(hour) for hour in range(1, HOURLY_FOR_HOURS + 1)]
    daily = [float(HOURLY_FOR_HOURS * day) for day in range(2, DAILY_FOR_DAYS + 2)]
    weekly = []
    due = daily[-1] + 7 * 24
    while due <= WATCHED_FOR_DAYS * 24:
        weekly.append(due)
        due += 7 * 24
    return (*hourly, *daily, *weekly)


POST_REVISIT_AFTER_HOURS = post_revisit_after_hours()


def next_post_revisit(first_captured_at: datetime, now: datetime) -> datetime | None:
    """The first revisit of the schedule still ahead of `now`; None once the schedule is over.
    Revisits missed while nothing ran are not made up: the next one is the next still ahead."""
    elapsed_hours = (now - first_captured_at) / timedelta(hours=1)
    index = bisect.bisect_right(POST_REVISIT_AFTER_HOURS, elapsed_hours)
    if index == len(POST_REVISIT_AFTER_HOURS):
        return None
    return first_captured_at + timedelta(hours=POST_REVISIT_AFTER_HOURS[index])
