"""Chinese full-text search: recall against a substring scan, both scripts, phrases, bad input,
ranking, snippets in the original script, and an index that stays in step with the archive.

The corpus is the real fixture articles plus articles recombined from their paragraphs (half
turned into Traditional with OpenCC s2twp) and a few written here: all labelled synthetic.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlite_utils import Database

from crawler.archive import Archive, legacy, schema
from crawler.chinese import to_simplified
from crawler.research.reextraction import reextract
from crawler.search import results as search_results
from crawler.search.index import catch_up
from crawler.search.query import Filters, QueryError, parse_query
from crawler.search.results import count_matches, matching_article_ids, search
from crawler.search.tokens import index_text, normalise
from tests.helpers import (
    RECOMBINED_OUTLETS,
    made_by_legacy_migrations,
    store_article,
    store_fixture_articles,
    store_recombined_articles,
)

TYPHOON = "受颱風影響，臺灣東部花蓮、臺東兩縣今天宣佈停班停課，交通部門提醒民眾減少外出，並注意強風豪雨。"
RECOMBINED_ARTICLES = 60
# Written for these tests (synthetic): mixed scripts, Latin, FTS and SQL syntax as plain text.
WRITTEN_ARTICLES = [
    (
        "sina",
        "Apple 今天举行发布会",
        "Apple 在加州举行秋季发布会，发布了 iPhone 15 Pro Max。分析师认为 AI 晶片是重点。",
    ),
    (
        "cna",
        "颱風海燕逼近臺灣",
        "受颱風「海燕」影響，臺灣東部停班停課……網際網路與ＡＩ晶片業者也宣布遠距上班。",
    ),
    (
        "huanqiu",
        "Taiwan and the WHO",
        "The WHO meeting in Geneva discussed 臺灣 and 中国, NEAR(x) AND y OR z^2 title:col.",
    ),
    (
        "udn",
        "搜尋語法",
        "文章裡寫著 NEAR(中国, 5) AND title:台灣 ^開頭 *星號 與 '; DROP TABLE articles; -- 等字。",
    ),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, registry):
    """An archive of real and recombined articles; yields (archive, {id: (simplified-or-original texts)})."""
    path = tmp_path_factory.mktemp("search") / "archive.db"
    archive = Archive(path)
    archive.sync_outlets(registry)
    assert store_fixture_articles(archive, registry) >= 10
    store_recombined_articles(archive, registry, RECOMBINED_ARTICLES, seed=7, first=1000)
    for number, (outlet, title, body) in enumerate(WRITTEN_ARTICLES):
        store_article(archive, registry, outlet=outlet, number=5000 + number, title=title, body=body)
    yield archive
    archive.close()


def _texts(archive: Archive) -> dict[int, tuple[str, ...]]:
    rows = archive.db.execute(
        "SELECT id, coalesce(title_simplified, title, ''), coalesce(body_simplified, body, '') FROM articles"
    )
    return {article_id: (normalise(title), normalise(body)) for article_id, title, body in rows}


def _terms(query: str) -> list[str]:
    """A test query's terms: the inside of one quoted phrase, or its space-separated words."""
    if query.startswith('"') and query.endswith('"'):
        return [query[1:-1]]
    return query.split()


def substring_scan(texts: dict[int, tuple[str, ...]], query: str) -> set[int]:
    """The reference: articles whose Simplified title or body holds each term, as plain substrings."""
    wanted = [{normalise(to_simplified(term)), normalise(term)} for term in _terms(query)]
    return {
        article_id
        for article_id, fields in texts.items()
        if all(any(form in text for form in forms for text in fields) for forms in wanted)
    }


def found(archive: Archive, query: str) -> set[int]:
    return set(matching_article_ids(archive.db.conn, parse_query(query)))


def titles_found(archive: Archive, query: str) -> set[str]:
    ids = found(archive, query)
    return {
        title
        for article_id, title in archive.db.execute("SELECT id, title FROM articles")
        if article_id in ids
    }


def test_index_text_is_overlapping_character_pairs():
    assert index_text("中国人") == "中国 国人 人"
    assert index_text("iPhone 15，好") == "ip ph ho on ne e 15 5 好"
    assert index_text("ＡＩ晶片") == "ai i晶 晶片 片"
    assert index_text(None) is None


def test_recall_is_one_against_a_substring_scan(corpus):
    texts = _texts(corpus)
    rng = random.Random(11)
    characters = {char for fields in texts.values() for text in fields for char in text if char.isalnum()}
    queries = sorted(characters)
    originals = [
        text
        for row in corpus.db.execute("SELECT title, body FROM articles")
        for text in row
        if text and len(text) > 12
    ]
    for _ in range(400):
        text = rng.choice(originals)
        length = rng.choice((2, 3, 4, 6, 9))
        start = rng.randrange(len(text) - length)
        piece = text[start : start + length].strip()
        if piece and '"' not in piece:
            # Text with spaces or punctuation is searched as a phrase, as a researcher quotes it.
            queries.append(piece if piece.isalnum() else f'"{piece}"')
    searched = 0
    for query in queries:
        try:
            matched = found(corpus, query)
        except QueryError:
            continue
        expected = substring_scan(texts, query)
        assert expected <= matched, f"{query!r} missed {expected - matched}"
        if query.isalnum() and all("\u3400" <= char <= "\u9fff" for char in query):
            # Chinese runs match exactly where they occur: no false hits either (Latin letters
            # with accents match their plain letter too: é of LTN's "Let's café").
            assert matched == expected, f"{query!r} also found {matched - expected}"
        searched += 1
    assert searched > 1000


@pytest.mark.parametrize(
    ("query", "expected_title"),
    [
        ("臺灣", "颱風海燕逼近臺灣"),  # Traditional query, Traditional article
        ("台湾", "颱風海燕逼近臺灣"),  # Simplified query finds the Traditional article
        ("發佈會", "Apple 今天举行发布会"),  # Traditional query finds the Simplified article
        ("Apple 发布会", "Apple 今天举行发布会"),  # mixed, both terms
        ('"iPhone 15 Pro"', "Apple 今天举行发布会"),  # phrase across spaces
        ("ai晶片", "颱風海燕逼近臺灣"),  # full-width ＡＩ and ai match alike
        ('"AI 晶片"', "Apple 今天举行发布会"),
        ("网际网路", "颱風海燕逼近臺灣"),
        ("臺灣 Geneva", "Taiwan and the WHO"),  # Han characters in an English article, as typed
    ],
)
def test_scripts_mixed_text_and_phrases(corpus, query, expected_title):
    assert expected_title in titles_found(corpus, query)


def test_a_phrase_keeps_its_words_together_and_in_order(corpus):
    assert found(corpus, '"Pro Max"') and found(corpus, '"Pro Max"') <= found(corpus, "Pro Max")
    assert not found(corpus, '"Max Pro"')
    assert found(corpus, "“停班停課”") == found(corpus, '"停班停課"') != set()
    # A space inside a phrase stands for a break in the text: 停班停課 written together does not match.
    assert "颱風海燕逼近臺灣" not in titles_found(corpus, '"停班 停課"')


@pytest.mark.parametrize(
    "query",
    [
        "NEAR(",
        "AND",
        "title:",
        "^開頭",
        "*星號",
        "OR z^2",
        "col:",
        "'; DROP TABLE articles; --",
        "NEAR(中国, 5)",
    ],
)
def test_search_syntax_and_sql_are_searched_as_text(corpus, query):
    matched = found(corpus, query)
    assert matched, query
    assert matched >= substring_scan(_texts(corpus), query)
    assert corpus.db.execute("SELECT count(*) FROM articles").fetchone()[0] > 60


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ('"', "unbalanced quote"),
        ('中国 "美国', "unbalanced quote"),
        ("美国”", "unbalanced quote"),
        ("*", "nothing to search for"),
        ("^ : ( ) -", "nothing to search for"),
        ("中" * 1001, "query too long"),
    ],
)
def test_unsearchable_queries_are_one_line_errors(query, message):
    with pytest.raises(QueryError, match=message) as error:
        parse_query(query)
    assert "\n" not in str(error.value)


def test_results_are_ranked_by_bm25_with_title_weight(small, registry):
    title_hit = store_article(
        small, registry, outlet="ltn", number=1, title="蓮霧豐收", body="今年產量大增。"
    )
    body_hit = store_article(
        small, registry, outlet="ltn", number=2, title="農業新聞", body="屏東的蓮霧今年產量大增，農民開心。"
    )
    store_article(small, registry, outlet="ltn", number=3, title="其他", body="今天天氣很好。")
    results = search(small.db.conn, parse_query("莲雾"))
    assert [hit.id for hit in results.hits] == [title_hit, body_hit]
    assert results.total == 2 and results.ranked == 2
    assert results.hits[0].score > results.hits[1].score > 0


def test_snippets_mark_the_match_in_the_original_script(corpus):
    hits = {hit.title: hit for hit in search(corpus.db.conn, parse_query("台湾")).hits}
    traditional = hits["颱風海燕逼近臺灣"].snippet
    assert "«臺灣»" in traditional.marked()
    # … and ＡＩ change length under NFKC; the marks still land on the original characters.
    assert "«ＡＩ晶片»" in search(corpus.db.conn, parse_query("ai晶片")).hits[0].snippet.marked()
    assert "……«網際網路»" in search(corpus.db.conn, parse_query("网际网路")).hits[0].snippet.marked()


def _passes(filters: Filters, outlet: str, tag: str | None, published_at: str | None) -> bool:
    """The filters' meaning, as plain Python over the article's columns."""
    day = published_at[:10] if re.match(r"\d{4}-\d{2}-\d{2}", published_at or "") else None
    language = (filters.language or "").lower()
    return (
        (not filters.outlets or outlet in filters.outlets)
        and (
            not language or (tag or "").lower() == language or (tag or "").lower().startswith(f"{language}-")
        )
        and (not (filters.since or filters.until) or day is not None)
        and (not filters.since or day >= filters.since.isoformat())
        and (not filters.until or day <= filters.until.isoformat())
    )


def test_filters_match_the_same_articles_as_plain_sql(corpus):
    rng = random.Random(3)
    rows = corpus.db.execute("SELECT id, outlet, language_tag, published_at FROM articles").fetchall()
    with_de = found(corpus, "的")
    for _ in range(40):
        days = sorted(date(rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28)) for _ in range(2))
        filters = Filters(
            outlets=tuple(rng.sample(RECOMBINED_OUTLETS, rng.randint(0, 2))),
            since=days[0] if rng.random() < 0.6 else None,
            until=days[1] if rng.random() < 0.6 else None,
            language=rng.choice([None, "zh", "zh-Hant", "zh-hans", "en"]),
        )
        expected = {article_id for article_id, *columns in rows if _passes(filters, *columns)}
        assert set(matching_article_ids(corpus.db.conn, None, filters)) == expected, filters
        assert count_matches(corpus.db.conn, parse_query("的"), filters) == len(expected & with_de)


def test_bad_filters_are_one_line_errors():
    with pytest.raises(QueryError, match="is after --until"):
        Filters(since=date(2024, 2, 1), until=date(2024, 1, 1))
    with pytest.raises(QueryError, match="not a language tag"):
        Filters(language="中文")


def test_a_common_term_is_ranked_among_the_newest_matches(corpus, monkeypatch):
    monkeypatch.setattr(search_results, "RANK_WINDOW", 5)
    matches = sorted(found(corpus, "的"))
    results = search(corpus.db.conn, parse_query("的"), limit=3)
    assert results.total == len(matches) > 5 and results.ranked == 5
    assert {hit.id for hit in results.hits} <= set(matches[-5:])


# --- the index stays in step with the archive -------------------------------------------------------


@pytest.fixture
def small(tmp_path, registry):
    with Archive(tmp_path / "small.db") as archive:
        archive.sync_outlets(registry)
        yield archive


def _index_is_sound(archive: Archive) -> None:
    archive.db.execute("INSERT INTO article_search (article_search) VALUES ('integrity-check')")
    indexed = archive.db.execute("SELECT count(*) FROM article_search_docsize").fetchone()[0]
    assert indexed == archive.db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert archive.db.execute("SELECT count(*) FROM article_search_pending").fetchone()[0] == 0


def test_a_crawl_indexing_in_batches_leaves_no_article_unsearchable_when_it_dies(tmp_path, registry):
    path = tmp_path / "batched.db"
    with Archive(path, defer_search_index=True) as archive:
        archive.sync_outlets(registry)
        first = store_article(archive, registry, outlet="cna", number=1, title="颱風停課", body=TYPHOON)
        assert archive.index_pending_search() == 1 and found(archive, "停課") == {first}
        second = store_article(archive, registry, outlet="cna", number=2, title="颱風再臨", body=TYPHOON)
        # Stored and committed, not yet indexed: the process dies here.
        assert found(archive, "再臨") == set()
    with Archive(path) as reopened:
        assert found(reopened, "再臨") == {second} and found(reopened, "颱風") == {first, second}
        _index_is_sound(reopened)


def test_a_refetched_article_with_new_text_is_searched_by_its_new_text(small, registry):
    first = store_article(small, registry, outlet="udn", number=1, title="颱風來襲", body="花蓮停班停課。")
    again = store_article(small, registry, outlet="udn", number=1, title="颱風遠離", body="花蓮恢復上班。")
    assert first == again
    assert small.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert found(small, "停课") == set() and found(small, "恢復上班") == {first}
    assert found(small, "颱風") == {first}
    _index_is_sound(small)


def test_reextraction_and_removal_keep_the_index_in_step(small, registry):
    store_fixture_articles(small, registry)
    (article_id,) = found(small, "命丧火窟")
    # Written past sourcevault's store path, then indexed as its next write or open would.
    with small.db.atomic():
        small.db.execute(
            "UPDATE articles SET body = '被改壞的內文', body_simplified = '被改坏的内文' WHERE id = ?",
            [article_id],
        )
        catch_up(small.connection)
    assert found(small, "命丧火窟") == set() and found(small, "改坏") == {article_id}
    reextract(small, registry)
    assert found(small, "命丧火窟") == {article_id} and found(small, "改坏") == set()
    _index_is_sound(small)
    with small.db.atomic():
        small.db.execute("DELETE FROM article_versions WHERE article = ?", [article_id])
        small.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
        catch_up(small.connection)
    assert found(small, "命丧火窟") == set()
    _index_is_sound(small)


def test_an_archive_from_before_search_is_indexed_when_opened(tmp_path, registry):
    path = tmp_path / "older.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        store_fixture_articles(archive, registry)
        archive.db.execute("DROP TABLE article_search")
        archive.db.execute("DROP TABLE article_search_pending")
        for trigger in ("insert", "update", "delete", "replace"):
            archive.db.execute(f"DROP TRIGGER article_search_{trigger}")
        archive.db.execute("ALTER TABLE captures DROP COLUMN imported_from")
        archive.db.execute("ALTER TABLE crawl_runs DROP COLUMN crawl_worker")
        made_by_legacy_migrations(
            archive.connection,
            [
                name
                for name in legacy.names()
                if name not in ("m005_search", "m006_search_without_sql_functions")
            ],
        )
    with Archive(path) as archive:
        assert schema.recorded_revision(archive.connection) == schema.HEAD
        assert len(found(archive, "台湾")) >= 2
        _index_is_sound(archive)
    # m005's triggers called sourcevault's SQL functions; m006's, run after it, call none.
    plain = sqlite3.connect(path)
    with plain:
        plain.execute("UPDATE articles SET title = title || '!'")
    plain.close()


# --- any SQLite tool can write to the archive ----------------------------------------------------

SQLITE3_SHELL = shutil.which("sqlite3")
# Set by .ci/run, which installs Debian's sqlite3: there a missing shell fails the test.
SQLITE3_REQUIRED = os.environ.get("SOURCEVAULT_SQLITE3_TESTS") == "required"
SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"


def sqlite3_shell(path: Path, sql: str) -> None:
    """Run `sql` on the archive with the sqlite3 shell, as a researcher would."""
    if SQLITE3_SHELL is None:
        message = "no sqlite3 shell here (Debian: apt-get install sqlite3)"
        if SQLITE3_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [SQLITE3_SHELL, str(path), sql], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


def searched(cli, path: Path, query: str) -> set[int]:
    """The ids `sourcevault search --json` finds."""
    result = cli("search", query, "--db", str(path), "--json")
    assert result.exit_code == 0, result.output
    return {json.loads(line)["id"] for line in result.stdout.splitlines()}


@pytest.fixture
def three_articles(tmp_path, registry) -> tuple[Path, int, int, int]:
    path = tmp_path / "edited.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        ids = (
            store_article(archive, registry, outlet="cna", number=1, title="颱風來襲", body="花蓮停班停課。"),
            store_article(archive, registry, outlet="udn", number=2, title="地震消息", body="臺北有感地震。"),
            store_article(archive, registry, outlet="ltn", number=3, title="選舉結果", body="投票率創新高。"),
        )
    return path, *ids


def test_the_sqlite3_shell_can_edit_articles_and_search_finds_the_edits(three_articles, cli):
    path, typhoon, quake, election = three_articles
    # The example: it failed with "no such function: sourcevault_search_text".
    sqlite3_shell(path, "UPDATE articles SET title = title")
    sqlite3_shell(path, f"UPDATE articles SET title = '颱風遠離' WHERE id = {typhoon}")
    # An article whose Simplified copy was edited with it, and one replaced whole.
    sqlite3_shell(
        path,
        f"UPDATE articles SET body = '臺北恢復上班。', body_simplified = '台北恢复上班。' WHERE id = {quake}",
    )
    sqlite3_shell(
        path,
        f"CREATE TEMP TABLE edited AS SELECT * FROM articles WHERE id = {election};"
        " UPDATE edited SET body = '開票結果出爐。', body_simplified = NULL;"
        " INSERT OR REPLACE INTO articles SELECT * FROM edited;",
    )
    assert searched(cli, path, "远离") == searched(cli, path, "遠離") == {typhoon}
    assert searched(cli, path, "來襲") == set() and searched(cli, path, "颱風") == {typhoon}
    assert searched(cli, path, "恢复上班") == {quake} and searched(cli, path, "有感") == set()
    assert searched(cli, path, "开票") == {election} and searched(cli, path, "投票率") == set()
    # An article removed, and one added by hand under the capture it came from.
    sqlite3_shell(path, f"DELETE FROM articles WHERE id = {election}")
    sqlite3_shell(
        path,
        "INSERT INTO articles (capture_id, outlet, article_id, url, title, body, authors, editors, tags,"
        " bylines, field_methods, extractor, extracted_at, language)"
        " SELECT id, outlet, 'by-hand', url, '手工補錄', '研究員補錄的內文。', '[]', '[]', '[]', '[]', '{}',"
        f" 'by hand', '2026-11-02', 'zh' FROM captures WHERE id = {election}",
    )
    assert searched(cli, path, "开票") == set()
    (added,) = searched(cli, path, "补录")
    with Archive(path) as archive:
        assert archive.db.execute(
            "SELECT title_simplified, body_simplified FROM articles WHERE id IN (?, ?) ORDER BY id",
            [typhoon, added],
        ).fetchall() == [("台风远离", "花莲停班停课。"), ("手工补录", "研究员补录的内文。")]
        _index_is_sound(archive)


def test_sqlite_utils_can_edit_articles_and_search_finds_the_edits(three_articles, cli):
    path, typhoon, quake, election = three_articles
    result = subprocess.run(
        [
            str(SQLITE_UTILS),
            "query",
            str(path),
            "UPDATE articles SET body = :body WHERE id = :id",
            *("-p", "body", "颱風北轉。", "-p", "id", str(typhoon)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    database = Database(path)
    database["articles"].update(quake, {"title": "餘震不斷"})
    database["articles"].delete(election)
    database.close()
    assert searched(cli, path, "北转") == {typhoon} and searched(cli, path, "停课") == set()
    assert searched(cli, path, "余震") == {quake} and searched(cli, path, "投票率") == set()
    with Archive(path) as archive:
        _index_is_sound(archive)
