"""The removal table (crawler/posts/removals.toml): valid, every entry reachable, every wording
recorded somewhere, and docs/posts.md showing exactly what it holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from crawler.posts.post import REMOVAL_KINDS, Endpoint, Outcome, Platform
from crawler.posts.recorded import RecordedAnswer
from crawler.posts.removals import (
    AnswerEntry,
    PlaceholderEntry,
    classify_answer,
    placeholder_removal,
    removal_table,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "posts.md"
TABLE_START = "<!-- removal table: from crawler/posts/removals.toml (tests/test_post_removals.py) -->"
TABLE_END = "<!-- end of removal table -->"
ENDPOINT_NAMES = {
    Endpoint.WEIBO_STATUS: "status",
    Endpoint.WEIBO_LONG_TEXT: "long text",
    Endpoint.X_SYNDICATION: "syndication",
    Endpoint.X_OEMBED: "oEmbed",
}


def describe(entry: AnswerEntry) -> str:
    said = []
    if entry.status:
        said.append("HTTP " + " or ".join(map(str, entry.status)))
    if entry.body:
        said.append({"json": "JSON", "html": "HTML", "empty": "empty"}[entry.body] + " body")
    said += [f"`{name} = {value!r}`" for name, value in (entry.json_fields or {}).items()]
    said += [f"with `{name}`" for name in entry.json_has or ()]
    if entry.body_is is not None:
        said.append(f"body `{entry.body_is}`")
    if entry.contains:
        said.append("containing " + " or ".join(f"“{text}”" for text in entry.contains))
    return ", ".join(said)


def removal_table_markdown() -> str:
    table = removal_table()
    lines = [
        "| platform | endpoint | the answer | outcome | recorded in |",
        "|---|---|---|---|---|",
    ]
    for entry in table.answer:
        endpoints = ", ".join(ENDPOINT_NAMES[endpoint] for endpoint in entry.endpoints or ()) or "all"
        lines.append(
            f"| {entry.platform} | {endpoints} | {describe(entry)} | `{entry.outcome}` | {_cell(entry)} |"
        )
    lines += ["", "| platform | the post's text begins | removal kind | recorded in |", "|---|---|---|---|"]
    for entry in table.placeholder:
        texts = "<br>".join(f"“{text}”" for text in entry.texts)
        lines.append(f"| {entry.platform} | {texts} | `{entry.outcome}` | {_cell(entry)} |")
    return "\n".join(lines)


def _cell(entry: AnswerEntry | PlaceholderEntry) -> str:
    return (entry.source + (f" — {entry.note}" if entry.note else "")).replace("|", "\\|")


def test_the_docs_show_the_table_as_the_data_file_holds_it():
    text = DOCS.read_text(encoding="utf-8")
    assert TABLE_START in text and TABLE_END in text
    shown = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    assert shown == removal_table_markdown(), (
        "docs/posts.md: regenerate the removal table:\n" + removal_table_markdown()
    )


def test_every_removal_kind_has_entries_and_every_entry_a_source():
    table = removal_table()
    kinds = {entry.outcome for entry in (*table.answer, *table.placeholder)}
    assert set(REMOVAL_KINDS) <= kinds
    assert {Outcome.RATE_LIMITED, Outcome.LOGIN_WALL, Outcome.RETRY_LATER, Outcome.OK} <= kinds
    for platform in Platform:
        platform_kinds = {
            entry.outcome for entry in (*table.answer, *table.placeholder) if entry.platform is platform
        }
        assert {
            Outcome.OK,
            Outcome.RATE_LIMITED,
            Outcome.NOT_FOUND,
            Outcome.DELETED_BY_AUTHOR,
        } <= platform_kinds
    assert all(entry.source.strip() for entry in (*table.answer, *table.placeholder))


def answer_meeting(entry: AnswerEntry) -> RecordedAnswer:
    """The plainest answer that meets every condition of `entry`."""
    status = entry.status[0] if entry.status else 200
    if entry.body_is is not None:
        body = entry.body_is
    elif entry.body == "json" or entry.json_fields or entry.json_has:
        document = {**(entry.json_fields or {}), **dict.fromkeys(entry.json_has or (), "x")}
        if entry.contains:
            document["message"] = entry.contains[0]
        body = json.dumps(document, ensure_ascii=False)
    elif entry.body == "html" or entry.contains:
        body = f"<html><title>{entry.contains[0] if entry.contains else ''}</title></html>"
    else:
        body = ""
    return RecordedAnswer.read(status, {}, body.encode())


@pytest.mark.parametrize(
    "entry", removal_table().answer, ids=lambda entry: f"{entry.platform}-{entry.outcome}"
)
def test_no_answer_entry_is_shadowed_by_an_earlier_one(entry):
    endpoint = (entry.endpoints or [e for e in Endpoint if e.platform is entry.platform])[0]
    verdict = classify_answer(endpoint, answer_meeting(entry))
    assert (verdict.outcome, verdict.source) == (entry.outcome, entry.source)


@pytest.mark.parametrize(
    ("entry", "text"),
    [(entry, text) for entry in removal_table().placeholder for text in entry.texts],
    ids=lambda value: value if isinstance(value, str) else value.platform,
)
def test_every_placeholder_wording_gives_its_removal(entry, text):
    removal = placeholder_removal(entry.platform, f"{text}。查看帮助：http://t.cn/zWSudZc Learn more")
    assert (removal.kind, removal.source) == (entry.outcome, entry.source)


def test_placeholders_match_whatever_the_width_of_the_punctuation():
    assert (
        placeholder_removal(Platform.WEIBO, "抱歉,此微博已被作者删除.查看帮助").kind
        is Outcome.DELETED_BY_AUTHOR
    )
    notice = "You're unable to view this Post because this account owner limits who can view their Posts."
    assert placeholder_removal(Platform.X, notice).kind is Outcome.ACCOUNT_PROTECTED


def test_a_post_that_only_quotes_a_notice_is_no_removal():
    assert placeholder_removal(Platform.WEIBO, "有人说“抱歉，此微博已被作者删除”，其实没有。") is None
    assert (
        placeholder_removal(Platform.X, "Why does it say This Post was deleted by the Post author?") is None
    )
    assert placeholder_removal(Platform.X, "抱歉，此微博已被作者删除") is None


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"platform": "weibo", "status": [418], "outcome": "rate_limited"}, "source"),
        ({"platform": "weibo", "outcome": "not_found", "source": "s"}, "at least one condition"),
        (
            {
                "platform": "weibo",
                "endpoints": ["x_oembed"],
                "status": [404],
                "outcome": "not_found",
                "source": "s",
            },
            "not all weibo's",
        ),
        ({"platform": "weibo", "status": [404], "outcome": "gone", "source": "s"}, "outcome"),
        (
            {"platform": "weibo", "status": [404], "outcome": "not_found", "source": "s", "contain": ["x"]},
            "contain",
        ),
    ],
)
def test_a_mistake_in_an_answer_entry_is_named(entry, error):
    with pytest.raises(ValidationError, match=error):
        AnswerEntry.model_validate(entry)


def test_a_placeholder_must_be_a_removal():
    with pytest.raises(ValidationError, match="must be a removal kind"):
        PlaceholderEntry.model_validate(
            {"platform": "x", "texts": ["a"], "outcome": "rate_limited", "source": "s"}
        )
