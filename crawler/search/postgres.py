"""Chinese search on a PostgreSQL archive: the SQLite index's answers, from a GIN index.

Imported only for a `postgresql://` archive (SQLAlchemy is the `postgresql` extra).

`article_search` (crawler/archive/model/postgres_only.py) holds, per article, `lexemes`: a tsvector of
the distinct tokens of its title and body (the SQLite index's character pairs, folded as FTS5
folds them: `crawler.search.matching`) and of its filter tokens (`#` before them), GIN-indexed;
and `token_count`, its length as bm25 counts it. `article_search_texts` holds its `title_text`
and `body_text` (search texts: runs one space apart), in a table of their own so that the
index's rows are narrow and the texts are read from their row, not from TOAST; and
`article_search_counts` how many times each character occurs in each (the tables' comments say
why). `index_articles` writes the three: the archive's write path calls it in the transaction
of each article it writes, and `migrate-archive` for the articles it copied
(`index_unindexed_articles`).

- **Matching.** A term is looked up in the GIN index, every token of one of its phrases (`&`; a
  lone last character as a prefix, `'中':*`), with the filters' tokens, in one `@@`; a phrase of
  more than one token is then checked in the search text (strpos). Not with `<->`: a tsvector
  keeps at most 256 positions of a lexeme and none past 16,383, so phrases in long articles
  would be missed, and recall against a substring scan is 1.0 only this way.
- **Ranking.** bm25 as FTS5 computes it, among the newest RANK_WINDOW matches as on SQLite, in the
  server (crawler/search/postgres_ranking.py), which returns the best `limit` alone: the matches
  are read once off the GIN index, counted and ordered in the server, each phrase's occurrences
  counted in the window's search texts in SQL (a lone character's read off its counts), its IDF
  from how many articles hold it, the average length from the totals table.
- **Budget.** The same query caps as SQLite (`crawler.search.query`); `time_limit` is
  PostgreSQL's statement_timeout, past which SearchTimeout.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import count
from typing import Any

from sqlalchemy import Connection, TextClause, text
from sqlalchemy.exc import OperationalError

from crawler.search import results
from crawler.search.matching import (
    Phrase,
    idf,
    pairs,
    query_phrases,
    search_text,
    term_phrases,
    token_count,
)
from crawler.search.postgres_ranking import INDEX_TABLE, bm25_expression, searched, window_rows
from crawler.search.query import NO_FILTERS, Filters, SearchQuery
from crawler.search.results import (
    DATED_RANGE,
    HIT_COLUMNS,
    SearchResults,
    SearchTimeout,
    date_span_between,
    make_hits,
)
from crawler.search.tokens import filter_tokens

# How many articles the index holds and their tokens, for bm25's average (a scan of the index for
# them took 30 ms at 100,000 articles): summed over TOTALS_SLOTS rows, a writer adding to the row
# of its server process's number, so that writers in several sessions do not queue on one row.
TOTALS_TABLE = "article_search_totals"
TOTALS_SLOTS = 16
# Filter tokens are kept apart from the text's: a one-letter prefix query must not match them.
FILTER_PREFIX = "#"
# Articles read and indexed per statement.
INDEX_BATCH = 500
QUERY_CANCELED = "57014"


def _sql(statement: str) -> TextClause:
    return text(statement)


# --- writing ---------------------------------------------------------------------------------------


def character_counts(text: str | None) -> str | None:
    """How many times each character but spaces occurs in a search text, as a JSON object (None:
    none); revision 0008 counts those of the texts it moved in SQL, the same."""
    counted = Counter(character for character in text or "" if character != " ")
    return json.dumps(counted, ensure_ascii=False) if counted else None


def search_row(title: str | None, body: str | None, filters: str) -> dict[str, Any]:
    """An index's rows (but their key) of a title and body in Simplified and their filter tokens."""
    title_text, body_text = search_text(title), search_text(body)
    tokens = filters.split()
    lexemes = pairs(title_text) | pairs(body_text) | {FILTER_PREFIX + token for token in tokens}
    return {
        "lexemes": list(lexemes),
        "title_text": title_text,
        "body_text": body_text,
        "title_counts": character_counts(title_text),
        "body_counts": character_counts(body_text),
        "token_count": token_count(title_text) + token_count(body_text) + len(tokens),
    }


def _index_row(row: Sequence[Any]) -> dict[str, Any]:
    """article_search's row of an article's id, title and body (Simplified), outlet, tag, date."""
    article, title, body, outlet, language_tag, published_at = row
    return {"article": article, **search_row(title, body, filter_tokens(outlet, language_tag, published_at))}


def index_articles(connection: Connection, article_ids: Iterable[int]) -> int:
    """Index these articles (again), in the caller's transaction; return how many."""
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), INDEX_BATCH):
        batch = ids[start : start + INDEX_BATCH]
        rows = connection.execute(
            _sql(
                "SELECT id, coalesce(title_simplified, title), coalesce(body_simplified, body), outlet,"
                " language_tag, published_at FROM articles WHERE id = ANY(:ids)"
            ),
            {"ids": batch},
        )
        _replace(connection, batch, [_index_row(row) for row in rows])
    return len(ids)


def unindex_articles(connection: Connection, article_ids: Iterable[int]) -> None:
    """Take these articles out of the index, in the caller's transaction: before deleting them
    (the index's rows refer to them)."""
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), INDEX_BATCH):
        _replace(connection, ids[start : start + INDEX_BATCH], [])


def _replace(connection: Connection, article_ids: list[int], rows: list[dict[str, Any]]) -> None:
    """The index's rows of these articles replaced by `rows`, and its totals kept in step."""
    removed = delete_search_rows(connection, INDEX_TABLE, "article", article_ids)
    if rows:
        insert_search_rows(connection, INDEX_TABLE, "article", rows)
    connection.execute(
        _sql(
            f"INSERT INTO {TOTALS_TABLE} (id, articles, tokens)"
            f" VALUES (pg_backend_pid() % {TOTALS_SLOTS}, :articles, :tokens)"
            f" ON CONFLICT (id) DO UPDATE SET articles = {TOTALS_TABLE}.articles + excluded.articles,"
            f" tokens = {TOTALS_TABLE}.tokens + excluded.tokens"
        ),
        {
            "articles": len(rows) - len(removed),
            "tokens": sum(row["token_count"] for row in rows) - sum(removed),
        },
    )


def delete_search_rows(connection: Connection, table: str, key: str, ids: list[int]) -> list[int]:
    """Take the rows of these `ids` out of the index `table` and its tables of search texts and
    character counts (`table`_texts, `table`_counts): the token counts of the index rows taken."""
    for apart in (f"{table}_texts", f"{table}_counts"):
        connection.execute(_sql(f"DELETE FROM {apart} WHERE {key} = ANY(:ids)"), {"ids": ids})
    deleted = connection.execute(
        _sql(f"DELETE FROM {table} WHERE {key} = ANY(:ids) RETURNING token_count"), {"ids": ids}
    )
    return list(deleted.scalars())


def insert_search_rows(connection: Connection, table: str, key: str, rows: list[dict[str, Any]]) -> None:
    """`rows` (`search_row`'s, each with its `key`) into the index `table` and its tables of search
    texts and character counts."""
    connection.execute(
        _sql(
            f"INSERT INTO {table} ({key}, lexemes, token_count)"
            f" VALUES (:{key}, array_to_tsvector(CAST(:lexemes AS text[])), :token_count)"
        ),
        rows,
    )
    connection.execute(
        _sql(
            f"INSERT INTO {table}_texts ({key}, title_text, body_text)"
            f" VALUES (:{key}, :title_text, :body_text)"
        ),
        rows,
    )
    connection.execute(
        _sql(
            f"INSERT INTO {table}_counts ({key}, title_counts, body_counts)"
            f" VALUES (:{key}, CAST(:title_counts AS jsonb), CAST(:body_counts AS jsonb))"
        ),
        rows,
    )


def index_totals(connection: Connection) -> tuple[int, int]:
    """How many articles the index holds, and their tokens (0, 0 when none)."""
    articles, tokens = connection.execute(
        _sql(f"SELECT CAST(sum(articles) AS bigint), CAST(sum(tokens) AS bigint) FROM {TOTALS_TABLE}")
    ).one()
    return articles or 0, tokens or 0


def index_unindexed_articles(connection: Connection) -> int:
    """Index every article the index lacks (after a copy into the archive), in batches of one
    statement each; return how many."""
    done = 0
    while batch := (
        connection.execute(
            _sql(
                f"SELECT a.id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM {INDEX_TABLE} s"
                " WHERE s.article = a.id) ORDER BY a.id LIMIT :size"
            ),
            {"size": INDEX_BATCH},
        )
        .scalars()
        .all()
    ):
        done += index_articles(connection, batch)
    return done


# --- matching --------------------------------------------------------------------------------------


class Statement:
    """A condition on `s` (article_search), `t` (its search texts) and `c` (their characters' counts)
    being built, with its parameters."""

    def __init__(self) -> None:
        self.parameters: dict[str, Any] = {}
        self._names = count()

    def bind(self, value: Any) -> str:
        name = f"p{next(self._names)}"
        self.parameters[name] = value
        return f":{name}"

    def in_text(self, phrase: Phrase) -> str:
        text = self.bind(phrase.text)
        return f"(strpos(t.title_text, {text}) > 0 OR strpos(t.body_text, {text}) > 0)"

    def occurrences(self, phrase: Phrase, part: str) -> str:
        """How many times (overlapping ones too, as FTS5 counts) a phrase occurs in a search text:
        the `part`'s, title or body."""
        if len(phrase.text) == 1:
            return f"coalesce(CAST(c.{part}_counts ->> {self.bind(phrase.text)} AS bigint), 0)"
        column = f"{part}_text"
        if phrase.overlaps_itself:
            # Each occurrence consumes its first character, the rest looked ahead: a pattern that is
            # all lookahead is tried at every character, 4 times slower (旺旺 in 851 bodies: 116 ms
            # against 26).
            pattern = f"{phrase.text[0]}(?={phrase.text[1:]})"
            return f"coalesce(regexp_count(t.{column}, {self.bind(pattern)}), 0)"
        text = self.bind(phrase.text)
        # In bytes: octet_length is read off the value's header, length() would count its characters.
        return (
            f"coalesce((octet_length(t.{column}) - octet_length(replace(t.{column}, {text}, '')))"
            f" / octet_length({text}), 0)"
        )


def _lexeme(token: str, prefix: bool = False) -> str:
    # Tokens hold letters, digits and `#` only: nothing to escape inside the quotes.
    return f"'{token}'" + (":*" if prefix else "")


def _all_tokens(phrase: Phrase) -> str:
    last = len(phrase.tokens) - 1
    distinct = dict.fromkeys(
        _lexeme(token, phrase.prefix and place == last) for place, token in enumerate(phrase.tokens)
    )
    return "(" + " & ".join(distinct) + ")"


def _any_phrase(phrases: list[Phrase]) -> str:
    """The tsquery finding one of the phrases' tokens."""
    return "(" + " | ".join(_all_tokens(phrase) for phrase in phrases) + ")"


def _in_text(phrases: list[Phrase], statement: Statement) -> str | None:
    """The check in the text that one of the phrases found by their tokens needs (None: none)."""
    if all(len(phrase.tokens) == 1 for phrase in phrases):
        return None
    return "(" + " OR ".join(statement.in_text(phrase) for phrase in phrases) + ")"


def _date_span(connection: Connection) -> tuple[Any, Any]:
    # COLLATE "C": the byte order SQLite's range compares in, whatever the database's collation.
    earliest, latest = connection.execute(
        _sql(
            'SELECT min(published_at COLLATE "C"), max(published_at COLLATE "C") FROM articles'
            ' WHERE published_at COLLATE "C" >= :low AND published_at COLLATE "C" < :high'
        ),
        dict(zip(("low", "high"), DATED_RANGE, strict=True)),
    ).one()
    return date_span_between(earliest, latest)


def _lexemes_condition(
    connection: Connection, query: SearchQuery | None, filters: Filters, statement: Statement
) -> str | None:
    """The condition on `s` the GIN index answers: each term's tokens and the filters' (the
    phrases of more than one token still to be checked in the text); None when nothing can match."""
    groups = filters.token_groups(_date_span(connection) if filters.dated else None)
    if groups is None:
        return None
    found = [_any_phrase(term_phrases(term)) for term in query.terms] if query else []
    found += ["(" + " | ".join(_lexeme(FILTER_PREFIX + token) for token in group) + ")" for group in groups]
    if not found:
        return "TRUE"
    return f"s.lexemes @@ CAST({statement.bind(' & '.join(found))} AS tsquery)"


def match_condition(
    connection: Connection, query: SearchQuery | None, filters: Filters, statement: Statement
) -> str | None:
    """The WHERE condition on `s` matching the query and filters; None when nothing can match."""
    found = _lexemes_condition(connection, query, filters, statement)
    if found is None:
        return None
    checks = [_in_text(term_phrases(term), statement) for term in query.terms] if query else []
    return " AND ".join([found, *filter(None, checks)])


# Planner settings for the length of a search (restored after it). enable_seqscan: read matches off
# the GIN index, whatever the planner estimates; it does not cost reading each article's tsvector
# back from TOAST, so it scans a table that looks small instead, 20 to 50 times slower (a common
# character at 2,000 articles: 50 ms against 2.5). jit: compiling a search's expressions took
# longer than running them (290 ms for one row), and a disabled scan's cost starts it.
SEARCH_SETTINGS = {"enable_seqscan": "off", "jit": "off"}


@contextmanager
def through_the_index(connection: Connection) -> Iterator[None]:
    names = list(SEARCH_SETTINGS)
    previous = connection.execute(
        _sql(
            "SELECT "
            + ", ".join(f"current_setting('{name}')" for name in names)
            + "".join(f", set_config('{name}', '{value}', true)" for name, value in SEARCH_SETTINGS.items())
        )
    ).one()[: len(names)]
    try:
        yield
    finally:
        connection.execute(
            _sql("SELECT " + ", ".join(f"set_config('{name}', :{name}, true)" for name in names)),
            dict(zip(names, previous, strict=True)),
        )


def count_matches(connection: Connection, query: SearchQuery, filters: Filters = NO_FILTERS) -> int:
    statement = Statement()
    condition = match_condition(connection, query, filters, statement)
    if condition is None:
        return 0
    with through_the_index(connection):
        return connection.execute(
            _sql(f"SELECT count(*) FROM {searched()} WHERE {condition}"), statement.parameters
        ).scalar_one()


def matching_article_ids(
    connection: Connection, query: SearchQuery | None, filters: Filters = NO_FILTERS
) -> Iterator[int]:
    """Ids of every article the query (all articles when None) and filters match, ascending."""
    if query is None and filters.empty:
        yield from connection.execute(_sql("SELECT id FROM articles ORDER BY id")).scalars()
        return
    statement = Statement()
    condition = match_condition(connection, query, filters, statement)
    if condition is not None:
        with through_the_index(connection):
            found = _matches(connection, condition, statement)
        yield from found


def _matches(connection: Connection, condition: str, statement: Statement) -> list[int]:
    """The articles `condition` matches, in order of id."""
    # Sorted here: asked for them in order, the planner walks the key and reads every article's
    # tsvector back from TOAST to test it (185 ms for a common pair at 10,000 articles, 8,767
    # matches), where the GIN index's bitmap gives them unordered in 4 ms.
    found = connection.execute(
        _sql(f"SELECT s.article FROM {searched()} WHERE {condition}"), statement.parameters
    ).scalars()
    return sorted(found)


# --- ranking ---------------------------------------------------------------------------------------


def phrase_idfs(
    connection: Connection, articles: int, phrases: list[Phrase], index: str | None = None
) -> list[float]:
    """Each phrase's IDF: FTS5's, from how many rows of an index (`index`, the FROM clause of its
    search: `searched`; article_search's when None) hold it (in title or body) among all (`articles`)."""
    holding: dict[Phrase, int] = {}
    for phrase in phrases:
        if phrase not in holding:
            statement = Statement()
            check = _in_text([phrase], statement)
            condition = " AND ".join(
                [
                    f"s.lexemes @@ CAST({statement.bind(_any_phrase([phrase]))} AS tsquery)",
                    *filter(None, [check]),
                ]
            )
            holding[phrase] = connection.execute(
                _sql(f"SELECT count(*) FROM {index or searched()} WHERE {condition}"), statement.parameters
            ).scalar_one()
    return [idf(articles, holding[phrase]) for phrase in phrases]


def search(
    connection: Connection, query: SearchQuery, filters: Filters = NO_FILTERS, limit: int = 20
) -> SearchResults:
    """The best `limit` matches by bm25 (FTS5's), each with a snippet: `results.search`'s answer."""
    with through_the_index(connection):
        return _search(connection, query, filters, limit)


def _search(connection: Connection, query: SearchQuery, filters: Filters, limit: int) -> SearchResults:
    phrases = query_phrases(query)
    statement, matching = Statement(), Statement()
    found = _lexemes_condition(connection, query, filters, matching)
    if found is None:
        return SearchResults(0, 0)
    total, rows, counts = window_rows(connection, (found, matching), query, phrases, statement)
    if not total:
        return SearchResults(0, 0)
    articles, tokens = index_totals(connection)
    # A lone phrase without filters is held by exactly the articles the query matched.
    idfs = (
        [idf(articles, total)]
        if len(phrases) == 1 and filters.empty
        else phrase_idfs(connection, articles, phrases)
    )
    # FTS5: (double) tokens / (double) rows.
    score = bm25_expression(statement, counts, "w.tokens", idfs, float(tokens) / float(articles))
    # MATERIALIZED: inlined, each count would be computed again wherever the score names it.
    scored = connection.execute(
        _sql(
            f"WITH w AS MATERIALIZED ({rows}) SELECT w.article, {score} AS score FROM w"
            f" ORDER BY score DESC, w.article DESC LIMIT {statement.bind(limit)}"
        ),
        statement.parameters,
    ).all()
    rows_by_id = {
        row[0]: row
        for row in connection.execute(
            _sql(f"SELECT {HIT_COLUMNS} FROM articles WHERE id = ANY(:ids)"),
            {"ids": [article for article, _ in scored]},
        )
    }
    hits = make_hits(rows_by_id, [(article, score) for article, score in scored], query)
    return SearchResults(total, min(total, results.RANK_WINDOW), hits)


@contextmanager
def time_limit(connection: Connection, seconds: float) -> Iterator[None]:
    """Cancel whatever PostgreSQL runs on `connection` for longer than `seconds`: SearchTimeout."""
    connection.execute(_sql(f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}"))
    try:
        yield
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != QUERY_CANCELED:
            raise
        raise SearchTimeout.after(seconds) from None
