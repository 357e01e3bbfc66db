"""Every stored outlet page extracts to its reviewed expected output.

Fixtures are discovered from tests/fixtures/outlets/<slug>/: adding an outlet or a page
never means editing this file. Regenerate with `sourcevault outlets check --update` and
review the diff.
"""

from __future__ import annotations

import pytest

from crawler.fixtures import differences, discover_fixtures, summarise

FIXTURES = discover_fixtures()


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f"{f.slug}/{f.name}" for f in FIXTURES])
def test_fixture_extracts_as_reviewed(registry, fixture):
    actual = summarise(fixture.extract(registry))
    assert differences(fixture.record.get("expected"), actual) == []


def test_every_outlet_has_a_fixture_article(registry):
    with_articles = {
        fixture.slug for fixture in FIXTURES if (fixture.record.get("expected") or {}).get("article")
    }
    assert set(registry.slugs) <= with_articles


def test_every_fixture_says_where_it_came_from():
    for fixture in FIXTURES:
        page = fixture.record["page"]
        assert page["url"].startswith("http") and page["captured_at"] and page["origin"], fixture.name
        assert page["kind"] in {"raw", "rendered DOM", "synthetic"}, fixture.name
        if page["kind"] == "synthetic":
            assert "synthetic" in page["origin"].lower()


def test_every_layout_has_a_fixture_article_fetched_in_its_time(registry):
    for outlet in registry:
        if not outlet.layouts:
            continue
        in_force = {
            layout.since if (layout := outlet.layout_at(fixture.captured_at)) else None
            for fixture in FIXTURES
            if fixture.slug == outlet.slug and (fixture.record.get("expected") or {}).get("article")
        }
        assert None in in_force, f"{outlet.slug}: no fixture article fetched before its first layout"
        for layout in outlet.layouts:
            assert layout.since in in_force, (
                f"{outlet.slug}: no fixture article of [[outlet.layouts]] since {layout.since}"
            )
