"""Publication times as the outlets print them, to ISO 8601 with an offset.

The outlets print UTC+8 wall-clock times, mostly without an offset ("2016/03/19 08:15",
"2019年09月07日 04:04"); some stamp local times with "Z". A time without an offset is
read in the outlet's zone; one with "Z" too when the registry says its "Z" is local.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
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
# Any four digits, for saying why a time of another century (9999-12-31) is not believed.
ANY_YEAR = re.compile(r"\d{4}")
TIME_OF_DAY = re.compile(r"\d{1,2}\s*[:：時时点點]\s*\d{2}")
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
CHINESE_CHARACTER = re.compile(r"[\u3400-\u9fff]")
# A time printed on the page: 2019-09-07 13:43:45, 2019年06月15日08:18, 2018/09/16 15:31 +08:00,
# 2013.06.29 04:17 pm, 2013年6月29日 下午4:17.
VISIBLE_TIME = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    r"(?:\s*T?\s*(?P<half>上午|下午|晚上|晚間|晚间|凌晨|早上|中午)?\s*(?P<H>[01]?\d|2[0-3])\s*[:：時时点點]\s*(?P<M>[0-5]\d)"
    r"(?:\s*[:：分]\s*(?P<S>[0-5]\d))?(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?"
    r"(?:\s*(?P<offset>Z|[+-]\d{2}:?\d{2}|GMT[+-]\d{1,2}|UTC[+-]\d{1,2}))?)?"
)
# The same in English, as blogs print it: Dec 28 Sat 2013 00:28, December 28, 2013 12:28 am.
ENGLISH_TIME = re.compile(
    r"\b(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?"
    r"\s+(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?\s+)?(?P<y>(?:19|20)\d{2})"
    r"(?:,?\s+(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?)?",
    re.IGNORECASE,
)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
AFTERNOON = ("下午", "晚上", "晚間", "晚间", "中午")
# Words just before a printed time saying it is when the page was last changed.
MODIFIED_LABEL = re.compile(r"(?:更新|修改|修訂|修订|編輯於|编辑于)[^\d]{0,8}$")
# Zones of hosts and page languages, for pages of sites nobody configured; every one of them
# printed UTC+8 for the past decades.
ZONE_BY_TOP_LEVEL_DOMAIN = {
    "tw": "Asia/Taipei",
    "hk": "Asia/Hong_Kong",
    "mo": "Asia/Macau",
    "cn": "Asia/Shanghai",
    "sg": "Asia/Singapore",
    # Chinese services of broadcasters abroad (BBC 中文 on bbc.co.uk, RFI on rfi.fr, DW on dw.de).
    "uk": "Europe/London",
    "fr": "Europe/Paris",
    "de": "Europe/Berlin",
}
ZONE_BY_LANGUAGE_REGION = {
    "tw": "Asia/Taipei",
    "hk": "Asia/Hong_Kong",
    "mo": "Asia/Macau",
    "cn": "Asia/Shanghai",
}
CHINESE_DEFAULT_ZONE = "Asia/Shanghai"
LATEST_PLAUSIBLE_AHEAD = timedelta(days=2)


def parse_datetime(
    text: str | None,
    zone: ZoneInfo,
    *,
    utc_designator_is_local: bool = False,
    now: datetime | None = None,
) -> datetime | None:
    """Read one timestamp; None when the text holds no plausible date."""
    moment = _read(text, zone, utc_designator_is_local)
    return moment if moment is not None and _plausible(moment, now) else None


def implausible_time(
    text: str | None,
    zone: ZoneInfo,
    *,
    utc_designator_is_local: bool = False,
    now: datetime | None = None,
) -> str | None:
    """Why a timestamp that reads as a time is refused (too early, or in the future); else None."""
    moment = _read(text, zone, utc_designator_is_local, year=ANY_YEAR)
    if moment is None or _plausible(moment, now):
        return None
    latest = (now or datetime.now(UTC)) + LATEST_PLAUSIBLE_AHEAD
    return f"{isoformat(moment)} is outside {EARLIEST_PLAUSIBLE:%Y-%m-%d} … {latest:%Y-%m-%d}"


def _read(
    text: str | None, zone: ZoneInfo, utc_designator_is_local: bool, year: re.Pattern[str] = HAS_YEAR
) -> datetime | None:
    if not text:
        return None
    text = text.strip()
    if EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC).astimezone(zone)
    text = CJK_DATE.sub(r"\1-\2-\3 ", TIME_LABEL.sub("", text)).strip()
    if not year.search(text):
        # "23:39" alone would be read as today: a time of day is not a date.
        return None
    try:
        parsed = dateutil_parser.parse(text, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None or (utc_designator_is_local and parsed.utcoffset() == timedelta(0)):
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def has_time_of_day(text: str) -> bool:
    """Whether a timestamp says the time of day (epoch values always do), not only the date."""
    return bool(EPOCH.match(text.strip()) or TIME_OF_DAY.search(text))


def _plausible(moment: datetime, now: datetime | None) -> bool:
    latest = (now or datetime.now(UTC)) + LATEST_PLAUSIBLE_AHEAD
    return EARLIEST_PLAUSIBLE <= moment <= latest


def isoformat(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset the time was read in, to the second."""
    return moment.replace(microsecond=0).isoformat() if moment else None


@dataclass(frozen=True)
class VisibleTimes:
    """Times printed on a page, as text parse_datetime reads: publication and last change."""

    published: str | None
    modified: str | None


def _hour(match: re.Match[str]) -> int:
    """The hour on a 24-hour clock, from 04:17 pm or 下午4:17 as well as 16:17."""
    hour = int(match["H"])
    groups = match.groupdict()
    ampm = (groups["ampm"] or "").lower()[:1]
    if (ampm == "p" or groups.get("half") in AFTERNOON) and hour < 12:
        return hour + 12
    return 0 if ampm == "a" and hour == 12 else hour


def _as_text(match: re.Match[str]) -> str:
    groups = match.groupdict()
    month = MONTHS.index(groups["month"].lower()) + 1 if groups.get("month") else int(groups["m"])
    text = f"{match['y']}-{month:02d}-{int(match['d']):02d}"
    if match["H"] is not None:
        text += f" {_hour(match):02d}:{match['M']}" + (f":{match['S']}" if match["S"] else "")
        text += groups.get("offset") or ""
    return text


def printed_times(line: str) -> list[re.Match[str]]:
    """The times printed in a line, numeric (2013.06.29 04:17 pm) or in English (Dec 28 2013 00:28)."""
    return sorted(
        [*VISIBLE_TIME.finditer(line), *ENGLISH_TIME.finditer(line)], key=lambda match: match.start()
    )


def without_times(line: str) -> str:
    """The line with the times printed in it taken out."""
    return ENGLISH_TIME.sub(" ", VISIBLE_TIME.sub(" ", line)).strip()


def find_visible_times(lines: Iterable[str]) -> VisibleTimes:
    """The first publication time (one with a time of day before a bare date) and change time."""
    published = bare_date = modified = None
    for line in lines:
        for match in printed_times(line):
            if MODIFIED_LABEL.search(line[: match.start()]):
                modified = modified or _as_text(match)
            elif match["H"] is not None:
                published = published or _as_text(match)
            else:
                bare_date = bare_date or _as_text(match)
        if published and modified:
            break
    return VisibleTimes(published or bare_date, modified)


def mostly_chinese(text: str) -> bool:
    """Whether most of a short text (a title) is Chinese characters: a clue to a site's clock."""
    return len(CHINESE_CHARACTER.findall(text)) * 2 > len(text.strip())


def country_zone(host: str, declared_language: str | None) -> ZoneInfo | None:
    """The zone of the country a page's domain or declared language names, if either names one."""
    top_level = host.lower().rstrip(".").rsplit(".", 1)[-1]
    if top_level in ZONE_BY_TOP_LEVEL_DOMAIN:
        return ZoneInfo(ZONE_BY_TOP_LEVEL_DOMAIN[top_level])
    language = (declared_language or "").lower().replace("_", "-").split("-")
    if language[0] == "zh":
        region = next((part for part in language[1:] if part in ZONE_BY_LANGUAGE_REGION), None)
        return ZoneInfo(ZONE_BY_LANGUAGE_REGION[region]) if region else None
    return None


def guess_zone(host: str, declared_language: str | None, is_chinese: bool) -> ZoneInfo:
    """The zone of a page of a site nobody configured: its country's domain, language, or script."""
    if zone := country_zone(host, declared_language):
        return zone
    chinese = is_chinese or (declared_language or "").lower().startswith("zh")
    return ZoneInfo(CHINESE_DEFAULT_ZONE) if chinese else ZoneInfo("UTC")
