"""Weibo and X posts as cited sources: the post, each check of it, each text it had.

A post's answers are captures like any page's (`captures.page_kind` 'post', `captures.outlet` the
platform, a row of `outlets` of kind 'platform'): the raw JSON kept as fetched is the original.
`posts` holds what was read from the latest answer that had the post, `post_checks` every time it
was asked for and what the answer said (there, one of the removal kinds, or ask again later) with
the capture that says so, `post_versions` each text the post had. A reposted (Weibo) or quoted (X)
post is a post of its own, linked from the one that reposts it. docs/posts.md describes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m010_posts(db: Database) -> None:
    execute_each(
        db,
        """
        CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL REFERENCES outlets(slug),  -- weibo, x
            post_id TEXT NOT NULL,           -- Weibo's numeric mid, X's status id
            url TEXT NOT NULL,               -- the canonical URL, readable without a login
            cited_url TEXT,                  -- the URL it was first given by (NULL: only seen reposted)
            watched INTEGER NOT NULL DEFAULT 0, -- 1: cited, so checked again on the revisit schedule
            author_uid TEXT,
            author_screen_name TEXT,         -- Weibo's shown name; X's @handle
            author_name TEXT,                -- X's shown name
            created_at TEXT,                 -- ISO 8601 with the platform's offset (Weibo +08:00, X UTC)
            created_at_from TEXT,            -- answer, or post id (X's snowflake)
            text TEXT,                       -- plain text: HTML stripped, emoji and links as text
            text_simplified TEXT,            -- Chinese text in Simplified characters, for search
            language TEXT,                   -- tagged from the text (crawler/language.py): zh, en, ...
            script TEXT,                     -- Hans, Hant, Latn, ...
            language_tag TEXT,               -- BCP 47: zh-Hans, zh-Hant, en
            declared_language TEXT,          -- X's own lang
            reposts_count INTEGER,           -- counts at the latest capture
            comments_count INTEGER,
            likes_count INTEGER,
            counts_at_least TEXT NOT NULL DEFAULT '[]', -- JSON: counts given as floors (Weibo's 1万+)
            image_urls TEXT NOT NULL DEFAULT '[]',      -- JSON list
            video_urls TEXT NOT NULL DEFAULT '[]',      -- JSON list
            links TEXT NOT NULL DEFAULT '[]',           -- JSON list of {text, url, short_url}
            source_client TEXT,              -- Weibo's 来自 client
            in_reply_to TEXT,                -- X: the status id it answers
            reposted_post INTEGER REFERENCES posts(id), -- the post it reposts (Weibo) or quotes (X)
            capture_id INTEGER REFERENCES captures(id), -- the answer the fields above were read from
            problems TEXT NOT NULL DEFAULT '[]',        -- JSON: fields missing or of another shape
            status TEXT NOT NULL DEFAULT 'unchecked',   -- available, a removal kind, or unchecked
            removal_kind TEXT,               -- how it vanished, once an answer said so
            removed_at TEXT,                 -- the check that first said so
            first_captured_at TEXT,          -- the revisit schedule counts from here
            last_checked_at TEXT,
            next_check_at TEXT,              -- NULL: not watched, or the schedule is over
            UNIQUE (platform, post_id)
        );
        CREATE INDEX posts_by_next_check ON posts(next_check_at) WHERE watched = 1;
        CREATE INDEX posts_by_reposted ON posts(reposted_post);

        CREATE TABLE post_checks (
            id INTEGER PRIMARY KEY,
            post INTEGER NOT NULL REFERENCES posts(id),
            checked_at TEXT NOT NULL,
            outcome TEXT NOT NULL,           -- ok, a removal kind, rate_limited, login_wall, retry_later,
                                             -- unrecognised, failed (no answer)
            removal_kind TEXT,               -- set when the outcome is a removal kind
            evidence TEXT,                   -- what in the answer says so
            evidence_source TEXT,            -- where that wording or status was recorded
            capture_id INTEGER REFERENCES captures(id), -- the answer that says so (the evidence kept)
            retry_at TEXT,                   -- not asked again before (Retry-After, the platform's wait)
            reposts_count INTEGER,           -- counts at this capture
            comments_count INTEGER,
            likes_count INTEGER,
            seen_in INTEGER REFERENCES posts(id) -- set when read from a repost or quote of another post
        );
        CREATE INDEX post_checks_by_post ON post_checks(post, checked_at);

        CREATE TABLE post_versions (
            id INTEGER PRIMARY KEY,
            post INTEGER NOT NULL REFERENCES posts(id),
            version INTEGER NOT NULL,        -- 1 for the first text seen
            text TEXT,
            captured_at TEXT NOT NULL,
            capture_id INTEGER REFERENCES captures(id),
            UNIQUE (post, version)
        );

        CREATE TABLE post_article_links (
            post INTEGER NOT NULL REFERENCES posts(id),
            article INTEGER NOT NULL REFERENCES articles(id),
            similarity REAL NOT NULL,        -- share of the post's text found in the article
            linked_at TEXT NOT NULL,
            PRIMARY KEY (post, article)
        );
        CREATE INDEX post_article_links_by_article ON post_article_links(article);

        -- Chinese search over posts as over articles (crawler/search/), in the same columns: title
        -- (the author's names), body (the text), filters (platform, language, date) as the index's
        -- character pairs of the Simplified text. Kept by sourcevault as it writes a post.
        -- Which endpoint a post's capture answered (weibo_status, x_syndication, short_link, ...).
        ALTER TABLE captures ADD COLUMN post_endpoint TEXT;

        CREATE VIRTUAL TABLE post_search USING fts5(
            title, body, filters, content='', prefix='1', tokenize="unicode61 categories 'L* N* Co Cn'"
        );
        """,
    )
