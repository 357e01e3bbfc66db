"""Weibo and X posts as cited sources, offline: plain functions over URLs and recorded answers.

- urls.py: which post a URL names (PostRef), a short link to resolve first, or why it names none.
- ids.py: Weibo's mid <-> base62 bid, X's snowflake id -> time, the syndication token.
- endpoints.py: the requests that read a post (URL and headers, as data).
- answers.py: one recorded answer read whole: its Verdict and the Post in it (post.py).
- removals.py + removals.toml: how a post vanished, from each platform's messages and statuses.
- weibo.py, x.py, html_text.py, fields.py, recorded.py: reading the answers' formats.
- revisits.py: when a cited post is read again.

Nothing here fetches and nothing imports Scrapy; this module imports nothing, so reading a URL
(urls.py) does not load the answer readers' lxml and pydantic. See docs/posts.md.
"""
