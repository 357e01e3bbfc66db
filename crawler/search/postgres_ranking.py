"""bm25 in PostgreSQL: FTS5's formula (`crawler.search.matching.bm25`), operation for operation in
double precision, so that a search ranks its window in the server and reads back only the best.

Computed in Python, a window of 5,000 matches cost more than its SQL: each row fetched (15 µs)
and scored (10 µs) one by one. The server computes the same IEEE 754 operations in the same order
on the same doubles (every constant and count cast to float8, never numeric), so scores agree
with SQLite's to the last bit, and ties fall the same way (the newest article first).
"""

from __future__ import annotations

from typing import Protocol

from crawler.search.matching import BODY_WEIGHT, K1, TITLE_WEIGHT, B


class Binder(Protocol):
    def bind(self, value: object) -> str: ...


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
