"""What one line of a briefing's source block says: its URLs, its claimed date, its label.

Plain functions over a line's text. A URL ends at whitespace and at full-width punctuation;
a full stop, comma or unbalanced closing bracket at its end is the sentence's, not the URL's.
Dates are read in the forms briefings write them (`March 28, 2022`, `28 March 2022`,
`2022-03-28`, `2022/3/28`, `2022年3月28日`); a day-first or month-first numeric date that could
be either (`03/04/2024`) is not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dateutil.parser import parserinfo

# Full-width and CJK punctuation never belongs to a URL written in a briefing: `，` or `。` glued
# to it ends it.
URL = re.compile(r"https?://[^\s<>\"`，。、；：！？（）【】「」『』《》〈〉…\u3000]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*"
_CLOSING = {")": "(", "]": "[", "}": "{", ">": "<"}
# What may follow a URL after a space and still be the URL's own end, cut off by that space.
URL_FRAGMENT = re.compile(r"[A-Za-z0-9/._~%?#=&+-]*[0-9/?#=&%][A-Za-z0-9/._~%?#=&+-]*")

_MONTH_NAMES = parserinfo()
_month_names = sorted((name for names in parserinfo.MONTHS for name in names), key=len, reverse=True)
_MONTH = rf"(?P<month_name>{'|'.join(_month_names)})\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
DATE_FORMS = (
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})\b", re.IGNORECASE),
    re.compile(rf"\b(?P<day>\d{{1,2}}){_ORDINAL}\s+{_MONTH},?\s+(?P<year>\d{{4}})\b", re.IGNORECASE),
    re.compile(
        r"(?<!\d)(?P<year>\d{4})(?P<separator>[-/.])(?P<month>\d{1,2})(?P=separator)(?P<day>\d{1,2})(?!\d)"
    ),
    re.compile(r"(?<!\d)(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号號]?"),
    re.compile(
        r"(?<!\d)(?P<first>\d{1,2})(?P<separator>[-/.])(?P<second>\d{1,2})(?P=separator)(?P<year>\d{4})(?!\d)"
    ),
)
# Every form above has a four-digit year: a line without one is not searched further.
_YEAR = re.compile(r"\d{4}")
# Between a label and its date: "Liberty Times, April 2, 2024", "CNA (May 6, 2024)", "Sina - 2024-05-06".
_LABEL_TAIL = " \t,;:-–—(（[【|/，、：；\u3000"
_LABEL_HEAD = " \t,;:-–—)）]】|/，、：；。\u3000"


@dataclass(frozen=True)
class FoundUrl:
    url: str
    start: int
    end: int


@dataclass(frozen=True)
class ClaimedDate:
    """A date written in a line: the date it names, or None with the reason it names none."""

    text: str
    start: int
    end: int
    value: date | None
    problem: str | None = None


def _trimmed(url: str) -> str:
    while url:
        last = url[-1]
        unbalanced = last in _CLOSING and url.count(last) > url.count(_CLOSING[last])
        if last in _TRAILING or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str) -> list[FoundUrl]:
    """The http(s) URLs written in `text`, each without what glued itself to its end."""
    found: list[FoundUrl] = []
    if "://" not in text:
        return found
    for match in URL.finditer(text):
        url = _trimmed(match.group())
        if url.partition("://")[2]:
            found.append(FoundUrl(url, match.start(), match.start() + len(url)))
    return found


def fragment_after(text: str, url: FoundUrl) -> str | None:
    """The token after `url` past one space, when it looks like the URL's own end cut off by the
    space (`…/breakingnews/ 4630001`): a URL holds no space, so it is not joined, only named."""
    following = text[url.end :]
    if not following[:1].isspace():
        return None
    token = following.split(maxsplit=1)[0] if following.strip() else ""
    if URL_FRAGMENT.fullmatch(token) and find_date(token) is None:
        return token
    return None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _claimed(match: re.Match[str]) -> ClaimedDate:
    groups = match.groupdict()
    text, year = match.group(), int(groups["year"])
    if groups.get("month_name"):
        month = _MONTH_NAMES.month(groups["month_name"])
        day = int(groups["day"])
    elif groups.get("month"):
        month, day = int(groups["month"]), int(groups["day"])
    else:
        first, second = int(groups["first"]), int(groups["second"])
        if first <= 12 and second <= 12 and first != second:
            problem = f"date {text!r} could be day/month or month/day: write it as {year}-MM-DD"
            return ClaimedDate(text, match.start(), match.end(), None, problem)
        day, month = (first, second) if first > 12 else (second, first)
    value = _valid(year, month, day)
    problem = None if value else f"date {text!r} is not a day of the calendar"
    return ClaimedDate(text, match.start(), match.end(), value, problem)


def find_date(text: str) -> ClaimedDate | None:
    """The first date written in `text`, read; None when it writes none."""
    if not _YEAR.search(text):
        return None
    matches = [match for form in DATE_FORMS if (match := form.search(text))]
    if not matches:
        return None
    return _claimed(min(matches, key=lambda match: (match.start(), -match.end())))


def label_and_date(text: str) -> tuple[str | None, ClaimedDate | None]:
    """Split a citation's words (its URLs taken out) into the source's name and the claimed date.

    The label is what comes before the date, as written; with no date, all of the text.
    """
    claimed = find_date(text)
    label_text = text[: claimed.start] if claimed else text
    label = " ".join(label_text.rstrip(_LABEL_TAIL).lstrip(_LABEL_HEAD).split())
    return (label or None), claimed
