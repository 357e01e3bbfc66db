"""bm25 in PostgreSQL: FTS5's formula (`crawler.search.matching.bm25`), operation for operation in
double precision, so that a search ranks its window in the server and reads back only the best;
and the window: a query's newest RANK_WINDOW matches, with each phrase's occurrences in them.

Computed in Python, a window of 5,000 matches cost more than its SQL: each row fetched (15 µs)
and scored (10 µs) one by one. The server computes the same IEEE 754 operations in the same order
on the same doubles (every constant and count cast to float8, never numeric), so scores agree
with SQLite's to the last bit, and ties fall the same way (the newest article first).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Connection, text

from crawler.search import results
from crawler.search.matching import BODY_WEIGHT, K1, TITLE_WEIGHT, B, Phrase, term_phrases
from crawler.search.query import SearchQuery

INDEX_TABLE = "article_search"
INDEX_KEY = "article"


def searched(table: str = INDEX_TABLE, key: str = INDEX_KEY) -> str:
    """The FROM clause of a search of the index `table`: `s` its rows, `t` their search texts (the
    table `table`_texts), `c` their characters' counts (`table`_counts). LEFT: PostgreSQL leaves
    out a LEFT JOIN on a unique key whose columns a statement never names, so matching and counting
    by the GIN index alone reads no text (every row of the index has its rows in both)."""
    return (
        f"{table} s LEFT JOIN {table}_texts t ON t.{key} = s.{key}"
        f" LEFT JOIN {table}_counts c ON c.{key} = s.{key}"
    )


class Binder(Protocol):
    parameters: dict[str, object]

    def bind(self, value: object) -> str: ...

    def occurrences(self, phrase: Phrase, part: str) -> str: ...


def _double(statement: Binder, value: float) -> str:
    return f"CAST({statement.bind(value)} AS float8)"


def bm25_expression(
    statement: Binder, counts: list[tuple[str, str]], tokens: str, idfs: list[float], average_tokens: float
) -> str:
    """The SQL of an article's bm25 score: `counts` are, per phrase, the expressions of its
    occurrences in the title and in the body; `tokens` the article's length."""
    length = (
        f"{_double(statement, K1)} * ({_double(statement, 1 - B)} + {_double(statement, B)}"
        f" * CAST({tokens} AS float8) / {_double(statement, average_tokens)})"
    )
    terms = []
    for (in_title, in_body), phrase_idf in zip(counts, idfs, strict=True):
        frequency = (
            f"(CAST({in_title} AS float8) * {_double(statement, TITLE_WEIGHT)}"
            f" + CAST({in_body} AS float8) * {_double(statement, BODY_WEIGHT)})"
        )
        terms.append(
            f"{_double(statement, phrase_idf)} * (({frequency} * {_double(statement, K1 + 1.0)})"
            f" / ({frequency} + {length}))"
        )
    # Python's sum starts at 0.0, and 0.0 + x is x: the terms added left to right.
    return " + ".join(terms)


def window_rows(
    connection: Connection,
    found: tuple[str, Binder],
    query: SearchQuery,
    phrases: list[Phrase],
    statement: Binder,
) -> tuple[int, str, list[tuple[str, str]]]:
    """How many articles the query matches, the SQL (in `statement`) of the rows (article, tokens,
    then per phrase its title and body counts) of the newest RANK_WINDOW of them, and the names of
    those counts. `found` is the GIN index's condition on `s`, with the statement it is bound in.

    The matches are counted and ordered in the server: sent here and sorted, the 90,000 of a common
    character cost more than counting. Each article's search texts are read once: where a term's
    phrase of more than one token must be checked in the text, by its counts, taken in the same
    reading for every article the GIN index finds; where the index alone matches, in the window
    alone, after."""
    condition, matching = found
    names = [(f"title_{place}", f"body_{place}") for place in range(len(phrases))]
    checks = _count_checks(query, phrases)
    if not checks:
        # One aggregate, sorted in memory: 2.8 ms for 9,072 matches, against 7.2 through a CTE
        # counted and then sorted for its newest.
        total, window = connection.execute(
            text(
                "SELECT count(*), (array_agg(s.article ORDER BY s.article DESC))"
                f"[1:CAST({matching.bind(results.RANK_WINDOW)} AS integer)]"
                f" FROM {searched()} WHERE {condition}"
            ),
            matching.parameters,
        ).one()
        in_window = f"s.article = ANY(CAST({statement.bind(window)} AS bigint[]))"
        return total, _counted_rows(phrases, names, in_window, statement), names
    columns = ["article", "tokens", *(name for pair in names for name in pair)]
    newest = f"ORDER BY article DESC LIMIT {matching.bind(results.RANK_WINDOW)}"
    # One aggregate: every array holds the window's rows in the same order.
    total, *arrays = connection.execute(
        text(
            f"WITH c AS MATERIALIZED ({_counted_rows(phrases, names, condition, matching)}),"
            f" m AS MATERIALIZED (SELECT * FROM c WHERE {checks}), w AS (SELECT * FROM m {newest})"
            " SELECT (SELECT count(*) FROM m)"
            + "".join(f", array_agg(w.{column})" for column in columns)
            + " FROM w"
        ),
        matching.parameters,
    ).one()
    unnested = ", ".join(f"CAST({statement.bind(values)} AS bigint[])" for values in arrays)
    return total, f"SELECT * FROM unnest({unnested}) AS w({', '.join(columns)})", names


def _counted_rows(
    phrases: list[Phrase], names: list[tuple[str, str]], condition: str, statement: Binder
) -> str:
    """The SQL of the rows (article, tokens, each phrase's counts named `names`) `condition` finds."""
    counted = "".join(
        f", {statement.occurrences(phrase, part)} AS {name}"
        for phrase, pair in zip(phrases, names, strict=True)
        for part, name in zip(("title", "body"), pair, strict=True)
    )
    return f"SELECT s.article, s.token_count AS tokens{counted} FROM {searched()} WHERE {condition}"


def _count_checks(query: SearchQuery, phrases: list[Phrase]) -> str:
    """The condition on a row's counts (`title_N`, `body_N`, N the phrase's place in `phrases`) that
    its text holds, for each term the GIN index cannot match alone, one of its phrases."""
    checks, place = [], 0
    for term in query.terms:
        term_places = range(place, place + len(term_phrases(term)))
        place = term_places.stop
        if any(len(phrases[at].tokens) > 1 for at in term_places):
            checks.append("(" + " OR ".join(f"title_{at} > 0 OR body_{at} > 0" for at in term_places) + ")")
    return " AND ".join(checks)
