"""A Weibo post from m.weibo.cn's status JSON (statuses/show) and its long text (statuses/extend).

The status skeleton (shared notes/posts.md §1.4): `{ok: 1, data: {id, mid, bid, created_at, text
(HTML), source, user{id, screen_name}, reposts_count, comments_count, attitudes_count, isLongText,
pic_num, pics, page_info, retweeted_status{…same shape…}}}` (zgq354/weibo-rss types.ts,
fllesser/nonebot-plugin-parser weibo.py, dataabc/weibo-crawler weibo.py). `pics` is an array or
an object keyed "0", "1"… (DIYgod/RSSHub weibo/utils.ts); counts may be "1万+" strings.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from crawler.posts.fields import Fields
from crawler.posts.html_text import render_html
from crawler.posts.post import Author, Counts, Endpoint, NotAPost, Outcome, Platform, Post, Removal
from crawler.posts.removals import placeholder_removal
from crawler.posts.urls import PostRef

BASE_URL = "https://m.weibo.cn/"
# A repost holds its original, which holds nothing further; deeper nesting is not followed.
DEEPEST_REPOST = 2
VIDEO_URL_KEYS = ("mp4_720p_mp4", "mp4_hd_mp4", "mp4_ld_mp4")
STREAM_URL_KEYS = ("stream_url_hd", "stream_url")
# A reposted original deleted since comes back with `user: null` (DIYgod/RSSHub weibo/utils.ts).
NULL_USER_SOURCE = "DIYgod/RSSHub@0e818a5:lib/routes/weibo/utils.ts"


def read_weibo_status(document: Any, ref: PostRef) -> Post | NotAPost:
    """The post in a statuses/show answer, with what it could read and each problem named."""
    if not isinstance(document, dict):
        return NotAPost("the answer is not a JSON object")
    fields = Fields()
    if document.get("ok") != 1:
        fields.note(f"ok is {document.get('ok')!r}, not 1")
    data = document.get("data")
    if not isinstance(data, dict):
        return NotAPost(
            "no status in the answer: data " + ("missing" if data is None else "is not an object")
        )
    return _status(data, "data", ref.post_id, fields, depth=0)


def read_weibo_long_text(document: Any) -> str | NotAPost:
    """The whole text (HTML) in a statuses/extend answer: `data.longTextContent`."""
    fields = Fields()
    data = fields.mapping(document, "data", "")
    text = fields.string(data, "longTextContent", "data") if data is not None else None
    if text is None:
        problem = fields.problems[0] if fields.problems else "the answer is not a JSON object"
        return NotAPost(f"no long text in the answer: {problem}")
    return text


def with_long_text(post: Post, long_text_html: str) -> Post:
    """`post` with its whole text in place of the truncated one."""
    rendered = render_html(long_text_html, BASE_URL)
    return replace(post, text=rendered.text, links=rendered.links, truncated=False, long_text_read=True)


def _status(mblog: dict[str, Any], path: str, asked_id: str | None, fields: Fields, depth: int) -> Post:
    # m.weibo.cn writes the mid as `mid` and `id`; older answers only `id`.
    post_id = fields.post_id(mblog, "mid" if mblog.get("mid") is not None else "id", path, asked_id)
    html = fields.string(mblog, "text", path, required=False)
    rendered = render_html(html, BASE_URL) if html is not None else None
    text = rendered.text if rendered else fields.string(mblog, "raw_text", path, required=False)
    if text is None:
        fields.note(f"{path}.text missing")
    user = fields.mapping(mblog, "user", path, required=False)
    if mblog.get("user") is None and (not depth or "user" not in mblog):
        fields.note(f"{path}.user missing")
    created_at = fields.time(mblog, "created_at", path)
    floors: list[str] = []
    counts = Counts(
        reposts=fields.count(mblog, "reposts_count", path, "reposts", floors),
        comments=fields.count(mblog, "comments_count", path, "comments", floors),
        likes=fields.count(mblog, "attitudes_count", path, "likes", floors),
        at_least=tuple(floors),
    )
    source = fields.string(mblog, "source", path, required=False)
    reposted = None
    original = fields.mapping(mblog, "retweeted_status", path, required=False)
    if original is not None and depth + 1 < DEEPEST_REPOST:
        reposted = _status(original, f"{path}.retweeted_status", None, Fields(), depth + 1)
        if not reposted.post_id:
            fields.note(f"{path}.retweeted_status has no id: the reposted post is not linked")
            reposted = None
    removal = placeholder_removal(Platform.WEIBO, text) if text else None
    if removal is None and depth and "user" in mblog and mblog["user"] is None:
        removal = Removal(Outcome.NOT_FOUND, f"{path}.user is null", NULL_USER_SOURCE)
    long_text = mblog.get("isLongText") is True or bool(rendered and rendered.cut)
    return Post(
        platform=Platform.WEIBO,
        post_id=post_id,
        endpoint=Endpoint.WEIBO_STATUS,
        text=text,
        author=_author(user, f"{path}.user", fields) if user is not None else None,
        created_at=created_at,
        created_at_from="answer" if created_at else None,
        counts=counts,
        image_urls=_images(mblog, path, fields),
        video_urls=_videos(mblog, path, fields),
        links=rendered.links if rendered else (),
        source_client=(render_html(source, BASE_URL).text or None) if source else None,
        reposted=reposted,
        removal=removal,
        truncated=long_text,
        problems=tuple(fields.problems),
    )


def _author(user: dict[str, Any], path: str, fields: Fields) -> Author:
    return Author(
        uid=fields.identifier(user, "id", path), screen_name=fields.string(user, "screen_name", path)
    )


def _images(mblog: dict[str, Any], path: str, fields: Fields) -> tuple[str, ...]:
    pics = mblog.get("pics")
    if pics is None:
        return ()
    if isinstance(pics, dict):
        keyed = sorted(
            pics.items(), key=lambda item: (not item[0].isdigit(), int(item[0]) if item[0].isdigit() else 0)
        )
        pics = [value for _, value in keyed]
    if not isinstance(pics, list):
        fields.note(f"{path}.pics: neither a list nor an object")
        return ()
    urls = []
    for number, pic in enumerate(pics):
        large = pic.get("large") if isinstance(pic, dict) else None
        url = (large.get("url") if isinstance(large, dict) else None) or (
            pic.get("url") if isinstance(pic, dict) else None
        )
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            urls.append(url)
        else:
            fields.note(f"{path}.pics[{number}]: no image URL")
    announced = mblog.get("pic_num")
    if isinstance(announced, int) and not isinstance(announced, bool) and announced > len(pics):
        fields.note(f"{path}.pics lists {len(pics)} of pic_num {announced} images")
    return tuple(urls)


def _videos(mblog: dict[str, Any], path: str, fields: Fields) -> tuple[str, ...]:
    page = fields.mapping(mblog, "page_info", path, required=False)
    if page is None or page.get("type") != "video":
        return ()
    for holder, keys in ((page.get("urls"), VIDEO_URL_KEYS), (page.get("media_info"), STREAM_URL_KEYS)):
        if isinstance(holder, dict):
            url = next(
                (holder[key] for key in keys if isinstance(holder.get(key), str) and holder[key]), None
            )
            if url is not None:
                return (url,)
    fields.note(f"{path}.page_info: a video without a video URL")
    return ()
