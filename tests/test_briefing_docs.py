"""Every `sourcevault` command docs/briefings.md shows runs, and prints what the page says; so do
the README's examples of its briefing editor's section.

Commands that read no archive run in this process. Those that do (`--db`) run as a user runs
them, each in its own process, in the order shown, in a scratch folder holding this checkout's
`crawler/` (so the demo's briefing and snapshot are where the page says): `briefing add` runs
Scrapy, whose reactor starts once per process.
"""

from __future__ import annotations

import re
import shlex

import pytest

from tests.helpers import ROOT, run_sourcevault

DOC = ROOT / "docs" / "briefings.md"
README_SECTION = "## For the briefing editor"
CONSOLE_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def readme_briefing_section() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8").split(README_SECTION, 1)[1].split("\n## ", 1)[0]


def shown_commands(text: str | None = None) -> list[tuple[str, str]]:
    """(command, output as shown) for every `$ sourcevault …` line of the page's console blocks."""
    shown = []
    for block in CONSOLE_BLOCK.findall(DOC.read_text(encoding="utf-8") if text is None else text):
        for example in re.split(r"^(?=\$ )", block, flags=re.MULTILINE):
            if example.strip():
                command, _, output = example.partition("\n")
                shown.append((command.removeprefix("$ "), output))
    return shown


def test_the_page_shows_commands():
    assert len(shown_commands()) >= 4


def archive_free(shown: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(command, output) for command, output in shown if "--db" not in command]


@pytest.mark.parametrize(
    ("command", "output"),
    archive_free(shown_commands()),
    ids=[command for command, _ in archive_free(shown_commands())],
)
def test_a_command_of_the_page_prints_what_it_shows(cli, monkeypatch, command, output):
    program, *arguments = shlex.split(command)
    assert program == "sourcevault"
    monkeypatch.chdir(ROOT)
    result = cli(*arguments)
    assert result.output == output
    assert result.exit_code == (1 if output.startswith("Error:") else 0)


def test_the_archive_examples_print_what_the_page_and_the_readme_show(tmp_path):
    (tmp_path / "crawler").symlink_to(ROOT / "crawler")
    page = [(command, output) for command, output in shown_commands() if "--db" in command]
    readme = shown_commands(readme_briefing_section())
    assert page and readme
    for command, output in page:
        program, *arguments = shlex.split(command)
        assert program == "sourcevault"
        result = run_sourcevault(*arguments, cwd=tmp_path)
        assert result.stdout == output, command
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    # The README shows the same archive's report.
    for command, output in readme:
        result = run_sourcevault(*shlex.split(command)[1:], cwd=tmp_path)
        assert result.stdout == output, command
