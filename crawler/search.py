"""Chinese full-text search over the archive: the one place where a query meets the index.

SQLite's FTS5 cannot search Chinese as it comes (its `unicode61` tokenizer takes a run of Han
characters for one word; `trigram` never matches a 2-character word), and Python's sqlite3 cannot
register a tokenizer of its own. So the text is transformed here, in Python, before FTS5 sees it:

- **Simplified first.** Titles and bodies are indexed in Simplified script (the archive's
  `title_simplified` / `body_simplified`; articles not in Chinese as written), and each query
  is converted with OpenCC's tw2s too, so 臺灣 finds 台湾 and the reverse.
- **Overlapping character pairs.** Every run of letters and digits (Han characters, Kana,
  Hangul, Latin words, numbers), NFKC-normalised and lower-cased, becomes the pairs of
  characters starting at each of its positions, the last one alone: 中国人 → `中国 国人 人`,
  iPhone → `ip ph ho on ne e`. FTS5 (unicode61 over those space-separated tokens) then holds,
  for every character of the text, the pair starting there. A query of n ≥ 2 characters is the
  phrase of its n - 1 pairs; a single character is a prefix query (`中*`) answered by FTS5's
  one-character prefix index. A query run followed by more of the query (punctuation, a space)
  must end there in the text too, so it keeps its lone last character. Any substring of the
  text is therefore found: recall is 1.0 against a substring scan, for Chinese and Latin alike.
- **Filters as tokens.** Outlet, language tag and publication date are indexed as tokens of a
  third column, so `--outlet/--lang/--since/--until` narrow the match inside FTS5, before ranking.
- **Ranking.** bm25 (title weighted 3, body 1). Ranking costs a few microseconds per matching
  article, so a query matching more than `RANK_WINDOW` articles (a common single character)
  is ranked among the most recently archived `RANK_WINDOW` of them; the count stays exact.

The CLI (`sourcevault search`, `export --query`) and the Datasette search page both call this
module, so they match identically. The archive's triggers (migration m005_search) call
`index_text` and `filter_tokens` through the SQL functions `register_functions` installs; the
index is contentless, so removing a row recomputes its tokens from the stored columns: changing
what these two functions return needs a migration that rebuilds the index.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from crawler.chinese import to_simplified
from crawler.exit_status import BadInput

INDEX_TABLE = "article_search"
# bm25 ranks this many matches at most: at ~4 µs each, 5,000 keep a search near 20 ms.
RANK_WINDOW = 5_000
MAX_QUERY_CHARS = 1_000
# SQL functions the index triggers and SQL users call.
SEARCH_TEXT_FUNCTION = "sourcevault_search_text"
FILTER_TOKENS_FUNCTION = "sourcevault_search_filters"
MATCH_FUNCTION = "sourcevault_match"
CONTENT_COLUMNS = "{title body}"
FILTER_COLUMN = "{filters}"

# Letters and digits of any script; FTS5's unicode61 keeps all of them inside one token.
WORD_RUN = re.compile(r"[^\W_]+")
# At each position of a run, the character there and the next one if the run goes on.
CHARACTER_PAIRS = re.compile(r"(?=([^\W_]{1,2}))")
# Phrase quotes: ASCII and the curly pair Chinese keyboards type.
PHRASE_QUOTES = {'"': '"', "“": "”"}
CLOSING_QUOTES = frozenset(PHRASE_QUOTES.values())
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
# published_at strings that start with a digit, for the archive's date span (index range scan).
DATED_RANGE = ("0", ":")

# Full-width Latin letters and digits (ＡＩ, ２０２４) sit this far above their ASCII forms.
FULL_WIDTH_OFFSET = 0xFEE0
SNIPPET_CHARS_BEFORE = 30
WHITESPACE = re.compile(r"\s+")
SNIPPET_CHARS = 120
ELLIPSIS = "…"


class QueryError(BadInput, ValueError):
    """A query or filter that cannot be searched; the message says why in one line."""


# --- what the index holds ------------------------------------------------------------------------


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


def published_date(published_at: str | None) -> date | None:
    match = ISO_DATE.match(published_at or "")
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


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
    day = published_date(published_at)
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


# --- queries ---------------------------------------------------------------------------------------


def _phrase(text: str) -> str | None:
    """The FTS5 phrase matching every occurrence of `text` (normalised) in an indexed text."""
    runs = WORD_RUN.findall(text)
    if not runs:
        return None
    tokens: list[str] = []
    for run in runs[:-1]:
        tokens += CHARACTER_PAIRS.findall(run)
    last = runs[-1]
    # The text's run may go on past the query's end: only the pairs inside the query are known.
    tokens += CHARACTER_PAIRS.findall(last)[: max(len(last) - 1, 1)]
    return '"' + " ".join(tokens) + '"' + (" *" if len(last) == 1 else "")


@dataclass(frozen=True)
class QueryTerm:
    """A word or quoted phrase of a query, in the forms it is looked for (normalised)."""

    simplified: str
    as_typed: str

    @property
    def forms(self) -> tuple[str, ...]:
        # Articles not in Chinese are indexed as written: their Han characters match as typed.
        return (self.simplified,) if self.as_typed == self.simplified else (self.simplified, self.as_typed)

    def expression(self) -> str:
        phrases = [phrase for phrase in map(_phrase, self.forms) if phrase]
        return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: every term must occur (AND); a quoted phrase as one piece of text."""

    terms: tuple[QueryTerm, ...]

    def expression(self) -> str:
        return f"{CONTENT_COLUMNS} : (" + " AND ".join(term.expression() for term in self.terms) + ")"

    def highlighter(self) -> re.Pattern[str]:
        """Where the query's terms occur in a text as written: any case, Latin letters and digits
        also full-width, runs apart by anything else. (Rarer NFKC variants match without a mark.)"""
        alternatives = {
            r"[\W_]+".join("".join(map(_as_written, run)) for run in WORD_RUN.findall(form))
            for term in self.terms
            for form in term.forms
        }
        return re.compile("|".join(sorted(alternatives, key=len, reverse=True)), re.IGNORECASE)


def _as_written(char: str) -> str:
    """A pattern for a normalised character as a text may write it."""
    if char.isascii() and char.isalnum():
        return f"[{char}{chr(ord(char) + FULL_WIDTH_OFFSET)}]"
    return re.escape(char)


def _split_terms(text: str) -> Iterator[str]:
    """Each whitespace-separated word and each quoted phrase (without its quotes)."""
    word: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char in PHRASE_QUOTES:
            closing = text.find(PHRASE_QUOTES[char], position + 1)
            if closing < 0:
                raise QueryError(f"unbalanced quote in query {text!r}: {char} is never closed")
            if word:
                yield "".join(word)
                word = []
            yield text[position + 1 : closing]
            position = closing + 1
            continue
        if char in CLOSING_QUOTES:
            raise QueryError(f"unbalanced quote in query {text!r}: {char} closes nothing")
        if char.isspace():
            if word:
                yield "".join(word)
                word = []
        else:
            word.append(char)
        position += 1
    if word:
        yield "".join(word)


def parse_query(text: str) -> SearchQuery:
    """Parse a query; raise QueryError (one line) when there is nothing to search for.

    Words are separated by spaces and must all occur; "quoted text" (or “…”) occurs as one
    piece, its words in that order. Everything else is literal text: FTS5 operators (AND, OR,
    NEAR, *, ^, column:) and SQL are searched for as the letters they hold. Punctuation, and a
    space inside quotes, stand for any break in the text: 中国，美国 finds 中国、美国 and 中国 美国.
    """
    if not text or not text.strip():
        raise QueryError("empty query: give the word or phrase to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text):,} characters; at most {MAX_QUERY_CHARS:,})")
    terms = []
    for piece in _split_terms(text.strip()):
        as_typed = normalise(piece)
        if WORD_RUN.search(as_typed):
            terms.append(QueryTerm(normalise(to_simplified(piece)), as_typed))
    if not terms:
        raise QueryError(f"nothing to search for in {text!r}: no letters, digits or Chinese characters")
    return SearchQuery(tuple(terms))


def match_expression(text: str) -> str:
    """The FTS5 expression for a query, for SQL: `article_search MATCH sourcevault_match(?)`."""
    return parse_query(text).expression()


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which articles a search or export covers; empty means all.

    `since`/`until` include their days and compare the date `published_at` starts with (the
    outlet's local date); an article without one passes no date filter. `language` is a BCP 47
    tag: `zh-Hant` matches that tag, `zh` every Chinese article.
    """

    outlets: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"--since {self.since} is after --until {self.until}")
        if self.language is not None and not LANGUAGE_TAG.match(self.language):
            raise QueryError(f"--lang {self.language!r} is not a language tag (zh, zh-Hant, en, ...)")

    @property
    def empty(self) -> bool:
        return not (self.outlets or self.since or self.until or self.language)

    def expression(self, connection: sqlite3.Connection) -> str | None:
        """The FTS5 expression on the filter column; None when no article can pass."""
        parts = []
        if self.outlets:
            parts.append(" OR ".join(f'"{outlet_token(slug)}"' for slug in self.outlets))
        if self.language:
            parts.append(f'"{language_tokens(self.language)[0]}"')
        if self.since or self.until:
            earliest, latest = _archive_date_span(connection)
            span = date_range_tokens(max(self.since or earliest, earliest), min(self.until or latest, latest))
            if not span:
                return None
            parts.append(" OR ".join(f'"{token}"' for token in span))
        return " AND ".join(f"{FILTER_COLUMN} : ({part})" for part in parts)


NO_FILTERS = Filters()


def _archive_date_span(connection: sqlite3.Connection) -> tuple[date, date]:
    """The first and last publication dates in the archive, read off its published_at index."""
    # Two queries: SQLite reads a lone min() or max() straight off the index.
    earliest, latest = (
        connection.execute(
            f"SELECT {bound}(published_at) FROM articles WHERE published_at >= ? AND published_at < ?",
            DATED_RANGE,
        ).fetchone()[0]
        for bound in ("min", "max")
    )
    today = date.today()
    return published_date(earliest) or date(1900, 1, 1), max(published_date(latest) or today, today)


def parse_day(text: str, option: str) -> date:
    """A YYYY-MM-DD option value, or QueryError naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


# --- searching -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snippet:
    """A stretch of an article's own text (its original script) with the matches marked."""

    parts: tuple[tuple[str, bool], ...]

    def marked(self, start: str = "«", end: str = "»") -> str:
        return "".join(f"{start}{text}{end}" if match else text for text, match in self.parts)


@dataclass(frozen=True)
class Hit:
    id: int
    outlet: str
    published_at: str | None
    title: str | None
    url: str
    language_tag: str | None
    # bm25, higher is better.
    score: float
    snippet: Snippet

    FIELDS = ("id", "outlet", "published_at", "title", "url", "language_tag", "score", "snippet")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outlet": self.outlet,
            "published_at": self.published_at,
            "title": self.title,
            "url": self.url,
            "language_tag": self.language_tag,
            "score": round(self.score, 6),
            "snippet": self.snippet.marked(),
        }


@dataclass(frozen=True)
class SearchResults:
    total: int
    # How many of the matches bm25 ranked: all, or the newest RANK_WINDOW.
    ranked: int
    hits: list[Hit] = field(default_factory=list)


def _full_expression(
    connection: sqlite3.Connection, query: SearchQuery | None, filters: Filters
) -> str | None:
    filter_expression = filters.expression(connection)
    if filter_expression is None:
        return None
    parts = [query.expression()] if query else []
    if filter_expression:
        parts.append(filter_expression)
    return " AND ".join(parts)


def count_matches(connection: sqlite3.Connection, query: SearchQuery, filters: Filters = NO_FILTERS) -> int:
    expression = _full_expression(connection, query, filters)
    if expression is None:
        return 0
    return connection.execute(
        f"SELECT count(*) FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?", [expression]
    ).fetchone()[0]


def matching_article_ids(
    connection: sqlite3.Connection, query: SearchQuery | None, filters: Filters = NO_FILTERS
) -> Iterator[int]:
    """Ids of every article the query (all articles when None) and filters match, ascending."""
    if query is None and filters.empty:
        rows = connection.execute("SELECT id FROM articles ORDER BY id")
    else:
        expression = _full_expression(connection, query, filters)
        if expression is None:
            return
        rows = connection.execute(
            f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ? ORDER BY rowid", [expression]
        )
    for (article_id,) in rows:
        yield article_id


def search(
    connection: sqlite3.Connection, query: SearchQuery, filters: Filters = NO_FILTERS, limit: int = 20
) -> SearchResults:
    """The best `limit` matches by bm25, each with a snippet of its own text marking the match."""
    expression = _full_expression(connection, query, filters)
    if expression is None:
        return SearchResults(0, 0)
    total = connection.execute(
        f"SELECT count(*) FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?", [expression]
    ).fetchone()[0]
    window, parameters = "", [expression]
    if total > RANK_WINDOW:
        (oldest_ranked,) = connection.execute(
            f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?"
            " ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            [expression, RANK_WINDOW - 1],
        ).fetchone()
        window, parameters = "AND rowid >= ?", [expression, oldest_ranked]
    ranked = connection.execute(
        f"SELECT rowid, rank FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ? {window} "
        "ORDER BY rank, rowid DESC LIMIT ?",
        [*parameters, limit],
    ).fetchall()
    if not ranked:
        return SearchResults(total, min(total, RANK_WINDOW))
    rows = {
        row[0]: row
        for row in connection.execute(
            "SELECT id, outlet, published_at, title, url, language_tag, title_simplified, body,"
            f" body_simplified FROM articles WHERE id IN ({', '.join('?' for _ in ranked)})",
            [article_id for article_id, _ in ranked],
        )
    }
    highlighter = query.highlighter()
    hits = []
    for article_id, rank in ranked:
        _, outlet, published_at, title, url, language_tag, title_simplified, body, body_simplified = rows[
            article_id
        ]
        text = body or ""
        found = make_snippet(text, body_simplified, highlighter)
        if not any(match for _, match in found.parts) and title:
            found = make_snippet(title, title_simplified, highlighter)
        hits.append(Hit(article_id, outlet, published_at, title, url, language_tag, -rank, found))
    return SearchResults(total, min(total, RANK_WINDOW), hits)


# --- snippets ------------------------------------------------------------------------------------------


def make_snippet(original: str, simplified: str | None, highlighter: re.Pattern[str]) -> Snippet:
    """The stretch of `original` around its first match, every match in it marked.

    Matching runs on the Simplified copy (the text the index holds); OpenCC's tw2s maps every
    character and phrase to one of the same length, so positions carry over and a Traditional
    article shows its own Traditional text. Were a copy ever of another length, the snippet
    would come from the copy instead.
    """
    shown = original if simplified is None or len(simplified) == len(original) else simplified
    searched = simplified if simplified is not None else original
    spans = [match.span() for match in highlighter.finditer(searched) if match.end() > match.start()]
    start = max(spans[0][0] - SNIPPET_CHARS_BEFORE, 0) if spans else 0
    end = min(start + SNIPPET_CHARS, len(shown))
    parts: list[tuple[str, bool]] = [(ELLIPSIS, False)] if start > 0 else []
    position = start
    for span_start, span_end in spans:
        if span_end <= position or span_start >= end:
            continue
        if span_start > position:
            parts.append((shown[position:span_start], False))
        parts.append((shown[max(span_start, position) : min(span_end, end)], True))
        position = min(span_end, end)
    if position < end:
        parts.append((shown[position:end], False))
    if end < len(shown):
        parts.append((ELLIPSIS, False))
    return Snippet(tuple((WHITESPACE.sub(" ", text), match) for text, match in parts))


# --- SQL functions -------------------------------------------------------------------------------------


def register_functions(connection: sqlite3.Connection) -> None:
    """The SQL functions the index triggers and SQL users need, on one connection."""
    connection.create_function(SEARCH_TEXT_FUNCTION, 1, index_text, deterministic=True)
    connection.create_function(FILTER_TOKENS_FUNCTION, 3, filter_tokens, deterministic=True)
    connection.create_function(MATCH_FUNCTION, 1, match_expression, deterministic=True)
