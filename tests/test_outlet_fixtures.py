"""Every stored outlet page extracts to its reviewed expected output.

Fixtures are discovered from tests/fixtures/outlets/<slug>/: adding an outlet or a page
never means editing this file. Regenerate with `sourcevault outlets check --update` and
review the diff. The checks take the registry and the fixtures as arguments: the test that
follows docs/adding-an-outlet.md runs them on the clone it adds an outlet to.
"""

from __future__ import annotations

import pytest

from crawler.outlet_tools.fixtures import Fixture, differences, discover_fixtures, summarise
from crawler.registry import Registry

FIXTURES = discover_fixtures()


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f"{f.slug}/{f.name}" for f in FIXTURES])
def test_fixture_extracts_as_reviewed(registry, fixture):
    assert extraction_differences(registry, fixture) == []


def test_every_outlet_has_a_fixture_article(registry):
    assert outlets_without_a_fixture_article(registry, FIXTURES) == []


def test_every_fixture_says_where_it_came_from():
    for fixture in FIXTURES:
        check_provenance(fixture)


def extraction_differences(registry: Registry, fixture: Fixture) -> list[str]:
    return differences(fixture.record.get("expected"), summarise(fixture.extract(registry)))


def outlets_without_a_fixture_article(registry: Registry, fixtures: list[Fixture]) -> list[str]:
    with_articles = {
        fixture.slug for fixture in fixtures if (fixture.record.get("expected") or {}).get("article")
    }
    return [slug for slug in registry.slugs if slug not in with_articles]


def check_provenance(fixture: Fixture) -> None:
    page = fixture.record["page"]
    assert page["url"].startswith("http") and page["captured_at"] and page["origin"], fixture.name
    assert page["kind"] in {"raw", "rendered DOM", "synthetic"}, fixture.name
    if page["kind"] == "synthetic":
        assert "synthetic" in page["origin"].lower(), fixture.name


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
