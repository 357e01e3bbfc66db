"""Every `sourcevault posts` command docs/posts.md shows runs, in the page's order, and prints what the
page shows (the times of the run aside). Those that fetch run as their own process (Scrapy's reactor
runs once per process), from a folder where `tests/` is this checkout's, as the page's paths say."""

from __future__ import annotations

import re
import shlex

import pytest

from crawler.warc_snapshots import Snapshot
from tests.helpers import ROOT, invoke, run_sourcevault
from tests.helpers import shown_commands as shown_page_commands
from tests.post_fixtures import REPLAY_SNAPSHOT, replayed_exchanges

DOC = ROOT / "docs" / "posts.md"
# The moments of a run (checks, next checks) differ from the page's; X's post times are UTC too.
RUN_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def shown_commands() -> list[tuple[str, str]]:
    return shown_page_commands(DOC)


@pytest.mark.slow
def test_the_commands_of_the_page_print_what_it_shows(tmp_path, monkeypatch):
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    monkeypatch.chdir(tmp_path)
    commands = shown_commands()
    assert len(commands) >= 6
    for command, output in commands:
        program, *arguments = shlex.split(command)
        assert program == "sourcevault"
        if "--replay" in arguments:
            ran = run_sourcevault(*arguments, cwd=tmp_path)
            printed, status = ran.stdout + ran.stderr, ran.returncode
        else:
            result = invoke(*arguments)
            printed, status = result.output, result.exit_code
        assert RUN_TIME.sub("<time>", printed) == RUN_TIME.sub("<time>", output), command
        assert status == (1 if output.startswith("Error:") else 0), command


def test_the_replayed_snapshot_holds_exactly_the_answers_it_is_built_from():
    snapshot = Snapshot(REPLAY_SNAPSHOT)
    expected = replayed_exchanges()
    assert len(snapshot) == len(expected)
    for exchange in expected:
        found = snapshot.lookup(exchange.method, exchange.url, exchange.request_body)
        assert found is not None, exchange.url
        assert (found.status, found.body) == (exchange.status, exchange.body)
