"""Hostile records for `sourcevault import`: each bad line is refused with its number and why, the
others still import, and nothing is left in the archive that would break a later command.

Every record here is synthetic.
"""

from __future__ import annotations

import json

from crawler import exit_status
from crawler.archive import Archive
from crawler.research.importing import MAX_RECORD_BYTES

GOOD = {
    "url": "https://udn.com/news/story/7315/123456",
    "title": "匯入測試",
    "body": "這是一篇從別的資料庫匯入的文章，提到臺灣與颱風。",
    "published_at": "2026-11-01 08:30",
}


def test_import_refuses_hostile_lines_by_number_and_imports_the_rest(cli, tmp_path):
    other = GOOD | {"url": "https://udn.com/news/story/7315/654321", "title": "另一篇匯入測試"}
    # A sister site is a host of its outlet (the registry's `hosts`, under its domains).
    sister_url = "https://money.udn.com/money/story/5603/4909425"
    sister = GOOD | {"outlet": "udn", "url": sister_url, "title": "姊妹站"}
    lines = [
        json.dumps(GOOD, ensure_ascii=False),
        # Nested 50,000 deep: json.loads raised RecursionError and the whole file was lost.
        '{"url": "https://udn.com/news/story/7315/1", "x": ' + "[" * 50_000 + "]" * 50_000 + "}",
        json.dumps(GOOD | {"title": "半個代理對\ud800"}),
        json.dumps(GOOD | {"published_at": "9999-12-31"}),
        json.dumps(GOOD | {"modified_at": "1066-10-14T09:00:00+00:00"}),
        json.dumps(GOOD | {"fetched_at": "9999-12-31T00:00:00Z"}),
        json.dumps(GOOD | {"outlet": "udn", "url": "http://evil.example/x", "article_id": "1"}),
        # A site outlet is its registered domain's: another site's URL is not its article.
        json.dumps(GOOD | {"outlet": "site:rfa.org", "url": "http://evil.example/x", "article_id": "1"}),
        "{" + " " * MAX_RECORD_BYTES + "}",
        json.dumps(other, ensure_ascii=False),
        json.dumps(sister, ensure_ascii=False),
    ]
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    database = tmp_path / "archive.db"
    result = cli("import", str(records), "--db", str(database))
    assert result.exit_code == exit_status.FAILED
    assert "Traceback" not in result.output
    assert result.stdout.strip() == f"imported {records}: 3 new, 0 updated, 0 unchanged, 8 rejected"
    assert result.stderr.splitlines() == [
        f"{records}:2: not a record: JSON nested too deep",
        f"{records}:3: not text: a lone surrogate escape (\\ud800) no UTF-8 can hold",
        f'{records}:4: "published_at": 9999-12-31 is outside 1900–2100',
        f'{records}:5: "modified_at": 1066-10-14T09:00:00+00:00 is outside 1900–2100',
        f'{records}:6: "fetched_at": 9999-12-31T00:00:00+00:00 is outside 1900–2100',
        f"{records}:7: \"url\": evil.example is not a host of outlet 'udn' (udn.com)",
        f"{records}:8: \"outlet\": 'site:rfa.org' is not the site of http://evil.example/x"
        " (site:evil.example)",
        f"{records}:9: longer than {MAX_RECORD_BYTES:,} bytes: not read",
    ]
    with Archive(database, readonly=True) as archive:
        rows = archive.db.execute("SELECT url FROM articles ORDER BY id").fetchall()
        assert rows == [(GOOD["url"],), (other["url"],), (sister["url"],)]
    # Nothing imported breaks the date filters that a year 9999 broke.
    found = cli("search", "颱風", "--db", str(database), "--since", "2000-01-01", "--count")
    assert found.exit_code == 0 and found.stdout.strip() == "3"
