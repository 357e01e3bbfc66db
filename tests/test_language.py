"""Language and script tagging: the tagger, the Chinese helpers, the `lang` command, the archive."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import opencc
import pytest

from bench.language import fixture_articles, labelled_sentences, score, sourcevault_tag
from crawler.archive import Archive
from crawler.chinese import script_characters, script_evidence, to_simplified
from crawler.extraction import extract_article
from crawler.items import Capture
from crawler.language import (
    MAX_SAMPLE_CHARS,
    LanguageTag,
    declared_agrees,
    declared_language,
    sample,
    tag_article,
    tag_text,
)
from tests.helpers import SOURCEVAULT, fixture_page

TRADITIONAL_NEWS = "中央氣象署今天發布海上颱風警報，提醒民眾注意強風豪雨與海浪，各縣市政府已成立應變中心。"
SIMPLIFIED_NEWS = "中央气象台今天发布台风预警，提醒民众注意强风暴雨和海浪，各地政府已经成立应急指挥中心。"
SINA_PAGE = "outlets/sina/sina_news_c_2019-09-07_iicezzrq4076655_gne.html.gz"
SINA_URL = "https://news.sina.com.cn/c/2019-09-07/doc-iicezzrq4076655.shtml"


# --- the Chinese helpers ------------------------------------------------------------------------


def test_one_script_characters_come_from_opencc_and_leave_shared_ones_out():
    characters = script_characters()
    assert {"发", "这", "们", "国"} <= characters.simplified_only
    assert {"發", "這", "們", "國", "後", "臺", "裏", "裡", "為", "餘"} <= characters.traditional_only
    # Written in both scripts: 皇后, 台灣, 公里, 乾隆, 著作, 倒霉; and Taiwan's own 峰, 床, 群.
    shared = set("后台里干乾著於瞭藉霉峰床群")
    assert not shared & (characters.simplified_only | characters.traditional_only)
    assert not characters.simplified_only & characters.traditional_only


def test_every_one_script_character_is_one_opencc_converts():
    characters = script_characters()
    to_traditional, to_simplified_ = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    simplified = "\n".join(sorted(characters.simplified_only))
    traditional = "\n".join(sorted(characters.traditional_only))
    assert all(
        a != b for a, b in zip(simplified, to_traditional.convert(simplified), strict=True) if a != "\n"
    )
    assert all(
        a != b for a, b in zip(traditional, to_simplified_.convert(traditional), strict=True) if a != "\n"
    )


def test_script_evidence_counts_each_occurrence():
    assert script_evidence("發發后台").traditional == 2
    assert script_evidence("发发后台").simplified == 2
    assert (script_evidence(SIMPLIFIED_NEWS).simplified, script_evidence(SIMPLIFIED_NEWS).traditional) == (
        9,
        0,
    )
    assert script_evidence("").total == 0


def test_to_simplified_converts_taiwan_usage_and_leaves_the_rest():
    assert to_simplified("隨著台灣的發展，看著裡面") == "随着台湾的发展，看着里面"
    assert to_simplified(SIMPLIFIED_NEWS) == SIMPLIFIED_NEWS
    assert to_simplified("Hello, 世界 123") == "Hello, 世界 123"
    assert to_simplified("") == ""
    assert to_simplified("a\ud800b").startswith("a") and to_simplified("a\ud800b").endswith("b")


# --- the tagger ---------------------------------------------------------------------------------


def test_chinese_scripts_are_told_apart_by_their_characters():
    traditional, simplified = tag_text(TRADITIONAL_NEWS), tag_text(SIMPLIFIED_NEWS)
    assert (traditional.lang, traditional.script, traditional.tag) == ("zh", "Hant", "zh-Hant")
    assert (simplified.lang, simplified.script, simplified.tag) == ("zh", "Hans", "zh-Hans")
    assert traditional.confidence > 0.9 and simplified.confidence > 0.9
    assert not traditional.script_inferred and traditional.traditional_chars > 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("und", "Zzzz", "und", 0.0)),
        ("   \n\t ", ("und", "Zzzz", "und", 0.0)),
        ("2024-11-01 12:00 +886 3.14", ("und", "Zyyy", "und", 0.0)),
        ("！？。，「」……", ("und", "Zyyy", "und", 0.0)),
        ("😀🎉🇹🇼👍🏽", ("und", "Zyyy", "und", 0.0)),
        ("\x00\ufffd\ud800", ("und", "Zyyy", "und", 0.0)),
    ],
)
def test_text_without_letters_is_undetermined(text, expected):
    tag = tag_text(text)
    assert (tag.lang, tag.script, tag.tag, tag.confidence) == expected


def test_emoji_and_digits_do_not_change_the_answer():
    assert tag_text(f"😀 2024 {TRADITIONAL_NEWS} 👍").tag == "zh-Hant"


def test_hangul_and_kana_decide_korean_and_japanese():
    assert tag_text("이는 제3지대에서 우리당과 신설합당을 하자는 정세균(丁世均) 의장의 구상").tag == "ko"
    assert tag_text("大分製鉄所での実績を評価し、2013年に第2号機を稼働開始しました。").tag == "ja"
    # Chinese text quoting a Japanese brand is still Chinese; without Kana nothing is Japanese.
    assert tag_text("這家一風堂の拉麵店每到週末排隊的人都很多，很多人專程從台北南下來吃。").tag == "zh-Hant"
    assert tag_text("東京都知事選挙").lang == "zh"
    # The Katakana middle dot and length mark are written in Chinese names too.
    assert tag_text("美國總統唐納・川普今天發表談話").tag == "zh-Hant"


def test_mixed_chinese_and_english():
    assert tag_text("我今天用 Python 寫了一個 web crawler").tag == "zh-Hant"
    assert tag_text("iPhone 15 Pro Max 评测：续航提升明显").tag == "zh-Hans"
    english = tag_text("Xi Jinping (习近平) said on Monday that the economy would keep growing.")
    assert (english.lang, english.script) == ("en", "Latn")


def test_other_languages_and_scripts():
    assert tag_text("The central weather bureau issued a typhoon warning on Monday.").tag == "en"
    assert tag_text("Cục Khí tượng phát cảnh báo bão vào sáng thứ Hai.").tag == "vi"
    assert (tag_text("กรมอุตุนิยมวิทยาประกาศเตือนพายุ").lang, tag_text("กรมอุตุนิยมวิทยา").script) == ("th", "Thai")
    russian = tag_text("Метеорологическая служба объявила штормовое предупреждение.")
    assert (russian.lang, russian.script) == ("ru", "Cyrl")


def test_script_without_evidence_comes_from_the_page_then_the_outlet():
    neutral = "中文"  # no character of only one script
    assert tag_text(neutral) == LanguageTag("zh", "Hani", "zh", 1.0)
    from_page = tag_text(neutral, declared="zh-TW", expected_script="Hans")
    assert (from_page.tag, from_page.script_inferred, from_page.confidence) == ("zh-Hant", True, 0.5)
    from_outlet = tag_text(neutral, declared="zh", expected_script="Hans")
    assert (from_outlet.tag, from_outlet.script_inferred) == ("zh-Hans", True)
    # Evidence in the text beats anything declared.
    assert tag_text(TRADITIONAL_NEWS, declared="zh-CN", expected_script="Hans").tag == "zh-Hant"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("zh-TW", ("zh", "Hant")),
        ("zh_TW", ("zh", "Hant")),
        ("zh-Hant-HK", ("zh", "Hant")),
        ("zh-hk", ("zh", "Hant")),
        ("zh-CN", ("zh", "Hans")),
        ("cmn-SG", ("zh", "Hans")),
        ("zh", ("zh", None)),
        ("en-US", ("en", "Latn")),
        ("", None),
        ("utf-8", None),
        ("big5", None),
        (None, None),
    ],
)
def test_declared_languages_are_read_as_bcp47(declared, expected):
    assert declared_language(declared) == expected


def test_declared_language_agreement():
    traditional = tag_text(TRADITIONAL_NEWS)
    assert declared_agrees("zh-Hant-TW", traditional) is True
    assert declared_agrees("zh", traditional) is True
    assert declared_agrees("zh-CN", traditional) is False
    assert declared_agrees("en", traditional) is False
    assert declared_agrees(None, traditional) is None
    assert declared_agrees("zh-TW", tag_text("")) is None


def test_a_huge_text_is_sampled_evenly_and_tagged():
    huge = (TRADITIONAL_NEWS * 60_000)[:2_500_000] + SIMPLIFIED_NEWS * 80_000
    assert len(huge.encode()) > 5_000_000
    window = sample(huge)
    assert len(window) < MAX_SAMPLE_CHARS + 20
    assert window.startswith(huge[:100]) and window.endswith(huge[-100:])
    tag = tag_text(huge)
    assert tag.lang == "zh" and tag.simplified_chars and tag.traditional_chars
    assert tag == tag_text(huge)


def test_the_same_input_gives_the_same_output_in_another_process(tmp_path):
    texts = [TRADITIONAL_NEWS, SIMPLIFIED_NEWS, "Mixed 中英 text", "Xin chào", "", "😀"]
    (tmp_path / "lines.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    outputs = []
    for hash_seed in ("1", "2"):
        result = subprocess.run(
            [str(SOURCEVAULT), "lang", "--lines", str(tmp_path / "lines.txt")],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONWARNINGS": "ignore"},
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    in_process = [
        json.dumps(
            {"file": str(tmp_path / "lines.txt"), "line": n, **tag_text(t).to_dict()}, ensure_ascii=False
        )
        for n, t in enumerate(texts, start=1)
    ]
    assert outputs[0].splitlines() == in_process


# --- measured on the labelled corpus (bench/language.py prints the same figures) -------------------


def test_the_labelled_corpus_meets_the_targets(registry):
    scores, _ = score(labelled_sentences(registry), sourcevault_tag)
    assert scores.script_judged > 3000
    assert scores.script_accuracy >= 0.995
    assert scores.chinese_as_japanese_or_korean == 0
    assert scores.other_as_chinese == 0


def test_every_fixture_article_gets_its_outlet_s_script(registry):
    rows = fixture_articles(registry)
    assert len(rows) >= 14
    assert [(name, got) for name, want, got, _ in rows if got != want] == []
    editions = {article.edition: article for name, _, _, article in rows if name.startswith("epochtimes")}
    assert (editions["gb"].language_tag, editions["b5"].language_tag) == ("zh-Hans", "zh-Hant")
    # One article in both scripts has one Simplified title.
    assert editions["gb"].title_simplified == editions["b5"].title_simplified
    assert editions["gb"].title != editions["b5"].title


# --- articles and the archive -------------------------------------------------------------------


def traditional_sina_page() -> bytes:
    """A real Sina page whose text was converted to Traditional: what a mis-served page looks like."""
    html = fixture_page(SINA_PAGE).decode("utf-8")
    return opencc.OpenCC("s2twp").convert(html).encode("utf-8")


def test_a_page_in_the_other_script_is_flagged_and_kept_as_written(registry):
    article = extract_article(traditional_sina_page(), url=SINA_URL, outlet=registry.get("sina")).article
    assert article is not None
    assert (article.language_tag, article.expected_script, article.script_mismatch) == (
        "zh-Hant",
        "Hans",
        True,
    )
    assert article.body is not None and article.body_simplified is not None
    assert "這" in article.body and "这" in article.body_simplified and "這" not in article.body_simplified


def test_a_short_body_is_judged_with_its_title(registry):
    article = extract_article(fixture_page(SINA_PAGE), url=SINA_URL, outlet=registry.get("sina")).article
    assert article is not None
    neutral = replace(article, title="平鎮輪胎行惡火 疏散7人", body="中文")
    tagged = tag_article(neutral, registry.get("sina"))
    assert (tagged.language_tag, tagged.script_mismatch) == ("zh-Hant", True)
    unknowable = tag_article(replace(article, title="", body="中文", declared_language=None), None)
    assert (unknowable.language_tag, unknowable.script_mismatch, unknowable.expected_script) == (
        "zh",
        False,
        None,
    )


def test_stats_count_script_mismatches_per_outlet(cli, tmp_path, registry):
    database = tmp_path / "archive.db"
    with Archive(database) as archive:
        archive.sync_outlets(registry)
        for body in (fixture_page(SINA_PAGE), traditional_sina_page()):
            capture = Capture(
                outlet="sina",
                page_kind="article",
                url=SINA_URL,
                fetched_at=datetime(2019, 9, 8, tzinfo=UTC),
                http_status=200,
                body=body,
            )
            capture.extraction = extract_article(body, url=SINA_URL, outlet=registry.get("sina"))
            archive.store(capture, run_id=None)
        row = archive.db.execute(
            "SELECT language_tag, script_mismatch, body_simplified IS NOT NULL FROM articles"
        )
        assert row.fetchall() == [("zh-Hant", 1, 1)]
    stats = json.loads(cli("stats", "--db", str(database), "--json").output)
    assert stats["script_mismatches"] == 1 and stats["outlets"]["sina"]["script_mismatches"] == 1
    assert stats["outlets"]["sina"]["articles"] == 1 and stats["outlets"]["sina"]["captures"] == 2
    table = cli("stats", "--db", str(database)).output.splitlines()
    assert table[0].split() == ["outlet", "articles", "captures", "script", "mismatch"]
    assert next(line for line in table if line.startswith("sina")).split() == ["sina", "1", "2", "1"]


# --- the lang command ---------------------------------------------------------------------------


def lines_of(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_lang_tags_whole_files(cli, tmp_path):
    (tmp_path / "a.txt").write_text(TRADITIONAL_NEWS * 3, encoding="utf-8")
    (tmp_path / "b.txt").write_text("The weather bureau issued a typhoon warning.\n", encoding="utf-8")
    result = cli("lang", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    assert result.exit_code == 0
    tags = lines_of(result.output)
    assert [(tag["file"], tag["tag"]) for tag in tags] == [
        (str(tmp_path / "a.txt"), "zh-Hant"),
        (str(tmp_path / "b.txt"), "en"),
    ]
    assert set(tags[0]) >= {"lang", "script", "tag", "confidence", "script_inferred"}


def test_lang_lines_reports_bad_lines_and_goes_on(cli, tmp_path):
    page = tmp_path / "lines.txt"
    page.write_bytes(
        SIMPLIFIED_NEWS.encode()
        + b"\n\n"
        + "中文".encode("big5")
        + b"\r\n"
        + TRADITIONAL_NEWS.encode()
        + b"\r\n"
    )
    result = cli("lang", "--lines", str(page), "--declared", "zh-TW")
    assert result.exit_code == 1
    tags = lines_of(result.output)
    assert [tag.get("line") for tag in tags] == [1, 2, 3, 4]
    assert [tag.get("tag") for tag in tags] == ["zh-Hans", "und", None, "zh-Hant"]
    assert tags[2]["error"] == f"{page}:3: not UTF-8 text (invalid start byte at byte 0)"


def test_lang_reads_standard_input(cli):
    lines = lines_of(cli("lang", "--lines", "-", input=f"{SIMPLIFIED_NEWS}\n中文\n").output)
    assert [(line["file"], line["line"], line["tag"]) for line in lines] == [
        ("-", 1, "zh-Hans"),
        ("-", 2, "zh"),
    ]
    whole = lines_of(cli("lang", "--outlet", "cna", input="中文\n").output)
    assert [(line["file"], line["tag"], line["script_inferred"]) for line in whole] == [
        ("-", "zh-Hant", True)
    ]


def test_lang_says_which_file_it_cannot_read(cli, tmp_path):
    (tmp_path / "gbk.txt").write_bytes(SIMPLIFIED_NEWS.encode("gbk"))
    result = cli("lang", str(tmp_path / "gbk.txt"), str(tmp_path / "missing.txt"))
    assert result.exit_code == 1
    errors = [line["error"] for line in lines_of(result.output)]
    assert errors[0].startswith(f"{tmp_path / 'gbk.txt'}: not UTF-8 text (")
    assert errors[1] == f"{tmp_path / 'missing.txt'}: No such file or directory"
    assert "Error: " in cli("lang", "--outlet", "nosuch", input="x").output
