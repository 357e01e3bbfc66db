"""What a query matches, and how FTS5 ranks it, as plain strings and numbers: the answers of the
SQLite index, restated so that another backend (`crawler.search.postgres`) gives the same ones.

- **Search text.** FTS5 matches a phrase of character pairs (`crawler.search.query`) wherever the
  text's runs of letters and digits, joined by one space, hold the phrase's runs joined the same
  way: a pair stands for two neighbours inside a run, a lone character for a run's end. So an
  article's *search text* (its runs, folded as FTS5 folds tokens, one space between them) holds
  every phrase of a query as a substring, once per FTS5 match (overlapping ones included).
- **Folding.** FTS5's unicode61 tokenizer folds what `tokens.normalise` leaves: a Latin letter
  with one diacritic becomes the letter (café finds cafe), final sigma becomes σ.
  tests/test_search_backends.py checks this against SQLite's tokenizer, character by character.
- **bm25.** FTS5's own formula (fts5_aux.c), operation for operation, so that scores agree to the
  last bit and ties fall the same way: per phrase of the query, its IDF over all articles and its
  frequency in the article (title matches weigh 3, body matches 1), with the article's length in
  tokens (title, body and filter tokens) against the average.
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from crawler.search.query import QueryTerm, SearchQuery, phrase_tokens
from crawler.search.tokens import WORD_RUN, normalise

# The weights of the SQLite index's rank, `bm25(1.0, 3.0, 0.0)` over its columns body, title, filters.
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0
# FTS5's bm25 constants.
K1 = 1.2
B = 0.75
MIN_IDF = 1e-6
# Below this code point, FTS5's remove_diacritics folds Latin letters; final sigma is folded apart.
LATIN_FOLDED_BELOW = 0x2000
FINAL_SIGMA = {"ς": "σ"}


@cache
def _folds() -> tuple[dict[int, str], re.Pattern[str]]:
    table = {ord(char): folded for char, folded in FINAL_SIGMA.items()}
    for code in range(0x80, LATIN_FOLDED_BELOW):
        parts = unicodedata.normalize("NFD", chr(code))
        if len(parts) == 2 and parts[0].isascii() and unicodedata.combining(parts[1]):
            table[code] = parts[0]
    return table, re.compile("[" + "".join(map(chr, table)) + "]")


def fold(text: str) -> str:
    """A normalised text as FTS5's unicode61 tokenizer compares it (remove_diacritics 1)."""
    table, foldable = _folds()
    return text.translate(table) if foldable.search(text) else text


def search_text(text: str | None) -> str | None:
    """A title or body (in Simplified) as phrases are looked for in it: folded runs, one space apart."""
    if text is None:
        return None
    return " ".join(WORD_RUN.findall(fold(normalise(text))))


def token_count(text: str | None) -> int:
    """How many tokens FTS5 holds for a search text: one per character of its runs."""
    return len(text) - text.count(" ") if text else 0


def pairs(text: str | None) -> set[str]:
    """The distinct tokens (character pairs, a run's lone last character) of a search text."""
    found: set[str] = set()
    for run in text.split(" ") if text else ():
        found.update(map(operator.add, run, run[1:]))
        found.add(run[-1])
    return found


@dataclass(frozen=True)
class Phrase:
    """One FTS5 phrase of a query: its text as a search text holds it, and its tokens."""

    text: str
    tokens: tuple[str, ...]
    # The last token is a prefix: a lone last character, which the text's run may continue.
    prefix: bool

    @property
    def overlaps_itself(self) -> bool:
        """Whether two occurrences can overlap (哈哈 in 哈哈哈): a proper prefix is also a suffix."""
        return any(self.text[:size] == self.text[-size:] for size in range(1, len(self.text)))


def term_phrases(term: QueryTerm) -> list[Phrase]:
    """A term's phrases, one per form, in the order of its FTS5 expression."""
    phrases = []
    for form in term.forms:
        folded = fold(form)
        found = phrase_tokens(folded)
        if found is not None:
            tokens, prefix = found
            phrases.append(Phrase(" ".join(WORD_RUN.findall(folded)), tuple(tokens), prefix))
    return phrases


def query_phrases(query: SearchQuery) -> list[Phrase]:
    """Every phrase of a query's FTS5 expression, in order (bm25 sums over them)."""
    return [phrase for term in query.terms for phrase in term_phrases(term)]


def idf(articles: int, articles_with_phrase: int) -> float:
    value = math.log((articles - articles_with_phrase + 0.5) / (articles_with_phrase + 0.5))
    return value if value > 0.0 else MIN_IDF


def bm25(
    title_counts: list[int], body_counts: list[int], tokens: int, idfs: list[float], average_tokens: float
) -> float:
    """An article's bm25 score (higher is better; FTS5's rank is its negation): per phrase, how often
    it occurs in the title and body, the article's tokens, the phrases' IDFs, the average tokens."""
    score = 0.0
    for in_title, in_body, phrase_idf in zip(title_counts, body_counts, idfs, strict=True):
        frequency = in_title * TITLE_WEIGHT + in_body * BODY_WEIGHT
        score += phrase_idf * (
            (frequency * (K1 + 1.0)) / (frequency + K1 * (1 - B + B * tokens / average_tokens))
        )
    return score
