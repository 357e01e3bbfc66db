"""Briefings and the sources they cite: each briefing, every version of its file, its citations
with what each resolved to, and every redirect hop a cited URL took.

A citation links to the capture it was archived at (the last hop of its URL, or a web-archive
copy) and to the article version that capture gave: a later edit of the article is a new version
the citation does not move to. A capture fetched from the Wayback Machine names the URL it is a
copy of and the snapshot's time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.archive.migrations import execute_each

if TYPE_CHECKING:
    from sqlite_utils import Database


def m011_briefings(db: Database) -> None:
    execute_each(
        db,
        """
        CREATE TABLE briefings (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL UNIQUE,       -- --title, else the file's name: an edited file keeps it
            published TEXT,                   -- ISO date the briefing was published, if given
            current_version INTEGER,          -- briefing_versions.version of its latest file
            added_at TEXT NOT NULL
        );

        CREATE TABLE briefing_versions (
            id INTEGER PRIMARY KEY,
            briefing INTEGER NOT NULL REFERENCES briefings(id),
            version INTEGER NOT NULL,         -- 1, 2, ... in the order the files were added
            file_name TEXT NOT NULL,          -- as given to `briefing add`
            file_format TEXT NOT NULL,        -- text, markdown, html, pdf
            file_sha256 TEXT NOT NULL UNIQUE, -- of file_bytes: the same file added again adds nothing
            file_bytes BLOB NOT NULL,         -- the file exactly as added
            text TEXT NOT NULL,               -- the text its citations were read from
            added_at TEXT NOT NULL,
            UNIQUE (briefing, version)
        );

        CREATE TABLE citations (
            id INTEGER PRIMARY KEY,
            briefing_version INTEGER NOT NULL REFERENCES briefing_versions(id),
            position INTEGER NOT NULL,        -- 1-based, in the briefing's order
            line INTEGER,                     -- of the briefing's text
            item TEXT,                        -- headline of the item it belongs to
            label TEXT,                       -- the source as written: "Global Times"
            claimed_date TEXT,                -- ISO date the briefing gives, or NULL
            url TEXT,                         -- as written, or NULL
            kind TEXT NOT NULL,               -- page, short_link, social_post, missing_url
            outlet TEXT,                      -- registry slug, from the URL's host or the label
            platform TEXT,                    -- weibo, x (social posts)
            post_id TEXT,                     -- a post's own id, read from its URL
            status TEXT NOT NULL,             -- pending until fetched; then archived, removed, ...
            reason TEXT,                      -- why that status, in words
            final_url TEXT,                   -- where the URL's redirects ended
            capture_id INTEGER REFERENCES captures(id),  -- the capture it was archived at
            article_version_id INTEGER REFERENCES article_versions(id),  -- the version it cites
            web_archive_snapshot_at TEXT,     -- for a copy from the Wayback Machine: its snapshot time
            checked_at TEXT,                  -- the last fetch of its URL (add or recheck)
            latest_capture_id INTEGER REFERENCES captures(id),  -- what that fetch gave
            removed_at TEXT,                  -- when a fetch first found the page gone
            removed_kind TEXT,                -- http_404, http_410, soft_404, redirected_home, dns_failure
            UNIQUE (briefing_version, position)
        );
        CREATE INDEX citations_by_capture ON citations(capture_id);
        CREATE INDEX citations_by_status ON citations(status);

        CREATE TABLE citation_hops (
            id INTEGER PRIMARY KEY,
            citation INTEGER NOT NULL REFERENCES citations(id),
            hop INTEGER NOT NULL,             -- 1 for the URL as cited, then each redirect
            from_url TEXT NOT NULL,           -- the URL fetched
            to_url TEXT,                      -- where it redirected (NULL: the chain ends here)
            http_status INTEGER,              -- NULL: no answer (see the capture's outcome)
            capture_id INTEGER NOT NULL REFERENCES captures(id),
            fetched_at TEXT NOT NULL
        );
        CREATE INDEX citation_hops_by_citation ON citation_hops(citation, fetched_at, hop);

        -- a copy fetched from a web archive: the URL it is a copy of, and the snapshot's time
        ALTER TABLE captures ADD COLUMN web_archive_of TEXT;
        ALTER TABLE captures ADD COLUMN web_archive_snapshot_at TEXT;
        """,
    )
