"""An X post from the syndication JSON embedded posts are drawn from, or from oEmbed.

Syndication (vercel/react-tweet types/tweet.ts, user.ts, media.ts; shared notes/posts.md §2.2):
`{__typename: "Tweet", id_str, text (t.co links), created_at (ISO 8601), lang, favorite_count,
conversation_count, user{id_str, name, screen_name}, entities{urls[{url, expanded_url,
display_url}]}, mediaDetails[{type, media_url_https, url, video_info{variants}}], quoted_tweet,
in_reply_to_status_id_str, note_tweet}`. oEmbed (developer.x.com get-statuses-oembed): the text
in a `<blockquote>`, the author's name and URL; its only time is a date, so the time is read from
the id.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from crawler.posts.fields import Fields, field_path
from crawler.posts.html_text import read_embedded_post
from crawler.posts.ids import snowflake_time
from crawler.posts.post import Author, Counts, Endpoint, Link, NotAPost, Platform, Post
from crawler.posts.urls import PostRef

# A post holds the post it quotes, which is read without its own quote.
DEEPEST_QUOTE = 2
TOMBSTONE = "TweetTombstone"
# An account that no longer exists answers tweet-shaped without `user` (vercel/react-tweet#144).
NO_USER = "user missing (an account that no longer exists answers so)"


def read_syndication(document: Any, ref: PostRef) -> Post | NotAPost:
    """The post in a tweet-result answer, with what it could read and each problem named."""
    if not isinstance(document, dict):
        return NotAPost("the answer is not a JSON object")
    if not document:
        return NotAPost("an empty JSON object: no post")
    if document.get("__typename") == TOMBSTONE:
        return NotAPost(f"a tombstone: {_tombstone_text(document) or 'no text'}")
    fields = Fields()
    kind = document.get("__typename")
    if kind != "Tweet":
        fields.note("__typename missing" if kind is None else f"__typename is {kind!r}, not 'Tweet'")
    return _tweet(document, "", ref.post_id, fields, depth=0)


def read_oembed(document: Any, ref: PostRef) -> Post | NotAPost:
    """The post in an oEmbed answer: text, language, author; its time from the id."""
    fields = Fields()
    markup = fields.string(document, "html", "")
    embedded = read_embedded_post(markup) if markup else None
    if embedded is None:
        return NotAPost(
            "no post in the oEmbed answer: " + (fields.problems[0] if fields.problems else "no <p> in html")
        )
    if embedded.status_url is None or ref.post_id not in urlsplit(embedded.status_url).path.split("/"):
        fields.note(
            f"html: its status link {embedded.status_url!r} is not the post asked for ({ref.post_id})"
        )
    author_url = fields.string(document, "author_url", "")
    handle = urlsplit(author_url).path.strip("/") if author_url else None
    created_at = snowflake_time(ref.post_id)
    return Post(
        platform=Platform.X,
        post_id=ref.post_id,
        endpoint=Endpoint.X_OEMBED,
        text=embedded.text.text,
        author=Author(uid=None, screen_name=handle or None, name=fields.string(document, "author_name", "")),
        created_at=created_at,
        created_at_from="post id" if created_at else None,
        links=embedded.text.links,
        language=embedded.language,
        problems=tuple(fields.problems),
    )


def _tweet(tweet: dict[str, Any], path: str, asked_id: str | None, fields: Fields, depth: int) -> Post:
    post_id = fields.post_id(tweet, "id_str", path, asked_id)
    text, links = _text(tweet, path, fields)
    user = fields.mapping(tweet, "user", path, required=False)
    if user is None:
        fields.note(f"{path}.{NO_USER}" if path else NO_USER)
    created_at = fields.time(tweet, "created_at", path, required=False)
    created_from = "answer" if created_at else None
    if created_at is None and post_id:
        created_at = snowflake_time(post_id)
        created_from = "post id" if created_at else None
    floors: list[str] = []
    counts = Counts(
        reposts=fields.count(tweet, "retweet_count", path, "reposts", floors),
        comments=fields.count(
            tweet,
            "conversation_count" if "conversation_count" in tweet else "reply_count",
            path,
            "comments",
            floors,
        ),
        likes=fields.count(tweet, "favorite_count", path, "likes", floors),
    )
    quoted = fields.mapping(tweet, "quoted_tweet", path, required=False)
    reposted = (
        _quoted(quoted, field_path(path, "quoted_tweet"), fields)
        if quoted is not None and depth + 1 < DEEPEST_QUOTE
        else None
    )
    images, videos = _media(tweet, path, fields)
    return Post(
        platform=Platform.X,
        post_id=post_id,
        endpoint=Endpoint.X_SYNDICATION,
        text=text,
        author=_author(user, field_path(path, "user"), fields) if user is not None else None,
        created_at=created_at,
        created_at_from=created_from,
        counts=counts,
        image_urls=images,
        video_urls=videos,
        links=links,
        language=fields.string(tweet, "lang", path, required=False),
        in_reply_to=fields.identifier(tweet, "in_reply_to_status_id_str", path, required=False),
        reposted=reposted,
        # A long post's text stops where the syndication answer's does; the rest is in note_tweet.
        truncated="note_tweet" in tweet,
        problems=tuple(fields.problems),
    )


def _quoted(quoted: dict[str, Any], path: str, fields: Fields) -> Post | None:
    post = _tweet(quoted, path, None, Fields(), depth=1)
    if not post.post_id:
        fields.note(f"{path} has no id_str: the quoted post is not linked")
        return None
    return post


def _text(tweet: dict[str, Any], path: str, fields: Fields) -> tuple[str | None, tuple[Link, ...]]:
    """The text with each t.co link written out, media links dropped (the media are listed apart)."""
    text = fields.string(tweet, "text", path)
    entities = fields.mapping(tweet, "entities", path, required=False) or {}
    links = []
    for entry in fields.items(entities, "urls", field_path(path, "entities")) or ():
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            target = entry.get("expanded_url") if isinstance(entry.get("expanded_url"), str) else entry["url"]
            shown = entry.get("display_url") if isinstance(entry.get("display_url"), str) else target
            links.append(Link(shown, target, entry["url"]))
    if text is None:
        return None, tuple(links)
    for link in links:
        text = text.replace(link.short_url, link.url)
    for holder in (tweet.get("mediaDetails"), entities.get("media")):
        for entry in holder if isinstance(holder, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                text = text.replace(entry["url"], "")
    return html.unescape(text).strip(), tuple(links)


def _media(tweet: dict[str, Any], path: str, fields: Fields) -> tuple[tuple[str, ...], tuple[str, ...]]:
    images: list[str] = []
    videos: list[str] = []
    for number, media in enumerate(fields.items(tweet, "mediaDetails", path) or ()):
        kind = media.get("type") if isinstance(media, dict) else None
        if kind == "photo" and isinstance(media.get("media_url_https"), str):
            images.append(media["media_url_https"])
        elif kind in ("video", "animated_gif") and (best := _best_variant(media)) is not None:
            videos.append(best)
        else:
            fields.note(f"{field_path(path, 'mediaDetails')}[{number}]: no media URL")
    if not images and not videos:
        for photo in fields.items(tweet, "photos", path) or ():
            if isinstance(photo, dict) and isinstance(photo.get("url"), str):
                images.append(photo["url"])
    return tuple(images), tuple(videos)


def _best_variant(media: dict[str, Any]) -> str | None:
    info = media.get("video_info")
    variants = info.get("variants") if isinstance(info, dict) else None
    if not isinstance(variants, list):
        return None
    playable = [
        variant
        for variant in variants
        if isinstance(variant, dict)
        and isinstance(variant.get("url"), str)
        and variant.get("content_type") == "video/mp4"
    ]
    if not playable:
        return None
    return max(playable, key=_bitrate)["url"]


def _bitrate(variant: dict[str, Any]) -> int:
    return variant["bitrate"] if isinstance(variant.get("bitrate"), int) else 0


def _author(user: dict[str, Any], path: str, fields: Fields) -> Author:
    return Author(
        uid=fields.identifier(user, "id_str", path),
        screen_name=fields.string(user, "screen_name", path),
        name=fields.string(user, "name", path, required=False),
    )


def _tombstone_text(tombstone: dict[str, Any]) -> str | None:
    holder = tombstone.get("tombstone")
    text = holder.get("text") if isinstance(holder, dict) else None
    said = text.get("text") if isinstance(text, dict) else None
    return said if isinstance(said, str) else None
