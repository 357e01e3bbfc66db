"""Identity, versions and story clusters in a real archive file: what `Archive.store` makes of articles."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import opencc
import pytest

from crawler import story_matching
from crawler.archive import Archive
from crawler.chinese import to_simplified
from crawler.items import Capture
from crawler.research.reextraction import reextract
from crawler.story_matching import comparable_body, fingerprint
from tests.helpers import fixture_page, page_capture, text_capture

# Synthetic texts written for these tests.
TYPHOON = (
    "受颱風影響，臺灣東部花蓮、臺東兩縣今天宣佈停班停課，交通部門提醒民眾減少外出，並注意強風豪雨。\n\n"
    "氣象部門表示，颱風中心目前位於臺東東南方約300公里的海面上，預計明天清晨最接近臺灣陸地。\n\n"
    "花蓮縣政府指出，已在沿海地區開設12處避難所，並預先撤離低窪地區居民約800人。"
)
BUDGET = (
    "立法院今天三讀通過明年度中央政府總預算案，總額新台幣2兆8000億元，較今年增加百分之五。\n\n"
    "行政院長表示，新增經費將優先用於國防、長照與社會住宅，並強調財政紀律不會因此放鬆。\n\n"
    "在野黨團批評預算編列浮濫，要求各部會在三個月內提出執行進度報告，以利國會監督。"
)
BOILERPLATE = (
    "本網站所刊載之所有內容，包括文字、圖片、影音等，均受著作權法保護，未經授權不得轉載、改作或以任何方式使用。"
    "如需授權請洽客服中心，服務時間為週一至週五上午九時至下午六時，例假日休息。"
)
UDN = "https://udn.com/news/story/7315/{}"
CNA = "https://www.cna.com.tw/news/aipl/{}.aspx"
LTN = "https://news.ltn.com.tw/news/politics/breakingnews/{}"
HUANQIU = "https://world.huanqiu.com/article/4MSVE1DOKy3"
EPOCH_GB = "https://www.epochtimes.com/gb/24/5/20/n14250000.htm"
EPOCH_B5 = "https://www.epochtimes.com/b5/24/5/20/n14250000.htm"


@pytest.fixture
def archive(tmp_path, registry):
    with Archive(tmp_path / "archive.db") as opened:
        opened.sync_outlets(registry)
        yield opened


def store(archive: Archive, registry, capture: Capture):
    return archive.store(capture, run_id=None, outlet=registry.get(capture.outlet))


def fixture_capture(registry, url: str, page: str) -> Capture:
    return page_capture(registry, url, fixture_page(page), fetched_at=datetime(2026, 11, 28, tzinfo=UTC))


def clusters(archive: Archive) -> list[set[tuple[str, str]]]:
    return [
        {(article["outlet"], article["reason"]) for article in cluster["articles"]}
        for cluster in archive.queries.clusters()
    ]


# --- versions -------------------------------------------------------------------------------------


def test_a_refetch_is_new_then_unchanged_then_updated_with_a_version_chain(archive, registry):
    url = CNA.format("202611010001")
    first = store(archive, registry, text_capture(registry, url, "預算三讀", BUDGET))
    day = datetime(2026, 11, 2, tzinfo=UTC)
    # The same text re-rendered (other whitespace, full-width digits) is no new version.
    rerendered = BUDGET.replace("2兆8000億元", "２兆８０００億元").replace("\n\n", "\n\n\n")
    again = store(archive, registry, text_capture(registry, url, "預算三讀 ", rerendered, fetched_at=day))
    edited = BUDGET.replace("百分之五", "百分之四點八")
    later = datetime(2026, 11, 3, tzinfo=UTC)
    third = store(archive, registry, text_capture(registry, url, "預算三讀", edited, fetched_at=later))
    assert (first.change, again.change, third.change) == ("new", "unchanged", "updated")
    assert first.article == again.article == third.article
    # Every fetch keeps its capture; the article row shows the newest content.
    assert archive.db.execute("SELECT count(*) FROM captures").fetchone() == (3,)
    row = archive.db.execute(
        "SELECT current_version, first_seen_at, last_seen_at, capture_id, body FROM articles"
    ).fetchone()
    assert row == (2, "2026-11-01T00:00:00+00:00", "2026-11-03T00:00:00+00:00", third.capture_id, edited)
    versions = archive.db.execute(
        "SELECT id, version, previous_version_id, capture_id, first_seen_at, last_seen_at, body"
        " FROM article_versions ORDER BY version"
    ).fetchall()
    assert [version[1:] for version in versions] == [
        (1, None, first.capture_id, "2026-11-01T00:00:00+00:00", "2026-11-02T00:00:00+00:00", BUDGET),
        (
            2,
            versions[0][0],
            third.capture_id,
            "2026-11-03T00:00:00+00:00",
            "2026-11-03T00:00:00+00:00",
            edited,
        ),
    ]


def test_every_url_of_an_article_is_kept_and_finds_it(archive, registry):
    udn = registry.get("udn")
    archive.articles.record_article_url(udn, "https://udn.com/news/story/7315/3705102?from=udn-rss")
    capture = text_capture(
        registry,
        "https://udn.com/news/story/7315/3705102",
        "血濺桃機",
        BUDGET,
        canonical_url="https://udn.com/news/story/11315/3705102",
    )
    stored = store(archive, registry, capture)
    urls = dict(archive.db.execute("SELECT url, seen_as FROM article_urls WHERE article_id = '3705102'"))
    assert urls == {
        "https://udn.com/news/story/7315/3705102?from=udn-rss": "link",
        "https://udn.com/news/story/7315/3705102": "requested",
        "https://udn.com/news/story/11315/3705102": "page_canonical",
    }
    for seen in (
        "https://udn.com/news/story/7315/3705102?from=udn-ch1_breaknews-1-0-news",
        "https://udn.com/news/story/999/3705102",
        "http://udn.com/news/story/11315/3705102#comments",
    ):
        found = archive.articles.archived_article_for(udn, seen)
        assert found is not None and found.id == stored.article, seen
    assert archive.articles.archived_article_for(udn, "https://udn.com/news/story/7315/3705103") is None


def test_a_redirect_is_an_alias_of_the_article_it_led_to(archive, registry):
    huanqiu = registry.get("huanqiu")
    capture = text_capture(
        registry,
        "https://world.huanqiu.com/article/3yWyyCuSR4w",
        "标题",
        to_simplified(BUDGET),
        final_url="https://3w.huanqiu.com/a/d80b1f/3yWyyCuSR4w",
    )
    stored = store(archive, registry, capture)
    seen = dict(archive.db.execute("SELECT url, seen_as FROM article_urls"))
    assert seen["https://3w.huanqiu.com/a/d80b1f/3yWyyCuSR4w"] == "redirect"
    found = archive.articles.archived_article_for(
        huanqiu, "https://world.huanqiu.com/article/3yWyyCuSR4w?re=nextnews"
    )
    assert found is not None and found.id == stored.article


# --- clusters -------------------------------------------------------------------------------------


def test_the_two_script_editions_and_a_repost_share_one_cluster(archive, registry):
    gb = store(
        archive,
        registry,
        fixture_capture(registry, EPOCH_GB, "outlets/epochtimes/epochtimes_gb_n14250000_synthetic.html.gz"),
    )
    b5 = store(
        archive,
        registry,
        fixture_capture(registry, EPOCH_B5, "outlets/epochtimes/epochtimes_b5_n14250000_synthetic.html.gz"),
    )
    assert [(link.reason, link.similarity) for link in b5.links] == [("same_story_key_other_edition", 1.0)]
    # UDN carries the Traditional text with its own dateline, a paragraph cut and a footer.
    gb_body = archive.db.execute("SELECT body FROM articles WHERE id = ?", [gb.article]).fetchone()[0]
    repost = opencc.OpenCC("s2tw").convert(gb_body).split("\n\n")[:-1]
    udn_body = "\n\n".join(
        ["（中央社記者林文華台北20日電）" + repost[0], *repost[1:], "（編輯：王明）1130520"]
    )
    udn = store(
        archive, registry, text_capture(registry, UDN.format("8000001"), "颱風逼近 東部停課", udn_body)
    )
    assert [link.reason for link in udn.links] == ["near_duplicate", "near_duplicate"]
    assert all(link.similarity == 1.0 for link in udn.links)  # the cut copy lies whole inside both
    assert clusters(archive) == [
        {
            ("epochtimes", "same_story_key_other_edition"),
            ("udn", "near_duplicate"),
        }
    ]
    cluster_ids = {row[0] for row in archive.db.execute("SELECT cluster_id FROM articles")}
    assert len(cluster_ids) == 1 and None not in cluster_ids


def test_different_stories_of_one_outlet_and_topic_stay_apart(archive, registry):
    store(archive, registry, text_capture(registry, CNA.format("202611010001"), "颱風停課", TYPHOON))
    other_typhoon = (
        "颱風外圍環流影響，北部山區今天出現豪雨，水利署發布淹水警戒，提醒民眾遠離河川與低窪地區。\n\n"
        "中央氣象署預估颱風將於後天轉向日本，屆時臺灣各地風雨可望逐漸減緩，但仍須注意長浪。"
    )
    store(archive, registry, text_capture(registry, CNA.format("202611010002"), "颱風豪雨", other_typhoon))
    store(archive, registry, text_capture(registry, CNA.format("202611010003"), "預算三讀", BUDGET))
    assert archive.queries.clusters() == []


def test_short_bodies_never_cluster(archive, registry):
    short = "颱風來襲，東部停班停課。"
    for number, url in enumerate((CNA, UDN, LTN)):
        stored = store(
            archive, registry, text_capture(registry, url.format(f"20261101000{number}"), "颱風", short)
        )
        assert stored.links == ()
    assert archive.queries.clusters() == []
    assert archive.db.execute("SELECT count(*) FROM articles WHERE body_hash IS NOT NULL").fetchone() == (0,)
    assert archive.db.execute("SELECT count(*) FROM minhash_bands").fetchone() == (0,)


def test_pages_of_one_outlet_reduced_to_its_boilerplate_do_not_collapse_into_one_cluster(archive, registry):
    for number, title in enumerate(("颱風停課", "預算三讀", "棒球冠軍", "股市大漲")):
        store(archive, registry, text_capture(registry, LTN.format(f"400000{number}"), title, BOILERPLATE))
    assert archive.queries.clusters() == []
    # The same story republished by the outlet under its headline is still one story.
    store(archive, registry, text_capture(registry, LTN.format("4000010"), "預算三讀", BUDGET))
    store(archive, registry, text_capture(registry, LTN.format("4000011"), "預算三讀（更新）", BUDGET))
    assert clusters(archive) == [{("ltn", "exact_body_hash")}]


def test_clusters_merge_and_split_as_articles_join_and_change(archive, registry):
    store(archive, registry, text_capture(registry, CNA.format("202611010001"), "a", BUDGET))
    store(archive, registry, text_capture(registry, UDN.format("9000001"), "b", BUDGET))
    store(archive, registry, text_capture(registry, LTN.format("9000002"), "c", TYPHOON))
    store(
        archive,
        registry,
        text_capture(
            registry,
            "https://news.sina.com.cn/c/2026-11-01/doc-iaaaaaaaaaaaaaa.shtml",
            "d",
            to_simplified(TYPHOON),
        ),
    )
    assert len(archive.queries.clusters()) == 2
    # One article carrying both stories joins the two clusters into one.
    both = store(
        archive, registry, text_capture(registry, HUANQIU, "e", to_simplified(BUDGET + "\n\n" + TYPHOON))
    )
    assert len(both.links) == 4 and len(archive.queries.clusters()) == 1
    # Its text changes to something else: a new version, and the two stories part again.
    changed = store(
        archive,
        registry,
        text_capture(registry, HUANQIU, "e", "本文已撤下，改为一则完全不同的简讯。"),
    )
    assert changed.change == "updated" and changed.links == ()
    assert sorted(len(cluster["articles"]) for cluster in archive.queries.clusters()) == [2, 2]


def test_candidates_are_told_by_the_stored_hash_and_text_without_normalising_them_again(
    archive, registry, monkeypatch
):
    story = BUDGET + "\n\n" + TYPHOON
    store(archive, registry, text_capture(registry, CNA.format("202611010001"), "a", story))
    cut = "\n\n".join(story.split("\n\n")[:5])
    near = store(archive, registry, text_capture(registry, UDN.format("9000001"), "b", cut))
    assert [link.reason for link in near.links] == ["near_duplicate"]
    stored = archive.db.execute("SELECT comparable_text FROM article_minhashes ORDER BY article").fetchall()
    assert stored == [(comparable_body(story),), (comparable_body(cut),)]
    normalised: list[str | None] = []
    original = story_matching.comparable_body
    monkeypatch.setattr(
        story_matching, "comparable_body", lambda body: normalised.append(body) or original(body)
    )
    copy = store(archive, registry, text_capture(registry, LTN.format("9000002"), "c", story))
    # Its own body only: the exact copy is told by the hash, the near copy by its stored text.
    assert normalised == [story]
    assert [(link.reason, link.similarity) for link in copy.links] == [
        ("exact_body_hash", 1.0),
        ("near_duplicate", 1.0),
    ]
    assert clusters(archive) == [
        {("cna", "near_duplicate"), ("udn", "near_duplicate"), ("ltn", "exact_body_hash")}
    ]
    normalised.clear()
    other = "\n\n".join(story.split("\n\n")[1:])
    store(archive, registry, text_capture(registry, HUANQIU, "d", to_simplified(other)))
    # A near copy's candidates are compared by their stored text, not normalised again.
    assert normalised == [to_simplified(other)]


def test_candidates_compared_by_their_stored_text_link_as_when_normalised_again(tmp_path, registry):
    # An archive indexed before m012_stored_fingerprints holds no comparable text: its candidates are
    # normalised again from their bodies, the way every candidate was before. Both link alike.
    story = BUDGET + "\n\n" + TYPHOON
    paragraphs = story.split("\n\n")
    bodies = [
        story,
        to_simplified(story),
        "\n\n".join(paragraphs[:5]),
        story,
        "\n\n".join(paragraphs[1:]),
        BOILERPLATE + "\n\n" + story,
        to_simplified("\n\n".join(paragraphs[:4])),
        story,
    ]

    def crawl(path, *, keep_text: bool) -> tuple[list[tuple], list[set[tuple[str, str]]]]:
        with Archive(path) as archive:
            archive.sync_outlets(registry)
            for number, body in enumerate(bodies):
                if not keep_text:
                    archive.db.execute("UPDATE article_minhashes SET comparable_text = NULL")
                url = (
                    UDN.format(f"90000{number}"),
                    CNA.format(f"2026110100{number:02d}"),
                    LTN.format(f"90000{number}"),
                )[number % 3]
                store(archive, registry, text_capture(registry, url, "預算三讀", body))
            links = archive.db.execute(
                "SELECT article, linked_article, similarity, reason FROM cluster_links ORDER BY id"
            ).fetchall()
            return links, clusters(archive)

    stored = crawl(tmp_path / "stored.db", keep_text=True)
    assert {reason for *_, reason in stored[0]} == {"exact_body_hash", "near_duplicate"}
    assert stored == crawl(tmp_path / "normalised.db", keep_text=False)


def test_candidates_verified_per_article_are_bounded_by_the_setting(tmp_path, registry):
    with Archive(tmp_path / "archive.db", dedup_max_verified=2) as archive:
        archive.sync_outlets(registry)
        for number in range(4):
            stored = store(
                archive, registry, text_capture(registry, UDN.format(f"900000{number}"), "預算三讀", BUDGET)
            )
            assert len(stored.links) == min(number, 2)
        assert len(archive.queries.clusters()) == 1


def test_reextract_rebuilds_versions_and_clusters_from_the_originals(tmp_path, registry):
    with Archive(tmp_path / "archive.db") as archive:
        archive.sync_outlets(registry)
        for url, page in ((EPOCH_GB, "gb"), (EPOCH_B5, "b5")):
            path = f"outlets/epochtimes/epochtimes_{page}_n14250000_synthetic.html.gz"
            store(archive, registry, fixture_capture(registry, url, path))
        before = archive.queries.clusters()
        counts = reextract(archive, registry)
        assert counts["articles unchanged"] == 2
        after = archive.queries.clusters()
        assert [[(a["id"], a["reason"]) for a in c["articles"]] for c in after] == [
            [(a["id"], a["reason"]) for a in c["articles"]] for c in before
        ]
        assert archive.db.execute("SELECT count(*), max(version) FROM article_versions").fetchone() == (2, 1)


def test_the_normalised_body_drops_what_outlets_wrap_around_a_story():
    body = (
        "原标题：台风逼近\n\n【环球网报道 记者 张三】受台风影响，东部停课。\n\n来源：环球网\n\n责任编辑：李四"
    )
    assert comparable_body(body) == "受台风影响东部停课"
    traditional = "（中央社記者王小明台北20日電）受颱風影響，東部停課。\n\n（編輯：李大同）1130520"
    assert comparable_body(traditional) == comparable_body(body)
    assert not fingerprint("太短了").comparable


# --- commands ------------------------------------------------------------------------------------


def test_clusters_and_duplicates_commands(cli, tmp_path, registry):
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        cna = store(archive, registry, text_capture(registry, CNA.format("202611010001"), "預算三讀", BUDGET))
        udn = store(archive, registry, text_capture(registry, UDN.format("9000001"), "預算過關", BUDGET))
        alone = store(archive, registry, text_capture(registry, LTN.format("9000002"), "颱風", TYPHOON))
    result = cli("clusters", "--db", str(path), "--json")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 1 and set(lines[0]) == {"cluster_id", "articles"}
    assert [
        {key: article[key] for key in ("id", "url", "outlet", "similarity", "reason")}
        for article in lines[0]["articles"]
    ] == [
        {
            "id": cna.article,
            "url": CNA.format("202611010001"),
            "outlet": "cna",
            "similarity": 1.0,
            "reason": "exact_body_hash",
        },
        {
            "id": udn.article,
            "url": UDN.format("9000001"),
            "outlet": "udn",
            "similarity": 1.0,
            "reason": "exact_body_hash",
        },
    ]
    assert cli("clusters", "--db", str(path), "--since", "2999-01-01", "--json").output == ""
    text = cli("clusters", "--db", str(path)).output
    assert "cluster 1: 2 articles" in text and "預算過關" in text and text.endswith("1 clusters\n")

    explained = json.loads(cli("duplicates", str(udn.article), "--db", str(path), "--json").output)
    assert explained["cluster_size"] == 2 and explained["same_body_hash"] == [cna.article]
    assert [(link["direction"], link["id"], link["reason"]) for link in explained["links"]] == [
        ("to", cna.article, "exact_body_hash")
    ]
    by_url = cli("duplicates", "https://udn.com/news/story/11315/9000001?from=udn-rss", "--db", str(path))
    assert by_url.exit_code == 0 and f"→ #{cna.article}" in by_url.output
    lonely = cli("duplicates", str(alone.article), "--db", str(path)).output
    assert "in no cluster" in lonely
    missing = cli("duplicates", "4242", "--db", str(path))
    assert missing.exit_code == 1 and missing.output.strip() == f"Error: {path}: no article 4242"
