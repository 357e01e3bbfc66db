"""The crawl benchmark's loopback site: news pages recombined from real paragraphs (synthetic pages).

Three outlets (`north` writes Traditional, `south` Simplified, `east` both) share one host, each
under /<slug>/ with a sitemap index of 1,000-URL sitemaps. Every article body is a random run of
real paragraphs (those `bench/search.py` reads: the real fixture pages under tests/fixtures and
bench/corpus), 300 to 3,000 characters, in its outlet's script. About 5 % of the articles are exact
copies of another outlet's article, about 5 % near copies (a paragraph cut, a repost credit and a
paragraph of another story added, the other script). Each page carries what a news page carries
around its story: a section menu, a latest-news list linking other articles, a share bar, a
related-stories block and a long footer.

The site is made from a seed, so every crawler of a run, and every run, gets the same pages.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

import opencc

from bench.search import real_paragraphs
from tests.loopback import LoopbackSite, outlet_toml, sitemap_index, urlset

# slug -> the script its articles are written in ("both": every other article Traditional).
OUTLETS = {"north": "Hant", "south": "Hans", "east": "both"}
SITEMAP_SIZE = 1000
EXACT_COPY_SHARE = 0.05
NEAR_COPY_SHARE = 0.05
SECTIONS = ("要聞", "政治", "社會", "國際", "兩岸", "財經", "科技", "生活", "文教", "地方", "體育", "娛樂")
FOOTER_LINKS = 40
LATEST_LINKS = 20
RELATED_LINKS = 6
CREDITS = ("來源：中央社", "来源：环球网", "轉載自：自由時報", "原标题：")


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: tuple[str, ...]
    published: datetime


def article_paths(pages: int) -> list[str]:
    """The site's article paths, the outlets taking turns: /north/a/1, /south/a/2, ..."""
    slugs = list(OUTLETS)
    return [f"/{slugs[number % len(slugs)]}/a/{number}" for number in range(1, pages + 1)]


def stories(pages: int, seed: int) -> Iterator[tuple[str, Story]]:
    """The site's articles by path, made from `seed`: new stories, exact and near copies of other outlets'."""
    rng = random.Random(seed)
    paragraphs = real_paragraphs()
    converters = {"Hant": opencc.OpenCC("s2twp"), "Hans": opencc.OpenCC("tw2s")}
    first_day = datetime(2026, 1, 1, 6)
    written: dict[str, list[Story]] = {slug: [] for slug in OUTLETS}
    for number, path in enumerate(article_paths(pages), start=1):
        slug = path.split("/")[1]
        script = OUTLETS[slug] if OUTLETS[slug] != "both" else ("Hant", "Hans")[number % 2]
        convert = converters[script].convert
        others = [story for other, theirs in written.items() if other != slug for story in theirs]
        draw = rng.random()
        if others and draw < EXACT_COPY_SHARE:
            story = rng.choice(others)
        elif others and draw < EXACT_COPY_SHARE + NEAR_COPY_SHARE:
            original = rng.choice(others)
            kept = list(original.paragraphs)
            if len(kept) > 2:
                kept.pop(rng.randrange(1, len(kept)))
            edited = [*kept, convert(rng.choice(paragraphs)), rng.choice(CREDITS)]
            story = Story(convert(original.title), tuple(map(convert, edited)), original.published)
        else:
            target = rng.randint(300, 3_000)
            chosen: list[str] = []
            while sum(map(len, chosen)) < target:
                chosen.append(rng.choice(paragraphs))
            title = re.split(r"[，。！？,.!?]", rng.choice(paragraphs))[0][:30] or f"第{number}則新聞"
            published = first_day + timedelta(minutes=rng.randrange(60 * 24 * 300))
            story = Story(convert(title), tuple(map(convert, chosen)), published)
        written[slug].append(story)
        yield path, story


def _links(paths: list[str], titles: dict[str, str], rng: random.Random, count: int) -> str:
    return "".join(
        f"<li><a href='{path}'>{escape(titles[path])}</a></li>" for path in rng.sample(paths, count)
    )


def page_html(path: str, story: Story, titles: dict[str, str], rng: random.Random) -> bytes:
    """An article page: the story inside `tests.loopback.outlet_toml`'s selectors, a news site around it."""
    paths = list(titles)
    slug = path.split("/")[1]
    menu = "".join(f"<li><a href='/{slug}/section/{n}'>{name}</a></li>" for n, name in enumerate(SECTIONS))
    footer = "".join(
        f"<li><a href='/{slug}/about/{n}'>服務條款與隱私權政策 {n}</a></li>" for n in range(FOOTER_LINKS)
    )
    related = _links(paths, titles, rng, RELATED_LINKS)
    text = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in story.paragraphs)
    stamp = story.published.strftime("%Y-%m-%dT%H:%M:00+08:00")
    return (
        "<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'>"
        f"<title>{escape(story.title)} - {slug} 新聞網</title>"
        f"<meta property='og:title' content='{escape(story.title)}'>"
        "<link rel='stylesheet' href='/static/site.css'><script src='/static/site.js'></script></head><body>"
        f"<header><a class='logo' href='/{slug}/'>{slug} 新聞網</a><nav><ul>{menu}</ul></nav>"
        "<form action='/search'><input name='q' placeholder='搜尋新聞'></form></header>"
        f"<aside class='latest'><h2>最新消息</h2><ul>{_links(paths, titles, rng, LATEST_LINKS)}</ul></aside>"
        f"<main><h1 class='headline'>{escape(story.title)}</h1><span class='author'>記者王小明</span>"
        f"<time datetime='{stamp}'>{stamp[:16].replace('T', ' ')}</time>"
        "<div class='share'><a href='#'>分享</a><a href='#'>列印</a><a href='#'>轉寄</a></div>"
        f"<article>{text}</article>"
        f"<section class='related'><h2>相關新聞</h2><ul>{related}</ul></section>"
        "</main>"
        f"<footer><ul>{footer}</ul><p>© 2026 {slug} 新聞網 版權所有，禁止轉載</p></footer></body></html>"
    ).encode()


def build(site: LoopbackSite, pages: int, seed: int) -> dict[str, str]:
    """Put `pages` articles and their sitemaps on the site; each outlet's sitemap index URL."""
    by_path = dict(stories(pages, seed))
    titles = {path: story.title for path, story in by_path.items()}
    rng = random.Random(seed + 1)
    for path, story in by_path.items():
        site.add(path, page_html(path, story, titles, rng))
    indexes = {}
    for slug in OUTLETS:
        paths = [path for path in by_path if path.startswith(f"/{slug}/")]
        sitemaps = []
        for start in range(0, len(paths), SITEMAP_SIZE):
            sitemap = f"/{slug}/sitemap-{start // SITEMAP_SIZE}.xml"
            site.add(sitemap, urlset(site.base_url + path for path in paths[start : start + SITEMAP_SIZE]))
            sitemaps.append(site.base_url + sitemap)
        site.add(f"/{slug}/sitemap.xml", sitemap_index(sitemaps), content_type="application/xml")
        indexes[slug] = f"{site.base_url}/{slug}/sitemap.xml"
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    return indexes


def registry_toml(base_url: str, concurrency: int) -> str:
    """The registry sourcevault crawls the site with: one entry per outlet, in its script."""
    entries = []
    for slug, script in OUTLETS.items():
        entry = outlet_toml(slug, base_url, sitemaps=[f"/{slug}/sitemap.xml"], concurrency=concurrency)
        written = "Hant" if script == "both" else script
        entries.append(entry.replace('script = "Hant"', f'script = "{written}"'))
    return "".join(entries)


def serve(pages: int, seed: int) -> None:
    """Serve the site until standard input ends; first print its base URL and sitemap indexes as JSON."""
    site = LoopbackSite()
    with site.running():
        indexes = build(site, pages, seed)
        print(json.dumps({"base_url": site.base_url, "sitemaps": list(indexes.values())}), flush=True)
        sys.stdin.read()
