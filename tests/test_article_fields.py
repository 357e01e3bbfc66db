"""The article's fields are declared once (crawler/article_fields.py); what is still written out
elsewhere, for its types and checks to read plainly, agrees with the declarations."""

from __future__ import annotations

import sqlite3
import tomllib
from dataclasses import MISSING, fields
from typing import get_type_hints

from crawler.archive import Archive
from crawler.archive.articles import article_content_columns
from crawler.article_fields import ARTICLE_FIELDS, Article
from crawler.pages.article import ArticlePage
from crawler.registry import Selectors
from crawler.research.importing import IMPORTED_FIELDS, ImportedRecord
from crawler.serve import METADATA_PATH, archive_metadata

DECLARED = [article_field.name for article_field in ARTICLE_FIELDS]


def test_the_article_dataclass_has_each_declared_field_with_its_type():
    hints = get_type_hints(Article)
    assert sorted(hints) == sorted(DECLARED)
    for article_field in ARTICLE_FIELDS:
        assert hints[article_field.name] == article_field.type, article_field.name
    for attribute in fields(Article):
        if attribute.default is not MISSING:
            assert attribute.default == ARTICLE_FIELDS[DECLARED.index(attribute.name)].empty(), attribute.name
        elif attribute.default_factory is not MISSING:
            assert attribute.default_factory() == ARTICLE_FIELDS[DECLARED.index(attribute.name)].empty()


def test_the_registry_has_selectors_for_the_selector_fields_in_their_order():
    selector_fields = [f.name for f in ARTICLE_FIELDS if f.selector]
    assert [name for name in Selectors.model_fields if name != "remove"] == selector_fields


def test_the_page_object_has_a_method_for_each_field_of_the_cascade():
    cascade = [f.name for f in ARTICLE_FIELDS if f.cascade]
    assert cascade and all(callable(getattr(ArticlePage, name, None)) for name in cascade)


def test_an_import_reads_the_imported_fields():
    assert set(ImportedRecord.model_fields) - {"fetched_at"} == set(IMPORTED_FIELDS)


def test_the_articles_table_has_a_column_for_each_field(tmp_path):
    path = tmp_path / "archive.db"
    Archive(path).close()
    connection = sqlite3.connect(path)
    columns = {row[1] for row in connection.execute("PRAGMA table_info(articles)")}
    connection.close()
    assert set(DECLARED) <= columns
    assert set(article_content_columns()) == {f.name for f in ARTICLE_FIELDS if f.column == "content"}


def test_datasette_describes_each_field_by_its_declaration():
    described = tomllib.loads(METADATA_PATH.read_text(encoding="utf-8"))["tables"]["articles"]["columns"]
    # One description per field: config/datasette.toml leaves the fields to their declarations.
    assert not set(described) & set(DECLARED)
    columns = archive_metadata()["databases"]["archive"]["tables"]["articles"]["columns"]
    assert {name: columns[name] for name in DECLARED} == {f.name: f.description for f in ARTICLE_FIELDS}
