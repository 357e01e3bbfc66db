"""Publication times as the outlets print them, to ISO 8601 with an offset.

The outlets print UTC+8 wall-clock times, mostly without an offset ("2016/03/19 08:15",
"2019年09月07日 04:04"); some stamp local times with "Z". A time without an offset is
read in the outlet's zone; one with "Z" too when the registry says its "Z" is local.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

# 2019年09月07日 04:04 / 2019年9月7日 → 2019-09-07 04:04
CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# Unix epoch seconds or milliseconds, as Huanqiu's <textarea class="article-time"> carries.
EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
# Labels printed before a time: 最新更新：, 發布時間：, 更新时间 …
TIME_LABEL = re.compile(r"^[^\d]*?(?:時間|时间|更新|發布|发布|日期|上稿)[：:\s]*")
HAS_YEAR = re.compile(r"(?:19|20)\d{2}")
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_PLAUSIBLE_AHEAD = timedelta(days=2)


def parse_datetime(
    text: str | None,
    zone: ZoneInfo,
    *,
    utc_designator_is_local: bool = False,
    now: datetime | None = None,
) -> datetime | None:
    """Read one timestamp; None when the text holds no plausible date."""
    if not text:
        return None
    text = text.strip()
    if EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return _plausible(datetime.fromtimestamp(seconds, UTC).astimezone(zone), now)
    text = CJK_DATE.sub(r"\1-\2-\3 ", TIME_LABEL.sub("", text)).strip()
    if not HAS_YEAR.search(text):
        # "23:39" alone would be read as today: a time of day is not a date.
        return None
    try:
        parsed = dateutil_parser.parse(text, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None or (utc_designator_is_local and parsed.utcoffset() == timedelta(0)):
        parsed = parsed.replace(tzinfo=zone)
    return _plausible(parsed, now)


def _plausible(moment: datetime, now: datetime | None) -> datetime | None:
    latest = (now or datetime.now(UTC)) + LATEST_PLAUSIBLE_AHEAD
    return moment if EARLIEST_PLAUSIBLE <= moment <= latest else None


def isoformat(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset the time was read in, to the second."""
    return moment.replace(microsecond=0).isoformat() if moment else None
