"""The span of publication and change times the archive accepts: the years 1900 to 2100.

A time outside it is a misreading (a placeholder such as 9999-12-31, an epoch in the wrong unit),
and it breaks what computes with dates: Python's dates end with the year 9999, so a search's date
filter over an archive holding 9999-12-31 would step past the end. `sourcevault import` refuses a
record holding one, extraction drops one a page object returns (saying so in the article's
`field_methods`), and search leaves out of its date filters one that another SQLite tool wrote.
"""

from __future__ import annotations

import re
from datetime import date

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)
LEADING_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def leading_date(text: str | None) -> date | None:
    """The date an ISO 8601 text starts with, if it is a real one (any year)."""
    match = LEADING_DATE.match(text or "")
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def within_span(day: date | None) -> date | None:
    """`day` if it lies within the archive's span, else None."""
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def outside_span(text: str | None) -> str | None:
    """Why a text starting with an ISO 8601 date is refused (outside 1900–2100); None when it is
    within, or starts with no date at all."""
    if not LEADING_DATE.match(text or "") or within_span(leading_date(text)):
        return None
    return f"{text} is outside {FIRST_DAY.year}–{LAST_DAY.year}"
