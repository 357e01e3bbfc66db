"""Layout versions: a page is read with the outlet's layout in force when it was fetched.

UDN's real saved pages (2018, 2019) use its layout before 2020; the synthetic page of its
current article-content__* layout (tests/fixtures/outlets/udn, labelled synthetic) is read
with the [[outlet.layouts]] entry dated 2020-02-01.
"""

from __future__ import annotations

import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.outlets import outlet_module
from crawler.pages import choose_layout, extract_page, page_class
from crawler.pages.article import ArticlePage
from crawler.pages.document import HtmlDocument
from crawler.registry import RegistryError, load_registry
from tests.helpers import fixture_page
from tests.test_registry import GOOD_ENTRY, write

OLD_PAGE = "outlets/udn/udn_story_7315_3004543_twnews_2018.html.gz"
OLD_URL = "https://udn.com/news/story/7315/3004543"
NEW_PAGE = "outlets/udn/udn_story_7266_7999001_synthetic_2024.html.gz"
NEW_URL = "https://udn.com/news/story/7266/7999001"
BEFORE = datetime(2019, 6, 1, tzinfo=UTC)
AFTER = datetime(2024, 6, 3, tzinfo=UTC)


def extract(registry, page: str, url: str, fetched_at: datetime | None):
    extraction = extract_page(fixture_page(page), url=url, outlet=registry.get("udn"), fetched_at=fetched_at)
    assert extraction.article is not None, extraction.reason
    return extraction.article


def test_a_page_fetched_in_a_layouts_time_is_read_with_its_selectors(registry):
    new = extract(registry, NEW_PAGE, NEW_URL, AFTER)
    assert new.extractor.endswith("layout 2020-02-01")
    assert {new.field_methods[name] for name in ("title", "body", "published_at", "authors")} == {"selector"}
    assert new.authors == ["林佳慧"] and new.section == "生活"

    old = extract(registry, OLD_PAGE, OLD_URL, BEFORE)
    assert not old.extractor.endswith("2020-02-01")
    assert old.field_methods["title"] == old.field_methods["body"] == "selector"


def test_the_other_layouts_selectors_do_not_apply_either_way(registry):
    # The current-layout page as if fetched in 2019: the old selectors find nothing in it.
    new_read_old = extract(registry, NEW_PAGE, NEW_URL, BEFORE)
    assert new_read_old.field_methods["body"] != "selector"
    assert "section" not in new_read_old.field_methods or new_read_old.field_methods["section"] != "selector"
    # The 2018 page as if fetched in 2024: the current selectors find nothing in it.
    old_read_new = extract(registry, OLD_PAGE, OLD_URL, AFTER)
    assert (
        old_read_new.field_methods["title"] != "selector" and old_read_new.field_methods["body"] != "selector"
    )
    # The text is still found, by the generic steps, and is the same text.
    assert extract(registry, OLD_PAGE, OLD_URL, BEFORE).body[:40] in old_read_new.body


def test_a_page_of_unknown_date_is_read_with_the_layout_its_markup_fits(registry):
    udn = registry.get("udn")
    assert choose_layout(udn, HtmlDocument(fixture_page(NEW_PAGE)), None) is udn.layouts[0]
    assert choose_layout(udn, HtmlDocument(fixture_page(OLD_PAGE)), None) is None
    assert extract(registry, OLD_PAGE, OLD_URL, None).field_methods["body"] == "selector"


def test_the_layout_date_is_read_in_the_outlets_time_zone(registry):
    udn = registry.get("udn")
    # 2020-01-31 16:30 UTC is 2020-02-01 00:30 in Taipei: the new layout's first day.
    assert udn.layout_at(datetime(2020, 1, 31, 16, 30, tzinfo=UTC)) is udn.layouts[0]
    assert udn.layout_at(datetime(2020, 1, 31, 15, 30, tzinfo=UTC)) is None


def test_a_layout_can_have_its_own_page_class(registry, monkeypatch):
    class LayoutPage(ArticlePage):
        name = "udn-2020"

    module = types.ModuleType("crawler.outlets.udn")
    module.Page20200201 = LayoutPage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "crawler.outlets.udn", module)
    outlet_module.cache_clear()
    try:
        udn = registry.get("udn")
        assert page_class("udn", udn.layouts[0]) is LayoutPage
        assert page_class("udn", None) is ArticlePage
        assert extract(registry, NEW_PAGE, NEW_URL, AFTER).extractor.endswith("udn-2020 layout 2020-02-01")
    finally:
        outlet_module.cache_clear()


def test_a_layout_keeps_the_outlets_selectors_for_fields_it_leaves_out(registry):
    udn = registry.get("udn")
    current = udn.selectors_of(udn.layouts[0])
    assert current.title == ["h1.article-content__title"]
    assert current.tags == udn.selectors.tags == ['meta[name="news_keywords"]::attr(content)']


LAYOUTS = """
[[outlet.layouts]]
since = 2021-01-01
selectors = { title = ["h1.new"] }

[[outlet.layouts]]
since = 2020-01-01
selectors = { title = ["h1.newer"] }
"""


@pytest.mark.parametrize(
    ("layouts", "message"),
    [
        (LAYOUTS, "field 'layouts.1.since': 2020-01-01 is not after 2021-01-01: list layouts oldest first"),
        (LAYOUTS.replace("2021-01-01", '"soon"'), "field 'layouts.0.since': Input should be a valid date"),
        (LAYOUTS.replace('"h1.newer"', '"h1[["'), "field 'layouts.1.selectors.title': invalid CSS selector"),
        (LAYOUTS.replace("selectors = {", "selector = {"), "field 'layouts.0.selector': unknown field"),
    ],
)
def test_a_bad_layout_names_outlet_and_field(tmp_path: Path, layouts, message):
    path = write(tmp_path, GOOD_ENTRY + layouts)
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value).startswith(f"{path}: outlet 'example': {message}")
