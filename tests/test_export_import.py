"""search, show, export and import through the command line, on real archives.

The demo archive is crawled from the bundled snapshot in a real `sourcevault` process; its WARC
export is replayed by another. Records written here for import are synthetic.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive import Archive
from crawler.search.query import parse_query
from crawler.search.results import search
from tests.helpers import SOURCEVAULT, exchange, make_snapshot, run_sourcevault
from tests.test_crawl import EXAMPLE_REGISTRY, article, feed

WARCIO = Path(sys.executable).parent / "warcio"
# The demo's articles: the crawl's 15, and the Wayback Machine's copy of the page its briefing finds gone.
DEMO_ARTICLES = 16
TYPHOON_ARTICLE = "台风“海燕”逼近 台湾东部多所学校停课"


@pytest.fixture(scope="module")
def demo(demo_run, tmp_path_factory) -> Path:
    return demo_run.copy_to(tmp_path_factory.mktemp("demo"))


def article_id(database: Path, title: str) -> int:
    with Archive(database, readonly=True) as archive:
        return archive.db.execute("SELECT id FROM articles WHERE title = ?", [title]).fetchone()[0]


# --- search and show ---------------------------------------------------------------------------------


def test_search_prints_the_best_matches_with_marked_snippets(cli, demo):
    result = cli("search", "臺灣", "--db", str(demo))
    assert result.exit_code == 0, result.output
    assert TYPHOON_ARTICLE in result.output
    assert "«台湾»" in result.output and "«臺灣»" in result.output
    assert result.output.rstrip().endswith("articles match 臺灣: the best 7 by bm25")


def test_search_json_csv_and_count_agree(cli, demo):
    as_json = [
        json.loads(line) for line in cli("search", "台湾", "--db", str(demo), "--json").stdout.splitlines()
    ]
    as_csv = list(csv.DictReader(io.StringIO(cli("search", "台湾", "--db", str(demo), "--csv").stdout)))
    count = int(cli("search", "台湾", "--db", str(demo), "--count").output)
    assert count == len(as_json) == len(as_csv) == 7
    assert [row["id"] for row in as_csv] == [str(record["id"]) for record in as_json]
    assert set(as_json[0]) == {
        "id",
        "outlet",
        "published_at",
        "title",
        "url",
        "language_tag",
        "score",
        "snippet",
    }
    assert as_json == sorted(as_json, key=lambda record: -record["score"])
    assert cli("search", "台湾", "--db", str(demo), "--csv", "--outlet", "cna").output.startswith(
        "id,outlet,"
    )


def test_search_filters(cli, demo):
    def count(*options: str) -> int:
        return int(cli("search", "台湾", "--db", str(demo), "--count", *options).output)

    assert count("--outlet", "epochtimes") == 2
    assert count("--outlet", "epochtimes", "--outlet", "udn") == 4
    assert count("--lang", "zh-Hant") == 4 and count("--lang", "zh") == 7
    assert count("--since", "2020-01-01") == 4 and count("--until", "2019-12-31") == 3
    assert count("--since", "2024-05-20", "--until", "2024-05-20") == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["search", '"台湾'], "unbalanced quote"),
        (["search", ""], "empty query"),
        (["search", "*"], "nothing to search for"),
        (["search", "台湾", "--since", "2024-02-30"], "--since: '2024-02-30' is not a date"),
        (["search", "台湾", "--since", "2024-03-01", "--until", "2024-02-01"], "is after --until"),
        (["search", "台湾", "--outlet", "nope"], "no outlet 'nope'"),
        (["search", "台湾", "--lang", "'; --"], "not a language tag"),
        (["search", "台湾", "--json", "--csv"], "not both"),
        (["show", "999"], "no article 999"),
        (["export", "--format", "warc"], "give --output"),
    ],
)
def test_bad_input_is_one_line(cli, demo, arguments, message):
    result = cli(*arguments, "--db", str(demo))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert result.output.count("\n") == 1


def test_search_on_a_missing_archive_is_one_line(cli, tmp_path):
    result = cli("search", "台湾", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1 and "no archive here" in result.output


def test_show_prints_the_article_and_its_exact_original(cli, demo):
    typhoon = article_id(demo, TYPHOON_ARTICLE)
    shown = cli("show", str(typhoon), "--db", str(demo)).output
    assert shown.startswith(TYPHOON_ARTICLE + "\n") and "受台风“海燕”影响" in shown
    record = json.loads(cli("show", str(typhoon), "--db", str(demo), "--json").output)
    # Bytes as they are, through a real process's standard output.
    original = subprocess.run(
        [str(SOURCEVAULT), "show", str(typhoon), "--raw", "--db", str(demo)], capture_output=True, check=True
    ).stdout
    assert hashlib.sha256(original).hexdigest() == record["original_sha256"]
    assert len(original) == record["original_size_bytes"]


# --- export ----------------------------------------------------------------------------------------


def test_export_jsonl_and_csv_hold_every_article_field(cli, demo, tmp_path):
    lines = cli("export", "--db", str(demo)).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    # The crawl's 15, and the Wayback Machine's copy of the page the demo's briefing finds gone.
    assert len(records) == DEMO_ARTICLES
    assert {"title", "body", "published_at", "language_tag", "original_sha256", "fetched_at"} <= set(
        records[0]
    )
    assert isinstance(records[0]["authors"], list)
    output = tmp_path / "typhoons.csv"
    assert (
        cli("export", "--db", str(demo), "--query", "颱風", "--format", "csv", "-o", str(output)).exit_code
        == 0
    )
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert {row["title"] for row in rows} == {TYPHOON_ARTICLE, "颱風“海燕”逼近 臺灣東部多所學校停課"}
    assert json.loads(rows[0]["field_methods"])
    cna = [
        json.loads(line) for line in cli("export", "--db", str(demo), "--outlet", "cna").stdout.splitlines()
    ]
    # The crawl's CNA article, and the demo briefing's Wayback copy of a gone CNA page.
    assert [record["outlet"] for record in cna] == ["cna", "cna"]


def _warc_records(path: Path) -> list[tuple[str, str, bytes]]:
    with path.open("rb") as stream:
        return [
            (
                record.rec_type,
                record.rec_headers.get_header("WARC-Target-URI"),
                record.content_stream().read(),
            )
            for record in ArchiveIterator(stream)
        ]


def test_an_exported_warc_replays_into_the_same_articles(cli, demo, tmp_path):
    warc = tmp_path / "export.warc.gz"
    assert cli("export", "--db", str(demo), "--format", "warc", "-o", str(warc)).exit_code == 0
    with Archive(demo, readonly=True) as archive:
        before = archive.queries.article_digests()
        copies = set(
            archive.db.execute(
                "SELECT a.outlet, a.article_id, a.edition FROM articles a"
                " JOIN captures c ON c.id = a.capture_id WHERE c.web_archive_of IS NOT NULL"
            ).fetchall()
        )
        assert len(copies) == 1
        originals = {
            sha
            for (sha,) in archive.db.execute(
                "SELECT c.body_sha256 FROM articles a JOIN captures c ON c.id = a.capture_id"
            )
        }
    payloads = {
        hashlib.sha256(body).hexdigest() for kind, _, body in _warc_records(warc) if kind == "response"
    }
    assert originals <= payloads
    check = subprocess.run([str(WARCIO), "check", str(warc)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run(
        [str(WARCIO), "index", str(warc)], capture_output=True, text=True, check=True
    ).stdout
    assert "https://www.cna.com.tw/news/asoc/201603190029.aspx" in index

    replayed = tmp_path / "replayed.db"
    result = run_sourcevault("crawl", "--replay", str(warc), "--db", str(replayed))
    assert result.returncode == 0, result.stderr
    with Archive(replayed, readonly=True) as archive:
        # A crawl finds the outlets' pages, not what a briefing fetched from the Wayback Machine.
        assert archive.queries.article_digests() == {
            key: digest for key, digest in before.items() if key not in copies
        }


def test_redirects_and_imported_originals_survive_a_warc_round_trip(cli, tmp_path):
    base = "https://news.example.org"
    snapshot = make_snapshot(
        tmp_path / "site.warc.gz",
        [
            exchange(f"{base}/feed.xml", feed(f"{base}/a/7"), content_type="application/rss+xml"),
            exchange(f"{base}/a/7", "", status=301, headers=[("Location", f"{base}/a/70")]),
            exchange(f"{base}/a/70", article("搬家後的新聞頁面")),
        ],
    )
    registry = tmp_path / "outlets.toml"
    registry.write_text(EXAMPLE_REGISTRY, encoding="utf-8")
    crawled = tmp_path / "crawled.db"
    assert (
        run_sourcevault(
            "crawl", "--registry", str(registry), "--replay", str(snapshot), "--db", str(crawled)
        ).returncode
        == 0
    )
    record = {
        "url": f"{base}/a/99",
        "title": "匯入的文章",
        "body": "這篇文章是匯入的。",
        "published_at": "2026-11-01",
    }
    imported = tmp_path / "records.jsonl"
    imported.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli("import", str(imported), "--db", str(crawled), "--registry", str(registry)).exit_code == 0

    warc = tmp_path / "export.warc.gz"
    assert (
        cli(
            "export", "--db", str(crawled), "--registry", str(registry), "--format", "warc", "-o", str(warc)
        ).exit_code
        == 0
    )
    records = _warc_records(warc)
    assert ("response", f"{base}/a/7", b"") in records
    assert ("resource", f"{base}/a/99", imported.read_bytes().rstrip(b"\n")) in records
    replayed = tmp_path / "replayed.db"
    result = run_sourcevault(
        "crawl", "--registry", str(registry), "--replay", str(warc), "--db", str(replayed)
    )
    assert result.returncode == 0, result.stderr
    with Archive(replayed, readonly=True) as archive:
        rows = archive.db.execute(
            "SELECT a.url, c.url, c.final_url FROM articles a JOIN captures c ON c.id = a.capture_id"
        )
        assert rows.fetchall() == [(f"{base}/a/70", f"{base}/a/7", f"{base}/a/70")]


# --- import ----------------------------------------------------------------------------------------


def test_an_export_imports_into_another_archive_once(cli, demo, tmp_path):
    exported = tmp_path / "demo.jsonl"
    cli("export", "--db", str(demo), "-o", str(exported))
    other = tmp_path / "other.db"
    first = cli("import", str(exported), "--db", str(other))
    assert first.exit_code == 0, first.output
    assert (
        first.output.strip()
        == f"imported {exported}: {DEMO_ARTICLES} new, 0 updated, 0 unchanged, 0 rejected"
    )
    again = cli("import", str(exported), "--db", str(other))
    assert (
        again.output.strip()
        == f"imported {exported}: 0 new, 0 updated, {DEMO_ARTICLES} unchanged, 0 rejected"
    )
    into_source = cli("import", str(exported), "--db", str(demo))
    assert f"0 new, 0 updated, {DEMO_ARTICLES} unchanged" in into_source.output
    with Archive(other, readonly=True) as archive, Archive(demo, readonly=True) as source:
        assert archive.db.execute("SELECT count(*) FROM captures").fetchone()[0] == DEMO_ARTICLES
        kinds = archive.db.execute(
            "SELECT DISTINCT page_kind, request_method, outcome FROM captures"
        ).fetchall()
        assert kinds == [("import", "IMPORT", "article")]
        columns = "outlet, article_id, edition, title, body, published_at, language_tag, script_mismatch"
        assert (
            archive.db.execute(f"SELECT {columns} FROM articles ORDER BY 1, 2, 3").fetchall()
            == source.db.execute(f"SELECT {columns} FROM articles ORDER BY 1, 2, 3").fetchall()
        )
        assert search(archive.db.conn, parse_query("臺灣")).total == 7
    typhoon = article_id(other, TYPHOON_ARTICLE)
    original = run_sourcevault("show", str(typhoon), "--raw", "--db", str(other)).stdout
    assert json.loads(original)["title"] == TYPHOON_ARTICLE
    assert original.rstrip("\n") in exported.read_text(encoding="utf-8").splitlines()


def test_a_changed_article_is_updated_and_bad_lines_are_reported_by_number(cli, demo, tmp_path):
    archive_path = tmp_path / "archive.db"
    # The crawl's CNA article (the other is the demo briefing's copy of a gone CNA page).
    exported = next(
        line
        for line in cli("export", "--db", str(demo), "--outlet", "cna").stdout.splitlines()
        if "201603190029" in line
    )
    changed = json.loads(exported) | {"body": "桃園市平鎮區輪胎行大火的後續：消防局公布起火原因。"}
    good = {
        "url": "https://udn.com/news/story/7315/123456",
        "title": "匯入測試",
        "body": "這是一篇從別的資料庫匯入的文章，提到臺灣與颱風。",
        "published_at": "2026-11-01 08:30",
        "language_tag": "en",
    }
    lines = [
        exported.strip(),
        json.dumps(changed, ensure_ascii=False),
        "{not json",
        "[1, 2]",
        json.dumps({k: v for k, v in good.items() if k != "title"}),
        json.dumps(good | {"url": "https://example.com/a/1"}),
        json.dumps(good | {"published_at": "yesterday"}),
        json.dumps(good | {"url": "https://udn.com/about"}),
        json.dumps(good | {"outlet": "nope"}),
        "",
        json.dumps(good, ensure_ascii=False),
        json.dumps(good | {"url": "https://udn.com/about", "article_id": "about", "body": "關於我們。"}),
    ]
    records = tmp_path / "records.jsonl"
    records.write_bytes("\n".join(lines).encode("utf-8") + b"\n\xff\xfe{}\n")
    result = cli("import", str(records), "--db", str(archive_path))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith(str(records))]
    assert [error.split(":", 2)[1] for error in errors] == ["3", "4", "5", "7", "9", "13"]
    assert "not JSON" in errors[0] and "expected a JSON object" in errors[1]
    assert 'no "title"' in errors[2]
    assert "not an ISO 8601 date or time: 'yesterday'" in errors[3]
    assert "'nope' is not a configured outlet" in errors[4]
    assert "not UTF-8" in errors[5]
    # A host no outlet owns (line 6) and a URL no pattern reads (line 8) are archived all the same.
    assert result.output.strip().endswith("5 new, 1 updated, 0 unchanged, 6 rejected")
    with Archive(archive_path, readonly=True) as archive:
        keys = archive.db.execute(
            "SELECT outlet, article_id, key_source FROM articles ORDER BY id"
        ).fetchall()
        assert keys == [
            ("cna", "201603190029", "pattern"),
            ("site:example.com", "example.com/a/1", "canonical"),
            ("udn", "udn.com/about", "canonical"),
            ("udn", "123456", "pattern"),
            ("udn", "about", "record"),
        ]
        rows = dict(archive.db.execute("SELECT article_id, body FROM articles").fetchall())
        assert rows["201603190029"].startswith("桃園市平鎮區輪胎行大火的後續")
        tag, published_at = archive.db.execute(
            "SELECT language_tag, published_at FROM articles WHERE article_id = '123456'"
        ).fetchone()
        # Tagged as a crawl tags it, whatever the record said; a time without offset is the outlet's.
        assert (tag, published_at) == ("zh-Hant", "2026-11-01T08:30:00+08:00")
        # The record's text under three keys: the udn story, udn.com/about, and example.com's page.
        assert search(archive.db.conn, parse_query("台湾 台风")).total == 3
        imported_from = archive.db.execute("SELECT imported_from FROM captures ORDER BY id").fetchall()
        assert imported_from[0] == (f"{records}:1",)
