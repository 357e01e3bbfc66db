"""A researcher's query, parsed: its terms and phrases, in Simplified and as typed, and its filters.

- **Simplified first.** The index holds titles and bodies in Simplified script (articles not in
  Chinese as written); each query term is converted with OpenCC's tw2s too, so 臺灣 finds 台湾
  and the reverse, and is also looked for as typed.
- **Phrases of character pairs.** A query of n ≥ 2 characters is the FTS5 phrase of its n - 1
  pairs (`crawler.search.tokens`); a single character is a prefix query (`中*`) answered by
  FTS5's one-character prefix index. A query run followed by more of the query (punctuation, a
  space) must end there in the text too, so it keeps its lone last character. Any substring of
  the text is therefore found: recall is 1.0 against a substring scan, for Chinese and Latin alike.
- Everything else is literal text: FTS5 operators and SQL in a query are searched for as the
  letters they hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from crawler.chinese import to_simplified
from crawler.exit_status import BadInput
from crawler.search.tokens import (
    CHARACTER_PAIRS,
    WORD_RUN,
    date_range_tokens,
    language_tokens,
    normalise,
    outlet_token,
)

MAX_QUERY_CHARS = 1_000
# The search's budget. Every term is one more doclist of the index walked in step with the others
# (a repeated term counts once): a search costs about its number of terms times the articles its
# rarest term is in. A single character is in nearly every article (its doclist is the largest:
# every pair it starts), and so may be a common word: without these caps, 500 terms took minutes.
# bench/search_budget.py measures the worst queries they allow (under 2 s at 100,000 articles).
MAX_QUERY_TERMS = 8
MAX_SINGLE_CHARACTER_TERMS = 2
CONTENT_COLUMNS = "{title body}"
FILTER_COLUMN = "{filters}"
# Phrase quotes: ASCII and the curly pair Chinese keyboards type.
PHRASE_QUOTES = {'"': '"', "“": "”"}
CLOSING_QUOTES = frozenset(PHRASE_QUOTES.values())
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
# Full-width Latin letters and digits (ＡＩ, ２０２４) sit this far above their ASCII forms.
FULL_WIDTH_OFFSET = 0xFEE0


class QueryError(BadInput, ValueError):
    """A query or filter that cannot be searched; the message says why in one line."""


def phrase_tokens(text: str) -> tuple[list[str], bool] | None:
    """The index's tokens that occur in order wherever `text` (normalised) occurs in an indexed
    text, and whether the last is a prefix (a lone last character); None without a word in it."""
    runs = WORD_RUN.findall(text)
    if not runs:
        return None
    tokens: list[str] = []
    for run in runs[:-1]:
        tokens += CHARACTER_PAIRS.findall(run)
    last = runs[-1]
    # The text's run may go on past the query's end: only the pairs inside the query are known.
    tokens += CHARACTER_PAIRS.findall(last)[: max(len(last) - 1, 1)]
    return tokens, len(last) == 1


def _phrase(text: str) -> str | None:
    """The FTS5 phrase matching every occurrence of `text` (normalised) in an indexed text."""
    found = phrase_tokens(text)
    if found is None:
        return None
    tokens, prefix = found
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


@dataclass(frozen=True)
class QueryTerm:
    """A word or quoted phrase of a query, in the forms it is looked for (normalised)."""

    simplified: str
    as_typed: str

    @property
    def forms(self) -> tuple[str, ...]:
        # Articles not in Chinese are indexed as written: their Han characters match as typed.
        return (self.simplified,) if self.as_typed == self.simplified else (self.simplified, self.as_typed)

    @property
    def single_character(self) -> bool:
        """Searched as a one-character prefix: the pairs of every article it occurs in."""
        return any(len(runs) == 1 and len(runs[0]) == 1 for runs in map(WORD_RUN.findall, self.forms))

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

    Words are separated by spaces and must all occur (a word given twice counts once; at most
    MAX_QUERY_TERMS different ones, MAX_SINGLE_CHARACTER_TERMS of them single characters);
    "quoted text" (or “…”) occurs as one piece, its words in that order. Everything else is
    literal text: FTS5 operators (AND, OR, NEAR, *, ^, column:) and SQL are searched for as the
    letters they hold. Punctuation, and a space inside quotes, stand for any break in the text:
    中国，美国 finds 中国、美国 and 中国 美国.
    """
    if not text or not text.strip():
        raise QueryError("empty query: give the word or phrase to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text):,} characters; at most {MAX_QUERY_CHARS:,})")
    terms: dict[QueryTerm, None] = {}
    for piece in _split_terms(text.strip()):
        as_typed = normalise(piece)
        if WORD_RUN.search(as_typed):
            terms[QueryTerm(normalise(to_simplified(piece)), as_typed)] = None
    if not terms:
        raise QueryError(f"nothing to search for in {text!r}: no letters, digits or Chinese characters")
    if len(terms) > MAX_QUERY_TERMS:
        raise QueryError(
            f"too many words ({len(terms)} different words or phrases; at most {MAX_QUERY_TERMS}):"
            " quote a phrase to search for it as one"
        )
    single = sum(1 for term in terms if term.single_character)
    if single > MAX_SINGLE_CHARACTER_TERMS:
        raise QueryError(
            f"too many single characters ({single} searched apart; at most {MAX_SINGLE_CHARACTER_TERMS}):"
            " each is in nearly every article; search words of two characters or more, or a quoted phrase"
        )
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

    @property
    def dated(self) -> bool:
        return bool(self.since or self.until)

    def token_groups(self, date_span: tuple[date, date] | None = None) -> list[list[str]] | None:
        """The filter tokens an article must hold, one of each group; None when no article can pass.

        `date_span` (the first and last publication dates archived) is needed when `dated`.
        """
        groups = []
        if self.outlets:
            groups.append([outlet_token(slug) for slug in self.outlets])
        if self.language:
            groups.append([language_tokens(self.language)[0]])
        if self.dated:
            assert date_span is not None
            earliest, latest = date_span
            span = date_range_tokens(max(self.since or earliest, earliest), min(self.until or latest, latest))
            if not span:
                return None
            groups.append(span)
        return groups

    def expression(self, date_span: tuple[date, date] | None = None) -> str | None:
        """The FTS5 expression on the filter column; None when no article can pass."""
        groups = self.token_groups(date_span)
        if groups is None:
            return None
        return " AND ".join(
            f"{FILTER_COLUMN} : (" + " OR ".join(f'"{token}"' for token in group) + ")" for group in groups
        )


NO_FILTERS = Filters()


def parse_day(text: str, option: str) -> date:
    """A YYYY-MM-DD option value, or QueryError naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None
