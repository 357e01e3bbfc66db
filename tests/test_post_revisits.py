"""When a cited post is read again: hourly for the first day, daily for a week, weekly until a year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from crawler.posts.revisits import POST_REVISIT_AFTER_HOURS, next_post_revisit

FIRST = datetime(2025, 6, 9, 8, 30, tzinfo=UTC)


def test_the_schedule_is_hourly_then_daily_then_weekly_and_ends_after_a_year():
    hours = POST_REVISIT_AFTER_HOURS
    assert hours[:24] == tuple(float(hour) for hour in range(1, 25))
    assert hours[24:31] == (48.0, 72.0, 96.0, 120.0, 144.0, 168.0, 192.0)
    weekly = hours[31:]
    assert weekly[0] == 192.0 + 168.0
    assert all(later - earlier == 168.0 for earlier, later in pairwise(weekly))
    assert weekly[-1] <= 365 * 24 < weekly[-1] + 168
    assert len(hours) == 82
    assert list(hours) == sorted(set(hours))


def test_the_next_revisit_is_the_first_still_ahead():
    assert next_post_revisit(FIRST, FIRST) == FIRST + timedelta(hours=1)
    assert next_post_revisit(FIRST, FIRST + timedelta(minutes=59)) == FIRST + timedelta(hours=1)
    assert next_post_revisit(FIRST, FIRST + timedelta(hours=1)) == FIRST + timedelta(hours=2)
    assert next_post_revisit(FIRST, FIRST + timedelta(hours=24)) == FIRST + timedelta(days=2)
    assert next_post_revisit(FIRST, FIRST + timedelta(days=8)) == FIRST + timedelta(days=15)


def test_missed_revisits_are_not_made_up():
    # Nothing ran for three days: the next revisit is the next one still ahead, not the missed hourly ones.
    assert next_post_revisit(FIRST, FIRST + timedelta(days=3, hours=5)) == FIRST + timedelta(days=4)


def test_the_schedule_ends():
    last = FIRST + timedelta(hours=POST_REVISIT_AFTER_HOURS[-1])
    assert next_post_revisit(FIRST, last - timedelta(seconds=1)) == last
    assert next_post_revisit(FIRST, last) is None
    assert next_post_revisit(FIRST, FIRST + timedelta(days=3650)) is None


def test_a_revisit_before_the_first_capture_is_the_first_of_the_schedule():
    assert next_post_revisit(FIRST, FIRST - timedelta(days=1)) == FIRST + timedelta(hours=1)
