"""`sourcevault report`: the morning summary, loud about outlets that silently stopped yielding."""

from __future__ import annotations

import json

import pytest

from crawler.archive import Archive
from tests.doc_commands import DOCS, matches, output_shown_after
from tests.helpers import invoke, run_sourcevault
from tests.loopback import CLOUDFLARE_CHALLENGE, FAST_CRAWL, LoopbackSite, article_html, outlet_toml

OPERATOR_GUIDE = DOCS / "operator.md"


@pytest.mark.slow
def test_layout_drift_blocking_and_missing_articles_raise_one_alert_each(tmp_path):
    site = LoopbackSite()
    with site.running():
        registry = tmp_path / "outlets.toml"
        registry.write_text(
            outlet_toml("drift", site.base_url, feeds=["/drift/feed.xml"])
            + outlet_toml("walled", site.base_url, feeds=["/walled/feed.xml"]),
            encoding="utf-8",
        )
        database = tmp_path / "archive.db"
        for night in range(1, 5):
            drift = [f"/drift/a/{night}{n}" for n in range(5)]
            walled = [f"/walled/a/{night}{n}" for n in range(3)]
            for path in drift:
                if night < 4:
                    site.add_article(path, f"第{path[-2:]}則新聞")
                else:
                    # The outlet's new template: other markup, no byline, no date.
                    site.add(
                        path,
                        article_html(f"第{path[-2:]}則新聞")
                        .replace(b"span class='author'", b"b")
                        .replace(b"<time datetime='2026-11-01T08:00:00+08:00'>2026-11-01 08:00</time>", b""),
                    )
            for position, path in enumerate(walled):
                if night < 4:
                    site.add_article(path, f"第{path[-2:]}則新聞")
                elif position < 2:
                    site.add(path, "<html><title>403 Forbidden</title></html>", status=403)
                else:
                    site.add(path, CLOUDFLARE_CHALLENGE)
            site.add_feed("/drift/feed.xml", drift)
            site.add_feed("/walled/feed.xml", walled)
            result = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL)
            assert result.returncode == 0, result.stderr

    quiet = invoke("report", "--db", str(database), "--run", "3")
    assert quiet.exit_code == 0 and quiet.stdout.strip().endswith("no alerts")

    report = invoke("report", "--db", str(database))
    assert report.exit_code == 3, report.stdout
    # The operator guide shows this report (its times left out).
    assert matches(
        output_shown_after(OPERATOR_GUIDE, "The fourth night of `tests/test_report.py`"), report.stdout
    )
    alerts = [line for line in report.stdout.splitlines() if line.startswith("ALERT")]
    assert alerts == [
        "ALERT drift: layout change? 'published_at' found in 0% of 5 articles, "
        "against a median of 100% over its previous 3 runs",
        "ALERT drift: layout change? 'authors' found in 0% of 5 articles, "
        "against a median of 100% over its previous 3 runs",
        "ALERT walled: no new article, though discovery listed 3 not yet archived "
        "(fetched 3: 0 not articles, 3 failed)",
        "ALERT walled: blocked: 3 pages refused "
        "(article: HTTP 403 ×2, article: blocked by Cloudflare challenge page ×1)",
    ]
    as_json = invoke("report", "--db", str(database), "--json")
    assert as_json.exit_code == 3
    document = json.loads(as_json.stdout)
    assert document["run"]["id"] == 4 and document["run"]["status"] == "finished"
    assert [alert["kind"] for alert in document["alerts"]] == [
        "coverage_drop",
        "coverage_drop",
        "no_new_articles",
        "blocked",
    ]
    assert document["outlets"]["walled"]["blocked"] == 3
    assert document["outlets"]["drift"]["field_coverage"]["title"] == 1.0


def test_report_without_runs_is_a_one_line_error(cli, tmp_path):
    database = tmp_path / "archive.db"
    Archive(database).close()
    result = cli("report", "--db", str(database))
    assert result.exit_code == 1 and result.output.strip() == f"Error: {database}: no crawl run yet"
    result = cli("report", "--db", str(database), "--run", "7")
    assert result.exit_code == 1 and result.output.strip() == f"Error: {database}: no crawl run 7"
