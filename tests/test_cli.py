"""The command line, through click's CliRunner on temporary files."""

from __future__ import annotations

import json

import click
import pytest

from crawler import __version__
from crawler.archive import Archive
from crawler.cli import main
from tests.doc_commands import shown_shell_commands, unknown_words
from tests.helpers import fixture_page

CNA_URL = "https://www.cna.com.tw/news/asoc/201603190029.aspx"


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
    return found


@pytest.mark.parametrize("path", all_commands(main), ids=" ".join)
def test_every_command_has_help_with_an_example(cli, path):
    result = cli(*path, "--help")
    assert result.exit_code == 0
    command = main
    for name in path:
        command = command.commands[name]
    # A group that only gathers subcommands shows their list instead of an example.
    if not (isinstance(command, click.Group) and not command.invoke_without_command):
        examples = result.output.split("Example:", 1)[1].split("Options:", 1)[0]
        # The example's commands and options exist (tests/doc_commands.py reads shell lines).
        shown = [arguments for line in examples.splitlines() for arguments in shown_shell_commands(line)]
        assert shown
        assert [word for arguments in shown for word in unknown_words(arguments)] == []


def test_version(cli):
    assert cli("--version").output.strip() == f"sourcevault, version {__version__}"


def test_extract_prints_the_article_as_json(cli, tmp_path):
    page = tmp_path / "cna.html"
    page.write_bytes(fixture_page("outlets/cna/cna_article_201603190029_twnews_2019.html.gz"))
    result = cli("extract", str(page), "--url", CNA_URL)
    assert result.exit_code == 0
    article = json.loads(result.output)
    assert article["outlet"] == "cna" and article["authors"] == ["邱俊欽"]
    assert article["published_at"] == "2016-03-19T08:15:00+08:00"
    assert article["field_methods"]["title"] == "selector"
    assert (article["language_tag"], article["script_mismatch"], article["declared_language_agrees"]) == (
        "zh-Hant",
        False,
        True,
    )
    assert article["title_simplified"] == "平镇轮胎行恶火 疏散7人1女命丧"


def test_extract_says_why_a_page_is_not_an_article(cli, tmp_path):
    page = tmp_path / "list.html"
    page.write_bytes(
        fixture_page("outlets/ltn/ltn_list_breakingnews_politics_digital_news_crawl_2021.html.gz")
    )
    result = cli("extract", str(page), "--outlet", "ltn")
    assert result.exit_code == 1
    # The page decides, not its URL: a list of 531 headlines around no prose.
    assert json.loads(result.output)["not_article"] == (
        "not an article: listing page (531 headline links around 28 characters of prose)"
    )


def test_extract_batch_keeps_manifest_order_and_reports_bad_lines(cli, tmp_path):
    (tmp_path / "cna.html").write_bytes(
        fixture_page("outlets/cna/cna_article_201603190029_twnews_2019.html.gz")
    )
    (tmp_path / "udn.html").write_bytes(
        fixture_page("outlets/udn/udn_story_7315_3004543_twnews_2018.html.gz")
    )
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text(
        "\n".join(
            [
                json.dumps({"file": "udn.html"}),
                "{not json",
                json.dumps({"file": "missing.html", "url": "https://example.org/x"}),
                json.dumps({"file": str(tmp_path / "cna.html"), "url": CNA_URL}),
            ]
        )
        + "\n"
    )
    result = cli("extract", "--batch", str(manifest))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {manifest}: 2 of 4 entries could not be read\n"
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("file") for line in lines] == [
        "udn.html",
        None,
        "missing.html",
        str(tmp_path / "cna.html"),
    ]
    assert (
        lines[0]["article_id"] == "3004543" and lines[0]["url"] == "https://udn.com/news/story/7315/3004543"
    )
    assert lines[1]["error"].endswith(":2: not JSON (Expecting property name enclosed in double quotes)")
    assert "No such file" in lines[2]["error"]
    assert lines[3]["outlet"] == "cna"


def test_stats_lists_every_outlet_even_when_empty(cli, tmp_path, registry):
    database = tmp_path / "empty.db"
    Archive(database).close()
    result = cli("stats", "--db", str(database), "--json")
    stats = json.loads(result.output)
    assert stats["articles"] == 0 and stats["captures"] == 0
    assert set(stats["outlets"]) == set(registry.slugs)
    assert all(
        counts == {"articles": 0, "captures": 0, "script_mismatches": 0}
        for counts in stats["outlets"].values()
    )


def test_stats_on_a_missing_archive_is_one_line(cli, tmp_path):
    result = cli("stats", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: ") and "no archive here" in result.output


def test_outlets_check_passes_on_the_reviewed_fixtures(cli):
    result = cli("outlets", "check")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 failing")
