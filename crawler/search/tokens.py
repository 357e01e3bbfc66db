"""The index's vocabulary, which indexing and queries both speak: character pairs and filter tokens.

- **Overlapping character pairs.** Every run of letters and digits (Han characters, Kana,
  Hangul, Latin words, numbers), NFKC-normalised and lower-cased, becomes the pairs of
  characters starting at each of its positions, the last one alone: 中国人 → `中国 国人 人`,
  iPhone → `ip ph ho on ne e`. FTS5 (unicode61 over those space-separated tokens) then holds,
  for every character of the text, the pair starting there.
- **Filters as tokens.** Outlet, language tag and publication date are indexed as tokens of a
  third column, so `--outlet/--lang/--since/--until` narrow the match inside FTS5, before ranking.

The index is contentless: removing an article's row gives FTS5 the tokens it was indexed with
again, recomputed here. Changing what `index_text` or `filter_tokens` return therefore needs a
migration that rebuilds the index.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from crawler.date_span import leading_date

# Letters and digits of any script; FTS5's unicode61 keeps all of them inside one token.
WORD_RUN = re.compile(r"[^\W_]+")
# At each position of a run, the character there and the next one if the run goes on.
CHARACTER_PAIRS = re.compile(r"(?=([^\W_]{1,2}))")


def normalise(text: str) -> str:
    """The form both the index and queries are compared in: NFKC, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def index_text(text: str | None) -> str | None:
    """The index's tokens for a text already in Simplified: its overlapping character pairs."""
    if text is None:
        return None
    return " ".join(CHARACTER_PAIRS.findall(normalise(text)))


def _hex_token(prefix: str, value: str) -> str:
    # Slugs and tags hold _ and -, which unicode61 would split on.
    return prefix + value.lower().encode("utf-8").hex()


def outlet_token(slug: str) -> str:
    return _hex_token("o", slug)


def language_tokens(tag: str) -> list[str]:
    """A tag's token and each shorter tag's: zh-Hant is found by --lang zh-Hant and by --lang zh."""
    subtags = tag.split("-")
    return [_hex_token("l", "-".join(subtags[:length])) for length in range(len(subtags), 0, -1)]


def _year_token(day: date) -> str:
    return f"y{day:%Y}"


def _month_token(day: date) -> str:
    return f"m{day:%Y%m}"


def _day_token(day: date) -> str:
    return f"d{day:%Y%m%d}"


def filter_tokens(outlet: str | None, language_tag: str | None, published_at: str | None) -> str:
    """The filter column's tokens: outlet, language tag and language, year, month and day."""
    tokens = [outlet_token(outlet)] if outlet else []
    if language_tag:
        tokens += language_tokens(language_tag)
    day = leading_date(published_at)
    if day is not None:
        tokens += [_year_token(day), _month_token(day), _day_token(day)]
    return " ".join(tokens)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def date_range_tokens(since: date, until: date) -> list[str]:
    """The fewest year, month and day tokens that cover since..until, both included."""
    tokens = []
    day = since
    while day <= until:
        if day.month == 1 and day.day == 1 and date(day.year, 12, 31) <= until:
            tokens.append(_year_token(day))
            day = date(day.year + 1, 1, 1)
        elif day.day == 1 and _next_month(day) - timedelta(days=1) <= until:
            tokens.append(_month_token(day))
            day = _next_month(day)
        else:
            tokens.append(_day_token(day))
            day += timedelta(days=1)
    return tokens
