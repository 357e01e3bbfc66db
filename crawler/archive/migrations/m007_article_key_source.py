"""How each article's key was read, and outlets for the sites no registry entry owns.

A page given by URL is archived whatever its URL (crawler/identity.py): `articles.key_source`
says whether its article_id came from one of the outlet's URL patterns or from its canonical
URL (or, for an import, from the record). Articles a crawl archived before this migration were
all keyed by a pattern; imported ones are left NULL, as nothing says which way they were keyed.

A site outlet (`site:rfa.org`, crawler/sites.py) gets a row in `outlets` the first time one of
its pages is archived, so that captures and articles can name it: `outlets.kind` tells the
registry's outlets from those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m007_article_key_source(db: Database) -> None:
    execute_each(
        db,
        """
        -- pattern, canonical or record (crawler.identity.KeySource)
        ALTER TABLE articles ADD COLUMN key_source TEXT;
        UPDATE articles SET key_source = 'pattern'
            WHERE capture_id IN (SELECT id FROM captures WHERE page_kind = 'article');
        -- registry: an entry of config/outlets.toml; site: a site no entry owns
        ALTER TABLE outlets ADD COLUMN kind TEXT NOT NULL DEFAULT 'registry';
        """,
    )
