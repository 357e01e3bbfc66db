"""All of an outlet's Python lives in crawler/outlets/<slug>.py, and no slug can name a library module."""

from __future__ import annotations

import inspect
import pkgutil
import re

import pytest

import crawler.outlets
from crawler.outlets import outlet_module
from crawler.pages import extract_page, layout_class_name, page_class
from crawler.pages.article import ArticlePage
from crawler.registry import load_registry
from tests.test_extraction import FOLLOW_UP, PARAGRAPH, page
from tests.test_registry import GOOD_ENTRY, write

PAGE_CLASS = re.compile(r"^Page(\d{8})?$")


def test_every_outlet_module_belongs_to_an_outlet_and_names_its_layouts(registry):
    for module_info in pkgutil.iter_modules(crawler.outlets.__path__):
        slug = module_info.name
        assert slug in registry, f"crawler/outlets/{slug}.py: no outlet {slug!r} in the registry"
        module = outlet_module(slug)
        assert module is not None
        layouts = {layout_class_name(layout) for layout in registry.get(slug).layouts}
        for name, value in vars(module).items():
            if not (
                inspect.isclass(value)
                and issubclass(value, ArticlePage)
                and value.__module__ == module.__name__
            ):
                continue
            assert PAGE_CLASS.match(name), (
                f"crawler/outlets/{slug}.py: {name} is neither Page nor Page<yyyymmdd>"
            )
            assert name == "Page" or name in layouts, (
                f"crawler/outlets/{slug}.py: {name} names no layout of {slug!r}"
            )
        hook = getattr(module, "discovery_requests", None)
        assert hook is None or callable(hook), f"crawler/outlets/{slug}.py: discovery_requests is no function"


@pytest.mark.parametrize("slug", ["dates", "density", "article", "document", "judge", "reader"])
def test_a_slug_naming_a_library_module_is_an_outlet_like_any_other(tmp_path, slug):
    outlet = load_registry(write(tmp_path, GOOD_ENTRY.replace('slug = "example"', f'slug = "{slug}"'))).get(
        slug
    )
    assert outlet_module(slug) is None and page_class(slug) is ArticlePage
    html = page(f"<h1>輪胎行大火</h1><p>{PARAGRAPH}</p><p>{FOLLOW_UP}</p>")
    extraction = extract_page(html.encode(), url="https://news.example.org/a/1", outlet=outlet)
    assert extraction.article is not None and extraction.article.outlet == slug
